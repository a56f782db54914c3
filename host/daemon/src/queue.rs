//! Background work after a webhook is acknowledged, as queues run by one engine.
//!
//! Each kind of work (the `on-message-persisted` hook, the agent turn, the reply
//! delivery) is a [`Queue`]: it says how to read its due items from the store, how to
//! attempt one, and how to record what came of it. The [`engine`] owns everything
//! else once: wake-ups and polling, per-conversation order, per-instance concurrency,
//! retry times with jitter, outcomes that could not be recorded, giving up, and
//! shutdown. A new kind of work is one more `Queue`.

pub(crate) mod backoff;
pub(crate) mod downloads;
pub(crate) mod engine;
pub(crate) mod hooks;
pub(crate) mod leasing;
pub(crate) mod presence;
pub(crate) mod replies;
pub(crate) mod turns;

use std::time::Duration;

use switchboard_store::{Standing, StoreError};

/// What an item says about itself to the engine.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ItemKey<'a> {
    /// Unique within its queue (a row id).
    pub(crate) id: i64,
    /// The channel instance the work is for; concurrency is shared out per instance.
    pub(crate) instance: &'a str,
    /// Items of one conversation run one at a time, in id order, and a retry holds
    /// back the rest of the conversation; `None` runs the item on its own.
    pub(crate) conversation: Option<&'a str>,
    /// Attempts already made (as stored).
    pub(crate) attempts: u32,
}

/// What a claimed item turned out to be (see [`Queue::still_due`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Freshness {
    /// Run it.
    Due,
    /// Finished (or attempted again) since it was read: skip it.
    Done,
    /// An earlier item of its conversation waits: read the conversation again, in order.
    Behind,
}

impl Freshness {
    /// How an item read with `attempts` stands now; `None` when it is gone.
    pub(crate) fn of(standing: Option<Standing>, attempts: u32) -> Freshness {
        match standing {
            Some(s) if s.pending && s.attempts == attempts => {
                if s.earlier_pending {
                    Freshness::Behind
                } else {
                    Freshness::Due
                }
            }
            _ => Freshness::Done,
        }
    }
}

/// How one attempt went, as the queue sees it.
#[derive(Debug)]
pub(crate) enum Attempt<D> {
    /// Finished; `D` is what the queue records.
    Done(D),
    /// Failed. The engine decides between a retry and giving up.
    Failed {
        error: String,
        retryable: bool,
        /// A delay the other side asked for (`Retry-After`).
        retry_after: Option<Duration>,
    },
    /// Could not be attempted now (its instance is not configured, its inputs could
    /// not be read); the item stays due and is polled again later.
    NotNow,
}

/// What the engine decided an attempt comes to; the queue records it.
#[derive(Debug, Clone)]
pub(crate) enum Decision<D> {
    Done(D),
    /// Try again at `at_ms` (Unix milliseconds), `retry_in` from now.
    Retry {
        at_ms: i64,
        retry_in: Duration,
        error: String,
    },
    /// No more attempts; the queue dead-letters the item.
    GiveUp {
        error: String,
    },
}

/// One kind of background work.
#[async_trait::async_trait]
pub(crate) trait Queue: Send + Sync + 'static {
    type Item: Send + Sync + 'static;
    type Done: Send + Sync + 'static;

    /// Names the queue in log lines.
    const NAME: &'static str;

    fn key(item: &Self::Item) -> ItemKey<'_>;

    /// Attempts before the engine gives up on an item.
    fn max_attempts(&self) -> u32;

    /// Items due at `now_ms`, oldest first. An item of a conversation whose earlier
    /// item waits for a retry must be left out.
    async fn due(&self, now_ms: i64, limit: usize) -> Result<Vec<Self::Item>, StoreError>;

    /// Whether the item is still due as it was read (not finished, the same attempts),
    /// and, for ordered queues, first in its conversation. Asked after claiming its
    /// lane when other nodes share the work: the item may have been read before
    /// another node finished it, and an earlier item of its conversation may have been
    /// stored by another node and not be known here.
    async fn still_due(&self, item: &Self::Item) -> Result<Freshness, StoreError>;

    /// Does the work once.
    async fn attempt(&self, item: &Self::Item) -> Attempt<Self::Done>;

    /// Logs and counts a decision; called once per decision, before it is recorded.
    fn report(&self, item: &Self::Item, decision: &Decision<Self::Done>, attempt: u32);

    /// Makes a decision durable.
    async fn record(
        &self,
        item: &Self::Item,
        decision: &Decision<Self::Done>,
    ) -> Result<(), StoreError>;
}
