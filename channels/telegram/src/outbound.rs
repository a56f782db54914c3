//! Sending replies (`sendMessage`) and the "typing" indicator (`sendChatAction`).

use serde_json::Value;
use switchboard_channel_sdk::{DeliveryFailure, Host, Inbound, Level, Reply, split_text};

use crate::bot_api::{self, DEFAULT_API_BASE, MAX_TEXT_UNITS, Target};

/// Sends `reply`, split into several messages when it is longer than Telegram
/// allows, and returns `<chat id>:<message id>` of the first one.
///
/// Only the first part quotes the answered message. When a multi-part reply fails
/// half-way, the ids of the parts already sent are kept in instance state under
/// the idempotency key, so the host's retry sends only the missing parts.
pub(crate) fn respond(host: &impl Host, reply: &Reply) -> Result<Option<String>, DeliveryFailure> {
    let chunks = split_text(&reply.text, MAX_TEXT_UNITS);
    if chunks.is_empty() {
        return Err(DeliveryFailure::permanent(
            "reply text is empty; telegram rejects empty messages",
        ));
    }
    let api_base = api_base(host);
    let target = target(&reply.conversation_id, reply.in_reply_to.as_ref());
    let reply_to = reply.in_reply_to.as_ref().and_then(message_id);
    let progress_key = format!("reply-progress/{}", reply.idempotency_key);
    let track = chunks.len() > 1;
    let mut sent = if track {
        load_progress(host, &progress_key)
    } else {
        Vec::new()
    };

    for (index, chunk) in chunks.iter().enumerate().skip(sent.len()) {
        let body = bot_api::send_message(&target, chunk, reply_to.filter(|_| index == 0));
        let request = bot_api::call(&api_base, "sendMessage", &body);
        let response = host
            .fetch(request)
            .map_err(|failure| DeliveryFailure::from(failure).context("sendMessage"))?;
        let result = bot_api::read_answer(&response).map_err(|f| f.context("sendMessage"))?;
        let id = result.get("message_id").and_then(Value::as_i64);
        if id.is_none() {
            host.log(Level::Warn, "sendMessage succeeded without a message id");
        }
        sent.push(id);
        if track && let Err(reason) = save_progress(host, &progress_key, &sent) {
            host.log(
                Level::Warn,
                &format!("could not record reply progress; a retry may resend parts: {reason}"),
            );
        }
    }
    if track {
        host.state_delete(&progress_key);
    }
    Ok(sent
        .first()
        .copied()
        .flatten()
        .map(|id| format!("{}:{id}", target.chat_id)))
}

/// Shows "typing" in the chat of a newly stored message. Channel posts are
/// skipped: a bot cannot type in a channel, and its members do not await a reply.
pub(crate) fn show_typing(host: &impl Host, message: &Inbound) -> Result<(), String> {
    let metadata = parse_metadata(&message.metadata);
    if metadata.get("chat_type").and_then(Value::as_str) == Some("channel") {
        return Ok(());
    }
    let target = target(&message.conversation_id, Some(message));
    let request = bot_api::call(&api_base(host), "sendChatAction", &bot_api::typing(&target));
    let response = host
        .fetch(request)
        .map_err(|failure| format!("sendChatAction: {failure}"))?;
    bot_api::read_answer(&response)
        .map(drop)
        .map_err(|failure| format!("sendChatAction: {failure}"))
}

fn api_base(host: &impl Host) -> String {
    host.setting("api_base")
        .filter(|base| !base.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_API_BASE.to_owned())
}

/// The topic goes along only for forum topics: outside forums Telegram also sets
/// `message_thread_id` (to a reply thread's root), but `sendMessage` accepts it
/// only for topics.
fn target(conversation_id: &str, answered: Option<&Inbound>) -> Target {
    let thread_id = answered.and_then(|message| {
        let metadata = parse_metadata(&message.metadata);
        let in_topic = metadata.get("is_topic_message").and_then(Value::as_bool) == Some(true);
        metadata
            .get("message_thread_id")
            .and_then(Value::as_i64)
            .filter(|_| in_topic)
    });
    Target {
        chat_id: conversation_id.to_owned(),
        thread_id,
    }
}

/// The Telegram message id of an emitted message (`<chat id>:<message id>`); an
/// id of another shape yields `None`, and the reply goes out without quoting.
fn message_id(message: &Inbound) -> Option<i64> {
    let (_, id) = message.external_id.rsplit_once(':')?;
    id.parse().ok()
}

/// Metadata the host hands back is what this channel emitted; should it not be a
/// JSON object, the reply still goes out, only without topic details.
fn parse_metadata(metadata: &str) -> serde_json::Map<String, Value> {
    match serde_json::from_str(metadata) {
        Ok(Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    }
}

/// Progress lost or unreadable means starting over: at worst a part is sent twice.
fn load_progress(host: &impl Host, key: &str) -> Vec<Option<i64>> {
    host.state_get(key)
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

fn save_progress(host: &impl Host, key: &str, sent: &[Option<i64>]) -> Result<(), String> {
    host.state_set(key, Value::from(sent.to_vec()).to_string().as_bytes())
}

#[cfg(test)]
mod tests;
