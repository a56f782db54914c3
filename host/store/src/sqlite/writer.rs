//! The single writer thread and its group commit.
//!
//! Callers submit a closure over the write connection. The thread takes the first
//! queued command, drains whatever else is already waiting (up to `batch_max`), runs the
//! lot in one `BEGIN IMMEDIATE … COMMIT`, and only then answers every caller. Each
//! command runs in its own savepoint, so a failing command rolls back only itself.
//!
//! Background commands (the bookkeeping of work done after a webhook was answered)
//! may wait up to `background_linger` for company before they commit alone: a commit
//! costs an fsync and a WAL frame per dirtied page whether it carries one command or
//! fifty, and nobody is waiting on the answer to a platform. Any other command ends
//! the wait at once and takes them along.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::Connection;
use tokio::sync::oneshot;

use crate::{StoreError, StoreOptions, WriterStats};

/// A command as the writer sees it: run once inside the batch, answered after it.
trait Job: Send {
    /// Runs the command (in its own savepoint if `savepoint`) and reports whether it
    /// failed.
    fn run(&mut self, conn: &Connection, savepoint: bool) -> Result<(), StoreError>;
    /// Answers the caller once the batch's fate (`commit`) is known.
    fn finish(self: Box<Self>, commit: &Result<(), StoreError>);
}

/// Runs on the writer thread right after the commit that made a command's result
/// durable, before the next batch starts: callbacks therefore see results in commit
/// order.
pub(crate) type AfterCommit<T> = Box<dyn FnOnce(&T) + Send>;

struct Pending<T, F> {
    command: Option<F>,
    result: Option<Result<T, StoreError>>,
    after: Option<AfterCommit<T>>,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

impl<T, F> Job for Pending<T, F>
where
    T: Send,
    F: FnOnce(&Connection) -> Result<T, StoreError> + Send,
{
    fn run(&mut self, conn: &Connection, savepoint: bool) -> Result<(), StoreError> {
        let Some(command) = self.command.take() else {
            return Ok(());
        };
        let result = if savepoint {
            in_savepoint(conn, command)
        } else {
            command(conn)
        };
        let status = match &result {
            Ok(_) => Ok(()),
            Err(e) => Err(e.clone()),
        };
        self.result = Some(result);
        status
    }

    fn finish(self: Box<Self>, commit: &Result<(), StoreError>) {
        let answer = match (self.result, commit) {
            // A command's own error explains more than the batch's.
            (Some(Err(own)), _) => Err(own),
            (_, Err(batch)) => Err(batch.clone()),
            (Some(Ok(value)), Ok(())) => {
                if let Some(after) = self.after {
                    after(&value);
                }
                Ok(value)
            }
            (None, Ok(())) => Err(StoreError::Closed),
        };
        // An error here only means the caller stopped waiting (its future was dropped);
        // the write itself stands, which is what the caller would want on a retry.
        let _ = self.reply.send(answer);
    }
}

fn in_savepoint<T>(
    conn: &Connection,
    command: impl FnOnce(&Connection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    conn.prepare_cached("SAVEPOINT command")?.execute([])?;
    // A panic must not take the only writer thread down with it.
    let result = catch_unwind(AssertUnwindSafe(|| command(conn))).unwrap_or_else(|payload| {
        let panic = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("(no message)");
        tracing::error!(
            panic,
            "a store command panicked; its savepoint is rolled back"
        );
        Err(StoreError::CommandPanicked)
    });
    let result = result.and_then(|value| {
        conn.prepare_cached("RELEASE command")?.execute([])?;
        Ok(value)
    });
    // After some errors (a full disk, an I/O error) SQLite has already rolled back the
    // whole transaction and the savepoint is gone.
    if result.is_err()
        && !conn.is_autocommit()
        && let Err(rollback) = conn.execute_batch("ROLLBACK TO command; RELEASE command")
    {
        tracing::warn!(error = %rollback, "rolling back a failed store command failed");
    }
    result
}

/// How soon a command's batch must commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Urgency {
    /// As soon as the writer gets to it: someone (a platform, a guest) is waiting.
    Now,
    /// Within the writer's `background_linger`.
    Background,
}

enum Request {
    /// Runs in the next batch.
    Job(Box<dyn Job>, Urgency),
    /// Runs on its own, outside any transaction, after the commands queued before it:
    /// for pragmas that SQLite refuses inside a transaction.
    Alone(Box<dyn Job>),
    Stop,
}

#[derive(Default)]
struct Counters {
    commits: AtomicU64,
    commands: AtomicU64,
}

/// The handle to the writer thread; dropping it flushes the queue and joins the thread.
pub(crate) struct Writer {
    tx: SyncSender<Request>,
    thread: Mutex<Option<JoinHandle<()>>>,
    counters: Arc<Counters>,
}

impl Writer {
    /// Starts the thread that owns `conn` from now on.
    pub(crate) fn spawn(conn: Connection, opts: StoreOptions) -> Result<Writer, StoreError> {
        let (tx, rx) = sync_channel(opts.queue_capacity.max(1));
        let counters = Arc::new(Counters::default());
        let thread = WriterThread {
            conn,
            rx,
            batch_max: opts.batch_max.max(1),
            linger: opts.background_linger,
            counters: Arc::clone(&counters),
        };
        let handle = std::thread::Builder::new()
            .name("switchboard-store-writer".to_owned())
            .spawn(move || thread.run())
            .map_err(|source| StoreError::SpawnWriter {
                source: Arc::new(source),
            })?;
        Ok(Writer {
            tx,
            thread: Mutex::new(Some(handle)),
            counters,
        })
    }

    /// Queues `command` and waits until the batch holding it has committed.
    ///
    /// Never waits for queue space: a full queue is [`StoreError::Overloaded`] at once.
    pub(crate) async fn submit<T, F>(&self, command: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.send(command, None, |job| Request::Job(job, Urgency::Now))
            .await
    }

    /// Like [`Writer::submit`]; `after` runs with the result right after the commit,
    /// in commit order.
    pub(crate) async fn submit_then<T, F>(
        &self,
        command: F,
        after: AfterCommit<T>,
    ) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.send(command, Some(after), |job| Request::Job(job, Urgency::Now))
            .await
    }

    /// Like [`Writer::submit`], but the batch may wait up to the writer's
    /// `background_linger` for other commands before it commits.
    pub(crate) async fn submit_background<T, F>(&self, command: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.send(command, None, |job| Request::Job(job, Urgency::Background))
            .await
    }

    /// Queues `command` to run outside any transaction, between two batches.
    pub(crate) async fn submit_alone<T, F>(&self, command: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.send(command, None, Request::Alone).await
    }

    async fn send<T, F>(
        &self,
        command: F,
        after: Option<AfterCommit<T>>,
        request: impl FnOnce(Box<dyn Job>) -> Request,
    ) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = Box::new(Pending {
            command: Some(command),
            result: None,
            after,
            reply,
        });
        match self.tx.try_send(request(job)) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return Err(StoreError::Overloaded),
            Err(TrySendError::Disconnected(_)) => return Err(StoreError::Closed),
        }
        // The reply is dropped unanswered only when the thread stopped first.
        answer.await.unwrap_or(Err(StoreError::Closed))
    }

    /// Runs everything queued so far, then stops the thread and waits for it. Blocks.
    pub(crate) fn stop(&self) {
        // A send error means the thread is already gone; joining below still applies.
        let _ = self.tx.send(Request::Stop);
        let handle = self
            .thread
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(handle) = handle
            && handle.join().is_err()
        {
            tracing::error!("the store writer thread panicked");
        }
    }

    pub(crate) fn stats(&self) -> WriterStats {
        WriterStats {
            commits: self.counters.commits.load(Ordering::Relaxed),
            commands: self.counters.commands.load(Ordering::Relaxed),
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A request that ends a batch.
enum Boundary {
    Alone(Box<dyn Job>),
    Stop,
}

struct WriterThread {
    conn: Connection,
    rx: Receiver<Request>,
    batch_max: usize,
    linger: Duration,
    counters: Arc<Counters>,
}

impl WriterThread {
    fn run(self) {
        // No timer: commands that arrive while a commit is being fsynced form the next
        // batch, so batches grow with load and a lone command is not delayed.
        while let Ok(first) = self.rx.recv() {
            let mut batch = Vec::new();
            let mut urgent = false;
            let mut linger_until = None;
            let mut next = Some(first);
            // Collect until the queue is empty (and, for a batch of background
            // commands only, the linger is over), the batch is full, or a request that
            // must not join the batch comes up; that one runs after the batch.
            let boundary = loop {
                match next.take() {
                    Some(Request::Job(job, urgency)) => {
                        urgent |= urgency == Urgency::Now;
                        batch.push(job);
                    }
                    Some(Request::Alone(job)) => break Some(Boundary::Alone(job)),
                    Some(Request::Stop) => break Some(Boundary::Stop),
                    None => break None,
                }
                if batch.len() >= self.batch_max {
                    break None;
                }
                match self.rx.try_recv() {
                    Ok(request) => next = Some(request),
                    Err(TryRecvError::Disconnected) => break None,
                    Err(TryRecvError::Empty) if urgent || self.linger.is_zero() => break None,
                    Err(TryRecvError::Empty) => {
                        let until =
                            *linger_until.get_or_insert_with(|| Instant::now() + self.linger);
                        let wait = until.saturating_duration_since(Instant::now());
                        match self.rx.recv_timeout(wait) {
                            Ok(request) => next = Some(request),
                            Err(_) => break None,
                        }
                    }
                }
            };
            if !batch.is_empty() {
                self.run_batch(batch);
            }
            match boundary {
                Some(Boundary::Alone(mut job)) => {
                    let outcome = job.run(&self.conn, false);
                    self.counters.commands.fetch_add(1, Ordering::Relaxed);
                    job.finish(&outcome);
                }
                // Commands queued after the stop are dropped with the receiver, and
                // their callers see `Closed`.
                Some(Boundary::Stop) => return,
                None => {}
            }
        }
    }

    fn run_batch(&self, batch: Vec<Box<dyn Job>>) {
        let mut queue = VecDeque::from(batch);
        // Normally one pass. A command whose error made SQLite roll back the whole
        // transaction fails the commands before it, and the rest get a new transaction.
        while !queue.is_empty() {
            if let Err(error) = self.begin() {
                let error = Err(error);
                for job in queue.drain(..) {
                    job.finish(&error);
                }
                return;
            }
            let mut ran = Vec::with_capacity(queue.len());
            let mut aborted = None;
            while let Some(mut job) = queue.pop_front() {
                let outcome = job.run(&self.conn, true);
                ran.push(job);
                if let Err(error) = outcome
                    && self.conn.is_autocommit()
                {
                    aborted = Some(error);
                    break;
                }
            }
            self.counters
                .commands
                .fetch_add(ran.len() as u64, Ordering::Relaxed);
            let commit = match aborted {
                Some(error) => Err(error),
                None => self.commit(),
            };
            // Answers go out only now: after COMMIT returned, the WAL has been fsynced.
            for job in ran {
                job.finish(&commit);
            }
        }
    }

    fn begin(&self) -> Result<(), StoreError> {
        self.conn.prepare_cached("BEGIN IMMEDIATE")?.execute([])?;
        Ok(())
    }

    fn commit(&self) -> Result<(), StoreError> {
        let result = self
            .conn
            .prepare_cached("COMMIT")
            .and_then(|mut commit| commit.execute([]));
        match result {
            Ok(_) => {
                self.counters.commits.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            Err(error) => {
                tracing::warn!(%error, "store commit failed");
                // Leave the connection outside any transaction so the next batch starts
                // clean once the disk has room again.
                if !self.conn.is_autocommit()
                    && let Err(rollback) = self.conn.execute_batch("ROLLBACK")
                {
                    tracing::error!(error = %rollback, "rollback after a failed commit failed");
                }
                Err(error.into())
            }
        }
    }
}

#[cfg(test)]
mod tests;
