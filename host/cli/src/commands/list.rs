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

/// Prints every installed component with what an operator audits before
/// trusting it: the version, the WIT version, the full digest (to compare with
/// the registry), what it asks to reach, and what the config grants on top.
pub(crate) fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let file = ConfigFile::load(&args.config)?;
    let installed = switchboard_registry::installed(&file.data_dir())?;
    if installed.components.is_empty() && !args.json {
        println!("no components installed");
    }
    for c in installed.components.values() {
        let requested = &c.manifest.capabilities.http;
        // Instances that use the component, with the origins the operator added.
        let instances: Vec<(&String, &Vec<String>)> = file
            .raw
            .channels
            .iter()
            .filter(|(_, channel)| channel.component == c.name)
            .map(|(name, channel)| (name, &channel.allow))
            .collect();
        if args.json {
            let line = serde_json::json!({
                "name": c.name,
                "version": c.version.to_string(),
                "wit": c.wit.to_string(),
                "sha256": c.sha256.to_string(),
                "capabilities": requested,
                "instances": instances
                    .iter()
                    .map(|(name, allow)| serde_json::json!({ "instance": name, "allow": allow }))
                    .collect::<Vec<_>>(),
            });
            println!("{line}");
            continue;
        }
        println!(
            "{} {}  switchboard:channel@{}{}",
            c.name,
            c.version,
            c.wit,
            if switchboard_runtime::is_supported(&c.wit) {
                String::new()
            } else {
                format!(
                    "  (NOT supported; this host runs {})",
                    switchboard_runtime::supported_range()
                )
            }
        );
        println!("  sha256   {}", c.sha256);
        if requested.is_empty() {
            println!("  grants   no outbound network access requested");
        } else {
            let grants: Vec<String> = requested.iter().map(ToString::to_string).collect();
            println!(
                "  grants   {} (requested by the manifest)",
                grants.join(", ")
            );
        }
        for (name, allow) in &instances {
            if allow.is_empty() {
                println!("  used by  channels.{name}");
            } else {
                println!(
                    "  used by  channels.{name}, which also allows {}",
                    allow.join(", ")
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
