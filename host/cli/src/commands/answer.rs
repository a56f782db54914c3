//! `switchboard answer`: give stored messages that got no agent turn for an access
//! reason a turn after all, say the message that asked for a pairing code, once its
//! sender is approved.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::ConfigFile;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Path to switchboard.toml.
    #[arg(long, short, value_name = "FILE", default_value = "switchboard.toml")]
    config: PathBuf,
    /// Message ids, as `switchboard messages --json` shows them (`id`).
    #[arg(required = true)]
    ids: Vec<i64>,
}

pub(crate) async fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let store = ConfigFile::load(&args.config)?.open_store(false).await?;
    let mut all = true;
    for id in &args.ids {
        if store.requeue_denied_turn(*id).await? {
            println!("message {id}: queued for a turn; the access policy judges it again");
        } else {
            all = false;
            eprintln!(
                "message {id}: not queued (no such message, it had its turn, or no person wrote it to the bot)"
            );
        }
    }
    store.close().await?;
    Ok(if all {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
