//! Plain Rust copies of the WIT message records, so channel logic runs natively
//! (in unit tests, or in a host that skips the sandbox) without the component model.

/// What kind of content an inbound message carries; mirrors the WIT `message-kind`.
///
/// Kinds a platform sends that this contract does not model are sent as
/// [`Kind::Other`] with the details in the metadata; nothing is dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Plain text.
    Text,
    /// A photo or image.
    Image,
    /// A voice note or an audio file.
    Audio,
    /// A video.
    Video,
    /// A file.
    Document,
    /// A sticker.
    Sticker,
    /// A location or a venue.
    Location,
    /// A shared contact.
    Contact,
    /// A reaction to another message.
    Reaction,
    /// A response to interactive content: a list choice, a button of an
    /// interactive message, a block action.
    Interactive,
    /// A press of a template message's quick-reply button.
    Button,
    /// A service message (members joined, a number changed, ...).
    System,
    /// Anything else; the details are in the metadata.
    Other,
}

impl Kind {
    /// Every kind, in the order of the WIT `message-kind`.
    pub const ALL: [Kind; 13] = [
        Kind::Text,
        Kind::Image,
        Kind::Audio,
        Kind::Video,
        Kind::Document,
        Kind::Sticker,
        Kind::Location,
        Kind::Contact,
        Kind::Reaction,
        Kind::Interactive,
        Kind::Button,
        Kind::System,
        Kind::Other,
    ];
}

/// Maps a kind between two enums that both mirror the WIT `message-kind` variant
/// for variant: [`Kind`], the `MessageKind` that `wit_bindgen::generate!` produces,
/// or a host's own copy.
///
/// Every copy of the contract's kinds converts through this one list, so a kind
/// added to the contract fails to compile wherever a mapping misses it.
///
/// ```
/// use switchboard_channel_sdk::{Kind, convert_kind};
///
/// #[derive(Debug, PartialEq)]
/// enum MessageKind {
///     Text, Image, Audio, Video, Document, Sticker, Location, Contact, Reaction,
///     Interactive, Button, System, Other,
/// }
///
/// let kind = convert_kind!(Kind::Sticker, Kind => MessageKind);
/// assert_eq!(kind, MessageKind::Sticker);
/// assert_eq!(convert_kind!(kind, MessageKind => Kind), Kind::Sticker);
/// ```
#[macro_export]
macro_rules! convert_kind {
    ($kind:expr, $from:ty => $to:ty) => {
        $crate::convert_kind!(
            @variants $kind, $from, $to,
            Text Image Audio Video Document Sticker Location Contact Reaction Interactive
            Button System Other
        )
    };
    (@variants $kind:expr, $from:ty, $to:ty, $($variant:ident)+) => {
        match $kind {
            $(<$from>::$variant => <$to>::$variant,)+
        }
    };
}

/// Where a message was written; mirrors the WIT `chat-type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ChatType {
    /// The channel cannot tell; access policies treat it as a direct message.
    #[default]
    Unknown,
    /// A one-to-one chat with the bot.
    Direct,
    /// A chat with several people.
    Group,
    /// A one-to-many feed (a Telegram channel post).
    Broadcast,
}

/// Who wrote a message; mirrors the WIT `sender-kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SenderKind {
    /// A person.
    #[default]
    User,
    /// Another bot or integration.
    Bot,
    /// This channel's own account (the bot, the business number, the app).
    ThisBot,
}

/// What a message carries as a file; mirrors the WIT `attachment-kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttachmentKind {
    Image,
    Audio,
    /// A recorded voice note.
    Voice,
    Video,
    Document,
    Sticker,
    Other,
}

/// A file attached to an inbound message; mirrors the WIT `attachment`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub kind: AttachmentKind,
    /// The MIME type, when the platform says.
    pub mime_type: Option<String>,
    /// The size in bytes, when the platform says.
    pub size: Option<u64>,
    /// The file name, when the platform sends one.
    pub file_name: Option<String>,
    /// A caption given to this attachment alone.
    pub caption: Option<String>,
    /// The platform's handle for the content (media id, `file_id`, `url_private`).
    pub reference: String,
}

impl Attachment {
    /// An attachment known only by kind and reference.
    pub fn new(kind: AttachmentKind, reference: impl Into<String>) -> Self {
        Self {
            kind,
            mime_type: None,
            size: None,
            file_name: None,
            caption: None,
            reference: reference.into(),
        }
    }
}

/// A reaction added to or removed from an earlier message; mirrors the WIT
/// `reaction`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reaction {
    /// The external id of the message reacted to.
    pub target: String,
    /// The emoji, or the platform's name for it.
    pub emoji: String,
    /// True when the reaction was taken back.
    pub removed: bool,
}

/// A tap on a button or a choice from a list; mirrors the WIT `button-press`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ButtonPress {
    /// What the button carries for the bot.
    pub payload: String,
    /// The text the person saw on the button, when the platform sends it.
    pub label: Option<String>,
}

/// Maps an attachment kind between two enums that mirror the WIT `attachment-kind`
/// variant for variant, as [`convert_kind!`] does for message kinds.
#[macro_export]
macro_rules! convert_attachment_kind {
    ($kind:expr, $from:ty => $to:ty) => {
        $crate::convert_kind!(
            @variants $kind, $from, $to, Image Audio Voice Video Document Sticker Other
        )
    };
}

/// An inbound message; mirrors the WIT `inbound-message`.
///
/// `Default` gives an empty text message from a person in a chat of unknown type;
/// channels set what the payload says and leave the rest:
///
/// ```
/// use switchboard_channel_sdk::{ChatType, Inbound, Kind};
///
/// let message = Inbound {
///     external_id: "wamid.1".to_owned(),
///     conversation_id: "123:4477".to_owned(),
///     sender_id: "4477".to_owned(),
///     text: Some("hi".to_owned()),
///     kind: Kind::Text,
///     chat_type: ChatType::Direct,
///     ..Inbound::default()
/// };
/// assert!(!message.is_edit && message.attachments.is_empty());
/// assert_eq!(message.metadata, "{}");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inbound {
    /// The platform's identity for the message, unique within the channel instance:
    /// the host's deduplication key.
    pub external_id: String,
    /// The conversation the message belongs to; replies go back to it.
    pub conversation_id: String,
    /// The platform's identity for the sender.
    pub sender_id: String,
    /// The sender's display name, when the platform sends one.
    pub sender_name: Option<String>,
    /// Who wrote it.
    pub sender_kind: SenderKind,
    /// The text, or a media caption.
    pub text: Option<String>,
    /// When the platform says the message was sent, in Unix seconds (0 if unknown).
    pub timestamp: u64,
    /// The external id of the message this one replies to.
    pub reply_to: Option<String>,
    /// The kind of content.
    pub kind: Kind,
    /// Where it was written.
    pub chat_type: ChatType,
    /// True when it mentions the bot or replies to one of the bot's messages.
    pub mentions_bot: bool,
    /// The thread or topic inside the conversation.
    pub thread_id: Option<String>,
    /// True for a new version of a message emitted earlier under the same
    /// `external_id` (an edit).
    pub is_edit: bool,
    /// For an edit, when the platform says it was made, in Unix milliseconds.
    pub edited_at_ms: Option<u64>,
    /// The files it carries.
    pub attachments: Vec<Attachment>,
    /// For [`Kind::Reaction`]: what was reacted to, with which emoji.
    pub reaction: Option<Reaction>,
    /// For [`Kind::Button`]: what was pressed.
    pub button: Option<ButtonPress>,
    /// Platform details: a JSON object.
    pub metadata: String,
}

impl Default for Inbound {
    fn default() -> Self {
        Self {
            external_id: String::new(),
            conversation_id: String::new(),
            sender_id: String::new(),
            sender_name: None,
            sender_kind: SenderKind::User,
            text: None,
            timestamp: 0,
            reply_to: None,
            kind: Kind::Text,
            chat_type: ChatType::Unknown,
            mentions_bot: false,
            thread_id: None,
            is_edit: false,
            edited_at_ms: None,
            attachments: Vec::new(),
            reaction: None,
            button: None,
            metadata: "{}".to_owned(),
        }
    }
}

/// A file to send; mirrors the WIT `outbound-attachment`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundAttachment {
    pub kind: AttachmentKind,
    pub mime_type: String,
    /// The size in bytes.
    pub size: u64,
    pub file_name: Option<String>,
    pub caption: Option<String>,
    /// The stored blob: lower-case hex sha256 of its content.
    pub blob: String,
}

/// A message to send; mirrors the WIT `outbound-message`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reply {
    /// The conversation to send to.
    pub conversation_id: String,
    /// The thread or topic to send into.
    pub thread_id: Option<String>,
    /// The text; may be empty when the message is only attachments.
    pub text: String,
    /// Files to send, in order.
    pub attachments: Vec<OutboundAttachment>,
    /// The message being answered, as it was emitted; `None` when the agent writes
    /// first.
    pub in_reply_to: Option<Inbound>,
    /// Stable across every retry of this reply.
    pub idempotency_key: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stand-in for the generated `MessageKind`, declared in a different order so
    /// a mapping by position rather than by name would fail.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Mirror {
        Other,
        System,
        Button,
        Interactive,
        Reaction,
        Contact,
        Location,
        Sticker,
        Document,
        Video,
        Audio,
        Image,
        Text,
    }

    #[test]
    fn every_kind_maps_to_its_namesake_and_back() {
        for kind in Kind::ALL {
            let mirrored = convert_kind!(kind, Kind => Mirror);
            assert_eq!(format!("{mirrored:?}"), format!("{kind:?}"));
            assert_eq!(convert_kind!(mirrored, Mirror => Kind), kind);
        }
    }
}
