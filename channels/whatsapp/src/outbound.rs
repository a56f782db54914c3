//! Sending replies (text and files), read receipts and the typing indicator
//! through the host.

mod plan;
mod progress;
mod upload;

use serde_json::Value;
use switchboard_channel_sdk::{
    DeliveryFailure, Host, Inbound, Kind, Level, OutboundAttachment, Reply, SenderKind,
};

use crate::conversation::{ConversationId, InvalidConversationId, Peer, is_phone_number_id};
use crate::graph::{self, media};
use plan::Step;
use progress::Progress;

/// Marks a newly stored message as read, which also shows the person that the
/// business received it. It runs for every stored message, answered or not, so it
/// never shows "typing" (that is [`show_typing`]).
pub(crate) fn mark_read(host: &impl Host, message: &Inbound) -> Result<(), String> {
    // Only something a person sent can be ticked as read: not a notice from
    // WhatsApp, not a reaction (which has no tick of its own), not the business's
    // own message.
    if message.sender_kind != SenderKind::User
        || matches!(message.kind, Kind::System | Kind::Reaction)
    {
        host.log(
            Level::Debug,
            &format!(
                "not marking {:?} {:?} message {} read",
                message.sender_kind, message.kind, message.external_id
            ),
        );
        return Ok(());
    }
    post_status(host, message, &graph::read_receipt(&message.external_id))
        .map_err(|failure| format!("mark {} read: {failure}", message.external_id))
}

/// Shows "typing…" to the person while the agent works on an answer to `message`
/// (and marks it read, which the indicator implies). WhatsApp hides it after 25
/// seconds or when the reply arrives; the host calls this again every few seconds
/// while the turn lasts.
pub(crate) fn show_typing(host: &impl Host, message: &Inbound) -> Result<(), String> {
    post_status(
        host,
        message,
        &graph::typing_indicator(&message.external_id),
    )
    .map_err(|failure| format!("show typing for {}: {failure}", message.external_id))
}

/// Posts a status update about `message` to the number it arrived at.
fn post_status(host: &impl Host, message: &Inbound, body: &Value) -> Result<(), String> {
    let phone_number_id = phone_number_id_of(message).map_err(|invalid| {
        format!("no phone_number_id in the message's metadata, and {invalid}")
    })?;
    let url = graph::messages_url(&api_base(host), &phone_number_id);
    send(host, url, body)
        .map(drop)
        .map_err(|failure| failure.to_string())
}

/// Sends a reply as the messages [`plan::plan`] makes of it (text parts, and each
/// attachment uploaded and sent as a media message) and returns the id of the
/// first one, which quotes the message answered.
///
/// The host retries a retryable failure by calling this again with the same
/// idempotency key. Uploads and messages that went out before the failure are
/// remembered in instance state under that key and not repeated.
pub(crate) fn respond(host: &impl Host, reply: &Reply) -> Result<Option<String>, DeliveryFailure> {
    let target = Target::of(reply)?;
    let steps = plan::plan(reply);
    if steps.is_empty() {
        return Err(DeliveryFailure::permanent(
            "reply has neither text nor attachments",
        ));
    }
    let api_base = api_base(host);
    let url = graph::messages_url(&api_base, &target.phone_number_id);
    let progress = Progress::new(host, &reply.idempotency_key, steps.len());
    let mut first_id = None;
    for (index, step) in steps.iter().enumerate() {
        let id = match progress.sent(index) {
            Some(id) => {
                host.log(
                    Level::Debug,
                    &format!("reply part {index} was already sent"),
                );
                id
            }
            None => {
                let what = format!("send part {} of {}", index + 1, steps.len());
                // An agent-initiated message (no `in_reply_to`) quotes nothing.
                let quote = (index == 0)
                    .then(|| reply.in_reply_to.as_ref().map(|m| m.external_id.as_str()))
                    .flatten();
                let body = match step {
                    Step::Text(text) => graph::text_message(target.peer(), text, quote),
                    Step::Media {
                        attachment,
                        caption,
                    } => {
                        let media_id =
                            media_id(host, &progress, &api_base, &target, index, attachment)
                                .map_err(|failure| failure.context(&what))?;
                        let media = media::Media {
                            media_type: media::MediaType::of(attachment.kind),
                            media_id: &media_id,
                            caption: *caption,
                            file_name: attachment.file_name.as_deref(),
                        };
                        media::media_message(target.peer(), media, quote)
                    }
                };
                let id =
                    send(host, url.clone(), &body).map_err(|failure| failure.context(&what))?;
                progress.record_sent(index, id.as_deref());
                id
            }
        };
        if index == 0 {
            first_id = id;
        }
    }
    progress.clear(&steps);
    Ok(first_id)
}

/// The media id of step `index`'s file: uploaded by an earlier attempt, or now.
fn media_id<H: Host>(
    host: &H,
    progress: &Progress<'_, H>,
    api_base: &str,
    target: &Target,
    index: usize,
    attachment: &OutboundAttachment,
) -> Result<String, DeliveryFailure> {
    if let Some(media_id) = progress.uploaded(index) {
        return Ok(media_id);
    }
    let media_id = upload::upload(host, api_base, &target.phone_number_id, attachment)?;
    progress.record_upload(index, &media_id);
    Ok(media_id)
}

/// Where a reply goes: the business number it is sent from and the person or
/// group it is sent to.
#[derive(Debug, PartialEq, Eq)]
struct Target {
    phone_number_id: String,
    recipient: Recipient,
}

#[derive(Debug, PartialEq, Eq)]
enum Recipient {
    User(String),
    Group(String),
}

impl Target {
    /// Reads the conversation id the channel emitted, falling back to the metadata
    /// and sender of the message being answered (a conversation id from before the
    /// current format, say). The refusal says what is wrong with the id.
    fn of(reply: &Reply) -> Result<Self, DeliveryFailure> {
        match ConversationId::parse(&reply.conversation_id) {
            Ok(conversation) => Ok(Self::from(conversation)),
            Err(invalid) => reply
                .in_reply_to
                .as_ref()
                .and_then(Self::of_answered)
                .ok_or_else(|| {
                    DeliveryFailure::permanent(format!(
                        "{invalid}, and no answered message says where to reply"
                    ))
                }),
        }
    }

    fn of_answered(message: &Inbound) -> Option<Self> {
        let phone_number_id = phone_number_id_of(message).ok()?;
        let metadata = serde_json::from_str::<Value>(&message.metadata).ok();
        let group = metadata
            .as_ref()
            .and_then(|metadata| metadata.get("group_id"))
            .and_then(Value::as_str)
            .filter(|group| !group.is_empty());
        let recipient = match group {
            Some(group) => Recipient::Group(group.to_owned()),
            None if message.sender_id.is_empty() => return None,
            None => Recipient::User(message.sender_id.clone()),
        };
        Some(Self {
            phone_number_id,
            recipient,
        })
    }

    fn peer(&self) -> Peer<'_> {
        match &self.recipient {
            Recipient::User(user) => Peer::User(user),
            Recipient::Group(group) => Peer::Group(group),
        }
    }
}

impl From<ConversationId<'_>> for Target {
    fn from(conversation: ConversationId<'_>) -> Self {
        Self {
            phone_number_id: conversation.phone_number_id.to_owned(),
            recipient: match conversation.peer {
                Peer::User(user) => Recipient::User(user.to_owned()),
                Peer::Group(group) => Recipient::Group(group.to_owned()),
            },
        }
    }
}

/// The business phone number a message arrived at: from its metadata, else from
/// its conversation id, which carries the same number.
fn phone_number_id_of(message: &Inbound) -> Result<String, InvalidConversationId> {
    // The metadata is JSON this channel wrote; if it no longer parses, the
    // conversation id still answers the question.
    let metadata = serde_json::from_str::<Value>(&message.metadata).ok();
    let from_metadata = metadata
        .as_ref()
        .and_then(|metadata| metadata.get("phone_number_id"))
        .and_then(Value::as_str)
        .filter(|number| is_phone_number_id(number));
    match from_metadata {
        Some(number) => Ok(number.to_owned()),
        None => ConversationId::parse(&message.conversation_id)
            .map(|conversation| conversation.phone_number_id.to_owned()),
    }
}

/// The `api_base` setting, or the public Graph API.
pub(crate) fn api_base(host: &impl Host) -> String {
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

#[cfg(test)]
mod tests;
