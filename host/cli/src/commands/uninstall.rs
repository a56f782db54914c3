use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::ConfigFile;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The installed component to remove.
    name: String,
    /// Path to switchboard.toml.
    #[arg(long, short, value_name = "FILE", default_value = "switchboard.toml")]
    config: PathBuf,
}

pub(crate) fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let file = ConfigFile::load(&args.config)?;
    let users: Vec<&String> = file
        .raw
        .channels
        .iter()
        .filter(|(_, c)| c.component == args.name)
        .map(|(name, _)| name)
        .collect();
    let removed = switchboard_registry::uninstall(&file.data_dir(), &args.name)?;
    println!("uninstalled {} {}", removed.name, removed.version);
    if !users.is_empty() {
        let list: Vec<String> = users.iter().map(|u| format!("channels.{u}")).collect();
        println!(
            "  note: {} still name it; a running daemon stops serving them, and the next start fails until they are removed or it is reinstalled",
            list.join(", ")
        );
    }
    Ok(ExitCode::SUCCESS)
}
