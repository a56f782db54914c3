use std::path::Path;
use std::process::ExitCode;

use crate::config::ConfigFile;

/// Runs every check `serve` runs before it starts, without starting.
pub(crate) fn run(path: &Path) -> anyhow::Result<ExitCode> {
    let file = ConfigFile::load(path)?;
    match file.lower() {
        Ok(config) => {
            println!(
                "{}: ok ({} channel instance(s), agent {})",
                path.display(),
                config.instances.len(),
                config.agent.kind()
            );
            for instance in &config.instances {
                let mode = switchboard_daemon::ReceiveMode::of(
                    &instance.component.manifest,
                    &instance.settings,
                );
                let receives = match mode {
                    Ok(switchboard_daemon::ReceiveMode::Webhook) | Err(_) => {
                        format!("/webhooks/{}", instance.name)
                    }
                    Ok(mode) => format!("{} ({})", instance.name, mode.as_str()),
                };
                println!(
                    "  {receives} -> {} {} (switchboard:channel@{})",
                    instance.component.name,
                    instance.component.version,
                    instance.component.manifest.wit
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(problems) => {
            eprintln!(
                "{}: {} problem(s):\n{problems}",
                path.display(),
                problems.0.len()
            );
            Ok(ExitCode::FAILURE)
        }
    }
}
