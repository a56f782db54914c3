//! The `Store` handle: one API over the SQLite and PostgreSQL backends.

use std::path::Path;
use std::time::Duration;

use switchboard_types::{HistoryEntry, InboundMessage, NoTurn, StoredAttachment, StoredMessage};

use crate::postgres::{Postgres, PostgresOptions};
use crate::sqlite::Sqlite;
use crate::{
    Counts, DeadLetter, DownloadOutcome, DueDownload, DueMessage, HookOutcome, LaneLease,
    MessageStatus, NewDeadLetter, NewReply, NewSend, NodeRecord, OutboxItem, Pairing,
    PairingRequest, PersistOutcome, QueueDepths, ReceivedStored, SendQueued, Standing, StateQuota,
    StateUsage, StoreError, StoreOptions, WriterStats,
};

/// The durable store. Cheap to clone; every clone shares the backend's connections.
///
/// Every write method returns only after its change has committed durably, so a caller
/// may acknowledge whatever it stored as soon as the call returns. Reads see every
/// commit made before they start.
#[derive(Clone)]
pub struct Store {
    backend: Backend,
}

#[derive(Clone)]
enum Backend {
    Sqlite(Sqlite),
    Postgres(Postgres),
}

/// Calls the same method on whichever backend the store runs on.
macro_rules! dispatch {
    ($self:ident . $method:ident ( $($arg:expr),* )) => {
        match &$self.backend {
            Backend::Sqlite(db) => db.$method($($arg),*).await,
            Backend::Postgres(db) => db.$method($($arg),*).await,
        }
    };
}

impl Store {
    /// Opens (or creates) the SQLite database at `path`, creating its parent directory,
    /// applying pending migrations and starting the writer thread. Blocks while doing so.
    pub fn open(path: &Path, opts: StoreOptions) -> Result<Store, StoreError> {
        Ok(Store {
            backend: Backend::Sqlite(Sqlite::open(path, opts)?),
        })
    }

    /// Opens an existing SQLite database for inspection, alongside a running daemon if
    /// need be. Every write fails with [`StoreError::ReadOnly`].
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        Ok(Store {
            backend: Backend::Sqlite(Sqlite::open_read_only(path)?),
        })
    }

    /// Connects to a PostgreSQL database that `switchboard migrate` brought to this
    /// build's schema version; any other version is refused with
    /// [`StoreError::SchemaVersion`]. Several daemons may share the database.
    pub async fn connect_postgres(options: &PostgresOptions) -> Result<Store, StoreError> {
        let store = Store::postgres(options)?;
        store.check_schema().await?;
        Ok(store)
    }

    /// A PostgreSQL store that has not talked to the server yet: connections are made
    /// on first use. Call [`Store::check_schema`] before relying on it.
    pub fn postgres(options: &PostgresOptions) -> Result<Store, StoreError> {
        Ok(Store {
            backend: Backend::Postgres(Postgres::new(options)?),
        })
    }

    /// Checks that the database holds exactly this build's schema: a SQLite file was
    /// checked when it was opened; a PostgreSQL database is asked now, failing with
    /// [`StoreError::SchemaVersion`] (naming both versions) or the connection error.
    pub async fn check_schema(&self) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Sqlite(_) => Ok(()),
            Backend::Postgres(db) => db.check_schema().await,
        }
    }

    /// Brings a PostgreSQL database to this build's schema, creating it if it is empty;
    /// returns the versions before and after. Refuses a newer schema. Safe to run from
    /// several nodes at once: they take turns.
    pub async fn migrate_postgres(options: &PostgresOptions) -> Result<(i64, i64), StoreError> {
        Postgres::migrate(options).await
    }

    /// Whether other nodes may share this store's work, so that a node must claim a
    /// lane before running it ([`Store::claim_lane`]). False for SQLite: one process
    /// owns the file's queues.
    pub fn shares_work(&self) -> bool {
        matches!(self.backend, Backend::Postgres(_))
    }

    /// Takes (or extends) the lease on `lane` for `owner`, for `hold` from now by the
    /// database's clock; true when `owner` holds it now. A lane held by another owner
    /// whose lease has not run out is refused, and marked as wanted, so that releasing
    /// it wakes the nodes up. Always true for SQLite.
    pub async fn claim_lane(
        &self,
        lane: &LaneLease<'_>,
        owner: &str,
        hold: Duration,
    ) -> Result<bool, StoreError> {
        match &self.backend {
            Backend::Sqlite(_) => Ok(true),
            Backend::Postgres(db) => db.claim_lane(lane, owner, hold).await,
        }
    }

    /// Extends every lease `owner` holds to `hold` from now: a live node keeps its
    /// lanes however long its attempts take. Returns how many it holds.
    pub async fn renew_leases(&self, owner: &str, hold: Duration) -> Result<u64, StoreError> {
        match &self.backend {
            Backend::Sqlite(_) => Ok(0),
            Backend::Postgres(db) => db.renew_leases(owner, hold).await,
        }
    }

    /// Lets go of `owner`'s lease on `lane`, waking the other nodes if one wanted it.
    pub async fn release_lane(&self, lane: &LaneLease<'_>, owner: &str) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Sqlite(_) => Ok(()),
            Backend::Postgres(db) => db.release_lane(lane, owner).await,
        }
    }

    /// Wake-ups sent when another node lets go of work that was wanted (its value
    /// counts them); `None` when no other node can hold work (SQLite). Must be called
    /// inside a Tokio runtime: it starts the listening task.
    pub fn work_notices(&self) -> Option<tokio::sync::watch::Receiver<u64>> {
        match &self.backend {
            Backend::Sqlite(_) => None,
            Backend::Postgres(db) => Some(db.work_notices()),
        }
    }

    /// Records that `node` (on `host`) serves this database with the components in
    /// `installed`; repeated while it runs. Nothing to record for SQLite.
    pub async fn announce_node(
        &self,
        node: &str,
        host: &str,
        installed: &str,
    ) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Sqlite(_) => Ok(()),
            Backend::Postgres(db) => db.announce_node(node, host, installed).await,
        }
    }

    /// The nodes that announced themselves at or after `since_ms`; none for SQLite.
    pub async fn nodes_seen_since(&self, since_ms: i64) -> Result<Vec<NodeRecord>, StoreError> {
        match &self.backend {
            Backend::Sqlite(_) => Ok(Vec::new()),
            Backend::Postgres(db) => db.nodes_seen_since(since_ms).await,
        }
    }

    /// Which backend the store runs on: `"sqlite"` or `"postgres"`.
    pub fn backend(&self) -> &'static str {
        match &self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// Runs everything queued so far, then stops the writer. Writes through other
    /// clones fail with [`StoreError::Closed`] afterwards; reads keep working until the
    /// last clone is dropped.
    pub async fn close(self) -> Result<(), StoreError> {
        match self.backend {
            Backend::Sqlite(db) => db.close().await,
            Backend::Postgres(db) => db.close().await,
        }
    }

    /// Commits and commands so far; the ratio is the average batch size.
    pub fn stats(&self) -> WriterStats {
        match &self.backend {
            Backend::Sqlite(db) => db.stats(),
            Backend::Postgres(db) => db.stats(),
        }
    }

    // Who may talk to the agent.

    /// Whether the operator approved `sender_id` on `instance`.
    pub async fn is_granted(&self, instance: &str, sender_id: &str) -> Result<bool, StoreError> {
        dispatch!(self.is_granted(instance, sender_id))
    }

    /// Creates a pairing code for `sender_id` unless one is pending (or was denied)
    /// and has not expired, or `max_pending` codes are pending on the instance.
    /// Expired rows are removed first. One transaction, so two deliveries racing
    /// for the same sender get one code.
    pub async fn request_pairing(
        &self,
        instance: &str,
        sender_id: &str,
        sender_name: Option<&str>,
        code: &str,
        ttl_ms: i64,
        max_pending: u32,
    ) -> Result<PairingRequest, StoreError> {
        dispatch!(self.request_pairing(instance, sender_id, sender_name, code, ttl_ms, max_pending))
    }

    /// Pending, unexpired pairing codes, of one instance or all, oldest first.
    pub async fn pairings(&self, instance: Option<&str>) -> Result<Vec<Pairing>, StoreError> {
        dispatch!(self.pairings(instance))
    }

    /// Approves the pending, unexpired code `code` on `instance`: its sender is
    /// granted access. `None` when no such code is pending.
    pub async fn approve_pairing(
        &self,
        instance: &str,
        code: &str,
    ) -> Result<Option<Pairing>, StoreError> {
        dispatch!(self.approve_pairing(instance, code))
    }

    /// Denies the pending code `code` on `instance`: its sender gets no new code
    /// until this one would have expired. `None` when no such code is pending.
    pub async fn deny_pairing(
        &self,
        instance: &str,
        code: &str,
    ) -> Result<Option<Pairing>, StoreError> {
        dispatch!(self.deny_pairing(instance, code))
    }

    /// Withdraws the access of `sender_id` on `instance`; whether it had any.
    pub async fn revoke_access(&self, instance: &str, sender_id: &str) -> Result<bool, StoreError> {
        dispatch!(self.revoke_access(instance, sender_id))
    }

    /// How many messages of `instance` received since `since_ms` got an agent turn
    /// (or are waiting for one): what a daily cap counts.
    pub async fn turns_since(&self, instance: &str, since_ms: i64) -> Result<u64, StoreError> {
        dispatch!(self.turns_since(instance, since_ms))
    }

    // Attachments and their downloads.

    /// Makes the held downloads of `message_id` due now and returns them, to be
    /// handed to the download queue in memory.
    pub async fn release_downloads(&self, message_id: i64) -> Result<Vec<DueDownload>, StoreError> {
        dispatch!(self.release_downloads(message_id))
    }

    /// How many attachments of `message_id` are still pending.
    pub async fn pending_downloads(&self, message_id: i64) -> Result<usize, StoreError> {
        dispatch!(self.pending_downloads(message_id))
    }

    /// Downloads due at `now_ms`, oldest first.
    pub async fn due_downloads(
        &self,
        now_ms: i64,
        limit: usize,
    ) -> Result<Vec<DueDownload>, StoreError> {
        dispatch!(self.due_downloads(now_ms, limit))
    }

    /// Records how a download went. A stored blob is recorded in `blobs` in the same
    /// commit, so a prune never removes a file an attachment refers to.
    pub async fn finish_download(
        &self,
        message_id: i64,
        position: u32,
        outcome: DownloadOutcome,
    ) -> Result<(), StoreError> {
        dispatch!(self.finish_download(message_id, position, outcome))
    }

    /// Queues a failed download again (`switchboard replay` of its dead letter).
    pub async fn requeue_download(&self, message_id: i64, position: u32) -> Result<(), StoreError> {
        dispatch!(self.requeue_download(message_id, position))
    }

    /// The attachments of `message_id`, in order, with their state.
    pub async fn attachments(&self, message_id: i64) -> Result<Vec<StoredAttachment>, StoreError> {
        dispatch!(self.attachments(message_id))
    }

    /// Whether blob `sha256` is recorded (stored by a download or an upload).
    pub async fn blob_recorded(&self, sha256: String) -> Result<Option<u64>, StoreError> {
        dispatch!(self.blob_recorded(sha256))
    }

    /// Records a blob written by an upload (`POST /v1/messages`, `switchboard send`,
    /// an agent's attachment); re-recording one refreshes its age for the prune.
    pub async fn record_blob(&self, sha256: String, size: u64) -> Result<(), StoreError> {
        dispatch!(self.record_blob(sha256, size))
    }

    /// Total bytes of the blobs recorded, for the blob store's cap.
    pub async fn blob_bytes(&self) -> Result<u64, StoreError> {
        dispatch!(self.blob_bytes())
    }

    /// Forgets the blobs recorded before `older_than_ms` that no attachment and no
    /// reply refers to any more, and returns their names: the caller removes the
    /// files. Run after [`Store::prune`], whose deletes cascade to the references.
    pub async fn prune_blobs(&self, older_than_ms: i64) -> Result<Vec<String>, StoreError> {
        dispatch!(self.prune_blobs(older_than_ms))
    }

    // Receiving by polling or over a session.

    /// The cursor last committed for `instance` (by a poll or a session frame);
    /// `None` before the first one.
    pub async fn receive_cursor(&self, instance: &str) -> Result<Option<String>, StoreError> {
        dispatch!(self.receive_cursor(instance))
    }

    /// Stores what one poll or session frame of `instance` brought, in one transaction: the messages
    /// (deduplicated as [`Store::persist`] does), a dead letter for each update the
    /// channel could not map, and `cursor` unless it is `None`. Either all of it is
    /// durable when this returns, or none of it. `after` sees the message outcomes
    /// right after the commit, as with [`Store::persist_then`].
    pub async fn persist_received(
        &self,
        instance: &str,
        messages: Vec<InboundMessage>,
        unmapped: Vec<NewDeadLetter>,
        cursor: Option<String>,
        after: impl FnOnce(&[PersistOutcome]) + Send + 'static,
    ) -> Result<ReceivedStored, StoreError> {
        dispatch!(self.persist_received(instance, messages, unmapped, cursor, after))
    }

    // Dead letters.

    /// Records a dead letter and returns its id once it is durable.
    pub async fn dead_letter(&self, dl: NewDeadLetter) -> Result<i64, StoreError> {
        dispatch!(self.dead_letter(dl))
    }

    /// Dead letters, oldest first; replayed ones only if `include_replayed`.
    pub async fn dead_letters(
        &self,
        include_replayed: bool,
    ) -> Result<Vec<DeadLetter>, StoreError> {
        dispatch!(self.dead_letters(include_replayed))
    }

    /// Stamps a dead letter as replayed, so it no longer counts as open.
    pub async fn mark_replayed(&self, id: i64) -> Result<(), StoreError> {
        dispatch!(self.mark_replayed(id))
    }

    // Conversation history for the agent.

    /// The newest `limit` turns of one conversation that come before message
    /// `before_id`, oldest first. Pass `i64::MAX` for the whole conversation.
    ///
    /// A reply is placed right after the message it answers, even when later messages
    /// arrived before the agent answered, because that is the exchange the agent had. A
    /// reply to no message is placed after the last message received before it was
    /// written. Messages without text (media, reactions) and dead replies, which the
    /// user never saw, are left out.
    pub async fn history(
        &self,
        instance: &str,
        conversation_id: &str,
        before_id: i64,
        limit: usize,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        dispatch!(self.history(instance, conversation_id, before_id, limit))
    }

    // Per-instance key-value state.

    /// The value stored under `key` for `instance`.
    pub async fn state_get(
        &self,
        instance: &str,
        key: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        dispatch!(self.state_get(instance, key))
    }

    /// Stores `value` under `key` for `instance`, replacing any earlier value, unless
    /// the instance's state would then pass `quota`
    /// ([`StoreError::StateQuota`]; nothing is written).
    pub async fn state_set(
        &self,
        instance: &str,
        key: &str,
        value: Vec<u8>,
        quota: StateQuota,
    ) -> Result<(), StoreError> {
        dispatch!(self.state_set(instance, key, value, quota))
    }

    /// What each instance's state takes, by instance name; instances with no state
    /// are left out. Read from the running totals, never by scanning the state.
    pub async fn state_usage(&self) -> Result<Vec<(String, StateUsage)>, StoreError> {
        dispatch!(self.state_usage())
    }

    /// Removes every key of `instance` (say, one that was removed from the config);
    /// returns how many there were.
    pub async fn state_clear(&self, instance: &str) -> Result<usize, StoreError> {
        dispatch!(self.state_clear(instance))
    }

    /// Removes `key` for `instance`; removing a missing key is not an error.
    pub async fn state_delete(&self, instance: &str, key: &str) -> Result<(), StoreError> {
        dispatch!(self.state_delete(instance, key))
    }

    // Inbound messages.

    /// Stores what a channel emitted for one delivery, deduplicating on
    /// `(instance, external_id)`, and returns once the commit is durable.
    ///
    /// New rows get a pending hook, and a pending agent turn unless the message says
    /// why it gets none ([`InboundMessage::intrinsic_no_turn`]): then the reason is
    /// stored and the turn is not queued.
    ///
    /// A message marked `is_edit` whose external id is known replaces the stored text,
    /// kind and metadata, stamps `edited_at_ms` and is reported as
    /// [`PersistOutcome::Edited`] without queueing a new hook or turn, unless the
    /// stored version is as new or newer by the platform's edit time: then nothing
    /// changes and it is reported as a duplicate. An edit of an unknown id is stored
    /// as an edit-only record with no turn and no hook. Outcomes are in input order, and all
    /// messages of one call commit together.
    pub async fn persist(
        &self,
        instance: &str,
        messages: Vec<InboundMessage>,
    ) -> Result<Vec<PersistOutcome>, StoreError> {
        dispatch!(self.persist(instance, messages))
    }

    /// Like [`Store::persist`]; `after` sees the outcomes right after the commit made
    /// them durable. It must not block. On SQLite it runs on the writer thread in
    /// commit order, so whoever it hands new rows to receives them in id order. On
    /// PostgreSQL deliveries commit concurrently: a conversation's rows still commit in
    /// id order, but the hand-overs of two commits may cross, so a consumer that needs
    /// the order checks for an earlier pending row (`turn_standing`) first.
    pub async fn persist_then(
        &self,
        instance: &str,
        messages: Vec<InboundMessage>,
        after: impl FnOnce(&[PersistOutcome]) + Send + 'static,
    ) -> Result<Vec<PersistOutcome>, StoreError> {
        dispatch!(self.persist_then(instance, messages, after))
    }

    /// The newest `limit` messages, newest first, of one instance or of all.
    pub async fn messages(
        &self,
        instance: Option<&str>,
        limit: usize,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        dispatch!(self.messages(instance, limit))
    }

    /// One message with the state, attempts and last error of its hook and agent turn;
    /// retry policies use the attempt counts.
    pub async fn message_status(&self, message_id: i64) -> Result<MessageStatus, StoreError> {
        dispatch!(self.message_status(message_id))
    }

    /// Deletes messages received before `older_than_ms` whose work is over: hook and
    /// agent turn no longer pending, no reply waiting for delivery, and no unreplayed
    /// dead letter pointing at them. Their sent or dead replies go with them, and so
    /// do finished sends the agent wrote first (`queue_send`). Returns the number of
    /// messages removed.
    ///
    /// Deduplication of a pruned message's id ends here, so the cutoff must lie beyond
    /// the longest redelivery horizon of every platform.
    pub async fn prune(&self, older_than_ms: i64) -> Result<usize, StoreError> {
        dispatch!(self.prune(older_than_ms))
    }

    // The reply outbox.

    /// Pending replies due at `now_ms`, oldest first, each with the message it answers.
    ///
    /// A reply is left out while an earlier reply to its conversation waits for a
    /// retry, so replies reach a conversation in the order the agent wrote them.
    pub async fn due_replies(
        &self,
        now_ms: i64,
        limit: usize,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        dispatch!(self.due_replies(now_ms, limit))
    }

    /// Records that the platform accepted the reply.
    pub async fn reply_sent(
        &self,
        id: i64,
        receipt_external_id: Option<String>,
    ) -> Result<(), StoreError> {
        dispatch!(self.reply_sent(id, receipt_external_id))
    }

    /// Schedules another delivery attempt at `at_ms`.
    pub async fn reply_retry(&self, id: i64, at_ms: i64, error: String) -> Result<(), StoreError> {
        dispatch!(self.reply_retry(id, at_ms, error))
    }

    /// Gives up on the reply and writes a `reply` dead letter holding it as JSON, in one
    /// commit. [`Store::requeue_reply`] brings it back.
    pub async fn reply_dead(&self, id: i64, error: String) -> Result<(), StoreError> {
        dispatch!(self.reply_dead(id, error))
    }

    /// Puts a reply back in the queue, due now and with a fresh attempt budget; for
    /// replaying a `reply` dead letter (which the caller then marks replayed).
    pub async fn requeue_reply(&self, id: i64) -> Result<(), StoreError> {
        dispatch!(self.requeue_reply(id))
    }

    /// Queues a reply that is not the result of an agent turn (an operator's message,
    /// say), due now. Its idempotency key is `sb-<instance>-r<reply id>`.
    pub async fn insert_reply(
        &self,
        instance: &str,
        conversation_id: &str,
        message_id: Option<i64>,
        text: String,
    ) -> Result<i64, StoreError> {
        dispatch!(self.insert_reply(instance, conversation_id, message_id, text))
    }

    /// The newest `limit` replies, newest first, of one instance or of all.
    pub async fn replies(
        &self,
        instance: Option<&str>,
        limit: usize,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        dispatch!(self.replies(instance, limit))
    }

    // Putting finished work back in its queue.

    /// Makes the message's agent turn pending again, due now, with a fresh attempt
    /// budget.
    pub async fn requeue_turn(&self, message_id: i64) -> Result<(), StoreError> {
        dispatch!(self.requeue_turn(message_id))
    }

    /// Makes the message's `on-message-persisted` hook pending again, due now, with
    /// a fresh attempt budget.
    pub async fn requeue_hook(&self, message_id: i64) -> Result<(), StoreError> {
        dispatch!(self.requeue_hook(message_id))
    }

    /// Gives a message that got no turn for an access reason (a pairing pending, a
    /// limit) a pending turn after all; the policy judges it again when it comes up.
    /// `false` when the message got its turn or has no such reason (what no person
    /// wrote to the bot, a bot's message say, never gets one).
    pub async fn requeue_denied_turn(&self, message_id: i64) -> Result<bool, StoreError> {
        dispatch!(self.requeue_denied_turn(message_id))
    }

    // Agent-initiated sends.

    /// Where reply `id` stands (any reply: an answer or a send): still to deliver, its
    /// attempts, and whether an earlier reply of its conversation is still pending (a
    /// node that claimed the conversation must send that one first). `None` when there
    /// is no such reply.
    pub async fn reply_standing(&self, id: i64) -> Result<Option<Standing>, StoreError> {
        dispatch!(self.reply_standing(id))
    }

    /// Where the turn of message `message_id` stands: still to run, its attempts, and
    /// whether an earlier message of its conversation still waits for its turn (a node
    /// that claimed the conversation must run that one first).
    pub async fn turn_standing(&self, message_id: i64) -> Result<Standing, StoreError> {
        dispatch!(self.turn_standing(message_id))
    }

    /// Queues a send in the outbox, due now, with its attachments, in one commit. Its
    /// idempotency key towards the channel is `sb-<instance>-send-<id>`.
    ///
    /// Fails with [`StoreError::UnknownMessage`] when `reply_to` names no stored
    /// message of the conversation.
    pub async fn queue_send(&self, send: NewSend) -> Result<SendQueued, StoreError> {
        dispatch!(self.queue_send(send))
    }

    /// A send queued by [`Store::queue_send`], as it stands; `None` for an id that is
    /// no send (a reply to a message is not one).
    pub async fn send_status(&self, id: i64) -> Result<Option<OutboxItem>, StoreError> {
        dispatch!(self.send_status(id))
    }

    // The hook and agent-turn queues.

    /// Messages whose hook is pending and due at `now_ms`, oldest first, each with the
    /// hook attempts made so far.
    pub async fn due_hooks(
        &self,
        now_ms: i64,
        limit: usize,
    ) -> Result<Vec<DueMessage>, StoreError> {
        dispatch!(self.due_hooks(now_ms, limit))
    }

    /// Records how a message's hook went. [`HookOutcome::Failed`] also writes a `hook`
    /// dead letter holding the message.
    pub async fn finish_hook(
        &self,
        message_id: i64,
        outcome: HookOutcome,
    ) -> Result<(), StoreError> {
        dispatch!(self.finish_hook(message_id, outcome))
    }

    /// Messages whose agent turn is pending and due at `now_ms`, oldest first.
    ///
    /// A message is left out while an earlier message of its conversation waits for a
    /// retry, so a conversation's turns are never reordered by a failure. The messages
    /// returned for one conversation are therefore consecutive, and the caller should
    /// handle them in the order given.
    pub async fn pending_turns(
        &self,
        now_ms: i64,
        limit: usize,
    ) -> Result<Vec<DueMessage>, StoreError> {
        dispatch!(self.pending_turns(now_ms, limit))
    }

    /// Marks the message's agent turn done and queues its replies in the outbox, in one
    /// commit, and returns the replies in order, as the reply queue will see them.
    ///
    /// Reply `n` gets the idempotency key `sb-<instance>-<message id>-<n>`, so calling
    /// this again for the same message (after a crash between the agent answering and
    /// the call returning, say) queues nothing twice and returns the same rows. A
    /// reply's attachments are written with it, in the same commit.
    pub async fn complete_turn(
        &self,
        message_id: i64,
        replies: Vec<NewReply>,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        dispatch!(self.complete_turn(message_id, replies))
    }

    /// Ends the message's agent turn without asking the agent: `reason` is stored
    /// (`switchboard messages` shows it), and `notice`, if any, is queued as a reply
    /// to the sender in the same commit (a pairing code, a rate-limit notice).
    pub async fn skip_turn(
        &self,
        message_id: i64,
        reason: NoTurn,
        notice: Option<String>,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        dispatch!(self.skip_turn(message_id, reason, notice))
    }

    /// Schedules another attempt of the message's agent turn at `at_ms`.
    pub async fn retry_turn(
        &self,
        message_id: i64,
        at_ms: i64,
        error: String,
    ) -> Result<(), StoreError> {
        dispatch!(self.retry_turn(message_id, at_ms, error))
    }

    /// Gives up on the message's agent turn and writes an `agent` dead letter holding
    /// the message, in one commit.
    pub async fn fail_turn(&self, message_id: i64, error: String) -> Result<(), StoreError> {
        dispatch!(self.fail_turn(message_id, error))
    }

    /// Proves the writer is alive and can take the write lock: runs an empty command
    /// through a full batch (`BEGIN IMMEDIATE … COMMIT`). For readiness probes.
    pub async fn ping_write(&self) -> Result<(), StoreError> {
        dispatch!(self.ping_write())
    }

    /// Copies the write-ahead log into the database file and truncates the log, waiting
    /// for readers if need be. SQLite checkpoints on its own as the log grows; this is
    /// for quiet periods and before copying the file for a backup.
    pub async fn checkpoint(&self) -> Result<(), StoreError> {
        dispatch!(self.checkpoint())
    }

    /// Caps the database file at about `max_bytes` (`PRAGMA max_page_count` on the writer
    /// connection), or lifts the cap with `None`; returns the cap now in force, in bytes.
    ///
    /// Once the cap is reached, a write that needs a new page fails with a transient
    /// [`StoreError::Sqlite`] (`SQLITE_FULL`), exactly as on a full disk, so callers
    /// refuse new work instead of acknowledging it. The cap lives on the connection, not
    /// in the file: it never goes below the file's current size, and reopening with a
    /// larger one (or none) recovers.
    pub async fn set_size_limit(&self, max_bytes: Option<u64>) -> Result<u64, StoreError> {
        dispatch!(self.set_size_limit(max_bytes))
    }

    /// Row counts for metrics and readiness.
    pub async fn counts(&self) -> Result<Counts, StoreError> {
        dispatch!(self.counts())
    }

    /// The queues' depths, for `/metrics`. Each count is answered from a partial index
    /// that holds only the waiting rows (`messages_hook_queue`, `messages_agent_queue`,
    /// `replies_queue`, `dead_letters_open`), never by scanning the history.
    pub async fn queue_depths(&self) -> Result<QueueDepths, StoreError> {
        dispatch!(self.queue_depths())
    }
}

/// Fault injection for tests of the store's callers.
#[cfg(any(test, feature = "test-support"))]
impl Store {
    /// Makes the writer's connection refuse every change (`PRAGMA query_only`), as if
    /// the file had become read-only, or lifts that again. Writes then fail with a
    /// transient [`StoreError::Sqlite`].
    pub async fn simulate_read_only(&self, on: bool) -> Result<(), StoreError> {
        dispatch!(self.simulate_read_only(on))
    }

    /// Caps the file at its current size (`PRAGMA max_page_count`), as if the disk were
    /// full, or lifts the cap. Writes that need a new page then fail with a transient
    /// [`StoreError::Sqlite`] (`SQLITE_FULL`); small writes that fit in free space
    /// still succeed, as on a real full disk.
    pub async fn simulate_disk_full(&self, on: bool) -> Result<(), StoreError> {
        dispatch!(self.simulate_disk_full(on))
    }
}
