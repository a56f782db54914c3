use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use switchboard_runtime::{Runtime, RuntimeConfig, inspect, supported_range};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The component file.
    file: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let wasm = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let runtime = Runtime::new(RuntimeConfig {
        max_concurrent_calls: 1,
        ..RuntimeConfig::default()
    })?;
    let info = inspect(&runtime, &wasm).with_context(|| args.file.display().to_string())?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&info)?);
        return Ok(ExitCode::SUCCESS);
    }
    match &info.wit {
        Some(v) => println!(
            "WIT package: switchboard:channel@{v} ({})",
            if info.supported {
                "supported by this host".to_owned()
            } else {
                format!("NOT supported; this host runs {}", supported_range())
            }
        ),
        None => println!("WIT package: none (not a switchboard channel)"),
    }
    println!(
        "optional hooks: {}",
        if info.hooks.is_empty() {
            "none".to_owned()
        } else {
            info.hooks.join(", ")
        }
    );
    println!("exports:");
    for e in &info.exports {
        println!("  {e}");
    }
    println!("imports:");
    for i in &info.imports {
        println!("  {i}");
    }
    Ok(ExitCode::SUCCESS)
}
