//! `callback_query` updates (a tap on an inline keyboard button) → a `button`
//! message.
//!
//! The tap belongs to the chat of the message carrying the keyboard and answers
//! that message. A button of an inline-mode message has no chat the bot can see;
//! its conversation is the private chat with the person who tapped. The query id
//! stays in the metadata: `answerCallbackQuery` needs it to stop the spinner on
//! the button (see `hooks`).

use serde_json::{Map, Value};
use switchboard_channel_sdk::{ButtonPress, ChatType, Inbound, Kind, SenderKind};

use crate::message::chat_type;
use crate::parse::{CallbackQuery, Message};

pub(crate) fn to_inbound(update_id: Option<i64>, query: &CallbackQuery) -> Inbound {
    let message = query.message.as_ref();
    let conversation_id = message.map_or(query.from.id, |m| m.chat.id).to_string();
    let payload = query
        .data
        .clone()
        .or_else(|| query.game_short_name.clone())
        .unwrap_or_default();
    let label = query
        .data
        .as_deref()
        .and_then(|data| message.and_then(|m| label(m, data)));

    let mut meta = Map::new();
    if let Some(id) = update_id {
        meta.insert("update_id".into(), id.into());
    }
    meta.insert("update_type".into(), "callback_query".into());
    meta.insert("callback_query_id".into(), query.id.as_str().into());
    if let Some(instance) = &query.chat_instance {
        meta.insert("chat_instance".into(), instance.as_str().into());
    }
    if let Some(id) = &query.inline_message_id {
        meta.insert("inline_message_id".into(), id.as_str().into());
    }
    if let Some(game) = &query.game_short_name {
        meta.insert("game_short_name".into(), game.as_str().into());
    }
    if let Some(m) = message {
        meta.insert("chat_id".into(), m.chat.id.into());
        meta.insert("message_id".into(), m.message_id.into());
        if let Some(kind) = &m.chat.kind {
            meta.insert("chat_type".into(), kind.as_str().into());
        }
        if let Some(thread) = m.message_thread_id {
            meta.insert("message_thread_id".into(), thread.into());
        }
        if m.is_topic_message == Some(true) {
            meta.insert("is_topic_message".into(), true.into());
        }
    }

    Inbound {
        external_id: format!("callback:{}", query.id),
        conversation_id,
        sender_id: query.from.id.to_string(),
        sender_name: query.from.display_name(),
        sender_kind: if query.from.is_bot {
            SenderKind::Bot
        } else {
            SenderKind::User
        },
        // The query carries no time; the message's date is when the keyboard was
        // sent, not when it was tapped.
        timestamp: 0,
        reply_to: message.map(|m| format!("{}:{}", m.chat.id, m.message_id)),
        kind: Kind::Button,
        chat_type: message.map_or(ChatType::Unknown, |m| chat_type(&m.chat)),
        // Callback buttons only exist on the bot's own messages: a tap answers the
        // bot as a reply to it would.
        mentions_bot: true,
        thread_id: message
            .and_then(|m| m.message_thread_id)
            .map(|id| id.to_string()),
        button: Some(ButtonPress { payload, label }),
        metadata: Value::Object(meta).to_string(),
        ..Inbound::default()
    }
}

/// The text of the button whose `callback_data` is `data`, in the message's inline
/// keyboard (`reply_markup.inline_keyboard`, rows of buttons).
fn label(message: &Message, data: &str) -> Option<String> {
    let rows = message
        .rest
        .get("reply_markup")?
        .get("inline_keyboard")?
        .as_array()?;
    rows.iter()
        .filter_map(Value::as_array)
        .flatten()
        .find(|button| button.get("callback_data").and_then(Value::as_str) == Some(data))
        .and_then(|button| button.get("text"))
        .and_then(Value::as_str)
        .map(str::to_owned)
}
