//! `switchboard send`: a message the operator (or a script) sends first, queued in the
//! outbox like an agent's reply. Works whether the daemon runs or not: a running
//! daemon finds it within its poll interval, a stopped one when it starts.

mod mime;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use switchboard_store::{BlobStore, NewSend};
use switchboard_types::OutboundAttachment;

use crate::config::ConfigFile;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The channel instance that sends it (`[channels.<instance>]`).
    instance: String,
    /// The conversation to send to, as the channel names it (`switchboard messages`
    /// shows the conversation ids).
    conversation: String,
    /// What it says; may be left out when files are attached.
    text: Option<String>,
    /// A file to send with it (repeat for several); its type comes from its extension.
    #[arg(long = "attach", value_name = "FILE")]
    attach: Vec<PathBuf>,
    /// The thread or topic to send into.
    #[arg(long = "thread", value_name = "ID")]
    thread: Option<String>,
    /// Path to switchboard.toml.
    #[arg(long, short, value_name = "FILE", default_value = "switchboard.toml")]
    config: PathBuf,
}

pub(crate) async fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let file = ConfigFile::load(&args.config)?;
    if !file.raw.channels.contains_key(&args.instance) {
        bail!(
            "{}: no [channels.{}] table; the instance must be configured",
            args.config.display(),
            args.instance
        );
    }
    let text = args.text.clone().unwrap_or_default();
    if text.trim().is_empty() && args.attach.is_empty() {
        bail!("nothing to send: give text, --attach FILE, or both");
    }
    let data_dir = file.data_dir();
    let attachments = if args.attach.is_empty() {
        Vec::new()
    } else {
        let dir = data_dir.join("blobs");
        let blobs = BlobStore::open(&dir)
            .with_context(|| format!("cannot open the blob store {}", dir.display()))?;
        let mut read = Vec::with_capacity(args.attach.len());
        for path in &args.attach {
            read.push((path, attachment(&blobs, path).await?));
        }
        read
    };
    let store = file.open_store(false).await?;
    // Recorded before the send refers to them, so a prune never takes them first.
    for (path, attachment) in &attachments {
        store
            .record_blob(attachment.blob.clone(), attachment.size)
            .await
            .with_context(|| format!("cannot record {}", path.display()))?;
    }
    let queued = store
        .queue_send(NewSend {
            instance: args.instance.clone(),
            conversation_id: args.conversation.clone(),
            thread_id: args.thread.clone(),
            text,
            attachments: attachments.into_iter().map(|(_, a)| a).collect(),
            reply_to: None,
            api_key: None,
        })
        .await?;
    store.close().await?;
    println!("{}", queued.item.id);
    eprintln!(
        "queued for {}; a running daemon sends it within a second or so (`switchboard replies` shows how it went)",
        args.instance
    );
    Ok(ExitCode::SUCCESS)
}

/// Copies `path` into the blob store and describes it.
async fn attachment(blobs: &BlobStore, path: &Path) -> anyhow::Result<OutboundAttachment> {
    let bytes = tokio::fs::read(path)
        .await
        .with_context(|| format!("cannot read {}", path.display()))?;
    if bytes.is_empty() {
        bail!("{} is empty", path.display());
    }
    let blob = blobs
        .put(&bytes)
        .await
        .with_context(|| format!("cannot store {}", path.display()))?;
    let mime_type = mime::mime_type(path);
    Ok(OutboundAttachment {
        kind: mime::kind(mime_type),
        mime_type: mime_type.to_owned(),
        size: blob.size,
        file_name: path.file_name().and_then(|n| n.to_str()).map(str::to_owned),
        caption: None,
        blob: blob.sha256,
    })
}
