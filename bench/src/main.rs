//! `switchboard-bench`: runs the benchmark (`run`), and serves as its own targets
//! and store benchmark when the run starts it again on the server core.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::Duration;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use switchboard_bench::daemon::DaemonSetup;
use switchboard_bench::loadgen::{self, LoadPlan, Pace};
use switchboard_bench::mock::MockApi;
use switchboard_bench::payload::{Signer, WEBHOOK_PATH};
use switchboard_bench::process::Pinning;
use switchboard_bench::report;
use switchboard_bench::run::{self, RunOptions};
use switchboard_bench::{store_bench, targets};

/// Set in the environment of the run once it is pinned to the client core.
const PINNED_ENV: &str = "SWITCHBOARD_BENCH_PINNED";

#[derive(Debug, Parser)]
#[command(
    name = "switchboard-bench",
    about = "Measure Switchboard against the limits of this machine"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Run the benchmark and write target/bench/report.json.
    Run {
        /// The short version for CI (under a minute).
        #[arg(long)]
        quick: bool,
        /// Do not pin targets and load generator to separate cores.
        #[arg(long)]
        no_pin: bool,
        /// The workspace root (default: the one this crate was built in).
        #[arg(long, value_name = "DIR")]
        root: Option<PathBuf>,
    },
    /// Run only the plugin-languages stage (the webhook example channel in Rust,
    /// Python and JavaScript) and write target/bench/languages.json.
    Languages {
        /// The short version, as in `run --quick`.
        #[arg(long)]
        quick: bool,
        /// Do not pin the daemon and this process to separate cores.
        #[arg(long)]
        no_pin: bool,
        /// The workspace root (default: the one this crate was built in).
        #[arg(long, value_name = "DIR")]
        root: Option<PathBuf>,
    },
    /// T0: answer 200 to everything (started by `run`).
    #[command(hide = true)]
    ServeRaw {
        #[arg(long)]
        listen: SocketAddr,
    },
    /// T2: `switchboard serve --config FILE` with the WhatsApp channel compiled
    /// natively in place of the component (started by `run`; also for profiling).
    ServeNative {
        #[arg(long)]
        config: PathBuf,
    },
    /// Offer signed WhatsApp deliveries to a running target at a fixed rate and
    /// print the result as JSON (for profiling by hand).
    Load {
        /// The target, e.g. 127.0.0.1:8080 (its instance must be `wa` with the
        /// benchmark's app secret).
        #[arg(long)]
        addr: SocketAddr,
        /// Requests per second.
        #[arg(long)]
        rate: f64,
        /// How long to offer load.
        #[arg(long, default_value_t = 5000)]
        duration_ms: u64,
        /// Keep-alive connections.
        #[arg(long, default_value_t = 64)]
        connections: usize,
        /// Distinguishes this run's message ids from earlier ones.
        #[arg(long, default_value = "manual")]
        tag: String,
    },
    /// For profiling by hand: writes a daemon directory (config, WhatsApp
    /// installed) pointed at a mock Graph API, and keeps the mock running until
    /// standard input closes. Then start `switchboard serve --config
    /// DIR/switchboard.toml` (T3) or `switchboard-bench serve-native --config ...`
    /// (T2) under a profiler and offer `load`.
    Setup {
        /// An empty or missing directory.
        #[arg(long)]
        dir: PathBuf,
        /// The workspace root (default: the one this crate was built in).
        #[arg(long, value_name = "DIR")]
        root: Option<PathBuf>,
    },
    /// S0 and the fsync probe; prints JSON (started by `run`).
    #[command(hide = true)]
    Store {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long, default_value_t = 1000)]
        probe: u64,
        #[arg(long, default_value_t = 64)]
        tasks: usize,
        #[arg(long, default_value_t = 5000)]
        duration_ms: u64,
    },
}

fn main() -> ExitCode {
    match dispatch(Cli::parse().command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn dispatch(command: Cmd) -> anyhow::Result<ExitCode> {
    match command {
        Cmd::Run {
            quick,
            no_pin,
            root,
        } => run_bench(quick, no_pin, root),
        Cmd::Languages {
            quick,
            no_pin,
            root,
        } => run_languages(quick, no_pin, root),
        Cmd::ServeRaw { listen } => {
            targets::raw::serve(listen)?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::ServeNative { config } => Ok(targets::native::serve(&config)),
        Cmd::Load {
            addr,
            rate,
            duration_ms,
            connections,
            tag,
        } => {
            let duration = Duration::from_millis(duration_ms);
            let count = (rate * duration.as_secs_f64()).ceil() as usize;
            let requests = Signer::new(&tag)?.batch(0, count.max(1))?;
            let plan = LoadPlan {
                addr,
                path: WEBHOOK_PATH.to_owned(),
                pace: Pace::Open { rate },
                duration,
                connections,
                request_timeout: Duration::from_secs(10),
            };
            let result = loadgen::run_blocking(&plan, requests)?;
            println!("{}", serde_json::to_string_pretty(&result)?);
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Setup { dir, root } => {
            let root = workspace_root(root)?;
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            let mock = MockApi::start()?;
            let setup = DaemonSetup::create(
                &dir,
                &root.join("target/release/switchboard"),
                &root.join("target/registry/index.json"),
                &mock.origin,
            )?;
            println!("config {}", setup.config_path().display());
            println!(
                "mock Graph API on {}; close standard input to stop it",
                mock.origin
            );
            // Anything written is ignored; only the end of the stream matters.
            std::io::copy(&mut std::io::stdin(), &mut std::io::sink())?;
            println!("the mock answered {} requests", mock.requests());
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Store {
            dir,
            probe,
            tasks,
            duration_ms,
        } => {
            let report = store_bench::run(&dir, probe, tasks, Duration::from_millis(duration_ms))?;
            println!("{}", serde_json::to_string(&report)?);
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn workspace_root(root: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    let root = match root {
        Some(root) => root,
        None => PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/..")),
    };
    root.canonicalize()
        .with_context(|| format!("cannot find the workspace root {}", root.display()))
}

/// The pinning of a run, or the exit code of the same run started again on the
/// client core.
enum Pinned {
    Here(Pinning),
    Restarted(ExitCode),
}

fn pin(no_pin: bool, bench_exe: &std::path::Path) -> anyhow::Result<Pinned> {
    let pinning = if no_pin {
        Pinning::none()
    } else {
        Pinning::detect()
    };
    // The load generator runs in this process, so the whole run moves to the
    // client core first: start again under taskset.
    if let Some(client) = &pinning.client
        && std::env::var_os(PINNED_ENV).is_none()
    {
        let status = Command::new("taskset")
            .arg("-c")
            .arg(client)
            .arg(bench_exe)
            .args(std::env::args_os().skip(1))
            .env(PINNED_ENV, "1")
            .status()
            .context("cannot start the benchmark under taskset")?;
        return Ok(Pinned::Restarted(if status.success() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }));
    }
    Ok(Pinned::Here(pinning))
}

fn run_bench(quick: bool, no_pin: bool, root: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let bench_exe = std::env::current_exe().context("cannot find this executable")?;
    let pinning = match pin(no_pin, &bench_exe)? {
        Pinned::Here(pinning) => pinning,
        Pinned::Restarted(code) => return Ok(code),
    };
    let root = workspace_root(root)?;
    let options = RunOptions {
        quick,
        root: root.clone(),
        bench_exe,
        pinning,
    };
    let report = run::run(&options)?;
    let out_dir = root.join("target/bench");
    std::fs::create_dir_all(&out_dir)
        .with_context(|| format!("cannot create {}", out_dir.display()))?;
    let out = out_dir.join("report.json");
    let json = serde_json::to_string_pretty(&report)?;
    std::fs::write(&out, json + "\n").with_context(|| format!("cannot write {}", out.display()))?;
    println!("{}", report::table(&report));
    println!("wrote {}", out.display());
    Ok(ExitCode::SUCCESS)
}

fn run_languages(quick: bool, no_pin: bool, root: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let bench_exe = std::env::current_exe().context("cannot find this executable")?;
    let pinning = match pin(no_pin, &bench_exe)? {
        Pinned::Here(pinning) => pinning,
        Pinned::Restarted(code) => return Ok(code),
    };
    let root = workspace_root(root)?;
    let languages = run::languages_only(&root, &pinning, quick)?;
    let out = root.join("target/bench/languages.json");
    let json = serde_json::to_string_pretty(&languages)?;
    std::fs::write(&out, json + "\n").with_context(|| format!("cannot write {}", out.display()))?;
    println!("{}", report::languages_table(&languages));
    println!("wrote {}", out.display());
    Ok(ExitCode::SUCCESS)
}
