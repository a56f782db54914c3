//! The one runner behind every queue.
//!
//! Work reaches the engine two ways. Freshly stored items are handed over in memory
//! ([`Feed::push`], called right after the commit that made them durable, in commit
//! order), so the common case costs no database read. The store stays the record:
//! the engine also polls it for due work on an interval, when a retry it scheduled
//! comes due, and after it was handed more than one batch, so retries,
//! restarts and work stored by other processes (replay, requeue) are picked up.
//!
//! Items are grouped in lanes: one per conversation for ordered queues, one per item
//! otherwise. A lane runs one item at a time, in id order; an instance runs at most
//! `concurrency` lanes at once, so a slow or failing instance uses up only its own
//! share. When an item of a conversation is retried, or its outcome cannot be
//! recorded, its lane is *held*: the rest of the conversation is dropped from memory
//! and comes back, in order, from the next poll of the store after the hold ends.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;
use futures::{FutureExt as _, StreamExt as _};
use switchboard_store::StoreError;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::clock::Clock;
use crate::pipeline::error_chain;
use crate::queue::leasing::Leasing;
use crate::queue::{Attempt, Decision, Freshness, Queue, backoff};

/// Items an engine holds in memory at most, in batches of [`Settings::batch`].
const IN_MEMORY_BATCHES: usize = 4;

/// How soon after another node's wake-up the store is polled.
const NOTICE_DELAY: Duration = Duration::from_millis(100);

/// How an engine runs; the same for every queue of a daemon.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Settings {
    /// Lanes of one instance running at once.
    pub(crate) concurrency: usize,
    /// Items read from the store per poll.
    pub(crate) batch: usize,
    /// Longest time between two polls of the store.
    pub(crate) poll_interval: Duration,
    pub(crate) retry_base: Duration,
    pub(crate) retry_max: Duration,
}

/// The handle through which new work reaches an engine.
pub(crate) struct Feed<I> {
    tx: mpsc::UnboundedSender<I>,
    in_memory: Arc<AtomicU64>,
}

impl<I> Clone for Feed<I> {
    fn clone(&self) -> Self {
        Feed {
            tx: self.tx.clone(),
            in_memory: self.in_memory.clone(),
        }
    }
}

impl<I> Feed<I> {
    /// Hands over an item that was just made durable. Never blocks; once the engine
    /// has stopped the item simply waits in the store for the next start.
    pub(crate) fn push(&self, item: I) {
        // silent-ok: a stopped engine finds the item in the store after a restart.
        let _ = self.tx.send(item);
    }

    /// Items the engine holds in memory, queued or running (the
    /// `switchboard_queue_items` gauge): zero when it is idle.
    pub(crate) fn in_memory(&self) -> u64 {
        self.in_memory.load(Ordering::Relaxed)
    }
}

/// A lane: the unit that runs one item at a time.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Lane {
    instance: String,
    key: LaneKey,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum LaneKey {
    Conversation(String),
    Item(i64),
}

/// What the lane does after an item.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// On to the lane's next item.
    Next,
    /// The lane waits for a poll of the store at or after `until_ms`.
    Hold { until_ms: i64 },
}

struct Finished<D> {
    lane: Lane,
    id: i64,
    step: Step,
    /// A decision the store refused to record, to record before any new attempt.
    unrecorded: Option<Decision<D>>,
    /// This node may hold the lane's lease (leasing only): it is let go once the lane
    /// has nothing more to run here.
    leased: bool,
}

/// Runs one queue.
pub(crate) struct Engine<Q: Queue> {
    queue: Arc<Q>,
    clock: Arc<dyn Clock>,
    settings: Settings,
    inbox: mpsc::UnboundedReceiver<Q::Item>,
    /// `known.len()`, published for the metrics. Pushed items not yet drained from
    /// the inbox are not counted; an idle check reads the store's queues as well.
    in_memory: Arc<AtomicU64>,
    /// Items waiting to run, per lane, in id order.
    queued: HashMap<Lane, VecDeque<Q::Item>>,
    /// Lanes with an item running.
    busy: HashSet<Lane>,
    /// Per instance, lanes that have items queued and none running, in the order they
    /// became ready: dispatching takes from the front, so it costs nothing per idle
    /// lane however long the backlog. May hold stale entries (a lane dropped by a
    /// hold), which dispatching skips.
    ready: HashMap<String, VecDeque<Lane>>,
    /// Running lanes per instance.
    running: HashMap<String, usize>,
    /// Ids queued or running, so a pushed item and a polled one run once.
    known: HashSet<i64>,
    /// Lanes held back, until a poll at or after the time given.
    held: HashMap<Lane, i64>,
    /// Decisions made but not recorded, by item id.
    unrecorded: HashMap<i64, Decision<Q::Done>>,
    /// Retry times scheduled by this engine; the store is polled when one comes due.
    retries: BinaryHeap<Reverse<i64>>,
    /// The last poll filled a whole batch; poll again once the queue runs dry.
    more: bool,
    /// Something was recorded since the last poll. Without it a dry queue does not
    /// poll again at once, or a batch that cannot make progress (its instance is
    /// gone, the store refuses writes) would be read in a tight loop.
    progressed: bool,
    /// Items in flight, polled by the engine's own task: the whole queue is one task
    /// to the runtime's scheduler, so a burst of follow-up work takes turns with the
    /// webhooks being answered instead of queueing in front of them.
    tasks: FuturesUnordered<BoxFuture<'static, Finished<Q::Done>>>,
    /// Claims lanes when other nodes share the store's work; `None` on SQLite.
    leasing: Option<Arc<Leasing>>,
    /// Wake-ups from other nodes letting go of lanes this node wanted.
    notices: Option<watch::Receiver<u64>>,
    /// Leases being let go of; their lanes stay busy until the release is done, so a
    /// new item of the lane cannot claim before the old lease is gone.
    releases: FuturesUnordered<BoxFuture<'static, Lane>>,
    /// The read of due work in progress. It runs beside the items in flight, never
    /// instead of them: an item may hold a database connection (a transaction
    /// half done) that the read itself would otherwise wait for.
    polling: Option<BoxFuture<'static, Result<Vec<Q::Item>, StoreError>>>,
    /// Items that finished while a read was in progress: the read may have seen them
    /// still due, and must not queue them again.
    finished_while_polling: HashSet<i64>,
}

/// The receiving half of a [`Feed`], until an engine takes it.
pub(crate) struct Inbox<I> {
    rx: mpsc::UnboundedReceiver<I>,
    in_memory: Arc<AtomicU64>,
}

/// A feed and the inbox it fills.
pub(crate) fn feed<I>() -> (Feed<I>, Inbox<I>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let in_memory = Arc::new(AtomicU64::new(0));
    (
        Feed {
            tx,
            in_memory: in_memory.clone(),
        },
        Inbox { rx, in_memory },
    )
}

impl<Q: Queue> Engine<Q> {
    pub(crate) fn new(
        queue: Arc<Q>,
        clock: Arc<dyn Clock>,
        settings: Settings,
        inbox: Inbox<Q::Item>,
    ) -> Engine<Q> {
        Engine {
            queue,
            clock,
            settings,
            inbox: inbox.rx,
            in_memory: inbox.in_memory,
            queued: HashMap::new(),
            busy: HashSet::new(),
            ready: HashMap::new(),
            running: HashMap::new(),
            known: HashSet::new(),
            held: HashMap::new(),
            unrecorded: HashMap::new(),
            retries: BinaryHeap::new(),
            more: false,
            progressed: false,
            tasks: FuturesUnordered::new(),
            leasing: None,
            notices: None,
            releases: FuturesUnordered::new(),
            polling: None,
            finished_while_polling: HashSet::new(),
        }
    }

    /// Claims each lane before running it, for a store whose work other nodes share.
    pub(crate) fn with_leasing(mut self, leasing: Option<Arc<Leasing>>) -> Engine<Q> {
        self.leasing = leasing;
        self
    }

    /// Runs until `stop` turns true, then gives the items in flight `grace` to finish
    /// and abandons the rest (they are still due in the store, and run after the
    /// restart).
    pub(crate) async fn run(mut self, mut stop: watch::Receiver<bool>, grace: Duration) {
        self.notices = self.leasing.as_ref().and_then(|l| l.notices());
        let mut next_poll = Instant::now();
        loop {
            if *stop.borrow() {
                break;
            }
            self.drain_inbox();
            let now_ms = self.clock.now_ms();
            let retry_due = self.retries.peek().is_some_and(|r| r.0 <= now_ms);
            let dry = self.queued.is_empty() && self.tasks.is_empty();
            if self.polling.is_none()
                && (retry_due
                    || Instant::now() >= next_poll
                    || (self.more && self.progressed && dry))
            {
                self.polling = Some(self.start_poll());
                next_poll = Instant::now() + self.settings.poll_interval;
            }
            self.dispatch();
            let wake_at = match self.retries.peek() {
                Some(Reverse(at_ms)) => {
                    let wait = u64::try_from(at_ms.saturating_sub(now_ms)).unwrap_or(0);
                    next_poll.min(Instant::now() + Duration::from_millis(wait))
                }
                None => next_poll,
            };
            tokio::select! {
                // Pushes first: an item handed over before its own outcome was
                // recorded must be known before that outcome is processed, or it
                // would run twice.
                biased;
                item = self.inbox.recv() => match item {
                    Some(item) => self.accept(item),
                    // Every feed is gone: the daemon is shutting down.
                    None => break,
                },
                Some(finished) = self.tasks.next(), if !self.tasks.is_empty() => {
                    self.finish(finished);
                }
                Some(lane) = self.releases.next(), if !self.releases.is_empty() => {
                    self.released(lane);
                }
                Some(due) = read(&mut self.polling) => {
                    self.polling = None;
                    self.polled(due);
                }
                Some(()) = notice(&mut self.notices) => {
                    // Another node let go of a lane this one wanted: look soon, but
                    // not once per notice when many arrive together.
                    next_poll = next_poll.min(Instant::now() + NOTICE_DELAY);
                }
                () = tokio::time::sleep_until(wake_at) => {}
                changed = stop.changed() => if changed.is_err() { break },
            }
        }
        self.polling = None;
        let drained = tokio::time::timeout(grace, async {
            // Both at once: a release may hold the connection an item waits for.
            loop {
                tokio::select! {
                    Some(finished) = self.tasks.next(), if !self.tasks.is_empty() => {
                        self.finish(finished);
                    }
                    Some(_) = self.releases.next(), if !self.releases.is_empty() => {}
                    else => break,
                }
            }
        })
        .await;
        if drained.is_err() {
            tracing::warn!(
                queue = Q::NAME,
                abandoned = self.tasks.len(),
                "a worker did not stop in time; its item will be retried after restart"
            );
            // Dropping the futures cancels the calls; the items are still due.
            self.tasks.clear();
        }
    }

    /// One round, for tests: hands over what was pushed, polls the store once, and
    /// runs everything that can run until nothing can. Returns the number of attempts
    /// (or recordings) that finished.
    #[cfg_attr(
        not(feature = "test-support"),
        expect(dead_code, reason = "only the testing harness drives single rounds")
    )]
    pub(crate) async fn round(&mut self) -> usize {
        self.drain_inbox();
        self.poll().await;
        let mut finished = 0;
        loop {
            self.drain_inbox();
            self.dispatch();
            if let Some(done) = self.tasks.next().await {
                self.finish(done);
                finished += 1;
            } else if let Some(lane) = self.releases.next().await {
                self.released(lane);
            } else {
                return finished;
            }
        }
    }

    fn drain_inbox(&mut self) {
        while let Ok(item) = self.inbox.try_recv() {
            self.accept(item);
        }
    }

    /// Queues an item handed over in memory, unless it is already known or its lane
    /// is held (the store hands it out again after the hold).
    fn accept(&mut self, item: Q::Item) {
        let lane = lane_of::<Q>(&item);
        if self.held.contains_key(&lane) {
            return;
        }
        // Under a sustained overload the backlog stays in the store, not in memory:
        // past the cap, hand-overs are dropped and the polls bring them back, in order.
        if self.known.len() >= self.settings.batch.saturating_mul(IN_MEMORY_BATCHES) {
            self.more = true;
            return;
        }
        self.enqueue(lane, item);
    }

    fn enqueue(&mut self, lane: Lane, item: Q::Item) {
        let id = Q::key(&item).id;
        if !self.known.insert(id) {
            return;
        }
        self.publish();
        let items = self.queued.entry(lane.clone()).or_default();
        // Keep id order even if two commits' hand-overs cross.
        let at = items.partition_point(|queued| Q::key(queued).id < id);
        items.insert(at, item);
        if items.len() == 1 && !self.busy.contains(&lane) {
            self.ready
                .entry(lane.instance.clone())
                .or_default()
                .push_back(lane);
        }
    }

    /// Reads due work from the store once, with nothing else going on (single rounds).
    async fn poll(&mut self) {
        let due = self.start_poll().await;
        self.polled(due);
    }

    /// Lets go of the holds and retry times that are over, and returns the read of
    /// what is due now.
    fn start_poll(&mut self) -> BoxFuture<'static, Result<Vec<Q::Item>, StoreError>> {
        let now_ms = self.clock.now_ms();
        self.progressed = false;
        self.held.retain(|_, until| *until > now_ms);
        while self.retries.peek().is_some_and(|r| r.0 <= now_ms) {
            self.retries.pop();
        }
        self.finished_while_polling.clear();
        let (queue, batch) = (self.queue.clone(), self.settings.batch);
        Box::pin(async move { queue.due(now_ms, batch).await })
    }

    /// Queues what a read found due, but nothing that finished while it ran.
    fn polled(&mut self, due: Result<Vec<Q::Item>, StoreError>) {
        let finished = std::mem::take(&mut self.finished_while_polling);
        match due {
            Ok(due) => {
                self.more = due.len() >= self.settings.batch;
                for item in due {
                    if finished.contains(&Q::key(&item).id) {
                        continue;
                    }
                    let lane = lane_of::<Q>(&item);
                    if !self.held.contains_key(&lane) {
                        self.enqueue(lane, item);
                    }
                }
            }
            Err(e) => {
                self.more = false;
                tracing::warn!(queue = Q::NAME, error = %error_chain(&e), "cannot read due work; will poll again");
            }
        }
    }

    /// Starts the next item of every idle lane whose instance has a free slot.
    fn dispatch(&mut self) {
        let concurrency = self.settings.concurrency.max(1);
        let mut starts = Vec::new();
        for (instance, lanes) in &mut self.ready {
            let mut running = self.running.get(instance).copied().unwrap_or(0);
            while running < concurrency {
                let Some(lane) = lanes.pop_front() else {
                    break;
                };
                if self.busy.contains(&lane) || !self.queued.contains_key(&lane) {
                    continue;
                }
                running += 1;
                starts.push(lane);
            }
        }
        self.ready.retain(|_, lanes| !lanes.is_empty());
        for lane in starts {
            let Some(items) = self.queued.get_mut(&lane) else {
                continue;
            };
            let Some(item) = items.pop_front() else {
                self.queued.remove(&lane);
                continue;
            };
            if items.is_empty() {
                self.queued.remove(&lane);
            }
            *self.running.entry(lane.instance.clone()).or_default() += 1;
            self.busy.insert(lane.clone());
            let remembered = self.unrecorded.remove(&Q::key(&item).id);
            let (queue, clock, settings) = (self.queue.clone(), self.clock.clone(), self.settings);
            let leasing = self.leasing.clone();
            self.tasks.push(Box::pin(async move {
                let id = Q::key(&item).id;
                if let Some(leasing) = leasing
                    && let Some(step) = claim(&*queue, &leasing, &lane, &item).await
                {
                    let hold = Step::Hold {
                        until_ms: clock.now_ms(),
                    };
                    let (step, unrecorded, leased) = match step {
                        // Another node finished it: nothing of ours to record.
                        Claimed::NotDue => (Step::Next, None, true),
                        // Read the conversation again at once, from the store, in order.
                        Claimed::Behind => (
                            Step::Hold {
                                until_ms: clock.now_ms().saturating_add(1),
                            },
                            remembered,
                            true,
                        ),
                        Claimed::Elsewhere => (hold, remembered, false),
                        Claimed::Unknown => (hold, remembered, true),
                    };
                    return Finished {
                        lane,
                        id,
                        step,
                        unrecorded,
                        leased,
                    };
                }
                let worked = AssertUnwindSafe(work(&*queue, &*clock, settings, &item, remembered))
                    .catch_unwind()
                    .await;
                let (step, unrecorded) = worked.unwrap_or_else(|_| {
                    // The panic itself was logged by the panic hook; the item stays
                    // due in the store and its lane waits for the next poll.
                    tracing::error!(
                        queue = Q::NAME,
                        item = id,
                        "a queue item panicked; it will be tried again"
                    );
                    (
                        Step::Hold {
                            until_ms: clock.now_ms(),
                        },
                        None,
                    )
                });
                Finished {
                    lane,
                    id,
                    step,
                    unrecorded,
                    leased: true,
                }
            }));
        }
    }

    fn finish(&mut self, finished: Finished<Q::Done>) {
        let Finished {
            lane,
            id,
            step,
            unrecorded,
            leased,
        } = finished;
        self.busy.remove(&lane);
        if let Some(running) = self.running.get_mut(&lane.instance) {
            *running = running.saturating_sub(1);
        }
        if matches!(step, Step::Next) && self.queued.contains_key(&lane) {
            self.ready
                .entry(lane.instance.clone())
                .or_default()
                .push_back(lane.clone());
        }
        self.known.remove(&id);
        if self.polling.is_some() {
            self.finished_while_polling.insert(id);
        }
        self.publish();
        match unrecorded {
            Some(decision) => {
                self.unrecorded.insert(id, decision);
            }
            None if matches!(step, Step::Next) => self.progressed = true,
            None => {}
        }
        if let Step::Hold { until_ms } = step {
            if let Some(dropped) = self.queued.remove(&lane) {
                for item in dropped {
                    self.known.remove(&Q::key(&item).id);
                }
                self.publish();
            }
            if until_ms > self.clock.now_ms() {
                self.retries.push(Reverse(until_ms));
            }
            if matches!(lane.key, LaneKey::Conversation(_)) {
                self.held.insert(lane.clone(), until_ms);
            }
        }
        if leased && !self.queued.contains_key(&lane) {
            self.release(lane);
        }
    }

    /// Lets go of the lane's lease; the lane stays busy until that is done.
    fn release(&mut self, lane: Lane) {
        let Some(leasing) = self.leasing.clone() else {
            return;
        };
        self.busy.insert(lane.clone());
        self.releases.push(Box::pin(async move {
            if let Err(e) = leasing
                .release(Q::NAME, &lane.instance, &lane.key.name())
                .await
            {
                // The lease runs out on its own; until then no other node takes the lane.
                tracing::warn!(queue = Q::NAME, instance = %lane.instance, error = %error_chain(&e), "cannot let go of a lease");
            }
            lane
        }));
    }

    fn released(&mut self, lane: Lane) {
        self.busy.remove(&lane);
        if self.queued.contains_key(&lane) {
            self.ready
                .entry(lane.instance.clone())
                .or_default()
                .push_back(lane);
        }
    }
}

/// How claiming a lane before an item went, when it did not clear the item to run.
enum Claimed {
    /// Another node holds the lane.
    Elsewhere,
    /// This node holds the lane, but the item was finished (or attempted again) since
    /// it was read: another node got to it first.
    NotDue,
    /// An earlier item of the conversation, unknown here, must run first.
    Behind,
    /// The store could not be asked; try again after the next poll.
    Unknown,
}

/// Claims the item's lane and checks the item is still due; `None` clears it to run.
async fn claim<Q: Queue>(
    queue: &Q,
    leasing: &Leasing,
    lane: &Lane,
    item: &Q::Item,
) -> Option<Claimed> {
    match leasing
        .claim(Q::NAME, &lane.instance, &lane.key.name())
        .await
    {
        Ok(true) => {}
        Ok(false) => return Some(Claimed::Elsewhere),
        Err(e) => {
            tracing::warn!(queue = Q::NAME, instance = %lane.instance, error = %error_chain(&e), "cannot claim work; will try again");
            return Some(Claimed::Unknown);
        }
    }
    match queue.still_due(item).await {
        Ok(Freshness::Due) => None,
        Ok(Freshness::Done) => Some(Claimed::NotDue),
        Ok(Freshness::Behind) => Some(Claimed::Behind),
        Err(e) => {
            tracing::warn!(queue = Q::NAME, instance = %lane.instance, error = %error_chain(&e), "cannot check claimed work; will try again");
            Some(Claimed::Unknown)
        }
    }
}

impl LaneKey {
    /// The lane's name in the `leases` table.
    fn name(&self) -> String {
        match self {
            LaneKey::Conversation(conversation) => format!("c:{conversation}"),
            LaneKey::Item(id) => format!("i:{id}"),
        }
    }
}

/// What the read in progress found, or never without one.
async fn read<T>(polling: &mut Option<BoxFuture<'static, T>>) -> Option<T> {
    match polling {
        Some(read) => Some(read.await),
        None => std::future::pending().await,
    }
}

/// The next wake-up from other nodes, or never without leasing.
async fn notice(notices: &mut Option<watch::Receiver<u64>>) -> Option<()> {
    match notices {
        Some(rx) => match rx.changed().await {
            Ok(()) => Some(()),
            // The listener is gone (shutting down): wait for the other branches.
            Err(_) => std::future::pending().await,
        },
        None => std::future::pending().await,
    }
}

impl<Q: Queue> Engine<Q> {
    fn publish(&self) {
        self.in_memory
            .store(self.known.len() as u64, Ordering::Relaxed);
    }
}

fn lane_of<Q: Queue>(item: &Q::Item) -> Lane {
    let key = Q::key(item);
    Lane {
        instance: key.instance.to_owned(),
        key: match key.conversation {
            Some(conversation) => LaneKey::Conversation(conversation.to_owned()),
            None => LaneKey::Item(key.id),
        },
    }
}

/// Attempts an item (or takes the decision remembered from an attempt whose outcome
/// could not be recorded), decides, and records.
async fn work<Q: Queue>(
    queue: &Q,
    clock: &dyn Clock,
    settings: Settings,
    item: &Q::Item,
    remembered: Option<Decision<Q::Done>>,
) -> (Step, Option<Decision<Q::Done>>) {
    let key = Q::key(item);
    let decision = match remembered {
        Some(decision) => decision,
        None => {
            let attempt = key.attempts.saturating_add(1);
            let decision = match queue.attempt(item).await {
                Attempt::NotNow => {
                    return (
                        Step::Hold {
                            until_ms: clock.now_ms(),
                        },
                        None,
                    );
                }
                Attempt::Done(done) => Decision::Done(done),
                Attempt::Failed {
                    error,
                    retryable,
                    retry_after,
                } => decide(
                    queue,
                    clock,
                    settings,
                    attempt,
                    error,
                    retryable,
                    retry_after,
                ),
            };
            queue.report(item, &decision, attempt);
            decision
        }
    };
    match queue.record(item, &decision).await {
        Ok(()) => {
            let step = match &decision {
                Decision::Retry { at_ms, .. } => Step::Hold { until_ms: *at_ms },
                Decision::Done(_) | Decision::GiveUp { .. } => Step::Next,
            };
            (step, None)
        }
        Err(e) => {
            log_unrecorded::<Q>(key.instance, key.id, &e);
            (
                Step::Hold {
                    until_ms: clock.now_ms(),
                },
                Some(decision),
            )
        }
    }
}

fn decide<Q: Queue>(
    queue: &Q,
    clock: &dyn Clock,
    settings: Settings,
    attempt: u32,
    error: String,
    retryable: bool,
    retry_after: Option<Duration>,
) -> Decision<Q::Done> {
    if !retryable || attempt >= queue.max_attempts() {
        return Decision::GiveUp { error };
    }
    let retry_in = backoff::delay(
        attempt,
        settings.retry_base,
        settings.retry_max,
        retry_after,
    );
    Decision::Retry {
        at_ms: clock
            .now_ms()
            .saturating_add(i64::try_from(retry_in.as_millis()).unwrap_or(i64::MAX)),
        retry_in,
        error,
    }
}

fn log_unrecorded<Q: Queue>(instance: &str, id: i64, error: &StoreError) {
    tracing::warn!(
        queue = Q::NAME,
        %instance,
        item = id,
        error = %error_chain(error),
        "cannot record the outcome; will record it again"
    );
}

#[cfg(test)]
mod tests;
