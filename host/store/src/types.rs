use serde::{Serialize, Serializer};
use switchboard_types::{OutboundAttachment, OutboundMessage, StoredMessage};

/// Tuning of the group-commit writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreOptions {
    /// The most commands committed in one transaction (one fsync).
    pub batch_max: usize,
    /// How many commands may wait for the writer before calls fail with
    /// [`StoreError::Overloaded`](crate::StoreError::Overloaded).
    pub queue_capacity: usize,
    /// How long the bookkeeping of background work (hooks, agent turns, replies,
    /// pruning) may wait for other writes to share its commit. Writes a caller is
    /// waiting on (a webhook's messages, guest state) never wait.
    pub background_linger: std::time::Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            batch_max: 256,
            queue_capacity: 4096,
            background_linger: std::time::Duration::from_millis(5),
        }
    }
}

/// What [`Store::persist`](crate::Store::persist) did with one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum PersistOutcome {
    /// A new row; its hook and agent turn are pending.
    Stored(StoredMessage),
    /// The `(instance, external_id)` pair was already stored; nothing changed.
    Duplicate {
        /// The existing row.
        id: i64,
    },
    /// An edit of a stored message: text, kind and metadata were replaced. No new hook
    /// or agent turn is queued.
    Edited(StoredMessage),
}

/// A message whose hook or agent turn is due, with the attempts made so far, so a
/// worker decides retries from the stored count and never from a guess.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueMessage {
    pub message: StoredMessage,
    /// Attempts already made of this piece of work (0 for a fresh message).
    pub attempts: u32,
}

/// How the on-message-persisted hook went, for [`Store::finish_hook`](crate::Store::finish_hook).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookOutcome {
    /// The hook ran.
    Done,
    /// The channel has no such hook; nothing to run.
    Skipped,
    /// It failed and should run again at `at_ms`.
    Retry {
        /// When to try again (Unix milliseconds).
        at_ms: i64,
        /// Why this attempt failed.
        error: String,
    },
    /// It failed for good; a `hook` dead letter is written.
    Failed {
        /// Why.
        error: String,
    },
}

/// Where a unit of work stands: a message's hook or agent turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkState {
    /// Waiting to run, maybe after a retry delay.
    Pending,
    /// Finished successfully.
    Done,
    /// Given up; a dead letter records why.
    Failed,
    /// Nothing to do (hooks only: the channel does not export the hook).
    Skipped,
}

impl WorkState {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkState::Pending => "pending",
            WorkState::Done => "done",
            WorkState::Failed => "failed",
            WorkState::Skipped => "skipped",
        }
    }

    /// Parses a name produced by [`WorkState::as_str`].
    pub fn parse(name: &str) -> Option<WorkState> {
        [
            WorkState::Pending,
            WorkState::Done,
            WorkState::Failed,
            WorkState::Skipped,
        ]
        .into_iter()
        .find(|s| s.as_str() == name)
    }
}

/// Where a queued turn or reply stands, read in one query by a node that has just
/// claimed its conversation: is it still to run, and must an earlier one run first?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    /// It still waits to run (its state is `pending`).
    pub pending: bool,
    /// Attempts made so far.
    pub attempts: u32,
    /// An earlier one of the same conversation still waits to run.
    pub earlier_pending: bool,
}

/// A stored message with the bookkeeping of its hook and agent turn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MessageStatus {
    /// The message.
    pub message: StoredMessage,
    /// The on-message-persisted hook.
    pub hook_state: WorkState,
    /// Hook attempts so far.
    pub hook_attempts: u32,
    /// When the hook is due (Unix milliseconds).
    pub hook_next_at_ms: i64,
    /// The last hook error.
    pub hook_error: Option<String>,
    /// The agent turn.
    pub agent_state: WorkState,
    /// Agent attempts so far.
    pub agent_attempts: u32,
    /// When the agent turn is due (Unix milliseconds).
    pub agent_next_at_ms: i64,
    /// The last agent error.
    pub agent_error: Option<String>,
}

/// Where a reply stands in the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyStatus {
    /// Not delivered yet.
    Pending,
    /// The platform accepted it.
    Sent,
    /// Given up; a `reply` dead letter records why.
    Dead,
}

impl ReplyStatus {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            ReplyStatus::Pending => "pending",
            ReplyStatus::Sent => "sent",
            ReplyStatus::Dead => "dead",
        }
    }

    /// Parses a name produced by [`ReplyStatus::as_str`].
    pub fn parse(name: &str) -> Option<ReplyStatus> {
        [ReplyStatus::Pending, ReplyStatus::Sent, ReplyStatus::Dead]
            .into_iter()
            .find(|s| s.as_str() == name)
    }
}

/// One reply in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxItem {
    /// Row id; increases with creation order.
    pub id: i64,
    /// The channel instance that delivers it.
    pub instance: String,
    /// Where it goes.
    pub conversation_id: String,
    /// What it says.
    pub text: String,
    /// Stable across retries, so the platform (or the channel) can drop duplicates.
    pub idempotency_key: String,
    /// Pending, sent or dead.
    pub status: ReplyStatus,
    /// Delivery attempts so far.
    pub attempts: u32,
    /// When the next attempt is due (Unix milliseconds).
    pub next_attempt_at_ms: i64,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// The platform's id of the sent message.
    pub receipt_external_id: Option<String>,
    /// The message this reply answers, if any: none for a message the agent sends
    /// first, unless it quotes one.
    pub in_reply_to: Option<StoredMessage>,
    /// The thread or topic it goes into: the one it was queued with, else the thread
    /// of the message it answers.
    pub thread_id: Option<String>,
    /// Files sent with it, in order (blobs in the blob store).
    pub attachments: Vec<OutboundAttachment>,
    /// When the agent produced it (Unix milliseconds).
    pub created_at_ms: i64,
    /// When the platform accepted it (Unix milliseconds).
    pub sent_at_ms: Option<i64>,
}

impl OutboxItem {
    /// The value handed to the channel's `on-respond`.
    pub fn to_outbound(&self) -> OutboundMessage {
        OutboundMessage {
            conversation_id: self.conversation_id.clone(),
            thread_id: self.thread_id.clone(),
            text: self.text.clone(),
            attachments: self.attachments.clone(),
            in_reply_to: self.in_reply_to.as_ref().map(|m| m.message.clone()),
            idempotency_key: self.idempotency_key.clone(),
        }
    }
}

/// A reply the agent wrote, for [`Store::complete_turn`](crate::Store::complete_turn).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewReply {
    /// What it says; may be empty when it carries attachments.
    pub text: String,
    /// Files to send with it, already in the blob store.
    pub attachments: Vec<OutboundAttachment>,
}

impl NewReply {
    /// A reply of text only.
    pub fn text(text: impl Into<String>) -> NewReply {
        NewReply {
            text: text.into(),
            attachments: Vec::new(),
        }
    }
}

impl From<&str> for NewReply {
    fn from(text: &str) -> NewReply {
        NewReply::text(text)
    }
}

impl From<String> for NewReply {
    fn from(text: String) -> NewReply {
        NewReply::text(text)
    }
}

/// What failed, for a dead letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadLetterKind {
    /// A verified webhook delivery the channel could not process; the payload is the
    /// raw request as JSON.
    Delivery,
    /// A reply that could not be delivered; the payload is the reply as JSON.
    Reply,
    /// An on-message-persisted hook that failed for good; the payload is the message.
    Hook,
    /// An agent turn that failed for good; the payload is the message.
    Agent,
    /// An attachment whose download failed for good; the payload is the attachment.
    Attachment,
}

impl DeadLetterKind {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            DeadLetterKind::Delivery => "delivery",
            DeadLetterKind::Reply => "reply",
            DeadLetterKind::Hook => "hook",
            DeadLetterKind::Agent => "agent",
            DeadLetterKind::Attachment => "attachment",
        }
    }

    /// Parses a name produced by [`DeadLetterKind::as_str`].
    pub fn parse(name: &str) -> Option<DeadLetterKind> {
        [
            DeadLetterKind::Delivery,
            DeadLetterKind::Reply,
            DeadLetterKind::Hook,
            DeadLetterKind::Agent,
            DeadLetterKind::Attachment,
        ]
        .into_iter()
        .find(|k| k.as_str() == name)
    }
}

/// A dead letter to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDeadLetter {
    /// What failed.
    pub kind: DeadLetterKind,
    /// The channel instance concerned.
    pub instance: String,
    /// Why it failed.
    pub error: String,
    /// Enough to replay it (see [`DeadLetterKind`]).
    pub payload: Vec<u8>,
}

/// A recorded dead letter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeadLetter {
    /// Row id.
    pub id: i64,
    /// What failed.
    pub kind: DeadLetterKind,
    /// The channel instance concerned.
    pub instance: String,
    /// The message concerned, for `hook` and `agent` letters and replies to a message.
    pub message_id: Option<i64>,
    /// The reply concerned, for `reply` letters; replay it with
    /// [`Store::requeue_reply`](crate::Store::requeue_reply).
    pub reply_id: Option<i64>,
    /// When it was recorded (Unix milliseconds).
    pub created_at_ms: i64,
    /// Why it failed.
    pub error: String,
    /// Enough to replay it. Printed as JSON when it is JSON, else as a string or bytes.
    #[serde(serialize_with = "serialize_payload")]
    pub payload: Vec<u8>,
    /// When it was replayed (Unix milliseconds).
    pub replayed_at_ms: Option<i64>,
}

/// Keeps payloads readable in the CLI's JSON output instead of arrays of numbers.
fn serialize_payload<S: Serializer>(payload: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(payload) {
        value.serialize(serializer)
    } else if let Ok(text) = std::str::from_utf8(payload) {
        serializer.serialize_str(text)
    } else {
        serializer.collect_seq(payload)
    }
}

/// Row counts for metrics and readiness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Counts {
    /// Stored messages.
    pub messages: u64,
    /// Messages whose hook is pending.
    pub pending_hooks: u64,
    /// Messages whose agent turn is pending.
    pub pending_turns: u64,
    /// Replies waiting for delivery.
    pub replies_pending: u64,
    /// Replies the platform accepted.
    pub replies_sent: u64,
    /// Replies given up on.
    pub replies_dead: u64,
    /// Dead letters not yet replayed.
    pub dead_letters: u64,
}

/// The most state one instance may keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StateQuota {
    /// Keys at most.
    pub max_keys: u64,
    /// Bytes of keys and values together at most.
    pub max_bytes: u64,
}

impl Default for StateQuota {
    fn default() -> Self {
        StateQuota {
            max_keys: 10_000,
            max_bytes: 16 << 20,
        }
    }
}

/// What one instance's state takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct StateUsage {
    /// Keys stored.
    pub keys: u64,
    /// Bytes of keys and values together.
    pub bytes: u64,
}

/// The depth of each queue: what is waiting, not what is done, so that reading it
/// costs in proportion to the backlog and not to the history kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct QueueDepths {
    /// Messages whose hook is pending.
    pub pending_hooks: u64,
    /// Messages whose agent turn is pending.
    pub pending_turns: u64,
    /// Replies waiting for delivery.
    pub replies_pending: u64,
    /// Dead letters not yet replayed.
    pub dead_letters: u64,
}

/// What the writer thread has done since the store was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct WriterStats {
    /// Transactions committed: each one is one fsync of the WAL.
    pub commits: u64,
    /// Commands run (each in its own savepoint), committed or not.
    pub commands: u64,
}

/// A lane of work that one node at a time may run: a conversation of a queue, a single
/// item, or an instance's receiver. See [`Store::claim_lane`](crate::Store::claim_lane).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LaneLease<'a> {
    /// The kind of work (`hooks`, `turns`, `replies`, `downloads`, `receiver`).
    pub queue: &'a str,
    /// The channel instance.
    pub instance: &'a str,
    /// The conversation or item within them.
    pub lane: &'a str,
}

/// A node that serves (or served) a shared database, as it last announced itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeRecord {
    /// The node's name: host, process id and start time.
    pub node: String,
    pub host: String,
    /// Unix milliseconds.
    pub started_at_ms: i64,
    /// Unix milliseconds of its last announcement.
    pub seen_at_ms: i64,
    /// What it runs, one component per line (`name version sha256`), sorted.
    pub installed: String,
}

/// A pairing code waiting for the operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pairing {
    pub instance: String,
    pub sender_id: String,
    pub sender_name: Option<String>,
    pub code: String,
    /// Unix milliseconds.
    pub expires_at_ms: i64,
}

/// What asking for a pairing code for a sender came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PairingRequest {
    /// A new code: hand it to the sender.
    Created(Pairing),
    /// The sender already has a code (or was denied) that has not expired.
    Pending,
    /// The instance has as many pending codes as it allows; nothing was created.
    Full,
}

/// An attachment whose download is due, with what it takes to fetch it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueDownload {
    /// The channel instance of its message.
    pub instance: String,
    pub message_id: i64,
    pub position: u32,
    pub attachment: switchboard_types::Attachment,
    /// Attempts made so far.
    pub attempts: u32,
}

/// How a download went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DownloadOutcome {
    /// The content is in the blob store.
    Stored { sha256: String, size: u64 },
    /// Over the instance's cap after `seen` bytes: nothing kept.
    TooLarge { seen: u64, error: String },
    /// Try again at `at_ms`.
    Retry { at_ms: i64, error: String },
    /// Given up; with `dead_letter` the attachment is kept as an `attachment` dead
    /// letter for `switchboard replay`.
    Failed { error: String, dead_letter: bool },
}

/// What one poll or session frame stored.
#[derive(Debug)]
pub struct ReceivedStored {
    /// One outcome per message, in input order.
    pub outcomes: Vec<PersistOutcome>,
    /// The ids of the dead letters kept for unmapped updates, in input order.
    pub dead_letters: Vec<i64>,
}

/// How long an `api_key` (a client's `Idempotency-Key`) answers for its first send.
/// Past it the key is free again, as clients expect of such keys.
pub const API_KEY_TTL_MS: i64 = 24 * 3600 * 1000;

/// A message to send without a message to answer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewSend {
    /// The channel instance that delivers it.
    pub instance: String,
    /// Where it goes, as the channel names conversations.
    pub conversation_id: String,
    /// The thread or topic to send into.
    pub thread_id: Option<String>,
    /// What it says; may be empty when it carries attachments.
    pub text: String,
    /// Files to send with it, already in the blob store (and recorded in `blobs`).
    pub attachments: Vec<OutboundAttachment>,
    /// The external id of a stored message of the same conversation to quote; it
    /// becomes the reply's `in_reply_to`.
    pub reply_to: Option<String>,
    /// The client's idempotency key: the same key (per instance) within
    /// [`API_KEY_TTL_MS`] queues nothing and returns the first send.
    pub api_key: Option<String>,
}

/// What [`Store::queue_send`](crate::Store::queue_send) did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendQueued {
    /// The send as the reply queue will see it (or as it stands, when `existing`).
    pub item: OutboxItem,
    /// The `api_key` was seen within a day: this is the first send under it, and
    /// nothing new was queued.
    pub existing: bool,
}
