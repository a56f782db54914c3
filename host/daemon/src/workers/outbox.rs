//! Delivers queued replies through each channel's `on-respond`, retrying
//! retryable failures with backoff and dead-lettering the rest.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use switchboard_runtime::CallError;
use switchboard_store::OutboxItem;

use crate::instance::Instance;
use crate::pipeline::{error_chain, now_ms};
use crate::shared::Shared;
use crate::workers::{Step, Stop, backoff, by_conversation, idle};

/// How one delivery attempt ended.
#[derive(Debug, Clone)]
enum Attempted {
    /// The platform accepted it.
    Sent(Option<String>),
    /// Try again at `at_ms`.
    Retry { at_ms: i64, error: String },
    /// Given up.
    Dead { error: String },
}

/// Attempts whose outcome the store refused to record, by reply id. Above all a
/// reply the platform accepted must not be sent again just because the store
/// could not note it: the outcome is recorded again before any new attempt. A
/// crash forgets them; that is the window in which a reply can go out twice.
type Unrecorded = Mutex<HashMap<i64, Attempted>>;

pub(crate) async fn run(shared: Arc<Shared>, mut stop: Stop) {
    let unrecorded = Unrecorded::default();
    loop {
        let due = match shared.store.due_replies(now_ms(), 256).await {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(error = %error_chain(&e), "outbox worker: cannot read due replies");
                Vec::new()
            }
        };
        let progressed = by_conversation(
            due,
            |item| (item.instance.clone(), item.conversation_id.clone()),
            shared.workers.concurrency,
            |item| deliver(&shared, item, &unrecorded),
        )
        .await;
        if *stop.borrow() {
            return;
        }
        // Straight back for more only when this round recorded something.
        if progressed > 0 {
            continue;
        }
        if idle(&shared.wake_outbox, &mut stop, Duration::from_secs(1)).await {
            return;
        }
    }
}

/// Attempts one delivery (or only records an earlier one).
async fn deliver(shared: &Shared, item: OutboxItem, unrecorded: &Unrecorded) -> Step {
    let Some(instance) = shared.instance(&item.instance) else {
        // The instance was removed from the config; its replies wait for it.
        return Step::Stalled;
    };
    let remembered = lock(unrecorded).remove(&item.id);
    let attempted = match remembered {
        Some(attempted) => attempted,
        None => attempt(shared, &instance, &item).await,
    };
    let id = item.id;
    let (recorded, step) = match attempted.clone() {
        Attempted::Sent(receipt) => (shared.store.reply_sent(id, receipt).await, Step::Next),
        Attempted::Retry { at_ms, error } => {
            (shared.store.reply_retry(id, at_ms, error).await, Step::Wait)
        }
        Attempted::Dead { error } => (shared.store.reply_dead(id, error).await, Step::Wait),
    };
    match recorded {
        Ok(()) => step,
        Err(e) => {
            tracing::warn!(instance = %item.instance, reply = id, error = %error_chain(&e), "cannot record the reply's outcome; will record it again");
            lock(unrecorded).insert(id, attempted);
            Step::Stalled
        }
    }
}

async fn attempt(shared: &Shared, instance: &Instance, item: &OutboxItem) -> Attempted {
    let attempt = item.attempts + 1;
    let started = std::time::Instant::now();
    let result = instance
        .channel
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
            return Attempted::Sent(receipt.external_id);
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
    if retryable && attempt < shared.workers.reply_max_attempts {
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
        Attempted::Retry {
            at_ms: now_ms() + i64::try_from(wait.as_millis()).unwrap_or(i64::MAX),
            error,
        }
    } else {
        tracing::warn!(instance = %instance.name, reply = item.id, attempt, %error, "reply dead-lettered");
        shared
            .metrics
            .outcome("switchboard_replies_total", &instance.name, "dead");
        shared.metrics.dead_letter(&instance.name, "reply");
        Attempted::Dead { error }
    }
}

fn lock(unrecorded: &Unrecorded) -> std::sync::MutexGuard<'_, HashMap<i64, Attempted>> {
    // The map holds plain values; a panic elsewhere cannot leave it half-written.
    unrecorded
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
