//! Plain Rust copies of the WIT message records, so the channel logic can be
//! exercised natively without the component model.

/// What kind of content an inbound message carries (mirrors the WIT `message-kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Plain text.
    Text,
    /// A message whose first file is an image.
    Image,
    /// A message whose first file is audio.
    Audio,
    /// A message whose first file is a video.
    Video,
    /// A message whose first file is anything else.
    Document,
    /// Not produced by Slack; part of the mirror.
    Sticker,
    /// Not produced by Slack; part of the mirror.
    Location,
    /// Not produced by Slack; part of the mirror.
    Contact,
    /// Not produced by Slack (reactions are not messages); part of the mirror.
    Reaction,
    /// A `block_actions` interaction (a button press, a menu choice).
    Interactive,
    /// Not produced by Slack; part of the mirror.
    Button,
    /// Not produced by Slack; part of the mirror.
    System,
    /// Not produced by Slack; part of the mirror.
    Other,
}

/// One inbound message in the host's neutral shape (mirrors the WIT `inbound-message`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Inbound {
    /// `<channel>:<ts>` for messages and their edits; `<channel>:<action or
    /// trigger id>` for interactions and slash commands.
    pub(crate) external_id: String,
    /// `<channel>`, or `<channel>:<thread_ts>` inside a thread.
    pub(crate) conversation_id: String,
    /// The Slack user id.
    pub(crate) sender_id: String,
    /// The sender's display name.
    pub(crate) sender_name: Option<String>,
    /// The text, the chosen action value, or the slash command line.
    pub(crate) text: Option<String>,
    /// Unix seconds: the whole seconds of `ts`, or the edit time for edits.
    pub(crate) timestamp: u64,
    /// `<channel>:<thread_ts>` of the thread a reply belongs to.
    pub(crate) reply_to: Option<String>,
    /// The kind of content.
    pub(crate) kind: Kind,
    /// True for `message_changed`.
    pub(crate) is_edit: bool,
    /// Platform details: a JSON object.
    pub(crate) metadata: String,
}

/// A reply to send; mirrors the WIT `outbound-message`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Reply {
    /// `<channel>` or `<channel>:<thread_ts>`.
    pub(crate) conversation_id: String,
    /// The reply text.
    pub(crate) text: String,
    /// The message being answered, as it was emitted.
    pub(crate) in_reply_to: Option<Inbound>,
    /// Stable across retries of this reply.
    pub(crate) idempotency_key: String,
}
