//! Runs `on-message-persisted` for newly stored messages, off the request path.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt as _;
use switchboard_runtime::CallError;
use switchboard_store::HookOutcome;
use switchboard_types::StoredMessage;

use crate::instance::Instance;
use crate::pipeline::{error_chain, now_ms};
use crate::shared::Shared;
use crate::workers::{Stop, backoff, idle};

/// Outcomes of hooks that ran but could not be recorded (the store refused the
/// write), by message id. They are recorded again before the hook would run again,
/// so a storage fault does not repeat calls to the platform; a crash forgets them,
/// and the hook runs again after the restart.
type Unrecorded = Mutex<HashMap<i64, HookOutcome>>;

pub(crate) async fn run(shared: Arc<Shared>, mut stop: Stop) {
    let unrecorded = Unrecorded::default();
    loop {
        let due = match shared.store.due_hooks(now_ms(), 256).await {
            Ok(due) => due,
            Err(e) => {
                tracing::warn!(error = %error_chain(&e), "hook worker: cannot read due hooks");
                Vec::new()
            }
        };
        let progressed = AtomicUsize::new(0);
        futures::stream::iter(due)
            .for_each_concurrent(shared.workers.concurrency, |message| {
                let (shared, unrecorded, progressed) = (shared.clone(), &unrecorded, &progressed);
                async move {
                    if run_one(&shared, message, unrecorded).await {
                        progressed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
            .await;
        if *stop.borrow() {
            return;
        }
        // Go straight back for more only when this round recorded something; a
        // round that recorded nothing (the store refuses writes, the instance is not
        // configured) would find the same work due at once.
        if progressed.load(Ordering::Relaxed) > 0 {
            continue;
        }
        if idle(&shared.wake_hooks, &mut stop, Duration::from_secs(1)).await {
            return;
        }
    }
}

/// Runs (or only records) one message's hook; returns whether its outcome is
/// recorded.
async fn run_one(shared: &Shared, stored: StoredMessage, unrecorded: &Unrecorded) -> bool {
    let id = stored.id;
    let Some(instance) = shared.instance(&stored.instance) else {
        // The instance was removed from the config; its messages wait for it.
        return false;
    };
    let remembered = lock(unrecorded).remove(&id);
    let outcome = match remembered {
        Some(outcome) => outcome,
        None => {
            let outcome = attempt(shared, &instance, &stored).await;
            report(shared, id, &instance.name, &outcome);
            outcome
        }
    };
    match shared.store.finish_hook(id, outcome.clone()).await {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(instance = %instance.name, message = id, error = %error_chain(&e), "cannot record the hook's outcome; will record it again");
            lock(unrecorded).insert(id, outcome);
            false
        }
    }
}

async fn attempt(shared: &Shared, instance: &Instance, stored: &StoredMessage) -> HookOutcome {
    if !instance.channel.has_persistence_hook() {
        return HookOutcome::Skipped;
    }
    let started = std::time::Instant::now();
    let result = instance
        .channel
        .on_message_persisted(instance.services.clone(), &instance.limits, &stored.message)
        .await;
    shared.metrics.guest_call(
        &instance.name,
        "on_message_persisted",
        started.elapsed(),
        result.as_ref().err(),
    );
    let error = match result {
        Ok(Ok(())) => return HookOutcome::Done,
        Ok(Err(e)) => e,
        Err(CallError::NotExported(_)) => return HookOutcome::Skipped,
        Err(e) => e.to_string(),
    };
    let attempts = match shared.store.message_status(stored.id).await {
        Ok(status) => status.hook_attempts + 1,
        Err(_) => 1,
    };
    if attempts >= shared.workers.hook_max_attempts {
        return HookOutcome::Failed { error };
    }
    let wait = backoff::delay(
        attempts,
        shared.workers.retry_base,
        shared.workers.retry_max,
        None,
    );
    HookOutcome::Retry {
        at_ms: now_ms() + i64::try_from(wait.as_millis()).unwrap_or(i64::MAX),
        error,
    }
}

fn report(shared: &Shared, id: i64, instance: &str, outcome: &HookOutcome) {
    let label = match outcome {
        HookOutcome::Done => "done",
        HookOutcome::Skipped => "skipped",
        HookOutcome::Retry { error, .. } => {
            tracing::warn!(instance, message = id, %error, "on-message-persisted failed; will retry");
            "retry"
        }
        HookOutcome::Failed { error } => {
            tracing::warn!(instance, message = id, %error, "on-message-persisted failed for good");
            "failed"
        }
    };
    shared
        .metrics
        .outcome("switchboard_hooks_total", instance, label);
}

fn lock(unrecorded: &Unrecorded) -> std::sync::MutexGuard<'_, HashMap<i64, HookOutcome>> {
    // The map holds plain values; a panic elsewhere cannot leave it half-written.
    unrecorded
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
