//! WhatsApp Cloud API webhook payloads to inbound messages.
//!
//! Works on an already-decoded `serde_json::Value` and walks it by hand rather than
//! through derived structs: one malformed message, or a field whose type Meta
//! changes, must cost that message only, never the rest of a batch of up to a
//! thousand updates.
//!
//! This file walks the envelope (entries, changes, messages); [`message`] maps one
//! message, with [`sender`] saying who wrote it and where, [`content`] what it
//! carries and [`metadata`] what is kept verbatim.

mod content;
mod message;
mod metadata;
mod sender;

use std::fmt;

use serde_json::Value;
use switchboard_channel_sdk::Inbound;

/// The `object` of every WhatsApp Business Account webhook.
const WABA_OBJECT: &str = "whatsapp_business_account";

/// What one webhook body contained.
#[derive(Debug, Default)]
pub(crate) struct Parsed {
    /// Every message of every entry and change, in payload order.
    pub(crate) messages: Vec<Inbound>,
    /// Status updates about messages we sent; they are not inbound messages.
    pub(crate) statuses: usize,
    /// `changes[].field` values other than `messages`, which carry no messages.
    pub(crate) other_fields: Vec<String>,
    /// Errors Meta reports in `value.errors`, as compact JSON.
    pub(crate) platform_errors: Vec<String>,
    /// Parts of the payload that could not become messages.
    pub(crate) problems: Vec<Problem>,
}

/// Where in a payload something was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Position {
    pub(crate) entry: usize,
    pub(crate) change: usize,
    pub(crate) message: Option<usize>,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "entry {} change {}", self.entry, self.change)?;
        if let Some(message) = self.message {
            write!(f, " message {message}")?;
        }
        Ok(())
    }
}

/// A part of a payload that could not become a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Problem {
    #[error("webhook object is {object:?}, expected {WABA_OBJECT:?}")]
    UnexpectedObject { object: String },
    #[error("webhook has no entry array")]
    NoEntries,
    #[error("entry {entry} has no changes array")]
    NoChanges { entry: usize },
    #[error("{at} has no value object")]
    NoValue { at: Position },
    #[error(
        "{at} has no metadata.phone_number_id, so its {messages} message(s) cannot be answered"
    )]
    NoPhoneNumberId { at: Position, messages: usize },
    #[error("{at} has no id")]
    NoMessageId { at: Position },
    #[error(
        "whatsapp message {id} has no sender: neither from nor from_user_id nor contacts[].user_id"
    )]
    NoSender { at: Position, id: String },
    #[error("whatsapp message {id} ({at}) is an edit without edit.original_message_id")]
    EditWithoutOriginal { at: Position, id: String },
}

impl Problem {
    /// Whether the problem cost a message someone sent, which the host must keep
    /// for replay rather than only see in a log: a fixed channel can map it later.
    pub(crate) fn lost_a_message(&self) -> bool {
        match self {
            Self::UnexpectedObject { .. }
            | Self::NoEntries
            | Self::NoChanges { .. }
            | Self::NoValue { .. } => false,
            Self::NoPhoneNumberId { .. }
            | Self::NoMessageId { .. }
            | Self::NoSender { .. }
            | Self::EditWithoutOriginal { .. } => true,
        }
    }
}

/// Reads every message of a webhook payload.
pub(crate) fn parse_webhook(payload: &Value) -> Parsed {
    let mut parsed = Parsed::default();
    if let Some(object) = str_at(payload, "object")
        && object != WABA_OBJECT
    {
        parsed.problems.push(Problem::UnexpectedObject {
            object: object.to_owned(),
        });
        return parsed;
    }
    let Some(entries) = payload.get("entry").and_then(Value::as_array) else {
        parsed.problems.push(Problem::NoEntries);
        return parsed;
    };
    for (entry_index, entry) in entries.iter().enumerate() {
        let Some(changes) = entry.get("changes").and_then(Value::as_array) else {
            parsed
                .problems
                .push(Problem::NoChanges { entry: entry_index });
            continue;
        };
        for (change_index, change) in changes.iter().enumerate() {
            let at = Position {
                entry: entry_index,
                change: change_index,
                message: None,
            };
            parse_change(entry, change, at, &mut parsed);
        }
    }
    parsed
}

/// The parts of a `changes[].value` every message in it shares.
struct ChangeContext<'a> {
    waba_id: Option<&'a str>,
    /// The business number the messages arrived at.
    phone_number_id: &'a str,
    /// The same number as people dial it, e.g. `15550783881` or `+1 555-078-3881`.
    display_phone_number: Option<&'a str>,
    /// Who the senders are: Meta sends one contact per sender.
    contacts: &'a [Value],
}

fn parse_change(entry: &Value, change: &Value, at: Position, parsed: &mut Parsed) {
    if let Some(field) = str_at(change, "field")
        && field != "messages"
    {
        parsed.other_fields.push(field.to_owned());
        return;
    }
    let Some(value) = change.get("value").filter(|value| value.is_object()) else {
        parsed.problems.push(Problem::NoValue { at });
        return;
    };
    parsed.statuses += array_at(value, "statuses").len();
    parsed
        .platform_errors
        .extend(array_at(value, "errors").iter().map(Value::to_string));
    let messages = array_at(value, "messages");
    if messages.is_empty() {
        return;
    }
    let metadata = value.get("metadata");
    let Some(phone_number_id) = metadata
        .and_then(|metadata| str_at(metadata, "phone_number_id"))
        .filter(|id| !id.is_empty())
    else {
        parsed.problems.push(Problem::NoPhoneNumberId {
            at,
            messages: messages.len(),
        });
        return;
    };
    let context = ChangeContext {
        waba_id: str_at(entry, "id"),
        phone_number_id,
        display_phone_number: metadata
            .and_then(|metadata| str_at(metadata, "display_phone_number")),
        contacts: array_at(value, "contacts"),
    };
    for (index, message) in messages.iter().enumerate() {
        let at = Position {
            message: Some(index),
            ..at
        };
        match message::parse(&context, message, at) {
            Ok(inbound) => parsed.messages.push(inbound),
            Err(problem) => parsed.problems.push(problem),
        }
    }
}

fn str_at<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

fn non_empty_str<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    str_at(value, key).filter(|text| !text.is_empty())
}

fn array_at<'a>(value: &'a Value, key: &str) -> &'a [Value] {
    value
        .get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

#[cfg(test)]
mod tests;
