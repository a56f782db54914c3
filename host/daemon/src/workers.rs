//! Background work that happens after a webhook is acknowledged.

pub(crate) mod backoff;
pub(crate) mod hooks;
pub(crate) mod outbox;
pub(crate) mod prune;
pub(crate) mod reload;
pub(crate) mod turns;

use std::time::Duration;

use tokio::sync::{Notify, watch};

/// Resolves when the daemon shuts down.
pub(crate) type Stop = watch::Receiver<bool>;

/// Waits for a wake-up, a poll interval, or shutdown; returns true on shutdown.
/// The poll interval picks up retries that come due without any new event.
pub(crate) async fn idle(wake: &Notify, stop: &mut Stop, poll: Duration) -> bool {
    if *stop.borrow() {
        return true;
    }
    tokio::select! {
        () = wake.notified() => false,
        () = tokio::time::sleep(poll) => false,
        changed = stop.changed() => changed.is_err() || *stop.borrow(),
    }
}
