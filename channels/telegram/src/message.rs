//! A Telegram `Message` → an [`Inbound`] message.
//!
//! `message` and `channel_post` are new messages, `edited_message` and
//! `edited_channel_post` edits of the message emitted earlier under the same
//! `<chat id>:<message id>`. Service messages (a pin, members joining, a group
//! migrating, a video chat starting, ...) are kind `system`: stored, never
//! answered, with the event named in `metadata.service`.

use serde_json::{Map, Value};
use switchboard_channel_sdk::{ChatType, Inbound, Kind, SenderKind};

use crate::attachments;
use crate::identity::BotIdentity;
use crate::mention;
use crate::parse::{Chat, Message};

/// The host rejects metadata above 64 KiB; entities are the only field without a
/// small bound (a 4096-character text may carry thousands of them), so they are
/// dropped first when the object would not fit.
pub(crate) const MAX_METADATA_BYTES: usize = 60 * 1024;

/// Content fields in priority order. Order matters where Telegram sends two for
/// backwards compatibility: an animation also carries `document`, a venue also
/// carries `location`.
pub(crate) const CONTENT: &[(&str, Kind)] = &[
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
    ("checklist", Kind::Other),
    ("giveaway", Kind::Other),
];

/// Service-message fields: a message carrying one of them is kind `system`.
/// Telegram sends no text with any of them.
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
    "general_forum_topic_hidden",
    "general_forum_topic_unhidden",
    "video_chat_scheduled",
    "video_chat_started",
    "video_chat_ended",
    "video_chat_participants_invited",
    "chat_shared",
    "users_shared",
    "user_shared",
    "write_access_allowed",
    "boost_added",
    "chat_background_set",
    "proximity_alert_triggered",
    "connected_website",
    "successful_payment",
    "refunded_payment",
    "gift",
    "unique_gift",
    "giveaway_created",
    "giveaway_winners",
    "giveaway_completed",
    "paid_message_price_changed",
    "direct_message_price_changed",
    "checklist_tasks_done",
    "checklist_tasks_added",
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

/// Content found in a message: the field, its kind and its value.
pub(crate) type Content<'a> = (&'static str, Kind, &'a Value);

/// Whether converting `m` needs the bot's own identity: to tell a mention of the
/// bot in a group (only a message with entities or a reply can be one), or to
/// tell the bot's own messages from other bots'.
pub(crate) fn needs_identity(m: &Message) -> bool {
    let from_a_bot = m.sender_chat.is_none() && m.from.as_ref().is_some_and(|u| u.is_bot);
    let has_entities = m.text_and_entities().is_some_and(|(_, entities)| {
        entities
            .and_then(Value::as_array)
            .is_some_and(|list| !list.is_empty())
    });
    let could_mention = !m.chat.is_private() && (m.reply().is_some() || has_entities);
    from_a_bot || could_mention
}

/// Converts a message. `me` is the bot's identity when [`needs_identity`] asked
/// for it and it is known; without it nothing counts as a mention or as the
/// bot's own message.
pub(crate) fn to_inbound(
    update_id: Option<i64>,
    update_type: &str,
    m: &Message,
    is_edit: bool,
    me: Option<&BotIdentity>,
) -> Inbound {
    let chat_id = m.chat.id;
    let (sender_id, sender_name, sender_kind) = sender(m, me);
    let content = content(m);
    let service = SERVICE.iter().find(|field| m.rest.contains_key(**field));
    let kind = match (content, &m.text, service) {
        (Some((_, kind, _)), _, _) => kind,
        (None, Some(_), _) => Kind::Text,
        (None, None, Some(_)) => Kind::System,
        (None, None, None) => Kind::Other,
    };
    // Direct messages need no mention; elsewhere the bot is addressed by name, by
    // a command meant for it or by replying to it.
    let mentions_bot = !m.chat.is_private() && me.is_some_and(|me| mention::mentions_bot(m, me));

    Inbound {
        external_id: format!("{chat_id}:{}", m.message_id),
        conversation_id: chat_id.to_string(),
        sender_id,
        sender_name,
        sender_kind,
        text: m.text.clone().or_else(|| m.caption.clone()),
        timestamp: m.date,
        reply_to: m.reply().map(|r| format!("{chat_id}:{}", r.message_id)),
        kind,
        chat_type: chat_type(&m.chat),
        mentions_bot,
        thread_id: m.message_thread_id.map(|id| id.to_string()),
        is_edit,
        edited_at_ms: m
            .edit_date
            .filter(|_| is_edit)
            .map(|secs| secs.saturating_mul(1000)),
        attachments: content.map(attachments::of).unwrap_or_default(),
        metadata: metadata(update_id, update_type, m, content, service),
        ..Inbound::default()
    }
}

/// The message's content field, by [`CONTENT`] priority.
pub(crate) fn content(m: &Message) -> Option<Content<'_>> {
    CONTENT
        .iter()
        .find_map(|(field, kind)| m.rest.get(*field).map(|value| (*field, *kind, value)))
}

pub(crate) fn chat_type(chat: &Chat) -> ChatType {
    match chat.kind.as_deref() {
        Some("private") => ChatType::Direct,
        Some("group" | "supergroup") => ChatType::Group,
        Some("channel") => ChatType::Broadcast,
        _ => ChatType::Unknown,
    }
}

/// `sender_chat` wins over `from`: for messages sent on behalf of a chat,
/// Telegram fills `from` with a placeholder bot user for backwards compatibility,
/// and the person behind the chat is no bot. Channel posts may carry neither, so
/// the chat itself is the sender.
fn sender(m: &Message, me: Option<&BotIdentity>) -> (String, Option<String>, SenderKind) {
    if let Some(chat) = &m.sender_chat {
        return (chat.id.to_string(), chat.display_name(), SenderKind::User);
    }
    if let Some(user) = &m.from {
        let kind = if me.is_some_and(|me| me.is(user)) {
            SenderKind::ThisBot
        } else if user.is_bot {
            SenderKind::Bot
        } else {
            SenderKind::User
        };
        return (user.id.to_string(), user.display_name(), kind);
    }
    (
        m.chat.id.to_string(),
        m.chat.display_name(),
        SenderKind::User,
    )
}

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

/// `{"type": <field>, ...}` with the allow-listed scalars of the content object. A
/// photo is an array of sizes: the largest one is described.
fn content_summary(field: &str, value: &Value) -> Value {
    let object = match value {
        Value::Array(sizes) => attachments::largest(sizes),
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
