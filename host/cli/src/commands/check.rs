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
                let manifest = &instance.component.manifest;
                let host_mode = manifest.wit >= semver::Version::new(0, 2, 2);
                let mode = crate::config::receive_mode(&instance.settings, manifest);
                let receives = match mode.filter(|_| host_mode) {
                    Some(mode @ ("polling" | "socket")) => format!("{} ({mode})", instance.name),
                    _ => format!("/webhooks/{}", instance.name),
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
