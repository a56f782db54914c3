//! The hooks around a stored message: nothing once it is stored, "typing..."
//! while the agent works (Trigger Typing Indicator), and the download of its
//! attachments.

use serde_json::Value;
use switchboard_channel_sdk::{Attachment, DeliveryFailure, Host, Inbound, Request};

use crate::api;

/// `persistence.on-message-persisted`: Discord needs nothing once a message is
/// stored.
pub(crate) fn on_message_persisted(_host: &impl Host, _message: &Inbound) -> Result<(), String> {
    Ok(())
}

/// `presence.on-agent-working`: "<bot> is typing..." in the channel of the message
/// being answered (`POST /channels/{channel_id}/typing`); Discord shows it for
/// about ten seconds, and the host calls again while the agent works.
///
/// A slash command needs none: Discord already shows "thinking..." since the
/// command was deferred.
pub(crate) fn on_agent_working(host: &impl Host, message: &Inbound) -> Result<(), String> {
    let metadata: Value = serde_json::from_str(&message.metadata).unwrap_or(Value::Null);
    if metadata.get("interaction_token").is_some() {
        return Ok(());
    }
    let channel_id = metadata
        .get("channel_id")
        .and_then(Value::as_str)
        .unwrap_or(&message.conversation_id);
    if !api::is_snowflake(channel_id) {
        return Err(format!(
            "message {} has no discord channel id",
            message.external_id
        ));
    }
    let request = api::bot_request(
        "POST",
        &api::api_base(host),
        &format!("channels/{channel_id}/typing"),
    );
    let response = host
        .fetch(request)
        .map_err(|failure| format!("trigger typing: {failure}"))?;
    api::read(&response)
        .map(drop)
        .map_err(|failure| format!("trigger typing: {failure}"))
}

/// `media.download-request`: a plain `GET` of the attachment's CDN URL, which
/// needs no token (the host checks it against the grants).
pub(crate) fn download_request(
    _host: &impl Host,
    attachment: &Attachment,
) -> Result<Request, DeliveryFailure> {
    let url = attachment.reference.trim();
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(DeliveryFailure::permanent(format!(
            "attachment reference {url:?} is not a URL"
        )));
    }
    Ok(Request::new("GET", url))
}

#[cfg(test)]
mod tests;
