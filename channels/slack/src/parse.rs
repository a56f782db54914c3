//! Slack payloads → what the channel does with them.
//!
//! Slack posts two body formats to a request URL: Events API deliveries are JSON
//! ([`events`]); interactivity payloads and slash commands are
//! `application/x-www-form-urlencoded` ([`interactive`]). The `content-type`
//! header decides which parser runs. Socket Mode carries the same payloads as
//! JSON objects in its envelopes: the Events API body, the interaction payload,
//! the slash command's fields. [`parse_event`], [`parse_interaction`] and
//! [`parse_slash_command`] read those, and the webhook's parsers end in the same
//! functions, so a payload maps the same way whichever way it arrived.
//!
//! Conversations: a top-level message belongs to `<channel>`, a thread reply to
//! `<channel>:<thread_ts>` (see [`channel`]).

mod channel;
mod events;
mod files;
mod identity;
mod interactive;
mod messages;
mod reactions;
mod ts;

use serde_json::{Map, Value, error::Category};
use switchboard_channel_sdk::{Inbound, header};

/// The host rejects metadata above 64 KiB; what may exceed that (files, actions)
/// is dropped first.
const MAX_METADATA_BYTES: usize = 60 * 1024;

/// What the operator configured that parsing depends on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Options {
    /// The `bot_user_id` setting: this app's bot user, for envelopes that do not
    /// name it in `authorizations`.
    pub(crate) bot_user_id: Option<String>,
}

/// What a webhook body asks for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Parsed {
    /// A `url_verification` handshake: answer with this challenge.
    Challenge(String),
    /// A message to emit (boxed: it is far larger than the other answers).
    Message(Box<Inbound>),
    /// A well-formed delivery with nothing to emit; the reason is for the log.
    Nothing(String),
}

/// Why a webhook body could not be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ParseError {
    /// The JSON body (or the form's `payload`) is not JSON at all.
    #[error("body is not valid json")]
    NotJson(#[source] serde_json::Error),
    /// A form body that is not UTF-8; Slack percent-encodes forms, so it is not
    /// from Slack.
    #[error("form body is not utf-8")]
    NotUtf8Form(#[source] std::str::Utf8Error),
    /// JSON that is not shaped like a Slack payload.
    #[error("body is json but not a slack payload")]
    Unreadable(#[source] serde_json::Error),
    /// A payload that lacks a field this channel needs.
    #[error("{payload} without {field}")]
    MissingField {
        /// What was being read, e.g. `message event`.
        payload: &'static str,
        /// The missing field.
        field: &'static str,
    },
}

impl ParseError {
    /// Whether refusing the request is right: only for bodies that are malformed
    /// as such. Anything else is acknowledged, since Slack would redeliver the same
    /// bytes.
    pub(crate) fn is_malformed(&self) -> bool {
        matches!(self, ParseError::NotJson(_) | ParseError::NotUtf8Form(_))
    }

    fn from_serde(err: serde_json::Error) -> Self {
        match err.classify() {
            Category::Data => ParseError::Unreadable(err),
            Category::Io | Category::Syntax | Category::Eof => ParseError::NotJson(err),
        }
    }
}

/// How a payload reached the channel, as far as what is emitted records it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Delivery<'a> {
    /// Which retry of an unacknowledged delivery this is (the webhook's
    /// `x-slack-retry-num`, a socket envelope's `retry_attempt`); `None` on the
    /// first delivery.
    pub(crate) retry_num: Option<&'a str>,
    /// Why Slack retried (`x-slack-retry-reason`, `retry_reason`).
    pub(crate) retry_reason: Option<&'a str>,
    /// When Slack sent it, in Unix seconds (the signed
    /// `x-slack-request-timestamp`); 0 when unknown. The time of an interaction or
    /// a slash command, whose payloads carry none of their own.
    pub(crate) request_time: u64,
}

impl<'a> Delivery<'a> {
    /// What a webhook request's headers say.
    pub(crate) fn from_headers(headers: &'a [(String, String)]) -> Self {
        Self {
            retry_num: header(headers, "x-slack-retry-num"),
            retry_reason: header(headers, "x-slack-retry-reason"),
            request_time: header(headers, "x-slack-request-timestamp")
                .and_then(|ts| ts.trim().parse::<u64>().ok())
                .unwrap_or(0),
        }
    }
}

/// Parses one webhook request that the host has already verified.
pub(crate) fn parse_request(
    headers: &[(String, String)],
    body: &[u8],
    options: &Options,
) -> Result<Parsed, ParseError> {
    let delivery = Delivery::from_headers(headers);
    let content_type = header(headers, "content-type").unwrap_or_default();
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    if media_type.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return interactive::parse_form(body, &delivery);
    }
    let body: Value = serde_json::from_slice(body).map_err(ParseError::from_serde)?;
    parse_json(&body, &delivery, options)
}

/// A JSON body. Slack posts only Events API bodies as JSON; the interaction
/// payloads and slash commands read here too are what a Socket Mode envelope
/// carries, and what its dead letters hold, so they replay through the webhook.
fn parse_json(
    body: &Value,
    delivery: &Delivery<'_>,
    options: &Options,
) -> Result<Parsed, ParseError> {
    match body.get("type").and_then(Value::as_str) {
        Some("block_actions") => parse_interaction(body, delivery),
        None if body.get("command").is_some_and(Value::is_string) => {
            parse_slash_command(body, delivery)
        }
        _ => parse_event(body, delivery, options),
    }
}

/// An Events API body (`event_callback`, `url_verification`, ...): what the
/// webhook receives as JSON, and a Socket Mode `events_api` envelope's payload.
pub(crate) fn parse_event(
    body: &Value,
    delivery: &Delivery<'_>,
    options: &Options,
) -> Result<Parsed, ParseError> {
    events::parse(body, delivery, options)
}

/// An interaction payload (`block_actions`, `view_submission`, ...): the
/// webhook's form field `payload`, and a Socket Mode `interactive` envelope's
/// payload.
pub(crate) fn parse_interaction(
    payload: &Value,
    delivery: &Delivery<'_>,
) -> Result<Parsed, ParseError> {
    interactive::interaction(payload, delivery.request_time)
}

/// A slash command's fields: the webhook's form fields, and the object a Socket
/// Mode `slash_commands` envelope carries.
pub(crate) fn parse_slash_command(
    fields: &Value,
    delivery: &Delivery<'_>,
) -> Result<Parsed, ParseError> {
    let field = |name: &str| fields.get(name).and_then(Value::as_str);
    interactive::slash_command(&field, delivery.request_time)
}

/// Serialises metadata, dropping the `droppable` fields (in order) while it is
/// too large and recording what was dropped.
fn finish_metadata(meta: Map<String, Value>, droppable: &[&str]) -> String {
    let mut meta = Value::Object(meta);
    let mut text = meta.to_string();
    for field in droppable {
        if text.len() <= MAX_METADATA_BYTES {
            break;
        }
        if let Value::Object(map) = &mut meta
            && map.remove(*field).is_some()
        {
            map.insert(format!("{field}_dropped"), true.into());
            text = meta.to_string();
        }
    }
    text
}

/// Inserts `value` under `key` when it is present.
fn put(meta: &mut Map<String, Value>, key: &str, value: Option<impl Into<Value>>) {
    if let Some(value) = value {
        meta.insert(key.to_owned(), value.into());
    }
}

#[cfg(test)]
mod tests;
