//! The poll loop of an instance that receives by polling (`mode = "polling"`): call
//! the channel's `polling.poll` with the stored cursor, commit what it emitted with
//! the cursor it returned in one transaction, hand the new messages to the queues,
//! and poll again. One loop per polling instance, one call at a time.

use std::sync::Arc;
use std::time::Duration;

use switchboard_runtime::{CallError, POLL_DEADLINE, Polled};

use crate::instance::Instance;
use crate::metrics::{Export, Poll};
use crate::pipeline::error_chain;
use crate::queue::backoff;
use crate::shared::Shared;
use crate::workers::received::commit;
use crate::workers::{Stop, lease};

/// The longest wait between two polls after errors. A channel error that needs the
/// operator (a webhook still set, a revoked token) is retried this often, so polling
/// resumes by itself within a minute of the fix.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// The least time between two polls that brought nothing, so a platform that answers
/// an empty poll at once (a long-poll timeout of 0) is not asked in a tight loop.
const MIN_EMPTY_INTERVAL: Duration = Duration::from_millis(500);

/// The receiving lease a poll takes: it must outlast the poll's own deadline.
const POLL_LEASE: Duration = POLL_DEADLINE.saturating_add(Duration::from_secs(5));

/// Runs the poll loop of instance `name` until the daemon stops. The instance is
/// looked up before every poll, so a reloaded component takes over at the next one.
pub(crate) async fn run(shared: Arc<Shared>, name: String, mut stop: Stop) {
    let max_backoff = shared.workers.retry_max.min(MAX_BACKOFF);
    let mut failures: u32 = 0;
    tracing::info!(instance = %name, "polling started");
    loop {
        if *stop.borrow() {
            break;
        }
        let wait = match shared.instance(&name) {
            Some(_) if !lease::hold(&shared, &name, POLL_LEASE).await => lease::standby(&shared),
            Some(instance) => {
                let round = tokio::select! {
                    round = poll_once(&shared, &instance) => round,
                    // A poll in flight is abandoned: nothing of it was committed, so
                    // the next start asks again from the stored cursor.
                    _ = stop.changed() => break,
                };
                match round {
                    Round::Stored => {
                        failures = 0;
                        Duration::ZERO
                    }
                    Round::Empty { took } => {
                        failures = 0;
                        MIN_EMPTY_INTERVAL.saturating_sub(took)
                    }
                    Round::Retry { asked } => {
                        failures = failures.saturating_add(1);
                        backoff::delay(failures, shared.workers.retry_base, max_backoff, asked)
                    }
                    Round::NeedsOperator => max_backoff,
                }
            }
            None => {
                tracing::warn!(instance = %name, "polling instance not loaded; trying again later");
                max_backoff
            }
        };
        if !wait.is_zero() {
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                _ = stop.changed() => break,
            }
        }
    }
    lease::release(&shared, &name).await;
    tracing::info!(instance = %name, "polling stopped");
}

/// How one poll ended, for the loop's timing.
pub(crate) enum Round {
    /// Something was committed: poll again at once.
    Stored,
    /// Nothing new.
    Empty { took: Duration },
    /// A failure worth retrying with backoff, after `asked` if the platform said.
    Retry { asked: Option<Duration> },
    /// A failure only the operator can fix; retried at the longest backoff.
    NeedsOperator,
}

impl Round {
    /// A word for the daemon's tests.
    #[cfg(feature = "test-support")]
    pub(crate) fn label(&self) -> &'static str {
        match self {
            Round::Stored => "stored",
            Round::Empty { .. } => "empty",
            Round::Retry { asked: None } => "retry",
            Round::Retry { asked: Some(_) } => "retry-after",
            Round::NeedsOperator => "needs-operator",
        }
    }
}

/// One poll of `instance`: call the channel, commit what it brought.
pub(crate) async fn poll_once(shared: &Shared, instance: &Arc<Instance>) -> Round {
    let name = &instance.name;
    let cursor = match shared.store.receive_cursor(name).await {
        Ok(cursor) => cursor,
        Err(e) => {
            instance.metrics.poll(Poll::StoreFailed);
            tracing::warn!(instance = %name, error = %error_chain(&e), "cannot read the poll cursor; trying again");
            return Round::Retry { asked: None };
        }
    };
    let started = std::time::Instant::now();
    let polled = instance
        .channel
        .poll(
            instance.services.clone(),
            &instance.limits.for_poll(),
            cursor.as_deref(),
        )
        .await;
    let took = started.elapsed();
    instance
        .metrics
        .guest_call(Export::Poll, took, polled.as_ref().err());
    let Polled { outcome, messages } = match polled {
        Ok(polled) => polled,
        Err(CallError::NotExported(_)) => {
            instance.metrics.poll(Poll::CallFailed);
            tracing::error!(instance = %name, "the installed component no longer exports polling; set settings.mode = \"webhook\" or install a version that polls");
            return Round::NeedsOperator;
        }
        Err(error) => {
            instance.metrics.poll(Poll::CallFailed);
            tracing::warn!(instance = %name, reason = error.label(), error = %error, "poll call failed; nothing stored, the same updates are asked for again");
            return Round::Retry { asked: None };
        }
    };
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(error) => {
            instance.metrics.poll(Poll::PlatformError);
            if error.retryable {
                tracing::warn!(instance = %name, error = %error.message, retry_after_secs = error.retry_after_secs, "poll failed; retrying with backoff");
                return Round::Retry {
                    asked: error
                        .retry_after_secs
                        .map(|s| Duration::from_secs(u64::from(s))),
                };
            }
            tracing::error!(instance = %name, error = %error.message, "poll refused; this needs the operator, retrying every {:?}", shared.workers.retry_max.min(MAX_BACKOFF));
            return Round::NeedsOperator;
        }
    };
    if messages.is_empty() && outcome.unmapped.is_empty() && outcome.next_cursor.is_none() {
        instance.metrics.poll(Poll::Empty);
        return Round::Empty { took };
    }
    match commit(
        shared,
        instance,
        messages,
        outcome.unmapped,
        outcome.next_cursor,
    )
    .await
    {
        Ok(true) => {
            instance.metrics.poll(Poll::Messages);
            Round::Stored
        }
        Ok(false) => {
            instance.metrics.poll(Poll::Empty);
            Round::Empty { took }
        }
        Err(why) => {
            instance.metrics.poll(Poll::StoreFailed);
            tracing::warn!(instance = %name, error = %why, "poll not stored; the same updates are asked for again");
            Round::Retry { asked: None }
        }
    }
}
