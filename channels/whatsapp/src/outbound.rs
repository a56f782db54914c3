//! Sending replies and read receipts through the host.

use serde_json::Value;
use switchboard_channel_sdk::{DeliveryFailure, Host, Inbound, Kind, Level, Reply, split_text};

use crate::graph;

/// Marks a newly stored message as read, which also shows the user that the
/// business received it.
pub(crate) fn mark_read(host: &impl Host, message: &Inbound) -> Result<(), String> {
    if message.kind == Kind::System {
        // Number and identity changes are notices from WhatsApp, not something
        // the user sent and could see ticked as read.
        host.log(
            Level::Debug,
            &format!("not marking system message {} read", message.external_id),
        );
        return Ok(());
    }
    let phone_number_id = phone_number_id_of(message).ok_or_else(|| {
        format!(
            "message {} has no phone_number_id in its metadata or conversation id {:?}",
            message.external_id, message.conversation_id
        )
    })?;
    let url = graph::messages_url(&api_base(host), &phone_number_id);
    send(host, url, &graph::read_receipt(&message.external_id))
        .map(drop)
        .map_err(|failure| format!("mark {} read: {failure}", message.external_id))
}

/// Sends a reply, split into several messages when it exceeds the API's length
/// limit, and returns the id of the first one, which quotes the message answered.
///
/// The host retries a retryable failure by calling this again with the same
/// idempotency key. Parts of a split reply that went out before the failure are
/// remembered in instance state under that key and not sent twice.
pub(crate) fn respond(host: &impl Host, reply: &Reply) -> Result<Option<String>, DeliveryFailure> {
    let target = Target::of(reply)?;
    let parts = split_text(&reply.text, graph::TEXT_LIMIT);
    if parts.is_empty() {
        return Err(DeliveryFailure::permanent("reply text is empty"));
    }
    let url = graph::messages_url(&api_base(host), &target.phone_number_id);
    let split = parts.len() > 1;
    let mut first_id = None;
    for (index, part) in parts.iter().enumerate() {
        let key = part_key(&reply.idempotency_key, index);
        let remembered = split
            .then(|| host.state_get(&key))
            .flatten()
            .map(|id| String::from_utf8_lossy(&id).into_owned());
        let id = match remembered {
            Some(id) => {
                host.log(
                    Level::Debug,
                    &format!("reply part {index} was already sent"),
                );
                Some(id).filter(|id| !id.is_empty())
            }
            None => {
                let quote = (index == 0)
                    .then(|| reply.in_reply_to.as_ref().map(|m| m.external_id.as_str()))
                    .flatten();
                let body = graph::text_message(&target.recipient, part, quote);
                let id = send(host, url.clone(), &body).map_err(|failure| {
                    failure.context(&format!("send part {} of {}", index + 1, parts.len()))
                })?;
                if split
                    && let Err(reason) =
                        host.state_set(&key, id.as_deref().unwrap_or_default().as_bytes())
                {
                    host.log(
                        Level::Warn,
                        &format!("cannot remember sent reply part {index}: {reason}"),
                    );
                }
                id
            }
        };
        if index == 0 {
            first_id = id;
        }
    }
    if split {
        for index in 0..parts.len() {
            host.state_delete(&part_key(&reply.idempotency_key, index));
        }
    }
    Ok(first_id)
}

/// Where a reply goes: the business number it is sent from and the user.
#[derive(Debug, PartialEq, Eq)]
struct Target {
    phone_number_id: String,
    recipient: String,
}

impl Target {
    /// Reads the conversation id `<phone_number_id>:<wa_id>` the channel emitted,
    /// falling back to the metadata and sender of the message being answered.
    fn of(reply: &Reply) -> Result<Self, DeliveryFailure> {
        let (conversation_number, conversation_user) =
            reply.conversation_id.split_once(':').unwrap_or(("", ""));
        let answered = reply.in_reply_to.as_ref();
        let phone_number_id = Some(conversation_number)
            .filter(|id| graph::is_phone_number_id(id))
            .map(str::to_owned)
            .or_else(|| answered.and_then(phone_number_id_of));
        let recipient = Some(conversation_user)
            .filter(|user| !user.is_empty())
            .or_else(|| {
                answered
                    .map(|m| m.sender_id.as_str())
                    .filter(|s| !s.is_empty())
            });
        match (phone_number_id, recipient) {
            (Some(phone_number_id), Some(recipient)) => Ok(Self {
                phone_number_id,
                recipient: recipient.to_owned(),
            }),
            _ => Err(DeliveryFailure::permanent(format!(
                "conversation id {:?} is not <phone_number_id>:<user> and the answered \
                 message does not say where to reply",
                reply.conversation_id
            ))),
        }
    }
}

/// The business phone number a message arrived at: from its metadata, else from
/// its conversation id, which carries the same number.
fn phone_number_id_of(message: &Inbound) -> Option<String> {
    // The metadata is JSON this channel wrote; if it no longer parses, the
    // conversation id still answers the question.
    let metadata = serde_json::from_str::<Value>(&message.metadata).ok();
    metadata
        .as_ref()
        .and_then(|metadata| metadata.get("phone_number_id"))
        .and_then(Value::as_str)
        .filter(|number| graph::is_phone_number_id(number))
        .or_else(|| {
            let (number, _) = message.conversation_id.split_once(':')?;
            Some(number).filter(|number| graph::is_phone_number_id(number))
        })
        .map(str::to_owned)
}

/// The `api_base` setting, or the public Graph API.
fn api_base(host: &impl Host) -> String {
    host.setting("api_base")
        .filter(|base| !base.trim().is_empty())
        .unwrap_or_else(|| graph::DEFAULT_API_BASE.to_owned())
}

/// Posts `body` and returns the id of the message it created, if any.
fn send(host: &impl Host, url: String, body: &Value) -> Result<Option<String>, DeliveryFailure> {
    let response = host.fetch(graph::post(url, body))?;
    graph::check(&response)?;
    Ok(graph::sent_message_id(&response.body))
}

/// The state key remembering that part `index` of a reply was sent.
fn part_key(idempotency_key: &str, index: usize) -> String {
    format!("reply/{idempotency_key}/{index}")
}

#[cfg(test)]
mod tests;
