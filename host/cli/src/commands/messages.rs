use std::path::PathBuf;
use std::process::ExitCode;

use switchboard_store::Store;

use crate::config::ConfigFile;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Path to switchboard.toml.
    #[arg(long, short, value_name = "FILE", default_value = "switchboard.toml")]
    config: PathBuf,
    /// Only this channel instance.
    #[arg(long)]
    instance: Option<String>,
    /// At most this many, newest last.
    #[arg(long, default_value_t = 1000)]
    limit: usize,
    /// One JSON object per line.
    #[arg(long)]
    json: bool,
}

async fn open(args: &Args) -> anyhow::Result<Store> {
    ConfigFile::load(&args.config)?.open_store(true).await
}

pub(crate) async fn messages(args: &Args) -> anyhow::Result<ExitCode> {
    let store = open(args).await?;
    for m in store.messages(args.instance.as_deref(), args.limit).await? {
        if args.json {
            let mut value = serde_json::to_value(&m)?;
            if let Some(obj) = value.as_object_mut() {
                // Metadata is a JSON object in storage; print it as one.
                if let Some(serde_json::Value::String(meta)) = obj.get("metadata")
                    && let Ok(parsed) = serde_json::from_str::<serde_json::Value>(meta)
                {
                    obj.insert("metadata".to_owned(), parsed);
                }
                // What the channel described, with where its content stands.
                if !m.message.attachments.is_empty() {
                    let stored = store.attachments(m.id).await?;
                    obj.insert("attachments".to_owned(), serde_json::to_value(stored)?);
                }
            }
            println!("{value}");
        } else {
            let no_turn = m
                .no_turn
                .map(|reason| format!("  [no turn: {}]", reason.as_str()))
                .unwrap_or_default();
            let attachments = if m.message.attachments.is_empty() {
                String::new()
            } else {
                let states: Vec<String> = store
                    .attachments(m.id)
                    .await?
                    .iter()
                    .map(|a| format!("{} {}", a.attachment.kind.as_str(), a.state.as_str()))
                    .collect();
                format!("  [attachments: {}]", states.join(", "))
            };
            println!(
                "#{} {} {} from {} in {}: {}{attachments}{no_turn}",
                m.id,
                m.instance,
                m.message.external_id,
                m.message
                    .sender_name
                    .as_deref()
                    .unwrap_or(&m.message.sender_id),
                m.message.conversation_id,
                m.message
                    .text
                    .as_deref()
                    .unwrap_or(&format!("[{}]", m.message.kind.as_str()))
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) async fn replies(args: &Args) -> anyhow::Result<ExitCode> {
    let store = open(args).await?;
    for r in store.replies(args.instance.as_deref(), args.limit).await? {
        if args.json {
            println!("{}", serde_json::to_string(&r)?);
        } else {
            println!(
                "#{} {} {} to {} (attempts {}): {}",
                r.id,
                r.instance,
                r.status.as_str(),
                r.conversation_id,
                r.attempts,
                r.text
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
