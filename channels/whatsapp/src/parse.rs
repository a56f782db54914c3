//! WhatsApp Cloud API webhook payloads to inbound messages.
//!
//! Works on an already-decoded `serde_json::Value` and walks it by hand rather than
//! through derived structs: one malformed message, or a field whose type Meta
//! changes, must cost that message only, never the rest of a batch of up to a
//! thousand updates.

use std::fmt;

use serde_json::{Map, Value};
use switchboard_channel_sdk::{Inbound, Kind};

/// The `object` of every WhatsApp Business Account webhook.
const WABA_OBJECT: &str = "whatsapp_business_account";

/// The host rejects metadata larger than this (WIT `inbound-message.metadata`).
pub(crate) const METADATA_MAX_BYTES: usize = 64 * 1024;

/// Keys of a message copied verbatim into its metadata when present.
const VERBATIM_KEYS: [&str; 4] = ["context", "referral", "errors", "identity"];

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
    #[error("{at} ({id}) has neither from nor from_user_id")]
    NoSender { at: Position, id: String },
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
    phone_number_id: &'a str,
    display_phone_number: Option<&'a str>,
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
        match parse_message(&context, message, at) {
            Ok(inbound) => parsed.messages.push(inbound),
            Err(problem) => parsed.problems.push(problem),
        }
    }
}

fn parse_message(
    change: &ChangeContext<'_>,
    message: &Value,
    at: Position,
) -> Result<Inbound, Problem> {
    let id = non_empty_str(message, "id").ok_or(Problem::NoMessageId { at })?;
    let from = non_empty_str(message, "from");
    let from_user_id = non_empty_str(message, "from_user_id");
    // Users who adopt a username may withhold their phone number; the
    // business-scoped user id is then the only handle on them.
    let sender = from.or(from_user_id).ok_or_else(|| Problem::NoSender {
        at,
        id: id.to_owned(),
    })?;
    let message_type = str_at(message, "type").unwrap_or("unknown");
    let contact = find_contact(change.contacts, from, from_user_id);
    Ok(Inbound {
        external_id: id.to_owned(),
        conversation_id: format!("{}:{sender}", change.phone_number_id),
        sender_id: sender.to_owned(),
        sender_name: contact.and_then(contact_name).map(str::to_owned),
        text: text_of(message_type, message).map(str::to_owned),
        timestamp: timestamp_of(message),
        reply_to: message
            .get("context")
            .and_then(|context| non_empty_str(context, "id"))
            .map(str::to_owned),
        kind: kind_of(message_type),
        is_edit: false,
        metadata: metadata_of(change, message, message_type, contact),
    })
}

/// Maps a `messages[].type`; types this contract does not model (`order`,
/// `unsupported`, `request_welcome`, future ones) become `Other`.
fn kind_of(message_type: &str) -> Kind {
    match message_type {
        "text" => Kind::Text,
        "image" => Kind::Image,
        "audio" => Kind::Audio,
        "video" => Kind::Video,
        "document" => Kind::Document,
        "sticker" => Kind::Sticker,
        "location" => Kind::Location,
        "contacts" => Kind::Contact,
        "reaction" => Kind::Reaction,
        "interactive" => Kind::Interactive,
        "button" => Kind::Button,
        "system" => Kind::System,
        _ => Kind::Other,
    }
}

/// The contact entry describing the sender: the one whose `wa_id` (or `user_id`)
/// matches, else the only one, since Meta sends one contact per sender.
fn find_contact<'a>(
    contacts: &'a [Value],
    from: Option<&str>,
    from_user_id: Option<&str>,
) -> Option<&'a Value> {
    let matches = |contact: &&Value| {
        (from.is_some() && str_at(contact, "wa_id") == from)
            || (from_user_id.is_some() && str_at(contact, "user_id") == from_user_id)
    };
    contacts.iter().find(matches).or(match contacts {
        [only] => Some(only),
        _ => None,
    })
}

fn contact_name(contact: &Value) -> Option<&str> {
    let profile = contact.get("profile")?;
    non_empty_str(profile, "name").or_else(|| non_empty_str(profile, "username"))
}

/// The human-readable text of a message: its body, caption, emoji or chosen
/// option, depending on the type.
fn text_of<'a>(message_type: &str, message: &'a Value) -> Option<&'a str> {
    let content = message.get(message_type)?;
    match message_type {
        "text" | "system" => non_empty_str(content, "body"),
        "image" | "video" | "document" => non_empty_str(content, "caption"),
        // An empty or missing emoji is the user removing their reaction.
        "reaction" => non_empty_str(content, "emoji"),
        "button" | "order" => non_empty_str(content, "text"),
        "interactive" => {
            // `{"type": "button_reply", "button_reply": {"title": ..}}`, likewise
            // `list_reply`; flow answers (`nfm_reply`) carry a `body` instead.
            let reply = content.get(str_at(content, "type")?)?;
            non_empty_str(reply, "title").or_else(|| non_empty_str(reply, "body"))
        }
        _ => None,
    }
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

/// The metadata object: where the message arrived, who sent it, and the
/// type-specific content verbatim (media ids, coordinates, reaction target, ...).
fn metadata_of(
    change: &ChangeContext<'_>,
    message: &Value,
    message_type: &str,
    contact: Option<&Value>,
) -> String {
    let mut summary = Map::new();
    summary.insert("phone_number_id".into(), change.phone_number_id.into());
    summary.insert(
        "display_phone_number".into(),
        change.display_phone_number.into(),
    );
    if let Some(waba_id) = change.waba_id {
        summary.insert("waba_id".into(), waba_id.into());
    }
    summary.insert("type".into(), message_type.into());
    for key in ["from", "from_user_id"] {
        if let Some(value) = non_empty_str(message, key) {
            summary.insert(key.into(), value.into());
        }
    }
    if let Some(contact) = contact {
        for key in ["user_id", "parent_user_id"] {
            if let Some(value) = non_empty_str(contact, key) {
                summary.insert(key.into(), value.into());
            }
        }
        if let Some(username) = contact
            .get("profile")
            .and_then(|profile| non_empty_str(profile, "username"))
        {
            summary.insert("username".into(), username.into());
        }
    }
    let context = message.get("context");
    for flag in ["forwarded", "frequently_forwarded"] {
        let set = context
            .and_then(|context| context.get(flag))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        summary.insert(flag.into(), set.into());
    }

    let mut full = summary.clone();
    for key in VERBATIM_KEYS.into_iter().chain([message_type]) {
        if let Some(value) = message.get(key)
            && !full.contains_key(key)
        {
            full.insert(key.into(), value.clone());
        }
    }
    let full = Value::Object(full).to_string();
    if full.len() <= METADATA_MAX_BYTES {
        return full;
    }
    // A huge contact card or order must not cost the message itself: keep what
    // replies and read receipts need and say that the rest was left out.
    summary.insert("truncated".into(), true.into());
    Value::Object(summary).to_string()
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
