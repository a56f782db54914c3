use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::ConfigFile;
use crate::logging::{self, Format};

#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// List dead letters: deliveries a channel could not process, replies that
    /// could not be sent, failed agent turns and hooks.
    List {
        #[arg(long, short, value_name = "FILE", default_value = "switchboard.toml")]
        config: PathBuf,
        /// Include dead letters already replayed.
        #[arg(long)]
        all: bool,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// Replay dead letters by id, or every unreplayed one with `--all`.
    Replay {
        #[arg(long, short, value_name = "FILE", default_value = "switchboard.toml")]
        config: PathBuf,
        /// Dead letter ids.
        ids: Vec<i64>,
        /// Replay every dead letter not yet replayed.
        #[arg(long, conflicts_with = "ids")]
        all: bool,
    },
}

pub(crate) async fn run(command: Command, format: Option<Format>) -> anyhow::Result<ExitCode> {
    match command {
        Command::List { config, all, json } => {
            let store = ConfigFile::load(&config)?.open_store(true).await?;
            for letter in store.dead_letters(all).await? {
                if json {
                    println!("{}", serde_json::to_string(&letter)?);
                } else {
                    println!(
                        "#{} {} {} {}: {}",
                        letter.id,
                        letter.kind.as_str(),
                        letter.instance,
                        if letter.replayed_at_ms.is_some() {
                            "(replayed)"
                        } else {
                            ""
                        },
                        letter.error
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Replay { config, ids, all } => {
            if ids.is_empty() && !all {
                anyhow::bail!("name dead letter ids to replay, or pass --all");
            }
            let file = ConfigFile::load(&config)?;
            logging::init(format.unwrap_or(Format::Text), Some("warn"))?;
            let daemon_config = match file.lower() {
                Ok(c) => c,
                Err(problems) => {
                    eprintln!("error: {} has problems:\n{problems}", config.display());
                    return Ok(ExitCode::FAILURE);
                }
            };
            let selection = if all { None } else { Some(ids) };
            let report = switchboard_daemon::replay_dead_letters(daemon_config, selection).await?;
            for (id, what) in &report.replayed {
                println!("#{id} replayed: {what}");
            }
            for (id, why) in &report.failed {
                println!("#{id} failed: {why}");
            }
            Ok(if report.failed.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}
