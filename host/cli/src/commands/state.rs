//! `switchboard state`: what each instance's guest keeps in its key-value state, and
//! removing it (for an instance taken out of the config, or one whose guest filled
//! its quota with junk).

use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::ConfigFile;

#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Keys and bytes of state per instance.
    Usage {
        #[arg(long, short, value_name = "FILE", default_value = "switchboard.toml")]
        config: PathBuf,
    },
    /// Remove every key of one instance's state. Safe while the daemon runs; the
    /// guest finds its state empty on its next call.
    Clear {
        #[arg(long, short, value_name = "FILE", default_value = "switchboard.toml")]
        config: PathBuf,
        /// The instance name.
        instance: String,
    },
}

pub(crate) async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Usage { config } => {
            let store = ConfigFile::load(&config)?.open_store(true).await?;
            for (instance, usage) in store.state_usage().await? {
                println!("{instance}: {} keys, {} bytes", usage.keys, usage.bytes);
            }
        }
        Command::Clear { config, instance } => {
            let store = ConfigFile::load(&config)?.open_store(false).await?;
            let removed = store.state_clear(&instance).await?;
            store.close().await?;
            println!("{instance}: {removed} keys removed");
        }
    }
    Ok(ExitCode::SUCCESS)
}
