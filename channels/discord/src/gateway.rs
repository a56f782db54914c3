//! Receiving over Discord's Gateway (`session`, contract 0.2.2), for an instance
//! whose operator set `mode = "socket"`: the daemon holds the WebSocket, this
//! module speaks the Gateway's protocol over it.
//!
//! - [`open`] says where to connect: the `gateway_url` setting, else the URL
//!   `GET /gateway/bot` answers, with `?v=10&encoding=json`.
//! - [`on_frame`] reads one payload (`{"op", "d", "s", "t"}`). Hello (op 10)
//!   starts the heartbeat (`tick_ms`) and is answered with Identify (op 2), or with
//!   Resume (op 6) when a session can be resumed: its id is in the memo (or, after
//!   a restart, in instance state) and the committed cursor holds the last
//!   sequence number. Each Dispatch (op 0) returns its sequence number `s` as the
//!   cursor, which the host commits with the messages of that frame: a resume
//!   replays exactly what was not committed. READY keeps the session id and the
//!   bot's user id; MESSAGE_CREATE and MESSAGE_UPDATE become messages and edits
//!   (see [`message`](crate::message)); other dispatches need nothing. Heartbeat
//!   (op 1) is answered at once, Heartbeat ACK (op 11) noted in the memo,
//!   Reconnect (op 7) and Invalid Session (op 9) reconnect (op 9 with `d: false`
//!   forgets the session first, so the next connection identifies).
//! - [`on_tick`] sends a heartbeat every `heartbeat_interval`, or reconnects when
//!   the previous one was not acknowledged (a "zombie" connection) and resumes.
//!
//! Resuming happens on the URL the channel connects to, not on READY's
//! `resume_gateway_url`: that URL differs by region and cannot be granted ahead
//! of time. Discord answers a resume it will not take there with Invalid Session,
//! and the channel identifies anew.
//!
//! The token is never in the guest: Identify and Resume carry the placeholder
//! `{{secret:bot_token}}` as the whole value of `d.token`, the field the manifest
//! places the secret in, and the host fills it in on the way out.

pub(crate) mod state;

use serde_json::{Value, json};
use switchboard_channel_sdk::{
    DeliveryFailure, FrameOutcome, Host, Level, SessionContext, SessionTarget, secret,
};

use crate::api;
use crate::receive;

pub(crate) use state::Memo;

/// GUILD_MESSAGES (1 << 9), DIRECT_MESSAGES (1 << 12) and the privileged
/// MESSAGE_CONTENT (1 << 15), which the bot's settings must allow.
pub(crate) const INTENTS: u64 = (1 << 9) | (1 << 12) | (1 << 15);

/// The query every connection carries: API version 10, JSON frames.
const QUERY: &str = "v=10&encoding=json";

/// What failures of [`open`] say they were doing.
const GET_GATEWAY: &str = "GET /gateway/bot";

/// How long `open` waits before identifying after Discord invalidated a session;
/// Discord asks for a pause of one to five seconds.
const WAIT_BEFORE_IDENTIFY_SECS: u32 = 5;

/// The shortest tick the host accepts.
const MIN_TICK_MS: u64 = 1_000;

/// `session.open`: the URL of a new Gateway connection.
///
/// The `gateway_url` setting wins; without it `GET /gateway/bot` names the URL.
/// A refused token (401) is permanent; rate limits (429, after `retry_after`),
/// 5xx and network trouble are retryable. When no session can be resumed and
/// Discord's daily allowance of new sessions is used up (`session_start_limit`),
/// the connection waits until it resets rather than identify: identifying beyond
/// the allowance makes Discord reset the bot's token.
pub(crate) fn open(
    host: &impl Host,
    context: &SessionContext,
) -> Result<SessionTarget, DeliveryFailure> {
    let memo = Memo::read(host, context);
    let identify = resume_point(host, context, &memo).is_none();
    if identify && host.state_get(state::WAIT_KEY).is_some() {
        host.state_delete(state::WAIT_KEY);
        return Err(DeliveryFailure {
            retry_after_secs: Some(WAIT_BEFORE_IDENTIFY_SECS),
            ..DeliveryFailure::retryable(
                "discord invalidated the session; waiting a moment before identifying again",
            )
        });
    }
    let base = match host
        .setting("gateway_url")
        .map(|url| url.trim().to_owned())
        .filter(|url| !url.is_empty())
    {
        Some(url) => url,
        None => ask_gateway_url(host, identify)?,
    };
    Ok(SessionTarget {
        url: connection_url(&base),
        headers: Vec::new(),
    })
}

/// `session.on-frame`: one Gateway payload.
///
/// A frame that is not JSON, or has no `op`, is not from the Gateway: the error
/// closes the connection, which then reconnects.
pub(crate) fn on_frame(
    host: &impl Host,
    frame: &str,
    context: &SessionContext,
) -> Result<FrameOutcome, DeliveryFailure> {
    let payload: Value = serde_json::from_str(frame)
        .map_err(|err| DeliveryFailure::permanent(format!("gateway frame is not json: {err}")))?;
    let Some(op) = payload.get("op").and_then(Value::as_u64) else {
        return Err(DeliveryFailure::permanent(
            "gateway frame without an op: not a discord gateway payload",
        ));
    };
    let mut memo = Memo::read(host, context);
    let mut outcome = FrameOutcome::default();
    match op {
        0 => dispatch(host, frame, &payload, &mut memo, &mut outcome),
        1 => outcome.send.push(heartbeat(context)),
        7 => {
            host.log(
                Level::Debug,
                "discord asks for a new connection (reconnect): resuming",
            );
            outcome.reconnect = true;
        }
        9 => invalid_session(host, &payload, &mut memo, &mut outcome),
        10 => hello(host, &payload, context, &mut memo, &mut outcome)?,
        11 => {
            if !memo.acked {
                memo.acked = true;
                outcome.memo = Some(memo.encode());
            }
        }
        other => host.log(Level::Debug, &format!("gateway op {other}: nothing to do")),
    }
    Ok(outcome)
}

/// `session.on-tick`: the heartbeat interval has passed.
///
/// When the previous heartbeat got no acknowledgement the connection is a
/// zombie: reconnect (and resume). Otherwise send the next heartbeat and wait for
/// its acknowledgement.
pub(crate) fn on_tick(
    host: &impl Host,
    context: &SessionContext,
) -> Result<FrameOutcome, DeliveryFailure> {
    let mut memo = Memo::read(host, context);
    if !memo.acked {
        host.log(
            Level::Warn,
            "discord did not acknowledge the last heartbeat: reconnecting to resume",
        );
        return Ok(FrameOutcome {
            reconnect: true,
            ..FrameOutcome::default()
        });
    }
    memo.acked = false;
    Ok(FrameOutcome {
        send: vec![heartbeat(context)],
        memo: Some(memo.encode()),
        ..FrameOutcome::default()
    })
}

/// The bot's user id as READY last named it, from instance state: for callers
/// outside a session (a replayed dead letter).
pub(crate) fn bot_id(host: &impl Host) -> Option<String> {
    state::bot_id(host, None)
}

/// The session id and sequence number to resume from, when both are known: the
/// id from the memo (or instance state after a restart), the sequence number from
/// the committed cursor.
fn resume_point(host: &impl Host, context: &SessionContext, memo: &Memo) -> Option<(String, u64)> {
    let seq = sequence(context)?;
    let session_id = memo
        .session_id
        .clone()
        .or_else(|| state::stored_session(host))?;
    Some((session_id, seq))
}

/// The last committed sequence number; `None` before the first dispatch of a
/// session (the cursor is absent, or `"0"` after a new session was identified).
fn sequence(context: &SessionContext) -> Option<u64> {
    context
        .cursor
        .as_deref()
        .and_then(|cursor| cursor.trim().parse::<u64>().ok())
        .filter(|&seq| seq > 0)
}

/// A heartbeat carrying the last sequence number, or `null` before the first.
fn heartbeat(context: &SessionContext) -> String {
    json!({ "op": 1, "d": sequence(context) }).to_string()
}

/// Identify (op 2), the token as a placeholder the host fills in.
fn identify() -> String {
    json!({
        "op": 2,
        "d": {
            "token": secret("bot_token"),
            "intents": INTENTS,
            "properties": {
                "os": "linux",
                "browser": "switchboard",
                "device": "switchboard",
            },
        },
    })
    .to_string()
}

/// Resume (op 6), the token as a placeholder the host fills in.
fn resume(session_id: &str, seq: u64) -> String {
    json!({
        "op": 6,
        "d": { "token": secret("bot_token"), "session_id": session_id, "seq": seq },
    })
    .to_string()
}

/// `url` with the API version and encoding every connection asks for. A URL that
/// already has a query is taken as it is.
fn connection_url(url: &str) -> String {
    if url.contains('?') {
        url.to_owned()
    } else {
        format!("{}/?{QUERY}", url.trim_end_matches('/'))
    }
}

/// `GET /gateway/bot`: the URL to connect to. `identify` says whether this
/// connection will start a new session, which Discord allows a limited number of
/// times a day.
fn ask_gateway_url(host: &impl Host, identify: bool) -> Result<String, DeliveryFailure> {
    let request = api::bot_request("GET", &api::api_base(host), "gateway/bot");
    let response = host
        .fetch(request)
        .map_err(|failure| DeliveryFailure::from(failure).context(GET_GATEWAY))?;
    if response.status == 401 {
        return Err(DeliveryFailure::permanent(
            "the bot token was rejected (401): bot_token must be the token of the \
             application's bot (Developer Portal, the application, Bot, Reset Token)",
        )
        .context(GET_GATEWAY));
    }
    let answer = api::read(&response).map_err(|failure| failure.context(GET_GATEWAY))?;
    let url = answer
        .get("url")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|url| !url.is_empty())
        .ok_or_else(|| DeliveryFailure::retryable("answer without a url").context(GET_GATEWAY))?;
    if identify {
        let limit = answer.get("session_start_limit");
        let remaining = limit
            .and_then(|l| l.get("remaining"))
            .and_then(Value::as_u64);
        if remaining == Some(0) {
            let wait = limit
                .and_then(|l| l.get("reset_after"))
                .and_then(Value::as_f64)
                .and_then(|millis| api::whole_seconds(millis / 1_000.0));
            let failure = DeliveryFailure {
                retry_after_secs: wait,
                ..DeliveryFailure::retryable(
                    "discord allows no more new sessions for now (session_start_limit.remaining \
                     is 0); waiting for the allowance to reset before identifying",
                )
            };
            host.log(Level::Warn, &failure.message);
            return Err(failure);
        }
    }
    Ok(url.to_owned())
}

/// Hello (op 10): start heartbeating, then resume the session or identify.
fn hello(
    host: &impl Host,
    payload: &Value,
    context: &SessionContext,
    memo: &mut Memo,
    outcome: &mut FrameOutcome,
) -> Result<(), DeliveryFailure> {
    let Some(interval) = payload
        .pointer("/d/heartbeat_interval")
        .and_then(Value::as_u64)
    else {
        return Err(DeliveryFailure::permanent(
            "hello without a heartbeat_interval",
        ));
    };
    let tick_ms = interval.clamp(MIN_TICK_MS, u64::from(u32::MAX));
    outcome.tick_ms = Some(u32::try_from(tick_ms).unwrap_or(u32::MAX));
    memo.acked = true;
    match resume_point(host, context, memo) {
        Some((session_id, seq)) => {
            host.log(
                Level::Debug,
                &format!("resuming gateway session {session_id} from sequence {seq}"),
            );
            outcome.send.push(resume(&session_id, seq));
            memo.session_id = Some(session_id);
            if memo.bot_id.is_none() {
                memo.bot_id = state::bot_id(host, None);
            }
        }
        None => {
            host.log(Level::Debug, "identifying a new gateway session");
            outcome.send.push(identify());
            memo.session_id = None;
            memo.resume_gateway_url = None;
            // The sequence numbers of the new session start over; an old one must
            // neither be sent in heartbeats nor resumed from.
            if sequence(context).is_some() {
                outcome.cursor = Some("0".to_owned());
            }
        }
    }
    outcome.memo = Some(memo.encode());
    Ok(())
}

/// Invalid Session (op 9): reconnect; `d: true` resumes, `d: false` forgets the
/// session so that the next connection identifies (after a pause, see [`open`]).
fn invalid_session(host: &impl Host, payload: &Value, memo: &mut Memo, outcome: &mut FrameOutcome) {
    outcome.reconnect = true;
    if payload.get("d").and_then(Value::as_bool) == Some(true) {
        host.log(
            Level::Debug,
            "discord invalidated the connection (resumable): resuming",
        );
        return;
    }
    host.log(
        Level::Warn,
        "discord invalidated the gateway session: identifying anew",
    );
    memo.session_id = None;
    memo.resume_gateway_url = None;
    outcome.memo = Some(memo.encode());
    state::forget_session(host);
    if let Err(reason) = host.state_set(state::WAIT_KEY, b"1") {
        host.log(
            Level::Warn,
            &format!("could not note the pause before identifying: {reason}"),
        );
    }
}

/// Dispatch (op 0): the event's sequence number becomes the cursor.
fn dispatch(
    host: &impl Host,
    frame: &str,
    payload: &Value,
    memo: &mut Memo,
    outcome: &mut FrameOutcome,
) {
    outcome.cursor = payload
        .get("s")
        .and_then(Value::as_u64)
        .map(|seq| seq.to_string());
    let event = payload.get("t").and_then(Value::as_str).unwrap_or_default();
    let data = payload.get("d").unwrap_or(&Value::Null);
    match event {
        "READY" => {
            ready(host, data, memo);
            outcome.memo = Some(memo.encode());
        }
        "RESUMED" => host.log(Level::Debug, "gateway session resumed"),
        "MESSAGE_CREATE" | "MESSAGE_UPDATE" => {
            let bot_id = state::bot_id(host, Some(memo));
            if let Err(reason) = receive::message_event(host, event, data, bot_id.as_deref()) {
                outcome.unmapped.push(switchboard_channel_sdk::Unmapped {
                    reason,
                    payload: frame.as_bytes().to_vec(),
                });
            }
        }
        other => host.log(Level::Debug, &format!("{other} dispatch: nothing to do")),
    }
}

/// READY: the session to resume and the bot's user id, in the memo and in
/// instance state.
fn ready(host: &impl Host, data: &Value, memo: &mut Memo) {
    let text = |pointer: &str| {
        data.pointer(pointer)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
    };
    memo.session_id = text("/session_id");
    memo.resume_gateway_url = text("/resume_gateway_url");
    if let Some(bot_id) = text("/user/id") {
        state::store_bot_id(host, &bot_id);
        memo.bot_id = Some(bot_id);
    } else {
        host.log(
            Level::Warn,
            "READY without the bot's user id: its own messages cannot be told apart",
        );
    }
    match &memo.session_id {
        Some(session_id) => {
            state::store_session(host, session_id);
            host.log(
                Level::Debug,
                &format!(
                    "gateway session {session_id} ready (bot {})",
                    memo.bot_id.as_deref().unwrap_or("?")
                ),
            );
        }
        None => {
            state::forget_session(host);
            host.log(
                Level::Warn,
                "READY without a session_id: the session cannot be resumed",
            );
        }
    }
}

#[cfg(test)]
mod tests;
