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

/// An inbound message; mirrors the WIT `inbound-message`.
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
    /// The text, or a media caption.
    pub text: Option<String>,
    /// When the platform says the message was sent, in Unix seconds (0 if unknown).
    pub timestamp: u64,
    /// The external id of the message this one replies to.
    pub reply_to: Option<String>,
    /// The kind of content.
    pub kind: Kind,
    /// True for a new version of a message emitted earlier under the same
    /// `external_id` (an edit).
    pub is_edit: bool,
    /// Platform details: a JSON object.
    pub metadata: String,
}

/// A reply to send; mirrors the WIT `outbound-message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The conversation to send to.
    pub conversation_id: String,
    /// The reply text.
    pub text: String,
    /// The message being answered, as it was emitted.
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
