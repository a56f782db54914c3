//! The agent's turn for every stored message, in order within a conversation. The
//! replies it writes are queued in the outbox in the same commit and handed to the
//! reply queue in memory.

use std::sync::Arc;

use switchboard_agent::Turn;
use switchboard_store::{DueMessage, StoreError};

use crate::metrics::{DeadLetter, Outcome, Work};
use crate::pipeline::error_chain;
use crate::queue::presence::Presence;
use crate::queue::{Attempt, Decision, ItemKey, Queue};
use crate::shared::Shared;

pub(crate) struct Turns(pub(crate) Arc<Shared>);

#[async_trait::async_trait]
impl Queue for Turns {
    type Item = DueMessage;
    /// The texts of the replies, empty ones left out.
    type Done = Vec<String>;
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

    async fn attempt(&self, item: &DueMessage) -> Attempt<Vec<String>> {
        let shared = &self.0;
        let message = &item.message;
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
        let presence = Presence::start(shared.instance(&message.instance), &message.message);
        let answered = shared.agent.respond(&turn).await;
        // Before the replies are queued: "typing" never shows after the answer.
        presence.stop().await;
        match answered {
            Ok(replies) => Attempt::Done(
                replies
                    .into_iter()
                    .map(|r| r.text)
                    .filter(|t| !t.is_empty())
                    .collect(),
            ),
            Err(error) => Attempt::Failed {
                error: error_chain(&error),
                retryable: error.is_retryable(),
                retry_after: error.retry_after(),
            },
        }
    }

    fn report(&self, item: &DueMessage, decision: &Decision<Vec<String>>, attempt: u32) {
        let (instance, message_id) = (&item.message.instance, item.message.id);
        let metrics = self.0.metrics.of(instance);
        let outcome = match decision {
            Decision::Done(replies) => {
                tracing::debug!(%instance, message_id, replies = replies.len(), "agent turn done");
                Outcome::Done
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
        decision: &Decision<Vec<String>>,
    ) -> Result<(), StoreError> {
        let (store, id) = (&self.0.store, item.message.id);
        match decision {
            Decision::Done(texts) => {
                let queued = store.complete_turn(id, texts.clone()).await?;
                for reply in queued {
                    self.0.feeds.replies.push(reply);
                }
                Ok(())
            }
            Decision::Retry { at_ms, error, .. } => {
                store.retry_turn(id, *at_ms, error.clone()).await
            }
            Decision::GiveUp { error } => store.fail_turn(id, error.clone()).await,
        }
    }
}
