//! Discord message objects (the `d` of MESSAGE_CREATE and MESSAGE_UPDATE) → the
//! host's inbound messages.

use serde_json::{Map, Value, json};
use switchboard_channel_sdk::{Attachment, AttachmentKind, ChatType, Inbound, Kind, SenderKind};

use crate::time;

/// Message types a person (or a bot) writes; every other type is a service
/// message (a member joined, a pin, a boost, a thread created, ...).
/// DEFAULT (0), REPLY (19), CHAT_INPUT_COMMAND (20), CONTEXT_MENU_COMMAND (23).
const WRITTEN_TYPES: &[u64] = &[0, 19, 20, 23];

/// Message flag IS_VOICE_MESSAGE (1 << 13): the one attachment is a voice note.
const VOICE_MESSAGE_FLAG: u64 = 1 << 13;

/// Message flag IS_CROSSPOST (1 << 1): the message comes from a followed channel;
/// its reference names the original, not a message it answers.
const CROSSPOST_FLAG: u64 = 1 << 1;

/// Message reference type FORWARD (1): a forwarded message, not a reply.
const FORWARD_REFERENCE: u64 = 1;

/// What became of one message object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Mapped {
    /// The message for the host.
    Message(Box<Inbound>),
    /// Nothing to emit, and why (logged at debug level).
    Ignored(String),
    /// An event in a shape this channel cannot read, and why.
    Unmappable(String),
}

/// Maps the message object of a MESSAGE_CREATE (or, with `edit`, of a
/// MESSAGE_UPDATE) given the bot's user id, when known.
///
/// - The bot's own messages (`author.id` is the bot) are not emitted; other bots'
///   (`author.bot`) and webhooks' (`webhook_id`) are, as [`SenderKind::Bot`].
/// - Without a `guild_id` the message is a direct message, else a group one.
/// - It mentions the bot when `mentions` lists the bot, or when it replies to one
///   of the bot's messages (`referenced_message.author.id`).
/// - The external id is `<channel_id>:<id>`; the conversation is the channel
///   (threads are channels of their own); a reply refers to
///   `<channel_id>:<message_reference.message_id>` (a forward or a crosspost
///   references a message too, but answers none).
/// - An update without `content`, or whose `edited_timestamp` is `null`, is not
///   an edit (an embed was resolved, a message was pinned) and is ignored.
pub(crate) fn map(data: &Value, bot_id: Option<&str>, edit: bool) -> Mapped {
    let event = if edit {
        "MESSAGE_UPDATE"
    } else {
        "MESSAGE_CREATE"
    };
    let text = |value: &Value, pointer: &str| {
        value
            .pointer(pointer)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    if !data.is_object() {
        return Mapped::Unmappable(format!("{event} without a message object"));
    }
    let (Some(id), Some(channel_id)) = (text(data, "/id"), text(data, "/channel_id")) else {
        return Mapped::Unmappable(format!("{event} without an id or a channel_id"));
    };
    let external_id = format!("{channel_id}:{id}");
    let content = data.get("content");
    if edit && content.is_none() {
        return Mapped::Ignored(format!(
            "{event} {external_id} without content: not an edit"
        ));
    }
    if edit && data.get("edited_timestamp").is_some_and(Value::is_null) {
        return Mapped::Ignored(format!(
            "{event} {external_id} of a message never edited (an embed or a flag changed)"
        ));
    }
    let Some(author_id) = text(data, "/author/id") else {
        return Mapped::Unmappable(format!("{event} {external_id} without an author"));
    };
    if bot_id == Some(author_id.as_str()) {
        return Mapped::Ignored(format!("{event} {external_id} is the bot's own message"));
    }
    let guild_id = text(data, "/guild_id");
    let webhook_id = text(data, "/webhook_id");
    let message_type = data.get("type").and_then(Value::as_u64).unwrap_or(0);
    let flags = data.get("flags").and_then(Value::as_u64).unwrap_or(0);
    let written = WRITTEN_TYPES.contains(&message_type);
    let voice = flags & VOICE_MESSAGE_FLAG != 0;
    let is_bot = data.pointer("/author/bot").and_then(Value::as_bool) == Some(true);

    let attachments: Vec<Attachment> = data
        .get("attachments")
        .and_then(Value::as_array)
        .map(|list| list.iter().filter_map(|a| attachment(a, voice)).collect())
        .unwrap_or_default();
    let stickers: Vec<Value> = data
        .get("sticker_items")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .map(|s| json!({ "id": s.get("id"), "name": s.get("name") }))
                .collect()
        })
        .unwrap_or_default();
    let body = content
        .and_then(Value::as_str)
        .filter(|c| !c.trim().is_empty())
        .map(str::to_owned);
    let kind = if !written {
        Kind::System
    } else if body.is_some() {
        Kind::Text
    } else if let Some(first) = attachments.first() {
        match first.kind {
            AttachmentKind::Image => Kind::Image,
            AttachmentKind::Audio | AttachmentKind::Voice => Kind::Audio,
            AttachmentKind::Video => Kind::Video,
            AttachmentKind::Sticker => Kind::Sticker,
            AttachmentKind::Document | AttachmentKind::Other => Kind::Document,
        }
    } else if !stickers.is_empty() {
        Kind::Sticker
    } else {
        // Embeds alone, a poll, or content withheld for want of the
        // MESSAGE_CONTENT intent.
        Kind::Other
    };

    let mentions_bot = bot_id.is_some_and(|bot| {
        let mentioned = data
            .get("mentions")
            .and_then(Value::as_array)
            .is_some_and(|users| {
                users
                    .iter()
                    .any(|u| u.get("id").and_then(Value::as_str) == Some(bot))
            });
        mentioned
            || data
                .pointer("/referenced_message/author/id")
                .and_then(Value::as_str)
                == Some(bot)
    });
    let reply_to = data
        .get("message_reference")
        .filter(|_| written && flags & CROSSPOST_FLAG == 0)
        .filter(|r| r.get("type").and_then(Value::as_u64) != Some(FORWARD_REFERENCE))
        .and_then(|r| {
            let message_id = text(r, "/message_id")?;
            let channel = text(r, "/channel_id").unwrap_or_else(|| channel_id.clone());
            Some(format!("{channel}:{message_id}"))
        });
    let timestamp_ms = data
        .get("timestamp")
        .and_then(Value::as_str)
        .and_then(time::iso8601_millis)
        .or_else(|| time::snowflake_millis(&id));
    let edited_at_ms = data
        .get("edited_timestamp")
        .and_then(Value::as_str)
        .and_then(time::iso8601_millis);
    let sender_name = text(data, "/member/nick")
        .or_else(|| text(data, "/author/global_name"))
        .or_else(|| text(data, "/author/username"));

    let mut metadata = Map::new();
    metadata.insert("channel_id".into(), channel_id.clone().into());
    metadata.insert("message_id".into(), id.clone().into());
    if let Some(guild_id) = &guild_id {
        metadata.insert("guild_id".into(), guild_id.clone().into());
    }
    metadata.insert("message_type".into(), message_type.into());
    if let Some(webhook_id) = webhook_id.as_ref() {
        metadata.insert("webhook_id".into(), webhook_id.clone().into());
    }
    if !stickers.is_empty() {
        metadata.insert("stickers".into(), Value::Array(stickers));
    }

    Mapped::Message(Box::new(Inbound {
        external_id,
        conversation_id: channel_id,
        sender_id: author_id,
        sender_name,
        sender_kind: if is_bot || webhook_id.is_some() {
            SenderKind::Bot
        } else {
            SenderKind::User
        },
        text: body,
        timestamp: timestamp_ms.map_or(0, |ms| ms / 1_000),
        reply_to,
        kind,
        chat_type: if guild_id.is_some() {
            ChatType::Group
        } else {
            ChatType::Direct
        },
        mentions_bot,
        thread_id: None,
        is_edit: edit,
        edited_at_ms: if edit { edited_at_ms } else { None },
        attachments,
        reaction: None,
        button: None,
        metadata: Value::Object(metadata).to_string(),
    }))
}

/// One attachment object: its CDN `url` is the reference the download uses.
fn attachment(value: &Value, voice: bool) -> Option<Attachment> {
    let url = value
        .get("url")
        .and_then(Value::as_str)
        .filter(|u| !u.trim().is_empty())?;
    let mime_type = value
        .get("content_type")
        .and_then(Value::as_str)
        .filter(|m| !m.trim().is_empty())
        .map(str::to_owned);
    let top = mime_type
        .as_deref()
        .and_then(|m| m.split('/').next())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let kind = match top.as_str() {
        "image" => AttachmentKind::Image,
        "audio" if voice => AttachmentKind::Voice,
        "audio" => AttachmentKind::Audio,
        "video" => AttachmentKind::Video,
        _ => AttachmentKind::Document,
    };
    Some(Attachment {
        kind,
        mime_type,
        size: value.get("size").and_then(Value::as_u64),
        file_name: value
            .get("filename")
            .and_then(Value::as_str)
            .map(str::to_owned),
        caption: value
            .get("description")
            .and_then(Value::as_str)
            .filter(|d| !d.trim().is_empty())
            .map(str::to_owned),
        reference: url.to_owned(),
    })
}

#[cfg(test)]
mod tests;
