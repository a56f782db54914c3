//! Durable storage for the Switchboard daemon: one SQLite file (the default), or a
//! PostgreSQL database that several daemons share.
//!
//! This crate owns the database: the inbound `messages` (deduplicated per instance and
//! external id, with their hook and agent-turn queues), the `replies` outbox, the
//! `dead_letters` kept for replay, and small per-instance key-value `state`. It is the
//! only crate that names `rusqlite` or `tokio-postgres`. It does not know platforms,
//! channels, agents or HTTP: callers decide what to store, when to retry and what a
//! failure means to a sender; it also keeps no clock of its own beyond stamping rows.
//!
//! [`Store`] is one API over both backends. The sections below describe the SQLite
//! backend; the PostgreSQL one (`postgres/`) commits one transaction per call on a
//! pooled connection, applies its schema only through [`Store::migrate_postgres`]
//! (`switchboard migrate`), and adds the lane leases ([`Store::claim_lane`]) and
//! wake-ups ([`Store::work_notices`]) that let several nodes share the work.
//!
//! # Durability
//!
//! The SQLite file runs in WAL mode with `synchronous=FULL`: a commit returns only after the
//! write-ahead log has been fsynced, so a committed row survives a power cut, not just a
//! process crash. Every write method returns only after such a commit, which is what lets
//! the daemon acknowledge a webhook as soon as [`Store::persist`] returns.
//!
//! # The writer and group commit
//!
//! SQLite allows one writer at a time, so one thread owns the only write connection.
//! Async callers hand it a command over a bounded queue and wait on a oneshot channel.
//! The thread takes the first queued command, drains whatever else is already waiting
//! (up to [`StoreOptions::batch_max`]), and runs the lot in one
//! `BEGIN IMMEDIATE … COMMIT`: *group commit*. Only after the commit has returned does
//! it answer the callers in the batch.
//!
//! The fsync is the expensive part of a commit (from tens of microseconds on a server
//! SSD to milliseconds on a consumer disk), while inserting a row costs a few
//! microseconds. Paying one fsync per batch instead of one per call keeps the full
//! durability guarantee and moves the throughput from "fsyncs per second" to "rows per
//! second". There is no batching timer: commands that arrive while one commit is being
//! fsynced simply form the next batch, so a lone write is never delayed and batches grow
//! only when load does. [`Store::stats`] shows the effect as `commands / commits`.
//!
//! Each command runs in its own savepoint, so a command that fails (an unknown id, a
//! constraint) rolls back alone and the rest of its batch commits. If SQLite itself
//! abandons the transaction (a full disk, an I/O error), or the commit fails, every
//! command of the batch gets the error and nobody is told "stored". The connection is
//! always left outside any transaction, so the writer carries on as soon as the cause is
//! fixed. [`StoreError::is_transient`] tells a caller that such an error is worth
//! answering with 503 and `Retry-After`.
//!
//! The queue is bounded ([`StoreOptions::queue_capacity`]); when it is full a write fails
//! at once with [`StoreError::Overloaded`] rather than waiting, so overload turns into
//! 503s instead of growing memory and latency.
//!
//! # A size cap
//!
//! [`Store::set_size_limit`] caps the file (`PRAGMA max_page_count` on the writer
//! connection). Past the cap a write fails exactly as on a full disk, with a transient
//! `SQLITE_FULL`, so an operator can keep the database from filling the volume it
//! shares with other services and still get "refuse, do not acknowledge" behaviour.
//!
//! # Reads
//!
//! Reads run on a few read-only connections in `spawn_blocking` tasks. In WAL mode they
//! see the latest commit and never block the writer; since answers go out only after the
//! commit, a caller always reads its own writes.
//!
//! # Features
//!
//! `test-support` adds fault injection for the tests of the store's callers:
//! `Store::simulate_read_only` and `Store::simulate_disk_full` make writes fail the
//! way a read-only file or a full disk does, and lift the fault again.
//!
//! # Example
//!
//! ```no_run
//! # async fn demo(messages: Vec<switchboard_types::InboundMessage>) -> Result<(), switchboard_store::StoreError> {
//! use switchboard_store::{PersistOutcome, Store, StoreOptions};
//!
//! let store = Store::open("data/switchboard.db".as_ref(), StoreOptions::default())?;
//! for outcome in store.persist("whatsapp-main", messages).await? {
//!     if let PersistOutcome::Stored(message) = outcome {
//!         println!("new message {}", message.id);
//!     }
//! }
//! // The delivery is durable now: acknowledge the webhook.
//! store.close().await?;
//! # Ok(())
//! # }
//! ```

mod blobs;
mod columns;
mod error;
mod postgres;
mod sqlite;
mod store;
#[cfg(feature = "test-support")]
pub mod testing;
mod types;

pub use blobs::{BlobError, BlobStore, BlobWriter, StoredBlob};
pub use error::StoreError;
pub use postgres::PostgresOptions;
pub use store::Store;
pub use types::{
    API_KEY_TTL_MS, Counts, DeadLetter, DeadLetterKind, DownloadOutcome, DueDownload, DueMessage,
    HookOutcome, LaneLease, MessageStatus, NewDeadLetter, NewReply, NewSend, NodeRecord,
    OutboxItem, Pairing, PairingRequest, PersistOutcome, QueueDepths, ReceivedStored, ReplyStatus,
    SendQueued, Standing, StateQuota, StateUsage, StoreOptions, WorkState, WriterStats,
};
