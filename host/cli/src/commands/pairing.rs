//! `switchboard pairing`: the one-time codes unknown senders were given, and letting
//! them in (or not). Works while the daemon runs: it reads approvals from the store
//! on the sender's next message.

use std::path::PathBuf;
use std::process::ExitCode;

use switchboard_store::{Pairing, Store};

use crate::config::ConfigFile;

#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Pending codes: instance, sender, name, code and when it expires.
    List {
        #[arg(long, short, value_name = "FILE", default_value = "switchboard.toml")]
        config: PathBuf,
        /// Only this channel instance.
        #[arg(long)]
        instance: Option<String>,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// Let the sender who was given CODE talk to the agent from their next message.
    Approve {
        #[arg(long, short, value_name = "FILE", default_value = "switchboard.toml")]
        config: PathBuf,
        instance: String,
        code: String,
    },
    /// Refuse CODE: its sender gets no new code until this one would have expired.
    Deny {
        #[arg(long, short, value_name = "FILE", default_value = "switchboard.toml")]
        config: PathBuf,
        instance: String,
        code: String,
    },
    /// Withdraw an approved sender's access.
    Revoke {
        #[arg(long, short, value_name = "FILE", default_value = "switchboard.toml")]
        config: PathBuf,
        instance: String,
        sender_id: String,
    },
}

pub(crate) async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::List {
            config,
            instance,
            json,
        } => {
            let store = ConfigFile::load(&config)?.open_store(true).await?;
            for pairing in store.pairings(instance.as_deref()).await? {
                if json {
                    println!("{}", list_json(&pairing));
                } else {
                    println!(
                        "{} {} {} ({}) expires {}",
                        pairing.instance,
                        pairing.code,
                        pairing.sender_id,
                        pairing.sender_name.as_deref().unwrap_or("no name"),
                        rfc3339(pairing.expires_at_ms)
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Approve {
            config,
            instance,
            code,
        } => decide(&config, &instance, &code, Decision::Approve).await,
        Command::Deny {
            config,
            instance,
            code,
        } => decide(&config, &instance, &code, Decision::Deny).await,
        Command::Revoke {
            config,
            instance,
            sender_id,
        } => {
            let store = open(&config).await?;
            let revoked = store.revoke_access(&instance, &sender_id).await?;
            store.close().await?;
            if revoked {
                println!("{instance}: {sender_id} may no longer talk to the agent");
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!("{instance}: {sender_id} was not an approved sender");
                Ok(ExitCode::FAILURE)
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Decision {
    Approve,
    Deny,
}

async fn decide(
    config: &std::path::Path,
    instance: &str,
    code: &str,
    decision: Decision,
) -> anyhow::Result<ExitCode> {
    // People read codes aloud and paste them with spaces or dashes.
    let code: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let store = open(config).await?;
    let decided = match decision {
        Decision::Approve => store.approve_pairing(instance, &code).await?,
        Decision::Deny => store.deny_pairing(instance, &code).await?,
    };
    store.close().await?;
    let Some(pairing) = decided else {
        eprintln!(
            "{instance}: no pending pairing code {code} (it may have expired, been used, or be mistyped; `switchboard pairing list` shows the pending ones)"
        );
        return Ok(ExitCode::FAILURE);
    };
    let who = pairing.sender_name.as_deref().map_or_else(
        || pairing.sender_id.clone(),
        |name| format!("{name} ({})", pairing.sender_id),
    );
    match decision {
        Decision::Approve => {
            println!("{instance}: {who} may talk to the agent from their next message")
        }
        Decision::Deny => println!("{instance}: {who} was refused"),
    }
    Ok(ExitCode::SUCCESS)
}

fn list_json(pairing: &Pairing) -> serde_json::Value {
    serde_json::json!({
        "instance": pairing.instance,
        "sender_id": pairing.sender_id,
        "sender_name": pairing.sender_name,
        "code": pairing.code,
        "expires_at": rfc3339(pairing.expires_at_ms),
    })
}

fn rfc3339(ms: i64) -> String {
    switchboard_agent::format_unix_ms(ms)
}

async fn open(config: &std::path::Path) -> anyhow::Result<Store> {
    ConfigFile::load(config)?.open_store(false).await
}
