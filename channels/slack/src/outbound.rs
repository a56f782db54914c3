//! Sending replies (`chat.postMessage`, or Slack's external file upload for
//! replies with files) and the acknowledgement reaction (`reactions.add`).

mod files;
mod progress;
mod upload;

use serde_json::{Map, Value, json};
use switchboard_channel_sdk::{DeliveryFailure, Host, Inbound, Kind, Reply, SenderKind};

use crate::web_api::{self, api_base};

/// The reaction added to stored messages unless the `ack_reaction` setting says
/// otherwise.
const DEFAULT_ACK_REACTION: &str = "eyes";

/// Sends `reply` and returns `<channel>:<ts>` of the posted message when Slack
/// says which it is.
///
/// A reply with files goes through [`files::send`], its text as the comment of
/// the files; a reply of text alone is posted with `chat.postMessage`.
pub(crate) fn respond(host: &impl Host, reply: &Reply) -> Result<Option<String>, DeliveryFailure> {
    let destination = Destination::of(reply)?;
    if !reply.attachments.is_empty() {
        return files::send(host, reply, &destination);
    }
    if reply.text.trim().is_empty() {
        return Err(DeliveryFailure::permanent(
            "reply text is empty; slack rejects empty messages",
        ));
    }
    let mut body = json!({ "channel": destination.channel, "text": reply.text });
    if let Some(thread_ts) = destination.thread_ts {
        body["thread_ts"] = thread_ts.into();
    }
    let request = web_api::call(&api_base(host), "chat.postMessage", &body);
    let context = |failure: DeliveryFailure| failure.context("chat.postMessage");
    let response = host
        .fetch(request)
        .map_err(|failure| context(failure.into()))?;
    let answer = web_api::read_answer(&response).map_err(context)?;
    let posted_in = answer
        .get("channel")
        .and_then(Value::as_str)
        .unwrap_or(destination.channel);
    Ok(answer
        .get("ts")
        .and_then(Value::as_str)
        .map(|ts| format!("{posted_in}:{ts}")))
}

/// Where a reply goes, read from the reply alone so that a message the agent
/// writes first (no `in_reply_to`) goes to the same place as an answer.
///
/// The conversation id says which channel: `<channel>`, or `<channel>:<thread_ts>`
/// for a thread. The reply's `thread_id` (the thread of the message answered)
/// says which thread, and failing one the conversation's: a reply to a top-level
/// message goes to the channel and does not open a thread.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Destination<'a> {
    pub(crate) channel: &'a str,
    pub(crate) thread_ts: Option<&'a str>,
}

impl<'a> Destination<'a> {
    fn of(reply: &'a Reply) -> Result<Self, DeliveryFailure> {
        let (channel, conversation_thread) = match reply.conversation_id.split_once(':') {
            Some((channel, thread)) => (channel, Some(thread)),
            None => (reply.conversation_id.as_str(), None),
        };
        if channel.trim().is_empty() {
            return Err(DeliveryFailure::permanent(format!(
                "conversation id `{}` names no channel",
                reply.conversation_id
            )));
        }
        let thread_ts = reply
            .thread_id
            .as_deref()
            .filter(|thread| !thread.trim().is_empty())
            .or(conversation_thread.filter(|thread| !thread.trim().is_empty()));
        Ok(Self { channel, thread_ts })
    }
}

/// Adds the `ack_reaction` emoji to a newly stored message, so the sender sees it
/// arrived. It says "received", not "an answer is coming": it goes on every
/// person's message, whatever the access policy decides. Messages from bots,
/// service events, reactions and edits get none; interactions and slash commands
/// have no message of their own to react to. An empty setting disables it.
pub(crate) fn acknowledge(host: &impl Host, message: &Inbound) -> Result<(), String> {
    if message.sender_kind != SenderKind::User
        || matches!(message.kind, Kind::System | Kind::Reaction)
        || message.is_edit
    {
        return Ok(());
    }
    let setting = host
        .setting("ack_reaction")
        .unwrap_or_else(|| DEFAULT_ACK_REACTION.to_owned());
    // Slack wants the bare name; operators often write `:eyes:`.
    let name = setting.trim().trim_matches(':');
    if name.is_empty() {
        return Ok(());
    }
    let metadata = parse_metadata(&message.metadata);
    let field = |key: &str| metadata.get(key).and_then(Value::as_str);
    if field("source") != Some("event") {
        return Ok(());
    }
    let (Some(channel), Some(ts)) = (field("channel"), field("ts")) else {
        return Err(format!(
            "message {} has no channel or ts in its metadata",
            message.external_id
        ));
    };
    let body = json!({ "channel": channel, "name": name, "timestamp": ts });
    let request = web_api::call(&api_base(host), "reactions.add", &body);
    let response = host
        .fetch(request)
        .map_err(|failure| format!("reactions.add: {failure}"))?;
    // A retried hook, or a person who reacted first, must not count as a failure.
    if web_api::error_code(&response).as_deref() == Some("already_reacted") {
        return Ok(());
    }
    web_api::read_answer(&response)
        .map(drop)
        .map_err(|failure| format!("reactions.add: {failure}"))
}

/// Metadata the host hands back is what this channel emitted; anything else reads
/// as empty.
pub(crate) fn parse_metadata(metadata: &str) -> Map<String, Value> {
    match serde_json::from_str(metadata) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

#[cfg(test)]
mod tests;
