use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use switchboard_conformance::{Subject, load_case, load_cases, render_report};
use switchboard_runtime::{Runtime, RuntimeConfig};

#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Run a component against recorded cases, with no daemon and no network: each
    /// case gives a request (or a reply to send) and what must come of it. Prints
    /// the fields that differ for each failing case; exits 1 if any fails.
    Test(TestArgs),
}

#[derive(Debug, clap::Args)]
pub(crate) struct TestArgs {
    /// The component file.
    file: PathBuf,
    /// The component's manifest.
    #[arg(long, value_name = "FILE")]
    manifest: PathBuf,
    /// A folder of case files (`*.json`), or one case file.
    #[arg(long, value_name = "PATH")]
    cases: PathBuf,
    /// Print what each call produced as JSON, to write or check an expectation.
    #[arg(long)]
    print: bool,
}

pub(crate) async fn run(command: Command) -> anyhow::Result<ExitCode> {
    let Command::Test(args) = command;
    let cases = if args.cases.is_file() {
        vec![load_case(&args.cases)?]
    } else {
        load_cases(&args.cases)?
    };
    let runtime = Runtime::new(RuntimeConfig {
        max_concurrent_calls: 2,
        ..RuntimeConfig::default()
    })
    .context("cannot start the sandbox")?;
    let subject = Subject::load(&runtime, &args.file, &args.manifest)?;
    let mut outcomes = Vec::with_capacity(cases.len());
    for case in &cases {
        outcomes.push(subject.run(case).await);
    }
    print!("{}", render_report(subject.name(), &outcomes, args.print));
    Ok(if outcomes.iter().all(|o| o.passed()) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
