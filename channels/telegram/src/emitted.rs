//! Reading back messages this channel emitted, as the host hands them to the
//! hooks and with replies. Messages stored by an earlier version of the channel
//! lack the newer fields, so details fall back to the metadata, which every
//! version wrote.

use serde_json::{Map, Value};
use switchboard_channel_sdk::{ChatType, Inbound, Kind};

/// Metadata the host hands back is what this channel emitted; should it not be a
/// JSON object, the work still goes on, only without the details it holds.
pub(crate) fn metadata(message: &Inbound) -> Map<String, Value> {
    match serde_json::from_str(&message.metadata) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

/// The Telegram message a reply to `message` quotes: the message itself
/// (`<chat id>:<message id>`), or for a button tap the message carrying the
/// keyboard. Anything else yields `None`, and the reply goes out unquoted.
pub(crate) fn quoted_message_id(message: &Inbound) -> Option<i64> {
    let external_id = if message.kind == Kind::Button {
        message.reply_to.as_deref()?
    } else {
        &message.external_id
    };
    let (_, id) = external_id.rsplit_once(':')?;
    id.parse().ok()
}

/// Whether the message is a channel post: nobody there awaits an answer and a
/// bot cannot type in a channel.
pub(crate) fn is_channel_post(message: &Inbound) -> bool {
    message.chat_type == ChatType::Broadcast
        || metadata(message).get("chat_type").and_then(Value::as_str) == Some("channel")
}

/// The thread the message was written in: `thread_id`, else the metadata's
/// `message_thread_id`.
pub(crate) fn thread(message: &Inbound) -> Option<i64> {
    message
        .thread_id
        .as_deref()
        .and_then(|id| id.parse().ok())
        .or_else(|| {
            metadata(message)
                .get("message_thread_id")
                .and_then(Value::as_i64)
        })
}

/// Whether the message was written in a forum topic. Outside forums Telegram also
/// sets `message_thread_id` (to the root of a reply thread), but `sendMessage`
/// accepts a thread only for topics.
pub(crate) fn in_topic(message: &Inbound) -> bool {
    metadata(message)
        .get("is_topic_message")
        .and_then(Value::as_bool)
        == Some(true)
}
