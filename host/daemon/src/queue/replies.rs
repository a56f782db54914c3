//! Delivers queued replies through each channel's `on-respond`, in order within a
//! conversation.

use std::sync::Arc;
use std::time::{Duration, Instant};

use switchboard_runtime::CallError;
use switchboard_store::{OutboxItem, StoreError};

use crate::metrics::{DeadLetter, Export, Outcome, Work};
use crate::queue::{Attempt, Decision, Freshness, ItemKey, Queue};
use crate::shared::Shared;

pub(crate) struct Replies(pub(crate) Arc<Shared>);

#[async_trait::async_trait]
impl Queue for Replies {
    type Item = OutboxItem;
    /// The platform's id of the sent message, if it gave one.
    type Done = Option<String>;
    const NAME: &'static str = "replies";

    fn key(item: &OutboxItem) -> ItemKey<'_> {
        ItemKey {
            id: item.id,
            instance: &item.instance,
            conversation: Some(&item.conversation_id),
            attempts: item.attempts,
        }
    }

    fn max_attempts(&self) -> u32 {
        self.0.workers.reply_max_attempts
    }

    async fn due(&self, now_ms: i64, limit: usize) -> Result<Vec<OutboxItem>, StoreError> {
        self.0.store.due_replies(now_ms, limit).await
    }

    async fn still_due(&self, item: &OutboxItem) -> Result<Freshness, StoreError> {
        let standing = self.0.store.reply_standing(item.id).await?;
        Ok(Freshness::of(standing, item.attempts))
    }

    async fn attempt(&self, item: &OutboxItem) -> Attempt<Option<String>> {
        let shared = &self.0;
        let Some(instance) = shared.instance(&item.instance) else {
            // The instance was removed from the config; its replies wait for it.
            return Attempt::NotNow;
        };
        let started = Instant::now();
        let result = instance
            .channel
            .on_respond(
                instance.services.clone(),
                &instance.limits,
                &item.to_outbound(),
            )
            .await;
        instance
            .metrics
            .guest_call(Export::Respond, started.elapsed(), result.as_ref().err());
        match result {
            Ok(Ok(receipt)) => Attempt::Done(receipt.external_id),
            Ok(Err(e)) => Attempt::Failed {
                error: e.message,
                retryable: e.retryable,
                retry_after: e
                    .retry_after_secs
                    .map(|s| Duration::from_secs(u64::from(s))),
            },
            // A trap or deadline may be transient (a slow API, a busy host); give it
            // the same bounded retries as a retryable delivery error.
            Err(CallError::Busy) => Attempt::Failed {
                error: "no free sandbox slot".to_owned(),
                retryable: true,
                retry_after: None,
            },
            Err(e) => Attempt::Failed {
                error: e.to_string(),
                retryable: true,
                retry_after: None,
            },
        }
    }

    fn report(&self, item: &OutboxItem, decision: &Decision<Option<String>>, attempt: u32) {
        let (instance, reply) = (&item.instance, item.id);
        let metrics = self.0.metrics.of(instance);
        let outcome = match decision {
            Decision::Done(_) => {
                tracing::info!(%instance, reply, attempt, "reply delivered");
                Outcome::Sent
            }
            Decision::Retry {
                error, retry_in, ..
            } => {
                tracing::warn!(%instance, reply, attempt, ?retry_in, %error, "reply not delivered; will retry");
                Outcome::Retry
            }
            Decision::GiveUp { error } => {
                tracing::warn!(%instance, reply, attempt, %error, "reply dead-lettered");
                metrics.dead_letter(DeadLetter::Reply);
                Outcome::Dead
            }
        };
        metrics.outcome(Work::Replies, outcome);
    }

    async fn record(
        &self,
        item: &OutboxItem,
        decision: &Decision<Option<String>>,
    ) -> Result<(), StoreError> {
        let (store, id) = (&self.0.store, item.id);
        match decision {
            Decision::Done(receipt) => store.reply_sent(id, receipt.clone()).await,
            Decision::Retry { at_ms, error, .. } => {
                store.reply_retry(id, *at_ms, error.clone()).await
            }
            Decision::GiveUp { error } => store.reply_dead(id, error.clone()).await,
        }
    }
}
