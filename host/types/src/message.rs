use serde::{Deserialize, Serialize};

/// What kind of content an inbound message carries (mirrors the WIT `message-kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    Text,
    Image,
    Audio,
    Video,
    Document,
    Sticker,
    Location,
    Contact,
    Reaction,
    Interactive,
    Button,
    System,
    Other,
}

impl MessageKind {
    /// Every kind, in declaration order.
    pub const ALL: [MessageKind; 13] = [
        MessageKind::Text,
        MessageKind::Image,
        MessageKind::Audio,
        MessageKind::Video,
        MessageKind::Document,
        MessageKind::Sticker,
        MessageKind::Location,
        MessageKind::Contact,
        MessageKind::Reaction,
        MessageKind::Interactive,
        MessageKind::Button,
        MessageKind::System,
        MessageKind::Other,
    ];

    /// The stable lower-case name used in storage and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Text => "text",
            MessageKind::Image => "image",
            MessageKind::Audio => "audio",
            MessageKind::Video => "video",
            MessageKind::Document => "document",
            MessageKind::Sticker => "sticker",
            MessageKind::Location => "location",
            MessageKind::Contact => "contact",
            MessageKind::Reaction => "reaction",
            MessageKind::Interactive => "interactive",
            MessageKind::Button => "button",
            MessageKind::System => "system",
            MessageKind::Other => "other",
        }
    }

    /// Parses a name produced by [`MessageKind::as_str`].
    pub fn parse(name: &str) -> Option<MessageKind> {
        MessageKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// A message a channel emitted, before it is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundMessage {
    /// The platform's id; the deduplication key within one channel instance.
    pub external_id: String,
    pub conversation_id: String,
    pub sender_id: String,
    pub sender_name: Option<String>,
    pub text: Option<String>,
    /// Platform send time in Unix seconds (0 if unknown).
    pub timestamp: u64,
    pub reply_to: Option<String>,
    pub kind: MessageKind,
    /// A new version of a message stored earlier under the same external id.
    pub is_edit: bool,
    /// Platform details: a JSON object, kept verbatim.
    pub metadata: String,
}

/// A message as stored, with the host's bookkeeping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredMessage {
    /// Row id; increases with arrival order.
    pub id: i64,
    /// The channel instance (the `[channels.<instance>]` name of the config).
    pub instance: String,
    /// When the host stored it, in Unix milliseconds.
    pub received_at_ms: i64,
    /// When an edit last changed it, in Unix milliseconds.
    pub edited_at_ms: Option<i64>,
    #[serde(flatten)]
    pub message: InboundMessage,
}
