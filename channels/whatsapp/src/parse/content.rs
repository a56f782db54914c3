//! What a message carries: its kind, the text the agent sees, its files, and the
//! reaction or button press it is.

use serde_json::Value;
use switchboard_channel_sdk::{Attachment, AttachmentKind, ButtonPress, Kind, Reaction};

use super::{non_empty_str, str_at};

/// The content of one message, in the contract's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Content {
    pub(super) kind: Kind,
    /// What the person wrote or, for a button, the label they tapped.
    pub(super) text: Option<String>,
    pub(super) attachments: Vec<Attachment>,
    pub(super) reaction: Option<Reaction>,
    pub(super) button: Option<ButtonPress>,
}

impl Content {
    fn of_kind(kind: Kind) -> Self {
        Self {
            kind,
            text: None,
            attachments: Vec::new(),
            reaction: None,
            button: None,
        }
    }

    fn with_text(mut self, text: Option<&str>) -> Self {
        self.text = text.map(str::to_owned);
        self
    }
}

/// Maps a message of `message_type`, whose type-specific object sits under the key
/// of the same name. Types the contract does not model (`order`, `unsupported`,
/// `unknown`, `request_welcome`, future ones) become `Other`; the metadata keeps
/// their details.
pub(super) fn content_of(message_type: &str, message: &Value) -> Content {
    let body = message.get(message_type).unwrap_or(&Value::Null);
    match message_type {
        "text" => Content::of_kind(Kind::Text).with_text(non_empty_str(body, "body")),
        "image" => media(Kind::Image, AttachmentKind::Image, body),
        "video" => media(Kind::Video, AttachmentKind::Video, body),
        "document" => media(Kind::Document, AttachmentKind::Document, body),
        "sticker" => media(Kind::Sticker, AttachmentKind::Sticker, body),
        "audio" => {
            let voice = body.get("voice").and_then(Value::as_bool) == Some(true);
            let kind = if voice {
                AttachmentKind::Voice
            } else {
                AttachmentKind::Audio
            };
            media(Kind::Audio, kind, body)
        }
        "location" => Content::of_kind(Kind::Location),
        "contacts" => Content::of_kind(Kind::Contact),
        "reaction" => reaction(body),
        "button" => button(
            non_empty_str(body, "payload"),
            non_empty_str(body, "text"),
            Kind::Other,
        ),
        "interactive" => interactive(body),
        // A notice from WhatsApp (a number or identity change), not words for the
        // agent: the body stays in the metadata.
        "system" => Content::of_kind(Kind::System),
        "order" => Content::of_kind(Kind::Other).with_text(non_empty_str(body, "text")),
        _ => Content::of_kind(Kind::Other),
    }
}

/// A media message: one attachment, whose caption is also the message's text.
fn media(kind: Kind, attachment_kind: AttachmentKind, body: &Value) -> Content {
    let caption = non_empty_str(body, "caption");
    // Without a media id there is nothing to fetch; the kind still says what it was.
    let attachments = non_empty_str(body, "id")
        .map(|id| Attachment {
            kind: attachment_kind,
            mime_type: non_empty_str(body, "mime_type").map(str::to_owned),
            size: size_of(body),
            file_name: non_empty_str(body, "filename").map(str::to_owned),
            caption: caption.map(str::to_owned),
            reference: id.to_owned(),
        })
        .into_iter()
        .collect();
    Content {
        attachments,
        ..Content::of_kind(kind).with_text(caption)
    }
}

/// `file_size` in bytes, as a number or a numeric string; the Cloud API leaves it
/// out of most media webhooks.
fn size_of(body: &Value) -> Option<u64> {
    match body.get("file_size")? {
        Value::Number(size) => size.as_u64(),
        Value::String(size) => size.trim().parse().ok(),
        _ => None,
    }
}

/// `{"message_id": <wamid>, "emoji": ..}`; an empty or missing emoji is the person
/// taking their reaction back.
fn reaction(body: &Value) -> Content {
    let Some(target) = non_empty_str(body, "message_id") else {
        // A reaction to nothing cannot be recorded as one; keep it as Other.
        return Content::of_kind(Kind::Other);
    };
    let emoji = str_at(body, "emoji").unwrap_or_default();
    Content {
        reaction: Some(Reaction {
            target: target.to_owned(),
            emoji: emoji.to_owned(),
            removed: emoji.is_empty(),
        }),
        ..Content::of_kind(Kind::Reaction)
    }
}

/// A tap on a button or a list row. The label is also the text: it is what the
/// person saw and, in effect, said. A press that carries neither a payload nor a
/// label says nothing and becomes `fallback`.
fn button(payload: Option<&str>, label: Option<&str>, fallback: Kind) -> Content {
    let Some(payload) = payload.or(label) else {
        return Content::of_kind(fallback);
    };
    Content {
        button: Some(ButtonPress {
            payload: payload.to_owned(),
            label: label.map(str::to_owned),
        }),
        ..Content::of_kind(Kind::Button).with_text(label)
    }
}

/// `{"type": "button_reply", "button_reply": {"id", "title"}}`, likewise
/// `list_reply` (plus a `description`, kept in the metadata), are button presses;
/// a flow's answer (`nfm_reply`) and anything else stay `Interactive`.
fn interactive(body: &Value) -> Content {
    let reply_type = str_at(body, "type").unwrap_or_default();
    let reply = body.get(reply_type).unwrap_or(&Value::Null);
    match reply_type {
        "button_reply" | "list_reply" => button(
            non_empty_str(reply, "id"),
            non_empty_str(reply, "title"),
            Kind::Interactive,
        ),
        _ => Content::of_kind(Kind::Interactive)
            .with_text(non_empty_str(reply, "body").or_else(|| non_empty_str(reply, "title"))),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn content(message: &Value) -> Content {
        content_of(str_at(message, "type").expect("type"), message)
    }

    #[test]
    fn media_sizes_are_read_when_present() {
        let with_size = json!({ "type": "document", "document": {
            "id": "1", "mime_type": "application/pdf", "filename": "a.pdf", "file_size": 2048 } });
        assert_eq!(content(&with_size).attachments[0].size, Some(2048));
        let as_string = json!({ "type": "video", "video": { "id": "1", "file_size": " 77 " } });
        assert_eq!(content(&as_string).attachments[0].size, Some(77));
        let nonsense = json!({ "type": "video", "video": { "id": "1", "file_size": "big" } });
        assert_eq!(content(&nonsense).attachments[0].size, None);
    }

    #[test]
    fn media_without_an_id_keeps_its_kind_but_has_nothing_to_fetch() {
        let message = json!({ "type": "image", "image": { "caption": "look" } });
        let content = content(&message);
        assert_eq!(content.kind, Kind::Image);
        assert_eq!(content.text.as_deref(), Some("look"));
        assert!(content.attachments.is_empty());
    }

    #[test]
    fn presses_without_payload_or_label_are_not_buttons() {
        let template = json!({ "type": "button", "button": {} });
        assert_eq!(content(&template).kind, Kind::Other);
        let only_text = json!({ "type": "button", "button": { "text": "Yes" } });
        assert_eq!(
            content(&only_text).button,
            Some(ButtonPress {
                payload: "Yes".into(),
                label: Some("Yes".into())
            })
        );
        let empty_reply = json!({ "type": "interactive", "interactive": { "type": "button_reply", "button_reply": {} } });
        assert_eq!(content(&empty_reply).kind, Kind::Interactive);
    }

    #[test]
    fn a_reaction_without_a_target_is_other() {
        let message = json!({ "type": "reaction", "reaction": { "emoji": "👍" } });
        let content = content(&message);
        assert_eq!(content.kind, Kind::Other);
        assert_eq!(content.reaction, None);
    }
}
