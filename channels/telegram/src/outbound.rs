//! Sending replies: text with `sendMessage`, files with `sendPhoto`,
//! `sendDocument`, `sendAudio`, `sendVoice` and `sendVideo`.

use serde_json::Value;
use switchboard_channel_sdk::{DeliveryFailure, Host, Level, Reply};

use crate::bot_api::{self, Target};
use crate::emitted;
use crate::parts::{self, Part};
use crate::upload;

/// Sends `reply` as the messages [`parts::plan`] cuts it into (text split at
/// Telegram's limit, one message per file) and returns `<chat id>:<message id>`
/// of the first one.
///
/// Only the first part quotes the answered message. When a reply of several
/// parts fails half-way, the ids of the parts already sent are kept in instance
/// state under the idempotency key, so the host's retry sends only the missing
/// parts: no text twice, no file uploaded twice.
pub(crate) fn respond(host: &impl Host, reply: &Reply) -> Result<Option<String>, DeliveryFailure> {
    let parts = parts::plan(reply);
    if parts.is_empty() {
        return Err(DeliveryFailure::permanent(
            "reply has no text and no attachments; telegram rejects empty messages",
        ));
    }
    let api_base = bot_api::api_base(host);
    let target = Target {
        chat_id: reply.conversation_id.clone(),
        thread_id: reply_thread(reply),
    };
    let reply_to = reply
        .in_reply_to
        .as_ref()
        .and_then(emitted::quoted_message_id);
    let progress_key = format!("reply-progress/{}", reply.idempotency_key);
    let track = parts.len() > 1;
    let mut sent = if track {
        load_progress(host, &progress_key)
    } else {
        Vec::new()
    };

    for (index, part) in parts.iter().enumerate().skip(sent.len()) {
        let quote = reply_to.filter(|_| index == 0);
        let (method, request) = match *part {
            Part::Text(text) => (
                "sendMessage",
                bot_api::call(
                    &api_base,
                    "sendMessage",
                    &bot_api::send_message(&target, text, quote),
                ),
            ),
            Part::File {
                attachment,
                caption,
            } => (
                upload::send_of(attachment).method,
                upload::send_file(&api_base, &target, attachment, caption, quote),
            ),
        };
        let response = host
            .fetch(request)
            .map_err(|failure| DeliveryFailure::from(failure).context(method))?;
        let result = bot_api::read_answer(&response).map_err(|f| f.context(method))?;
        let id = result.get("message_id").and_then(Value::as_i64);
        if id.is_none() {
            host.log(
                Level::Warn,
                &format!("{method} succeeded without a message id"),
            );
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

/// The forum topic a reply goes to: the reply's `thread_id`, else the topic of
/// the answered message. The answered message's own reply thread outside a forum
/// is left out: Telegram's send methods accept a thread only for forum topics.
fn reply_thread(reply: &Reply) -> Option<i64> {
    let answered = reply.in_reply_to.as_ref();
    let requested = reply.thread_id.as_deref().and_then(|id| id.parse().ok());
    match requested {
        Some(thread)
            if answered
                .is_some_and(|m| !emitted::in_topic(m) && emitted::thread(m) == Some(thread)) =>
        {
            None
        }
        Some(thread) => Some(thread),
        None => answered
            .filter(|m| emitted::in_topic(m))
            .and_then(emitted::thread),
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
