//! Replays dead letters after the cause is fixed (a component upgraded, an API
//! back up). Deliveries run through the channel again; replies, agent turns and
//! hooks go back into their queues, where a running daemon picks them up.

use std::sync::Arc;

use switchboard_store::{DeadLetter, DeadLetterKind};

use crate::config::DaemonConfig;
use crate::daemon::Daemon;
use crate::pipeline::{self, Failure};
use crate::shared::Shared;

/// What happened to each dead letter.
#[derive(Debug, Default)]
pub struct ReplayReport {
    /// Dead letters replayed, with what happened.
    pub replayed: Vec<(i64, String)>,
    /// Dead letters that failed again (they stay dead letters).
    pub failed: Vec<(i64, String)>,
}

/// Replays the dead letters with the given ids, or every unreplayed one.
pub async fn replay_dead_letters(
    config: DaemonConfig,
    ids: Option<Vec<i64>>,
) -> anyhow::Result<ReplayReport> {
    let daemon = Daemon::prepare(config)?;
    daemon.check_store().await?;
    let shared = daemon.shared();
    crate::daemon::apply_size_limit(&shared).await?;
    let letters = shared.store.dead_letters(false).await?;
    let mut report = ReplayReport::default();
    if let Some(ids) = &ids {
        for id in ids {
            if !letters.iter().any(|l| l.id == *id) {
                report
                    .failed
                    .push((*id, "no such unreplayed dead letter".to_owned()));
            }
        }
    }
    for letter in letters
        .into_iter()
        .filter(|l| ids.as_ref().is_none_or(|ids| ids.contains(&l.id)))
    {
        let id = letter.id;
        match replay_one(&shared, &letter).await {
            Ok(what) => {
                shared.store.mark_replayed(id).await?;
                report.replayed.push((id, what));
            }
            Err(why) => report.failed.push((id, why)),
        }
    }
    let store = shared.store.clone();
    drop(shared);
    drop(daemon);
    store.close().await?;
    Ok(report)
}

async fn replay_one(shared: &Arc<Shared>, letter: &DeadLetter) -> Result<String, String> {
    match letter.kind {
        DeadLetterKind::Delivery => {
            let request: switchboard_runtime::WebhookRequest =
                serde_json::from_slice(&letter.payload)
                    .map_err(|e| format!("unreadable payload: {e}"))?;
            let instance = shared
                .instance(&letter.instance)
                .ok_or_else(|| format!("instance {:?} is not configured", letter.instance))?;
            match pipeline::process(shared, &instance, &request).await {
                Ok(response) => Ok(format!(
                    "delivery processed (channel answered {})",
                    response.status
                )),
                Err(Failure::Guest(e)) => Err(format!("the channel failed again: {e}")),
                Err(Failure::Refused(error)) => Err(format!("not processed: {error}")),
            }
        }
        DeadLetterKind::Reply => {
            let reply = letter.reply_id.ok_or("the dead letter names no reply")?;
            shared
                .store
                .requeue_reply(reply)
                .await
                .map_err(|e| e.to_string())?;
            Ok(format!("reply {reply} queued again"))
        }
        DeadLetterKind::Agent => {
            let message = letter
                .message_id
                .ok_or("the dead letter names no message")?;
            shared
                .store
                .requeue_turn(message)
                .await
                .map_err(|e| e.to_string())?;
            Ok(format!("agent turn for message {message} queued again"))
        }
        DeadLetterKind::Hook => {
            let message = letter
                .message_id
                .ok_or("the dead letter names no message")?;
            shared
                .store
                .requeue_hook(message)
                .await
                .map_err(|e| e.to_string())?;
            Ok(format!("hook for message {message} queued again"))
        }
        DeadLetterKind::Attachment => {
            let attachment: switchboard_types::StoredAttachment =
                serde_json::from_slice(&letter.payload)
                    .map_err(|e| format!("unreadable payload: {e}"))?;
            shared
                .store
                .requeue_download(attachment.message_id, attachment.position)
                .await
                .map_err(|e| e.to_string())?;
            Ok(format!(
                "download of attachment {} of message {} queued again",
                attachment.position, attachment.message_id
            ))
        }
    }
}
