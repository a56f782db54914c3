//! One `messages[]` entry to one inbound message.

use serde_json::Value;
use switchboard_channel_sdk::Inbound;

use super::content::content_of;
use super::metadata::{Source, metadata_of};
use super::sender::{chat_type_of, contact_name, group_id_of, mentions_business, sender_of};
use super::{ChangeContext, Position, Problem, non_empty_str, str_at};
use crate::conversation::{ConversationId, Peer};

/// Maps one message, or says why it cannot be.
pub(super) fn parse(
    change: &ChangeContext<'_>,
    message: &Value,
    at: Position,
) -> Result<Inbound, Problem> {
    let id = non_empty_str(message, "id").ok_or(Problem::NoMessageId { at })?;
    let message_type = str_at(message, "type").unwrap_or("unknown");
    let edit = (message_type == "edit")
        .then(|| Edit::of(message, id, at))
        .transpose()?;
    let (content_message, content_type) = match &edit {
        Some(edit) => (edit.new_version, edit.new_type),
        None => (message, message_type),
    };
    let sender = sender_of(change, message).ok_or_else(|| Problem::NoSender {
        at,
        id: id.to_owned(),
    })?;
    let group_id = group_id_of(message);
    let chat_type = chat_type_of(group_id);
    let peer = match group_id {
        // Replies go to the group, and the agent sees the group's history, not
        // one member's.
        Some(group) => Peer::Group(group),
        None => Peer::User(sender.id),
    };
    let content = content_of(content_type, content_message);
    let timestamp = timestamp_of(message);
    let metadata = metadata_of(
        change,
        &Source {
            message,
            content: content_message,
            content_type,
            contact: sender.contact,
            group_id,
            edit_id: edit.as_ref().map(|_| id),
        },
    );
    Ok(Inbound {
        external_id: edit.as_ref().map_or(id, |edit| edit.original_id).to_owned(),
        conversation_id: ConversationId {
            phone_number_id: change.phone_number_id,
            peer,
        }
        .to_string(),
        sender_id: sender.id.to_owned(),
        sender_name: sender.contact.and_then(contact_name).map(str::to_owned),
        sender_kind: sender.kind,
        mentions_bot: mentions_business(change, message, chat_type, content.text.as_deref()),
        text: content.text,
        timestamp,
        reply_to: reply_to_of(content_message).or_else(|| reply_to_of(message)),
        kind: content.kind,
        chat_type,
        // WhatsApp has no threads inside a chat.
        thread_id: None,
        is_edit: edit.is_some(),
        // The edit notification's timestamp is when the person made the edit; an
        // unknown time leaves the order of arrival to decide.
        edited_at_ms: edit
            .and(Some(timestamp))
            .filter(|&seconds| seconds > 0)
            .map(|seconds| seconds.saturating_mul(1000)),
        attachments: content.attachments,
        reaction: content.reaction,
        button: content.button,
        metadata,
    })
}

/// An edit notification (`type: edit`, Meta's "Edit messages webhook reference"):
/// the new version of an earlier message, to be stored under the earlier one's id.
struct Edit<'a> {
    original_id: &'a str,
    new_version: &'a Value,
    new_type: &'a str,
}

impl<'a> Edit<'a> {
    fn of(message: &'a Value, id: &str, at: Position) -> Result<Self, Problem> {
        let edit = message.get("edit").unwrap_or(&Value::Null);
        let original_id = non_empty_str(edit, "original_message_id").ok_or_else(|| {
            Problem::EditWithoutOriginal {
                at,
                id: id.to_owned(),
            }
        })?;
        let new_version = edit.get("message").unwrap_or(&Value::Null);
        Ok(Self {
            original_id,
            new_version,
            new_type: str_at(new_version, "type").unwrap_or("unknown"),
        })
    }
}

/// The message this one quotes: `context.id`. A forwarded message has a context
/// without an id, so nothing to point at.
fn reply_to_of(message: &Value) -> Option<String> {
    message
        .get("context")
        .and_then(|context| non_empty_str(context, "id"))
        .map(str::to_owned)
}

/// Meta sends Unix seconds as a string; a number is accepted too, anything else
/// is "unknown" (0) rather than a reason to drop the message.
fn timestamp_of(message: &Value) -> u64 {
    match message.get("timestamp") {
        Some(Value::String(seconds)) => seconds.trim().parse().unwrap_or(0),
        Some(Value::Number(seconds)) => seconds.as_u64().unwrap_or(0),
        _ => 0,
    }
}
