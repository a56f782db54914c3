//! Telegram `Update` JSON → [`Inbound`] messages.
//!
//! Only the four update types that carry a message are turned into messages:
//! `message` and `channel_post` are new messages, `edited_message` and
//! `edited_channel_post` are edits of a message emitted earlier under the same
//! `<chat id>:<message id>`. Every other update type (`callback_query`,
//! `my_chat_member`, ...) parses to nothing.
//!
//! The parser is tolerant: Telegram adds fields with every Bot API release and the
//! official samples predate required fields such as `is_bot`, so unknown fields are
//! ignored and only the message identity (`message_id`, `chat.id`) is required.

use serde::Deserialize;
use serde_json::{Map, Value, error::Category};
use switchboard_channel_sdk::{Inbound, Kind};

/// The host rejects metadata above 64 KiB; entities are the only field without a
/// small bound (a 4096-character text may carry thousands of them), so they are
/// dropped first when the object would not fit.
const MAX_METADATA_BYTES: usize = 60 * 1024;

/// Why a webhook body produced no messages.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ParseError {
    /// The body is not JSON at all; the request is malformed.
    #[error("body is not valid json")]
    NotJson(#[source] serde_json::Error),
    /// The body is JSON but not shaped like an update. Telegram would redeliver it
    /// forever if refused, so callers log it and acknowledge.
    #[error("body is json but not a telegram update")]
    NotAnUpdate(#[source] serde_json::Error),
}

impl ParseError {
    fn from_serde(err: serde_json::Error) -> Self {
        match err.classify() {
            Category::Data => ParseError::NotAnUpdate(err),
            Category::Io | Category::Syntax | Category::Eof => ParseError::NotJson(err),
        }
    }
}

#[derive(Deserialize)]
struct Update {
    update_id: Option<i64>,
    message: Option<Message>,
    edited_message: Option<Message>,
    channel_post: Option<Message>,
    edited_channel_post: Option<Message>,
}

#[derive(Deserialize)]
struct Message {
    message_id: i64,
    message_thread_id: Option<i64>,
    is_topic_message: Option<bool>,
    from: Option<User>,
    sender_chat: Option<Chat>,
    chat: Chat,
    #[serde(default)]
    date: u64,
    edit_date: Option<u64>,
    text: Option<String>,
    caption: Option<String>,
    reply_to_message: Option<MessageRef>,
    entities: Option<Value>,
    caption_entities: Option<Value>,
    media_group_id: Option<String>,
    /// Content, service and forward fields, looked up by name below so that new
    /// content types only need a table entry.
    #[serde(flatten)]
    rest: Map<String, Value>,
}

#[derive(Deserialize)]
struct MessageRef {
    message_id: i64,
}

#[derive(Deserialize)]
struct User {
    id: i64,
    first_name: Option<String>,
    last_name: Option<String>,
    username: Option<String>,
}

#[derive(Deserialize)]
struct Chat {
    id: i64,
    #[serde(rename = "type")]
    kind: Option<String>,
    title: Option<String>,
    username: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
}

/// Content fields in priority order. Order matters where Telegram sends two for
/// backwards compatibility: an animation also carries `document`, a venue also
/// carries `location`.
const CONTENT: &[(&str, Kind)] = &[
    ("photo", Kind::Image),
    ("sticker", Kind::Sticker),
    ("animation", Kind::Video),
    ("video", Kind::Video),
    ("video_note", Kind::Video),
    ("voice", Kind::Audio),
    ("audio", Kind::Audio),
    ("document", Kind::Document),
    ("venue", Kind::Location),
    ("location", Kind::Location),
    ("contact", Kind::Contact),
    ("poll", Kind::Other),
    ("dice", Kind::Other),
    ("game", Kind::Other),
    ("story", Kind::Other),
    ("invoice", Kind::Other),
    ("paid_media", Kind::Other),
];

/// Service-message fields; a message carrying one of them (and no text) is `system`.
const SERVICE: &[&str] = &[
    "new_chat_members",
    "left_chat_member",
    "new_chat_title",
    "new_chat_photo",
    "delete_chat_photo",
    "group_chat_created",
    "supergroup_chat_created",
    "channel_chat_created",
    "message_auto_delete_timer_changed",
    "migrate_to_chat_id",
    "migrate_from_chat_id",
    "pinned_message",
    "forum_topic_created",
    "forum_topic_edited",
    "forum_topic_closed",
    "forum_topic_reopened",
    "video_chat_scheduled",
    "video_chat_started",
    "video_chat_ended",
    "video_chat_participants_invited",
    "write_access_allowed",
    "successful_payment",
];

/// Scalar fields of a content object worth keeping: file ids to download media
/// later, and the few values that describe non-file content. Everything else
/// (thumbnails, vCards, poll options) is left out to keep metadata small.
const CONTENT_FIELDS: &[&str] = &[
    "file_id",
    "file_unique_id",
    "file_name",
    "mime_type",
    "file_size",
    "duration",
    "width",
    "height",
    "emoji",
    "set_name",
    "performer",
    "latitude",
    "longitude",
    "title",
    "address",
    "phone_number",
    "first_name",
    "last_name",
    "user_id",
    "id",
    "question",
    "value",
];

/// Legacy (`forward_from`, ...) and Bot API 7.0 (`forward_origin`) forward fields.
const FORWARD: &[&str] = &[
    "forward_origin",
    "forward_from",
    "forward_from_chat",
    "forward_from_message_id",
    "forward_signature",
    "forward_sender_name",
    "forward_date",
    "is_automatic_forward",
];

/// Parses one webhook body. `Ok(None)` means a well-formed update that carries no
/// message (a callback query, a membership change, ...).
pub(crate) fn parse_update(body: &[u8]) -> Result<Option<Inbound>, ParseError> {
    let update: Update = serde_json::from_slice(body).map_err(ParseError::from_serde)?;
    let (update_type, message, is_edit) = if let Some(m) = update.message {
        ("message", m, false)
    } else if let Some(m) = update.edited_message {
        ("edited_message", m, true)
    } else if let Some(m) = update.channel_post {
        ("channel_post", m, false)
    } else if let Some(m) = update.edited_channel_post {
        ("edited_channel_post", m, true)
    } else {
        return Ok(None);
    };
    Ok(Some(to_inbound(
        update.update_id,
        update_type,
        message,
        is_edit,
    )))
}

fn to_inbound(update_id: Option<i64>, update_type: &str, m: Message, is_edit: bool) -> Inbound {
    let chat_id = m.chat.id;
    let (sender_id, sender_name) = sender(&m);
    let text = m.text.clone().or_else(|| m.caption.clone());
    let content = CONTENT
        .iter()
        .find_map(|(field, kind)| m.rest.get(*field).map(|value| (*field, *kind, value)));
    let service = SERVICE.iter().find(|field| m.rest.contains_key(**field));
    let kind = match (content, &m.text, service) {
        (Some((_, kind, _)), _, _) => kind,
        (None, Some(_), _) => Kind::Text,
        (None, None, Some(_)) => Kind::System,
        (None, None, None) => Kind::Other,
    };
    let reply_to = m
        .reply_to_message
        .as_ref()
        .filter(|r| !is_topic_root(&m, r))
        .map(|r| format!("{chat_id}:{}", r.message_id));
    let timestamp = if is_edit {
        m.edit_date.unwrap_or(m.date)
    } else {
        m.date
    };

    let metadata = metadata(update_id, update_type, &m, content, service);

    Inbound {
        external_id: format!("{chat_id}:{}", m.message_id),
        conversation_id: chat_id.to_string(),
        sender_id,
        sender_name,
        text,
        timestamp,
        reply_to,
        kind,
        is_edit,
        metadata,
    }
}

/// Content found in a message: the field, its kind and its value.
type Content<'a> = (&'static str, Kind, &'a Value);

/// The metadata object, serialised.
fn metadata(
    update_id: Option<i64>,
    update_type: &str,
    m: &Message,
    content: Option<Content<'_>>,
    service: Option<&&str>,
) -> String {
    let mut meta = Map::new();
    if let Some(id) = update_id {
        meta.insert("update_id".into(), id.into());
    }
    meta.insert("update_type".into(), update_type.into());
    meta.insert("chat_id".into(), m.chat.id.into());
    meta.insert("message_id".into(), m.message_id.into());
    if let Some(chat_type) = &m.chat.kind {
        meta.insert("chat_type".into(), chat_type.as_str().into());
    }
    if let Some(title) = &m.chat.title {
        meta.insert("chat_title".into(), title.as_str().into());
    }
    if let Some(thread) = m.message_thread_id {
        meta.insert("message_thread_id".into(), thread.into());
    }
    if m.is_topic_message == Some(true) {
        meta.insert("is_topic_message".into(), true.into());
    }
    if let Some(edit_date) = m.edit_date {
        meta.insert("edit_date".into(), edit_date.into());
    }
    if let Some(group) = &m.media_group_id {
        meta.insert("media_group_id".into(), group.as_str().into());
    }
    if let Some((field, _, value)) = content {
        meta.insert("content".into(), content_summary(field, value));
    }
    if let Some(field) = service {
        meta.insert("service".into(), (**field).into());
    }
    let forward: Map<String, Value> = FORWARD
        .iter()
        .filter_map(|f| m.rest.get(*f).map(|v| ((*f).to_owned(), v.clone())))
        .collect();
    if !forward.is_empty() {
        meta.insert("forward".into(), forward.into());
    }
    if let Some(entities) = m.entities.as_ref().or(m.caption_entities.as_ref()) {
        meta.insert("entities".into(), entities.clone());
    }
    finish_metadata(meta)
}

/// In forum topics every message that is not an explicit reply still carries the
/// topic's creation message as `reply_to_message`; that is not a reply.
fn is_topic_root(m: &Message, reply: &MessageRef) -> bool {
    m.is_topic_message == Some(true) && m.message_thread_id == Some(reply.message_id)
}

/// `sender_chat` wins over `from`: for messages sent on behalf of a chat, Telegram
/// fills `from` with a placeholder bot user for backwards compatibility. Channel
/// posts may carry neither, so the chat itself is the sender.
fn sender(m: &Message) -> (String, Option<String>) {
    if let Some(chat) = &m.sender_chat {
        return (chat.id.to_string(), chat_name(chat));
    }
    if let Some(user) = &m.from {
        let name = full_name(user.first_name.as_deref(), user.last_name.as_deref())
            .or_else(|| user.username.clone());
        return (user.id.to_string(), name);
    }
    (m.chat.id.to_string(), chat_name(&m.chat))
}

fn chat_name(chat: &Chat) -> Option<String> {
    chat.title
        .clone()
        .or_else(|| full_name(chat.first_name.as_deref(), chat.last_name.as_deref()))
        .or_else(|| chat.username.clone())
}

fn full_name(first: Option<&str>, last: Option<&str>) -> Option<String> {
    let parts: Vec<&str> = [first, last]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// `{"type": <field>, ...}` with the allow-listed scalars of the content object. A
/// photo is an array of sizes, smallest first: the last one is the original.
fn content_summary(field: &str, value: &Value) -> Value {
    let object = match value {
        Value::Array(sizes) => sizes.last(),
        other => Some(other),
    };
    let mut summary = Map::new();
    summary.insert("type".into(), field.into());
    if let Some(Value::Object(object)) = object {
        copy_scalars(object, &mut summary);
        // A venue's coordinates sit in its nested `location`.
        if let Some(Value::Object(location)) = object.get("location") {
            copy_scalars(location, &mut summary);
        }
    }
    Value::Object(summary)
}

fn copy_scalars(from: &Map<String, Value>, to: &mut Map<String, Value>) {
    for field in CONTENT_FIELDS {
        if let Some(v @ (Value::String(_) | Value::Number(_) | Value::Bool(_))) = from.get(*field) {
            to.insert((*field).to_owned(), v.clone());
        }
    }
}

/// Serialises metadata, dropping the unbounded fields while it is too large.
fn finish_metadata(meta: Map<String, Value>) -> String {
    let mut meta = Value::Object(meta);
    let mut text = meta.to_string();
    for field in ["entities", "forward"] {
        if text.len() <= MAX_METADATA_BYTES {
            break;
        }
        if let Value::Object(map) = &mut meta
            && map.remove(field).is_some()
        {
            map.insert(format!("{field}_dropped"), true.into());
            text = meta.to_string();
        }
    }
    text
}

#[cfg(test)]
mod tests;
