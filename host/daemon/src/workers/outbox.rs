//! Delivers queued replies through each channel's `on-respond`, retrying
//! retryable failures with backoff and dead-lettering the rest.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt as _;
use switchboard_runtime::CallError;
use switchboard_store::OutboxItem;

use crate::pipeline::now_ms;
use crate::shared::Shared;
use crate::workers::{Stop, backoff, idle};

pub(crate) async fn run(shared: Arc<Shared>, mut stop: Stop) {
    loop {
        let due = match shared.store.due_replies(now_ms(), 256).await {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(error = %e, "outbox worker: cannot read due replies");
                Vec::new()
            }
        };
        let mut conversations: BTreeMap<(String, String), Vec<OutboxItem>> = BTreeMap::new();
        for item in due {
            conversations
                .entry((item.instance.clone(), item.conversation_id.clone()))
                .or_default()
                .push(item);
        }
        let progressed = futures::stream::iter(conversations.into_values())
            .map(|items| {
                let shared = shared.clone();
                async move {
                    let mut done = 0usize;
                    for one in items {
                        if !deliver(&shared, one).await {
                            // Later ones of the conversation wait, to keep its order.
                            break;
                        }
                        done += 1;
                    }
                    done
                }
            })
            .buffer_unordered(shared.workers.concurrency)
            .fold(0usize, |sum, n| std::future::ready(sum + n))
            .await;
        // Go straight back for more only when this batch moved something.
        if progressed > 0 {
            continue;
        }
        if idle(&shared.wake_outbox, &mut stop, Duration::from_secs(1)).await {
            return;
        }
    }
}

/// Attempts one delivery; returns whether the next reply of the conversation may go.
async fn deliver(shared: &Shared, item: OutboxItem) -> bool {
    let Some(instance) = shared.instance(&item.instance) else {
        return false;
    };
    let attempt = item.attempts + 1;
    let started = std::time::Instant::now();
    let result = instance
        .component
        .on_respond(
            instance.services.clone(),
            &instance.limits,
            &item.to_outbound(),
        )
        .await;
    shared.metrics.guest_call(
        &instance.name,
        "on_respond",
        started.elapsed(),
        result.as_ref().err(),
    );
    let (error, retryable, asked) = match result {
        Ok(Ok(receipt)) => {
            shared
                .metrics
                .outcome("switchboard_replies_total", &instance.name, "sent");
            tracing::info!(instance = %instance.name, reply = item.id, attempt, "reply delivered");
            if let Err(e) = shared.store.reply_sent(item.id, receipt.external_id).await {
                // The platform has it; if this is lost the reply may be sent again,
                // which the idempotency key lets the platform or channel absorb.
                tracing::warn!(instance = %instance.name, reply = item.id, error = %e, "cannot record delivered reply");
            }
            return true;
        }
        Ok(Err(e)) => (
            e.message,
            e.retryable,
            e.retry_after_secs
                .map(|s| Duration::from_secs(u64::from(s))),
        ),
        // A trap or deadline may be transient (a slow API, a busy host); give it
        // the same bounded retries as a retryable delivery error.
        Err(CallError::Busy) => ("no free sandbox slot".to_owned(), true, None),
        Err(e) => (e.to_string(), true, None),
    };
    let outcome = if retryable && attempt < shared.workers.reply_max_attempts {
        let wait = backoff::delay(
            attempt,
            shared.workers.retry_base,
            shared.workers.retry_max,
            asked,
        );
        tracing::warn!(instance = %instance.name, reply = item.id, attempt, retry_in = ?wait, %error, "reply not delivered; will retry");
        shared
            .metrics
            .outcome("switchboard_replies_total", &instance.name, "retry");
        shared
            .store
            .reply_retry(
                item.id,
                now_ms() + i64::try_from(wait.as_millis()).unwrap_or(i64::MAX),
                error,
            )
            .await
    } else {
        tracing::warn!(instance = %instance.name, reply = item.id, attempt, %error, "reply dead-lettered");
        shared
            .metrics
            .outcome("switchboard_replies_total", &instance.name, "dead");
        shared.metrics.dead_letter(&instance.name, "reply");
        shared.store.reply_dead(item.id, error).await
    };
    if let Err(e) = outcome {
        tracing::warn!(instance = %instance.name, reply = item.id, error = %e, "cannot record the reply's outcome");
    }
    false
}
