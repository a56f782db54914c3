//! Runs `on-message-persisted` for newly stored messages, off the request path.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt as _;
use switchboard_runtime::CallError;
use switchboard_store::HookOutcome;
use switchboard_types::StoredMessage;

use crate::pipeline::now_ms;
use crate::shared::Shared;
use crate::workers::{Stop, backoff, idle};

pub(crate) async fn run(shared: Arc<Shared>, mut stop: Stop) {
    loop {
        let due = match shared.store.due_hooks(now_ms(), 256).await {
            Ok(due) => due,
            Err(e) => {
                tracing::warn!(error = %e, "hook worker: cannot read due hooks");
                Vec::new()
            }
        };
        let progressed = futures::stream::iter(due)
            .map(|message| {
                let shared = shared.clone();
                async move { run_one(&shared, message).await }
            })
            .buffer_unordered(shared.workers.concurrency)
            .filter(|done| std::future::ready(*done))
            .count()
            .await;
        // Only go straight back for more when this batch moved something; otherwise
        // (e.g. messages of an instance that is no longer configured) wait.
        if progressed > 0 {
            continue;
        }
        if idle(&shared.wake_hooks, &mut stop, Duration::from_secs(1)).await {
            return;
        }
    }
}

/// Runs one hook; returns whether its outcome was recorded.
async fn run_one(shared: &Shared, stored: StoredMessage) -> bool {
    let id = stored.id;
    let Some(instance) = shared.instance(&stored.instance) else {
        // The instance is not configured (or its component was uninstalled); its
        // messages wait for it.
        return false;
    };
    let outcome = if !instance.component.has_persistence_hook() {
        HookOutcome::Skipped
    } else {
        let started = std::time::Instant::now();
        let result = instance
            .component
            .on_message_persisted(instance.services.clone(), &instance.limits, &stored.message)
            .await;
        shared.metrics.guest_call(
            &instance.name,
            "on_message_persisted",
            started.elapsed(),
            result.as_ref().err(),
        );
        let error = match result {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(e),
            Err(CallError::NotExported(_)) => {
                return finish(shared, id, &instance.name, HookOutcome::Skipped).await;
            }
            Err(e) => Some(e.to_string()),
        };
        match error {
            None => HookOutcome::Done,
            Some(error) => {
                let attempts = status_attempts(shared, id).await + 1;
                if attempts >= shared.workers.hook_max_attempts {
                    HookOutcome::Failed { error }
                } else {
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
            }
        }
    };
    finish(shared, id, &instance.name, outcome).await
}

async fn status_attempts(shared: &Shared, id: i64) -> u32 {
    match shared.store.message_status(id).await {
        Ok(status) => status.hook_attempts,
        Err(_) => 0,
    }
}

async fn finish(shared: &Shared, id: i64, instance: &str, outcome: HookOutcome) -> bool {
    let label = match &outcome {
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
    match shared.store.finish_hook(id, outcome).await {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(instance, message = id, error = %e, "cannot record hook outcome; it will run again");
            false
        }
    }
}
