//! Receiving over Slack Socket Mode (`session`, contract 0.2.2), for an instance
//! whose operator set `mode = "socket"`: the daemon holds a WebSocket to Slack,
//! so no public URL is needed.
//!
//! - [`open`] asks `apps.connections.open`, with the app-level token
//!   (`app_token`, `xapp-...`, scope `connections:write`), for the URL of a new
//!   connection. Slack's URLs are single-use tickets, so the host asks again
//!   before every connection.
//! - [`on_frame`] reads one envelope. `events_api`, `interactive` and
//!   `slash_commands` carry the payload the webhook would have received (the
//!   `event_callback` body, the interaction payload, the slash command's fields
//!   as an object); each is mapped exactly as the webhook maps it (see
//!   [`parse`](crate::parse) and [`receive`](crate::receive)), so the external
//!   ids are the same and the host stores a message once whichever way, and
//!   however often, it arrives. Slack redelivers an envelope that is not
//!   acknowledged (`retry_attempt` counts up), so the acknowledgement
//!   (`{"envelope_id": ...}`) goes in `send_after_commit`: the host sends it only
//!   once what the envelope carried is stored. Envelopes of other types are
//!   acknowledged too, so Slack stops sending them. `hello` needs nothing;
//!   `disconnect` asks the host for a new connection.
//! - A payload the channel cannot map goes to `unmapped`, byte for byte as the
//!   envelope carried it: a dead letter that replays through the webhook once a
//!   fixed channel is installed. The envelope is still acknowledged: Slack
//!   sending it again cannot help.
//!
//! Replies, reactions, file uploads and the typing status still go through the
//! Web API with the bot token; Socket Mode only changes how Slack's deliveries
//! arrive.

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};
use switchboard_channel_sdk::{
    DeliveryFailure, FrameOutcome, Host, Level, SessionContext, SessionTarget, Unmapped,
};

use crate::parse::{Delivery, parse_event, parse_interaction, parse_slash_command};
use crate::receive::{self, Received};
use crate::web_api;

/// What failures of [`open`] say they were doing.
const OPEN: &str = "apps.connections.open";

/// Answers of `apps.connections.open` that refuse the token itself: the operator
/// has to give `app_token` an app-level token with `connections:write`.
const TOKEN_ERRORS: &[&str] = &[
    "not_authed",
    "invalid_auth",
    "not_allowed_token_type",
    "missing_scope",
    "account_inactive",
    "token_revoked",
    "token_expired",
];

/// `session.open`: the URL of a new Socket Mode connection.
///
/// Network trouble, timeouts, 5xx, rate limits (429, with `Retry-After`) and
/// Slack's transient errors are retryable; a refused token, or any other API
/// error, is permanent (the host retries those at its longest backoff).
pub(crate) fn open(
    host: &impl Host,
    _context: &SessionContext,
) -> Result<SessionTarget, DeliveryFailure> {
    let request = web_api::connections_open(&web_api::api_base(host));
    let response = host
        .fetch(request)
        .map_err(|failure| DeliveryFailure::from(failure).context(OPEN))?;
    let answer = web_api::read_answer(&response).map_err(|failure| {
        match web_api::error_code(&response) {
            Some(code) if TOKEN_ERRORS.contains(&code.as_str()) => {
                DeliveryFailure::permanent(format!(
                    "slack refused the app-level token ({code}): app_token must be an \
                     app-level token (xapp-...) with the connections:write scope, from the \
                     app's Basic Information page"
                ))
            }
            _ => failure,
        }
        .context(OPEN)
    })?;
    let url = answer
        .get("url")
        .and_then(Value::as_str)
        .filter(|url| !url.is_empty())
        .ok_or_else(|| DeliveryFailure::retryable("answer without a url").context(OPEN))?;
    Ok(SessionTarget {
        url: url.to_owned(),
        headers: Vec::new(),
    })
}

/// `session.on-frame`: one envelope from Slack.
///
/// A frame that is not JSON, or has no `type`, is not from Slack's Socket Mode:
/// the error makes the host reconnect.
pub(crate) fn on_frame(
    host: &impl Host,
    frame: &str,
    _context: &SessionContext,
) -> Result<FrameOutcome, DeliveryFailure> {
    let envelope: Value = serde_json::from_str(frame).map_err(|err| {
        DeliveryFailure::permanent(format!("socket mode frame is not json: {err}"))
    })?;
    let Some(kind) = envelope.get("type").and_then(Value::as_str) else {
        return Err(DeliveryFailure::permanent(
            "socket mode frame without a type: not a slack envelope",
        ));
    };
    let envelope_id = envelope
        .get("envelope_id")
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty());
    let mut outcome = FrameOutcome::default();
    match kind {
        "hello" => {
            hello(host, &envelope);
            return Ok(outcome);
        }
        "disconnect" => {
            disconnect(host, &envelope);
            outcome.reconnect = true;
            return Ok(outcome);
        }
        "events_api" | "interactive" | "slash_commands" => {
            deliver(host, kind, &envelope, frame, &mut outcome);
            if envelope_id.is_none() {
                host.log(
                    Level::Warn,
                    &format!(
                        "{kind} envelope without an envelope_id: it cannot be acknowledged, so \
                         Slack may send it again"
                    ),
                );
            }
        }
        // `url_verification` only goes to request URLs; acknowledged like the rest.
        other => host.log(
            Level::Debug,
            &format!("{other} envelope: nothing to do, acknowledged"),
        ),
    }
    if let Some(id) = envelope_id {
        outcome.send_after_commit.push(ack(id));
    }
    Ok(outcome)
}

/// `session.on-tick`: Slack needs no timer (the host answers its pings).
pub(crate) fn on_tick(
    _host: &impl Host,
    _context: &SessionContext,
) -> Result<FrameOutcome, DeliveryFailure> {
    Ok(FrameOutcome::default())
}

/// The acknowledgement of an envelope.
fn ack(envelope_id: &str) -> String {
    json!({ "envelope_id": envelope_id }).to_string()
}

fn hello(host: &impl Host, envelope: &Value) {
    let app = envelope
        .pointer("/connection_info/app_id")
        .and_then(Value::as_str)
        .unwrap_or("?");
    let connections = envelope
        .get("num_connections")
        .and_then(Value::as_u64)
        .map_or_else(|| "?".to_owned(), |n| n.to_string());
    host.log(
        Level::Debug,
        &format!("socket mode connected (app {app}, {connections} connection(s))"),
    );
}

fn disconnect(host: &impl Host, envelope: &Value) {
    let reason = envelope
        .get("reason")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if reason == "link_disabled" {
        host.log(
            Level::Warn,
            "slack closed the socket mode connection (link_disabled): Socket Mode was turned \
             off in the app's settings; turn it on again (Settings > Socket Mode), or set the \
             instance's mode to \"webhook\"",
        );
    } else {
        host.log(
            Level::Debug,
            &format!("slack asks for a new connection (disconnect: {reason})"),
        );
    }
}

/// Maps the payload of an `events_api`, `interactive` or `slash_commands`
/// envelope as the webhook would, keeping what cannot be mapped in `unmapped`.
fn deliver(
    host: &impl Host,
    kind: &str,
    envelope: &Value,
    frame: &str,
    outcome: &mut FrameOutcome,
) {
    let Some(payload) = envelope.get("payload").filter(|p| p.is_object()) else {
        let reason = format!("{kind} envelope without a payload object");
        host.log(Level::Warn, &reason);
        outcome.unmapped.push(Unmapped {
            reason,
            payload: frame.as_bytes().to_vec(),
        });
        return;
    };
    // Slack counts redeliveries of an envelope it got no acknowledgement for; the
    // first delivery says 0, as a webhook's says nothing.
    let retry_num = envelope
        .get("retry_attempt")
        .and_then(Value::as_u64)
        .filter(|&attempt| attempt > 0)
        .map(|attempt| attempt.to_string());
    let delivery = Delivery {
        retry_num: retry_num.as_deref(),
        retry_reason: envelope
            .get("retry_reason")
            .and_then(Value::as_str)
            .filter(|reason| !reason.is_empty()),
        // Neither interactions nor slash commands over a socket say when they were
        // sent; 0 is "unknown".
        request_time: 0,
    };
    let parsed = match kind {
        "events_api" => parse_event(payload, &delivery, &receive::options(host)),
        "interactive" => parse_interaction(payload, &delivery),
        _ => parse_slash_command(payload, &delivery),
    };
    match receive::receive(host, parsed) {
        Received::Handled => {}
        Received::Challenge(_) => host.log(
            Level::Debug,
            "url_verification over a socket: nothing to answer, acknowledged",
        ),
        Received::Unmappable(reason) | Received::Malformed(reason) => {
            outcome.unmapped.push(Unmapped {
                reason,
                payload: raw_payload(frame).unwrap_or_else(|| payload.to_string().into_bytes()),
            });
        }
    }
}

/// The envelope's `payload` exactly as Slack wrote it.
fn raw_payload(frame: &str) -> Option<Vec<u8>> {
    #[derive(Deserialize)]
    struct Raw<'a> {
        #[serde(borrow)]
        payload: &'a RawValue,
    }
    let raw: Raw<'_> = serde_json::from_str(frame).ok()?;
    Some(raw.payload.get().as_bytes().to_vec())
}

#[cfg(test)]
mod tests;
