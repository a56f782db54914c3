//! The agent's turn for every stored message, in order within a conversation. The
//! replies it writes are queued in the outbox in the same commit and handed to the
//! reply queue in memory.

use std::sync::Arc;

use std::time::{Duration, Instant};

use switchboard_agent::{Reply, Turn, TurnAttachment};
use switchboard_store::{DueMessage, NewReply, StoreError};
use switchboard_types::{AttachmentState, NoTurn, OutboundAttachment, StoredMessage};

use crate::access::Admission;
use crate::metrics::{Access, DeadLetter, Outcome, Work};
use crate::pipeline::error_chain;
use crate::queue::presence::Presence;
use crate::queue::{Attempt, Decision, Freshness, ItemKey, Queue};
use crate::shared::Shared;

pub(crate) struct Turns(pub(crate) Arc<Shared>);

/// How a turn ended.
#[derive(Debug)]
pub(crate) enum TurnDone {
    /// The agent answered with these replies (empty ones left out), their
    /// attachments already in the blob store.
    Answered(Vec<NewReply>),
    /// The access policy gave the message no turn; `notice` goes to the sender.
    Skipped {
        reason: NoTurn,
        notice: Option<String>,
    },
    /// An unknown sender found the pending pairing codes full: no turn, no reply.
    PairingFull,
}

#[async_trait::async_trait]
impl Queue for Turns {
    type Item = DueMessage;
    type Done = TurnDone;
    const NAME: &'static str = "turns";

    fn key(item: &DueMessage) -> ItemKey<'_> {
        ItemKey {
            id: item.message.id,
            instance: &item.message.instance,
            conversation: Some(&item.message.message.conversation_id),
            attempts: item.attempts,
        }
    }

    fn max_attempts(&self) -> u32 {
        self.0.workers.agent_max_attempts
    }

    async fn due(&self, now_ms: i64, limit: usize) -> Result<Vec<DueMessage>, StoreError> {
        self.0.store.pending_turns(now_ms, limit).await
    }

    async fn still_due(&self, item: &DueMessage) -> Result<Freshness, StoreError> {
        let standing = self.0.store.turn_standing(item.message.id).await?;
        Ok(Freshness::of(Some(standing), item.attempts))
    }

    async fn attempt(&self, item: &DueMessage) -> Attempt<TurnDone> {
        let shared = &self.0;
        let message = &item.message;
        let Some(instance) = shared.instance(&message.instance) else {
            // The instance was removed from the config; its messages wait for it.
            return Attempt::NotNow;
        };
        // A retry was admitted on its first attempt; judging it again would take a
        // second token from the sender's rate and count twice against the day.
        let admission = if item.attempts == 0 {
            instance
                .gate
                .admit(&shared.store, message, shared.clock.now_ms())
                .await
        } else {
            Ok(Admission::Turn)
        };
        match admission {
            Ok(Admission::Turn) => {}
            Ok(Admission::Skip { reason, notice }) => {
                return Attempt::Done(TurnDone::Skipped { reason, notice });
            }
            Ok(Admission::PairingFull) => return Attempt::Done(TurnDone::PairingFull),
            Err(e) => {
                tracing::warn!(instance = %message.instance, message_id = message.id, error = %error_chain(&e), "cannot read the access state");
                return Attempt::NotNow;
            }
        }
        let history = match shared
            .store
            .history(
                &message.instance,
                &message.message.conversation_id,
                message.id,
                shared.workers.max_history,
            )
            .await
        {
            Ok(history) => history,
            Err(e) => {
                tracing::warn!(instance = %message.instance, message_id = message.id, error = %error_chain(&e), "cannot read conversation history");
                return Attempt::NotNow;
            }
        };
        let attachments = match attachments_for_turn(shared, message).await {
            Ok(attachments) => attachments,
            Err(e) => {
                tracing::warn!(instance = %message.instance, message_id = message.id, error = %error_chain(&e), "cannot read the message's attachments");
                return Attempt::NotNow;
            }
        };
        let turn = Turn {
            message: message.clone(),
            history,
            attachments,
        };
        let presence = Presence::start(Some(instance.clone()), &message.message);
        let answered = shared.agent.respond(&turn).await;
        // Before the replies are queued: "typing" never shows after the answer.
        presence.stop().await;
        match answered {
            Ok(replies) => match store_replies(shared, replies).await {
                Ok(replies) => Attempt::Done(TurnDone::Answered(replies)),
                Err(error) => Attempt::Failed {
                    error,
                    retryable: true,
                    retry_after: None,
                },
            },
            Err(error) => Attempt::Failed {
                error: error_chain(&error),
                retryable: error.is_retryable(),
                retry_after: error.retry_after(),
            },
        }
    }

    fn report(&self, item: &DueMessage, decision: &Decision<TurnDone>, attempt: u32) {
        let (instance, message_id) = (&item.message.instance, item.message.id);
        let metrics = self.0.metrics.of(instance);
        let outcome = match decision {
            Decision::Done(TurnDone::Answered(replies)) => {
                tracing::debug!(%instance, message_id, replies = replies.len(), "agent turn done");
                metrics.access(Access::Turn);
                Outcome::Done
            }
            Decision::Done(TurnDone::Skipped { reason, notice }) => {
                tracing::debug!(%instance, message_id, reason = reason.as_str(), notice = notice.is_some(), "no agent turn");
                metrics.access(Access::Denied(*reason));
                Outcome::Skipped
            }
            Decision::Done(TurnDone::PairingFull) => {
                metrics.access(Access::PairingFull);
                Outcome::Skipped
            }
            Decision::Retry {
                error, retry_in, ..
            } => {
                tracing::warn!(%instance, message_id, attempt, ?retry_in, %error, "agent failed; will retry");
                Outcome::Retry
            }
            Decision::GiveUp { error } => {
                tracing::warn!(%instance, message_id, attempt, %error, "agent failed for good; message dead-lettered");
                metrics.dead_letter(DeadLetter::Agent);
                Outcome::Failed
            }
        };
        metrics.outcome(Work::Turns, outcome);
    }

    async fn record(
        &self,
        item: &DueMessage,
        decision: &Decision<TurnDone>,
    ) -> Result<(), StoreError> {
        let (store, id) = (&self.0.store, item.message.id);
        let queued = match decision {
            Decision::Done(TurnDone::Answered(replies)) => {
                let queued = store.complete_turn(id, replies.clone()).await?;
                if let Some(instance) = self.0.instance(&item.message.instance) {
                    instance.gate.replied(
                        &item.message.instance,
                        &item.message.message.conversation_id,
                        queued.len(),
                        self.0.clock.now_ms(),
                    );
                }
                queued
            }
            Decision::Done(TurnDone::Skipped { reason, notice }) => {
                store.skip_turn(id, *reason, notice.clone()).await?
            }
            Decision::Done(TurnDone::PairingFull) => {
                store.skip_turn(id, NoTurn::PairingPending, None).await?
            }
            Decision::Retry { at_ms, error, .. } => {
                return store.retry_turn(id, *at_ms, error.clone()).await;
            }
            Decision::GiveUp { error } => return store.fail_turn(id, error.clone()).await,
        };
        for reply in queued {
            self.0.feeds.replies.push(reply);
        }
        Ok(())
    }
}

/// How often a turn looks whether its message's downloads are done.
const DOWNLOAD_CHECK: Duration = Duration::from_millis(100);

/// Releases the message's held downloads (the access policy has let it through),
/// waits for them up to `workers.attachment_wait`, and returns the attachments as
/// they then stand.
async fn attachments_for_turn(
    shared: &Shared,
    message: &StoredMessage,
) -> Result<Vec<TurnAttachment>, StoreError> {
    if message.message.attachments.is_empty() {
        return Ok(Vec::new());
    }
    for item in shared.store.release_downloads(message.id).await? {
        shared.feeds.downloads.push(item);
    }
    let started = Instant::now();
    while shared.store.pending_downloads(message.id).await? > 0 {
        if started.elapsed() >= shared.workers.attachment_wait {
            tracing::info!(instance = %message.instance, message_id = message.id, "attachments still downloading; the turn goes ahead without them");
            break;
        }
        tokio::time::sleep(DOWNLOAD_CHECK).await;
    }
    let admin = shared.admin_url.get();
    Ok(shared
        .store
        .attachments(message.id)
        .await?
        .into_iter()
        .map(|stored| {
            let sha256 = stored
                .sha256
                .clone()
                .filter(|_| stored.state == AttachmentState::Stored);
            TurnAttachment {
                url: sha256
                    .as_deref()
                    .zip(admin)
                    .map(|(sha256, admin)| format!("{admin}/v1/blobs/{sha256}")),
                path: sha256.and_then(|sha256| shared.blobs.path(&sha256).ok()),
                stored,
            }
        })
        .collect())
}

/// Puts the content of the agent's attachments into the blob store, so the replies
/// refer to blobs only.
async fn store_replies(shared: &Shared, replies: Vec<Reply>) -> Result<Vec<NewReply>, String> {
    let mut stored = Vec::with_capacity(replies.len());
    for reply in replies {
        let mut attachments = Vec::with_capacity(reply.attachments.len());
        for a in reply.attachments {
            let blob = shared
                .blobs
                .put(&a.content)
                .await
                .map_err(|e| format!("cannot store the agent's attachment: {e}"))?;
            shared
                .store
                .record_blob(blob.sha256.clone(), blob.size)
                .await
                .map_err(|e| {
                    format!("cannot record the agent's attachment: {}", error_chain(&e))
                })?;
            attachments.push(OutboundAttachment {
                kind: a.kind,
                mime_type: a.mime_type,
                size: blob.size,
                file_name: a.file_name,
                caption: a.caption,
                blob: blob.sha256,
            });
        }
        if reply.text.trim().is_empty() && attachments.is_empty() {
            continue;
        }
        stored.push(NewReply {
            text: reply.text,
            attachments,
        });
    }
    Ok(stored)
}
