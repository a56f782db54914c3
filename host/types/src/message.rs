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

/// Defines a plain enum with a stable lower-case name for storage and JSON, the list
/// of its values, and `as_str`/`parse`.
macro_rules! named_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        // By name, so that JSON and storage always spell a value the same way.
        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let name = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                $name::parse(&name).ok_or_else(|| {
                    serde::de::Error::custom(format!(
                        concat!("unknown ", stringify!($name), " {:?}"),
                        name
                    ))
                })
            }
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The stable lower-case name used in storage and JSON.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// Parses a name produced by `as_str`.
            pub fn parse(name: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.as_str() == name)
            }
        }
    };
}

named_enum! {
    /// Where a message was written (mirrors the WIT `chat-type`).
    #[derive(Default)]
    ChatType {
        /// The channel cannot tell (every 0.1.x channel); treated as direct.
        #[default]
        Unknown = "unknown",
        Direct = "direct",
        Group = "group",
        Broadcast = "broadcast",
    }
}

named_enum! {
    /// Who wrote a message (mirrors the WIT `sender-kind`).
    #[derive(Default)]
    SenderKind {
        #[default]
        User = "user",
        Bot = "bot",
        /// The channel's own account: the bot, the business number, the app.
        ThisBot = "this_bot",
    }
}

named_enum! {
    /// What a message carries as a file (mirrors the WIT `attachment-kind`).
    AttachmentKind {
        Image = "image",
        Audio = "audio",
        Voice = "voice",
        Video = "video",
        Document = "document",
        Sticker = "sticker",
        Other = "other",
    }
}

named_enum! {
    /// Why a stored message gets no agent turn. Shown by `switchboard messages`.
    NoTurn {
        /// Another bot wrote it.
        FromBot = "from-bot",
        /// The channel's own account wrote it.
        FromSelf = "from-self",
        /// A service event (a pin, a member joined), not something a person wrote.
        ServiceEvent = "service-event",
        /// A reaction to another message.
        Reaction = "reaction",
        /// An edit of a message the host never stored.
        Edit = "edit",
        /// An unknown sender under `dm = "pairing"`: they got a code (or have one).
        PairingPending = "pairing-pending",
        /// The access policy does not admit this sender or group.
        NotAllowed = "not-allowed",
        /// A group message that neither mentions nor replies to the bot.
        NoMention = "no-mention",
        /// The sender is over the instance's `rate`.
        RateLimited = "rate-limited",
        /// The instance is over its `max_turns_per_day`.
        DailyCap = "daily-cap",
        /// The conversation's replies came faster than a person writes: a reply loop
        /// with another bot, most likely.
        LoopPaused = "loop-paused",
    }
}

/// A file attached to an inbound message (mirrors the WIT `attachment`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub kind: AttachmentKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    /// The platform's handle for the content.
    pub reference: String,
}

/// A reaction added to or removed from an earlier message (mirrors the WIT
/// `reaction`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reaction {
    /// The external id of the message reacted to.
    pub target: String,
    pub emoji: String,
    pub removed: bool,
}

/// A tap on a button or a choice from a list (mirrors the WIT `button-press`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ButtonPress {
    pub payload: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// A message a channel emitted, before it is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundMessage {
    /// The platform's id; the deduplication key within one channel instance.
    pub external_id: String,
    pub conversation_id: String,
    pub sender_id: String,
    pub sender_name: Option<String>,
    #[serde(default)]
    pub sender_kind: SenderKind,
    pub text: Option<String>,
    /// Platform send time in Unix seconds (0 if unknown).
    pub timestamp: u64,
    pub reply_to: Option<String>,
    pub kind: MessageKind,
    #[serde(default)]
    pub chat_type: ChatType,
    /// Mentions the bot or replies to one of its messages.
    #[serde(default)]
    pub mentions_bot: bool,
    /// The thread or topic inside the conversation.
    #[serde(default)]
    pub thread_id: Option<String>,
    /// A new version of a message stored earlier under the same external id.
    pub is_edit: bool,
    /// For an edit, when the platform says it was made, in Unix milliseconds. Not
    /// `edited_at_ms`, which is when the host applied the edit.
    #[serde(default)]
    pub platform_edited_at_ms: Option<u64>,
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    #[serde(default)]
    pub reaction: Option<Reaction>,
    #[serde(default)]
    pub button: Option<ButtonPress>,
    /// Platform details: a JSON object, kept verbatim.
    pub metadata: String,
}

impl Default for InboundMessage {
    /// An empty text message from a person in a chat of unknown type.
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
            kind: MessageKind::Text,
            chat_type: ChatType::Unknown,
            mentions_bot: false,
            thread_id: None,
            is_edit: false,
            platform_edited_at_ms: None,
            attachments: Vec::new(),
            reaction: None,
            button: None,
            metadata: "{}".to_owned(),
        }
    }
}

impl InboundMessage {
    /// What the agent reads as the person's words: the text, or for a button press
    /// with no text the button's label (what the person saw), else its payload.
    pub fn text_for_agent(&self) -> Option<&str> {
        self.text.as_deref().or_else(|| {
            self.button
                .as_ref()
                .map(|b| b.label.as_deref().unwrap_or(&b.payload))
        })
    }

    /// Why this message gets no agent turn whatever the access policy, judged from
    /// the message alone: only what a person wrote to the bot is answered.
    pub fn intrinsic_no_turn(&self) -> Option<NoTurn> {
        match self.sender_kind {
            SenderKind::ThisBot => return Some(NoTurn::FromSelf),
            SenderKind::Bot => return Some(NoTurn::FromBot),
            SenderKind::User => {}
        }
        match self.kind {
            MessageKind::System => Some(NoTurn::ServiceEvent),
            MessageKind::Reaction => Some(NoTurn::Reaction),
            _ if self.is_edit => Some(NoTurn::Edit),
            _ => None,
        }
    }
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
    /// Why it gets no agent turn; `None` when it gets one.
    #[serde(default)]
    pub no_turn: Option<NoTurn>,
    #[serde(flatten)]
    pub message: InboundMessage,
}

named_enum! {
    /// Where the content of an inbound attachment stands.
    AttachmentState {
        /// Not fetched yet (or waiting for a retry).
        Pending = "pending",
        /// In the blob store under its sha256.
        Stored = "stored",
        /// Over the instance's `max_attachment_bytes`: not kept.
        TooLarge = "too_large",
        /// Could not be fetched (see its error); the agent got the message without it.
        Failed = "failed",
    }
}

/// An inbound attachment as stored: what the channel said, and where its content is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredAttachment {
    /// The message it belongs to.
    pub message_id: i64,
    /// Its place among the message's attachments, from 0.
    pub position: u32,
    #[serde(flatten)]
    pub attachment: Attachment,
    pub state: AttachmentState,
    /// Hex sha256 of the content, once stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Bytes stored (or, for `too_large`, seen before giving up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stored_size: Option<u64>,
    /// Why it failed or was not kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_and_storage_spell_every_value_the_same_way() {
        for reason in NoTurn::ALL {
            let json = serde_json::to_value(reason).unwrap();
            assert_eq!(json, reason.as_str());
            assert_eq!(serde_json::from_value::<NoTurn>(json).unwrap(), *reason);
        }
        assert_eq!(
            serde_json::to_value(SenderKind::ThisBot).unwrap(),
            "this_bot"
        );
        assert!(serde_json::from_value::<ChatType>("dm".into()).is_err());
    }

    #[test]
    fn only_what_a_person_wrote_to_the_bot_gets_a_turn() {
        let text = InboundMessage::default();
        assert_eq!(text.intrinsic_no_turn(), None);
        let cases = [
            (
                SenderKind::Bot,
                MessageKind::Text,
                false,
                Some(NoTurn::FromBot),
            ),
            (
                SenderKind::ThisBot,
                MessageKind::Text,
                false,
                Some(NoTurn::FromSelf),
            ),
            (
                SenderKind::User,
                MessageKind::System,
                false,
                Some(NoTurn::ServiceEvent),
            ),
            (
                SenderKind::User,
                MessageKind::Reaction,
                false,
                Some(NoTurn::Reaction),
            ),
            (
                SenderKind::User,
                MessageKind::Text,
                true,
                Some(NoTurn::Edit),
            ),
            (SenderKind::User, MessageKind::Button, false, None),
            (SenderKind::User, MessageKind::Image, false, None),
        ];
        for (sender_kind, kind, is_edit, expected) in cases {
            let message = InboundMessage {
                sender_kind,
                kind,
                is_edit,
                ..InboundMessage::default()
            };
            assert_eq!(
                message.intrinsic_no_turn(),
                expected,
                "{sender_kind:?} {kind:?}"
            );
        }
    }
}
