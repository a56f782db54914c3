//! Background work that happens after a webhook is acknowledged.

pub(crate) mod backoff;
pub(crate) mod hooks;
pub(crate) mod outbox;
pub(crate) mod prune;
pub(crate) mod reload;
pub(crate) mod turns;

use std::time::Duration;

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures::StreamExt as _;
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

/// What the rest of a conversation does after one of its items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// On to its next item.
    Next,
    /// Later items wait for a later round, to keep the conversation's order.
    Wait,
    /// Nothing could be recorded; the round should not repeat at once.
    Stalled,
}

/// Runs `work` over `items` grouped by `(instance, conversation)`: in arrival order
/// within a conversation, up to `concurrency` conversations at once. Returns how many
/// items were recorded (`Next` or `Wait`), so the caller only polls again at once
/// when the round moved something.
pub(crate) async fn by_conversation<T, F, Fut>(
    items: Vec<T>,
    key: impl Fn(&T) -> (String, String),
    concurrency: usize,
    work: F,
) -> usize
where
    F: Fn(T) -> Fut,
    Fut: Future<Output = Step>,
{
    let mut conversations: BTreeMap<(String, String), Vec<T>> = BTreeMap::new();
    for item in items {
        conversations.entry(key(&item)).or_default().push(item);
    }
    let progressed = AtomicUsize::new(0);
    futures::stream::iter(conversations.into_values())
        .for_each_concurrent(concurrency, |items| {
            let (work, progressed) = (&work, &progressed);
            async move {
                for item in items {
                    let step = work(item).await;
                    if step != Step::Stalled {
                        progressed.fetch_add(1, Ordering::Relaxed);
                    }
                    if step != Step::Next {
                        break;
                    }
                }
            }
        })
        .await;
    progressed.load(Ordering::Relaxed)
}
