//! Plain Rust copies of the WIT message records, so the channel logic can be
//! exercised natively without the component model.

/// What an inbound message carries; mirrors the WIT `message-kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
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

impl Kind {
    /// Maps a WhatsApp `messages[].type`; types this contract does not model
    /// (`order`, `unsupported`, `request_welcome`, future ones) become `Other`.
    pub(crate) fn from_whatsapp_type(message_type: &str) -> Self {
        match message_type {
            "text" => Kind::Text,
            "image" => Kind::Image,
            "audio" => Kind::Audio,
            "video" => Kind::Video,
            "document" => Kind::Document,
            "sticker" => Kind::Sticker,
            "location" => Kind::Location,
            "contacts" => Kind::Contact,
            "reaction" => Kind::Reaction,
            "interactive" => Kind::Interactive,
            "button" => Kind::Button,
            "system" => Kind::System,
            _ => Kind::Other,
        }
    }
}

/// An inbound message; mirrors the WIT `inbound-message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inbound {
    /// The `wamid`.
    pub external_id: String,
    /// `<phone_number_id>:<sender>`.
    pub conversation_id: String,
    /// The sender's `wa_id`, or business-scoped user id when the phone is withheld.
    pub sender_id: String,
    pub sender_name: Option<String>,
    pub text: Option<String>,
    pub timestamp: u64,
    pub reply_to: Option<String>,
    pub kind: Kind,
    pub is_edit: bool,
    /// A JSON object.
    pub metadata: String,
}

/// A reply to send; mirrors the WIT `outbound-message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub conversation_id: String,
    pub text: String,
    pub in_reply_to: Option<Inbound>,
    pub idempotency_key: String,
}
