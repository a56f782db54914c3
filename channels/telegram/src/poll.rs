//! Receiving by long polling (`polling.poll`, contract 0.2.2): `getUpdates` with
//! the host's cursor as `offset`, for an instance whose operator set
//! `mode = "polling"`, so no public URL is needed.
//!
//! Each update is mapped exactly as a webhook delivery of it would be (see
//! `update`). One the channel cannot read is returned in `unmapped`, byte for
//! byte as Telegram sent it, which is also how a webhook would have posted it, so
//! the dead letter replays through `on-http-request`. The next cursor is the
//! highest `update_id` plus one: Telegram forgets every update below the `offset`
//! of the next call, and the host stores that cursor with this poll's messages in
//! one transaction. A crash before the commit fetches the same updates again, and
//! deduplication stores them once.
//!
//! Telegram refuses `getUpdates` while a webhook is set (409); the error says to
//! call `deleteWebhook` or to go back to `mode = "webhook"`.

use serde::Deserialize;
use serde_json::json;
use serde_json::value::RawValue;
use switchboard_channel_sdk::{
    DeliveryFailure, FetchFailure, Host, Level, PollOutcome, Response, Unmapped,
};

use crate::bot_api::{self, Outcome};
use crate::parse::{MAPPED_TYPES, read_update};
use crate::update::{self, Mapped};

/// The setting naming how long `getUpdates` waits for news, in seconds.
pub(crate) const TIMEOUT_SETTING: &str = "poll_timeout_secs";

/// The wait when the setting is absent.
const DEFAULT_TIMEOUT_SECS: u32 = 30;

/// The longest wait accepted: Telegram holds a long poll for at most 50 seconds,
/// and with [`TIMEOUT_MARGIN_SECS`] it stays within the host's 60-second cap on
/// an outbound request and the poll's deadline of at least 65 seconds.
const MAX_TIMEOUT_SECS: u32 = 50;

/// How much longer than the long poll itself the request may take: the answer
/// still has to arrive once Telegram ends the wait.
const TIMEOUT_MARGIN_SECS: u32 = 10;

/// The most updates asked for at once, Telegram's maximum; should the answer be
/// more than the host accepts in a response, the poll asks again for fewer.
const LIMITS: &[u32] = &[100, 10, 1];

/// `polling.poll`: what arrived since `cursor`.
pub(crate) fn poll(host: &impl Host, cursor: Option<&str>) -> Result<PollOutcome, DeliveryFailure> {
    let timeout_secs = timeout_secs(host)?;
    let offset = cursor.and_then(|cursor| match cursor.trim().parse::<i64>() {
        Ok(offset) => Some(offset),
        Err(_) => {
            host.log(
                Level::Warn,
                &format!(
                    "the stored cursor {cursor:?} is not an update_id; polling without an \
                     offset (Telegram resends every update not yet confirmed)"
                ),
            );
            None
        }
    });
    let updates = get_updates(host, offset, timeout_secs)?;
    let mut outcome = PollOutcome::default();
    let mut highest: Option<i64> = None;
    for raw in updates {
        if let Some(id) = update_id(&raw) {
            highest = Some(highest.map_or(id, |seen| seen.max(id)));
        }
        match update::map(host, read_update(raw.get().as_bytes())) {
            Mapped::Messages(messages) => update::emit_all(host, messages),
            Mapped::Unmappable(reason) => outcome.unmapped.push(Unmapped {
                reason,
                payload: raw.get().as_bytes().to_vec(),
            }),
            Mapped::NotAnUpdate => {}
        }
    }
    outcome.next_cursor = highest.map(|id| id.saturating_add(1).to_string());
    Ok(outcome)
}

/// The `poll_timeout_secs` setting: whole seconds from 0 (short polling) to 50.
fn timeout_secs(host: &impl Host) -> Result<u32, DeliveryFailure> {
    let Some(value) = host.setting(TIMEOUT_SETTING) else {
        return Ok(DEFAULT_TIMEOUT_SECS);
    };
    match value.trim().parse::<u32>() {
        Ok(secs) if secs <= MAX_TIMEOUT_SECS => Ok(secs),
        _ => Err(DeliveryFailure::permanent(format!(
            "the setting {TIMEOUT_SETTING} is {value:?}; it accepts whole seconds from 0 to \
             {MAX_TIMEOUT_SECS}"
        ))),
    }
}

/// The updates since `offset`, each as the raw JSON Telegram sent.
fn get_updates(
    host: &impl Host,
    offset: Option<i64>,
    timeout_secs: u32,
) -> Result<Vec<Box<RawValue>>, DeliveryFailure> {
    let api_base = bot_api::api_base(host);
    let mut limits = LIMITS.iter().peekable();
    while let Some(&limit) = limits.next() {
        let mut body = json!({
            "timeout": timeout_secs,
            "limit": limit,
            "allowed_updates": MAPPED_TYPES,
        });
        if let Some(offset) = offset {
            body["offset"] = offset.into();
        }
        let request = bot_api::call(&api_base, "getUpdates", &body)
            .timeout_ms((timeout_secs + TIMEOUT_MARGIN_SECS) * 1000);
        match host.fetch(request) {
            Ok(response) => return read_updates(&response),
            Err(FetchFailure::TooLarge) => {
                if let Some(fewer) = limits.peek() {
                    host.log(
                        Level::Warn,
                        &format!(
                            "getUpdates answered with more than the host accepts in a \
                             response; asking for at most {fewer} updates"
                        ),
                    );
                }
            }
            Err(failure) => return Err(DeliveryFailure::from(failure).context("getUpdates")),
        }
    }
    Err(DeliveryFailure::permanent(
        "getUpdates: a single update is larger than the host accepts in a response",
    ))
}

/// The `result` of a `getUpdates` answer, or why there is none.
fn read_updates(response: &Response) -> Result<Vec<Box<RawValue>>, DeliveryFailure> {
    match bot_api::outcome(response) {
        Outcome::Ok(Some(result)) => serde_json::from_str(result.get()).map_err(|err| {
            DeliveryFailure::permanent(format!(
                "getUpdates: the result is not a list of updates: {err}"
            ))
        }),
        Outcome::Ok(None) => Err(DeliveryFailure::permanent(
            "getUpdates: the answer has no result",
        )),
        // Most likely a proxy's page: the next poll asks again.
        Outcome::NotAnAnswer => Err(DeliveryFailure::retryable(format!(
            "getUpdates: the answer (http {}) is not a Bot API answer",
            response.status
        ))),
        Outcome::Failed { code, failure } => Err(refusal(code, failure)),
    }
}

/// Says what the refusals that need the operator mean; the rest keep the Bot API's
/// description and its retry decision (429 after `retry_after`, 5xx retryable,
/// other 4xx permanent).
fn refusal(code: u16, failure: DeliveryFailure) -> DeliveryFailure {
    let cause = failure.message.as_str();
    match code {
        409 if cause.contains("terminated by other getUpdates") => {
            DeliveryFailure::permanent(format!(
                "getUpdates: another program polls with this bot token, and Telegram \
                 serves one poller at a time: stop the other one ({cause})"
            ))
        }
        409 => DeliveryFailure::permanent(format!(
            "getUpdates: a webhook is set for this bot, and Telegram refuses getUpdates while \
             it is: call deleteWebhook, or set the instance's `mode` to \"webhook\" ({cause})"
        )),
        401 | 404 => DeliveryFailure::permanent(format!(
            "getUpdates: the bot token was rejected; check the instance's bot_token secret \
             ({cause})"
        )),
        _ => failure.context("getUpdates"),
    }
}

/// The `update_id` of an update, when it has one.
fn update_id(raw: &RawValue) -> Option<i64> {
    #[derive(Deserialize)]
    struct Id {
        update_id: Option<i64>,
    }
    serde_json::from_str::<Id>(raw.get()).ok()?.update_id
}

#[cfg(test)]
mod tests;
