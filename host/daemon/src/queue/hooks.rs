//! `on-message-persisted` for newly stored messages (WhatsApp: mark as read).

use std::sync::Arc;
use std::time::Instant;

use switchboard_runtime::CallError;
use switchboard_store::{DueMessage, HookOutcome, StoreError, WorkState};

use crate::metrics::{DeadLetter, Export, Outcome, Work};
use crate::queue::{Attempt, Decision, Freshness, ItemKey, Queue};
use crate::shared::Shared;

/// Whether the hook ran or the channel has none.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Hooked {
    Ran,
    Skipped,
}

pub(crate) struct Hooks(pub(crate) Arc<Shared>);

#[async_trait::async_trait]
impl Queue for Hooks {
    type Item = DueMessage;
    type Done = Hooked;
    const NAME: &'static str = "hooks";

    fn key(item: &DueMessage) -> ItemKey<'_> {
        ItemKey {
            id: item.message.id,
            instance: &item.message.instance,
            // Hooks of one conversation do not depend on each other.
            conversation: None,
            attempts: item.attempts,
        }
    }

    fn max_attempts(&self) -> u32 {
        self.0.workers.hook_max_attempts
    }

    async fn due(&self, now_ms: i64, limit: usize) -> Result<Vec<DueMessage>, StoreError> {
        self.0.store.due_hooks(now_ms, limit).await
    }

    async fn still_due(&self, item: &DueMessage) -> Result<Freshness, StoreError> {
        let status = self.0.store.message_status(item.message.id).await?;
        let due = status.hook_state == WorkState::Pending && status.hook_attempts == item.attempts;
        Ok(if due { Freshness::Due } else { Freshness::Done })
    }

    async fn attempt(&self, item: &DueMessage) -> Attempt<Hooked> {
        let shared = &self.0;
        let Some(instance) = shared.instance(&item.message.instance) else {
            // The instance was removed from the config; its messages wait for it.
            return Attempt::NotNow;
        };
        if !instance.channel.has_persistence_hook() {
            return Attempt::Done(Hooked::Skipped);
        }
        let started = Instant::now();
        let result = instance
            .channel
            .on_message_persisted(
                instance.services.clone(),
                &instance.limits,
                &item.message.message,
            )
            .await;
        instance.metrics.guest_call(
            Export::MessagePersisted,
            started.elapsed(),
            result.as_ref().err(),
        );
        let error = match result {
            Ok(Ok(())) => return Attempt::Done(Hooked::Ran),
            Ok(Err(e)) => e,
            Err(CallError::NotExported(_)) => return Attempt::Done(Hooked::Skipped),
            Err(e) => e.to_string(),
        };
        Attempt::Failed {
            error,
            retryable: true,
            retry_after: None,
        }
    }

    fn report(&self, item: &DueMessage, decision: &Decision<Hooked>, attempt: u32) {
        let (instance, message_id) = (&item.message.instance, item.message.id);
        let outcome = match decision {
            Decision::Done(Hooked::Ran) => Outcome::Done,
            Decision::Done(Hooked::Skipped) => Outcome::Skipped,
            Decision::Retry {
                error, retry_in, ..
            } => {
                tracing::warn!(%instance, message_id, attempt, ?retry_in, %error, "on-message-persisted failed; will retry");
                Outcome::Retry
            }
            Decision::GiveUp { error } => {
                tracing::warn!(%instance, message_id, attempt, %error, "on-message-persisted failed for good");
                self.0.metrics.of(instance).dead_letter(DeadLetter::Hook);
                Outcome::Failed
            }
        };
        self.0.metrics.of(instance).outcome(Work::Hooks, outcome);
    }

    async fn record(
        &self,
        item: &DueMessage,
        decision: &Decision<Hooked>,
    ) -> Result<(), StoreError> {
        let outcome = match decision {
            Decision::Done(Hooked::Ran) => HookOutcome::Done,
            Decision::Done(Hooked::Skipped) => HookOutcome::Skipped,
            Decision::Retry { at_ms, error, .. } => HookOutcome::Retry {
                at_ms: *at_ms,
                error: error.clone(),
            },
            Decision::GiveUp { error } => HookOutcome::Failed {
                error: error.clone(),
            },
        };
        self.0.store.finish_hook(item.message.id, outcome).await
    }
}
