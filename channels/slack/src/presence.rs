//! `presence.on-agent-working`: telling the person an answer is coming.

use serde_json::{Value, json};
use switchboard_channel_sdk::{Host, Inbound};

use crate::outbound::parse_metadata;
use crate::web_api::{self, api_base};

/// What the assistant's status line says while the agent works.
const STATUS: &str = "is typing...";

/// Shows "is typing..." under an AI app's assistant thread with
/// `assistant.threads.setStatus`; Slack clears it when the reply is posted, or
/// after two minutes, and the host calls again every few seconds while the turn
/// lasts.
///
/// Everywhere else this does nothing: Slack has no typing indicator a bot user
/// can show through the Web API outside assistant threads (the `typing` message
/// of the legacy RTM API is not available to apps using the Events API), and
/// `setStatus` refuses other threads. The acknowledgement reaction already tells
/// the person their message arrived.
pub(crate) fn agent_working(host: &impl Host, message: &Inbound) -> Result<(), String> {
    let metadata = parse_metadata(&message.metadata);
    if metadata.get("assistant_thread") != Some(&Value::Bool(true)) {
        return Ok(());
    }
    let field = |key: &str| metadata.get(key).and_then(Value::as_str);
    let (Some(channel), Some(thread_ts)) = (field("channel"), field("thread_ts")) else {
        return Err(format!(
            "assistant thread message {} has no channel or thread_ts in its metadata",
            message.external_id
        ));
    };
    let body = json!({ "channel_id": channel, "thread_ts": thread_ts, "status": STATUS });
    let request = web_api::call(&api_base(host), "assistant.threads.setStatus", &body);
    let response = host
        .fetch(request)
        .map_err(|failure| format!("assistant.threads.setStatus: {failure}"))?;
    web_api::read_answer(&response)
        .map(drop)
        .map_err(|failure| format!("assistant.threads.setStatus: {failure}"))
}

#[cfg(test)]
mod tests;
