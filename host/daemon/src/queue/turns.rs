//! The agent's turn for every stored message, in order within a conversation. The
//! replies it writes are queued in the outbox in the same commit and handed to the
//! reply queue in memory.

use std::sync::Arc;

use switchboard_agent::Turn;
use switchboard_store::{DueMessage, StoreError};
use switchboard_types::NoTurn;

use crate::access::Admission;
use crate::metrics::{Access, DeadLetter, Outcome, Work};
use crate::pipeline::error_chain;
use crate::queue::presence::Presence;
use crate::queue::{Attempt, Decision, ItemKey, Queue};
use crate::shared::Shared;

pub(crate) struct Turns(pub(crate) Arc<Shared>);

/// How a turn ended.
#[derive(Debug)]
pub(crate) enum TurnDone {
    /// The agent answered with these texts (empty ones left out).
    Answered(Vec<String>),
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
        let turn = Turn {
            message: message.clone(),
            history,
        };
        let presence = Presence::start(Some(instance.clone()), &message.message);
        let answered = shared.agent.respond(&turn).await;
        // Before the replies are queued: "typing" never shows after the answer.
        presence.stop().await;
        match answered {
            Ok(replies) => Attempt::Done(TurnDone::Answered(
                replies
                    .into_iter()
                    .map(|r| r.text)
                    .filter(|t| !t.is_empty())
                    .collect(),
            )),
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
            Decision::Done(TurnDone::Answered(texts)) => {
                let queued = store.complete_turn(id, texts.clone()).await?;
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
