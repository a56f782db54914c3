//! Plain Rust copies of the WIT message records, so the channel logic can be
//! exercised natively without the component model.

/// What kind of content an inbound message carries (mirrors the WIT `message-kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Plain text.
    Text,
    /// A photo.
    Image,
    /// A voice note or an audio file.
    Audio,
    /// A video, a round video note or an animation.
    Video,
    /// A file.
    Document,
    /// A sticker.
    Sticker,
    /// A location or a venue.
    Location,
    /// A shared contact.
    Contact,
    /// Not produced by Telegram (reactions are separate updates); part of the mirror.
    Reaction,
    /// Not produced by Telegram (callback queries are not messages); part of the mirror.
    Interactive,
    /// Not produced by Telegram; part of the mirror.
    Button,
    /// A service message (members joined, title changed, ...).
    System,
    /// Anything else (polls, dice, games, ...); details are in the metadata.
    Other,
}

/// One inbound message in the host's neutral shape (mirrors the WIT `inbound-message`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Inbound {
    /// `<chat id>:<message id>`; an edit keeps the id of the original.
    pub(crate) external_id: String,
    /// `<chat id>`.
    pub(crate) conversation_id: String,
    /// The sending user, or the chat a message was sent on behalf of.
    pub(crate) sender_id: String,
    /// The sender's display name.
    pub(crate) sender_name: Option<String>,
    /// The text, or a media caption.
    pub(crate) text: Option<String>,
    /// Unix seconds: the send time, or the edit time for edits.
    pub(crate) timestamp: u64,
    /// `<chat id>:<message id>` of the message this one replies to.
    pub(crate) reply_to: Option<String>,
    /// The kind of content.
    pub(crate) kind: Kind,
    /// True for `edited_message` and `edited_channel_post`.
    pub(crate) is_edit: bool,
    /// Platform details: a JSON object.
    pub(crate) metadata: String,
}

/// A reply to send; mirrors the WIT `outbound-message`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Reply {
    /// `<chat id>` of the conversation.
    pub(crate) conversation_id: String,
    /// The reply text.
    pub(crate) text: String,
    /// The message being answered, as it was emitted.
    pub(crate) in_reply_to: Option<Inbound>,
    /// Stable across retries of this reply.
    pub(crate) idempotency_key: String,
}
