use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::ConfigFile;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Path to switchboard.toml.
    #[arg(long, short, value_name = "FILE", default_value = "switchboard.toml")]
    config: PathBuf,
    /// One JSON object per line instead of a table.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let file = ConfigFile::load(&args.config)?;
    let installed = switchboard_registry::installed(&file.data_dir())?;
    if installed.components.is_empty() && !args.json {
        println!("no components installed");
    }
    for c in installed.components.values() {
        let grants: Vec<String> = c
            .manifest
            .capabilities
            .http
            .iter()
            .map(|cap| format!("{}{}", cap.origin, cap.path_prefix))
            .collect();
        if args.json {
            let line = serde_json::json!({
                "name": c.name, "version": c.version.to_string(), "wit": c.wit.to_string(),
                "sha256": c.sha256.to_string(), "capabilities": grants,
                "persistence_hook_declared": null,
            });
            println!("{line}");
        } else {
            println!(
                "{:<16} {:<10} switchboard:channel@{:<8} sha256:{}  grants: {}",
                c.name,
                c.version,
                c.wit,
                &c.sha256.to_string()[..16],
                if grants.is_empty() {
                    "none".to_owned()
                } else {
                    grants.join(", ")
                }
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
