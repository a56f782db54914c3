//! `channel.on-http-request`: Discord's Interactions Endpoint URL. The host has
//! already checked the request's ed25519 signature (`x-signature-ed25519` over
//! `x-signature-timestamp` and the body) with the application's public key and
//! answered 401 to anything else, so every request here comes from Discord.
//!
//! - PING (type 1), which Discord sends to check the URL, is answered with PONG.
//! - APPLICATION_COMMAND (type 2), a slash command, becomes a message
//!   `/<name> <option>=<value> ...` under `interaction:<id>` (a context menu
//!   command: `/<name> target=<id>`), and is answered with
//!   a deferred channel message (type 5): Discord shows "thinking..." until the
//!   reply arrives as a follow-up (see [`outbound`](crate::outbound)).
//! - Other interaction types (buttons, autocomplete, modals) are not handled and
//!   are refused with 400 and the reason.
//!
//! The same URL also takes a Gateway dispatch, which is how a MESSAGE_CREATE or
//! MESSAGE_UPDATE kept as a dead letter is replayed once a fixed channel is
//! installed.

use serde_json::{Map, Value, json};
use switchboard_channel_sdk::{
    ChatType, Host, Inbound, Kind, Level, Response, SenderKind, Webhook,
};

use crate::gateway;
use crate::receive;
use crate::time;

/// Interaction response PONG, the answer to a PING.
const PONG: u64 = 1;

/// Interaction response DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE: "thinking...", the
/// message follows.
const DEFERRED_CHANNEL_MESSAGE: u64 = 5;

/// `channel.on-http-request`.
pub(crate) fn on_http_request(host: &impl Host, request: &Webhook<'_>) -> Response {
    handle(host, request.method, request.body)
}

/// Handles one verified request.
pub(crate) fn handle(host: &impl Host, method: &str, body: &[u8]) -> Response {
    if method != "POST" {
        host.log(Level::Warn, &format!("unexpected {method} request"));
        return Response::empty(405);
    }
    let payload: Value = match serde_json::from_slice(body) {
        Ok(payload) => payload,
        Err(err) => {
            let reason = format!("body is not json: {err}");
            host.log(Level::Warn, &reason);
            return Response::text(400, reason);
        }
    };
    if payload.get("op").is_some() {
        return replay_dispatch(host, &payload);
    }
    match payload.get("type").and_then(Value::as_u64) {
        Some(1) => Response::json(200, &json!({ "type": PONG })),
        Some(2) => command(host, &payload),
        Some(other) => {
            let reason = format!(
                "interaction type {other} ({}) is not handled by this channel",
                type_name(other)
            );
            host.log(Level::Debug, &reason);
            Response::text(400, reason)
        }
        None => {
            let reason = "not an interaction: no type".to_owned();
            host.log(Level::Warn, &reason);
            Response::text(400, reason)
        }
    }
}

fn type_name(interaction_type: u64) -> &'static str {
    match interaction_type {
        3 => "message component",
        4 => "autocomplete",
        5 => "modal submit",
        _ => "unknown",
    }
}

/// A slash command: emitted, then deferred so that Discord waits for the reply.
fn command(host: &impl Host, payload: &Value) -> Response {
    let message = match command_message(payload) {
        Ok(message) => message,
        Err(reason) => {
            host.log(Level::Warn, &reason);
            if let Err(refused) = host.dead_letter(&reason) {
                host.log(
                    Level::Error,
                    &format!("could not keep the interaction as a dead letter: {refused}"),
                );
            }
            return Response::text(400, reason);
        }
    };
    let id = message.external_id.clone();
    if let Err(reason) = host.emit(message) {
        host.log(
            Level::Error,
            &format!("host rejected message {id}: {reason}"),
        );
    }
    Response::json(200, &json!({ "type": DEFERRED_CHANNEL_MESSAGE }))
}

/// The message a slash command interaction carries.
pub(crate) fn command_message(payload: &Value) -> Result<Inbound, String> {
    let text = |pointer: &str| {
        payload
            .pointer(pointer)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let Some(id) = text("/id") else {
        return Err("application command without an id".to_owned());
    };
    let Some(name) = text("/data/name") else {
        return Err(format!("application command {id} without a name"));
    };
    let Some(token) = text("/token") else {
        return Err(format!("application command {id} without a token"));
    };
    let Some(channel_id) = text("/channel_id").or_else(|| text("/channel/id")) else {
        return Err(format!("application command {id} without a channel"));
    };
    let user = payload
        .pointer("/member/user")
        .or_else(|| payload.get("user"))
        .filter(|u| u.is_object());
    let user_text = |pointer: &str| {
        user.and_then(|u| u.pointer(pointer))
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let Some(user_id) = user_text("/id") else {
        return Err(format!("application command {id} without a user"));
    };
    let guild_id = text("/guild_id");
    let is_bot = user.and_then(|u| u.get("bot")).and_then(Value::as_bool) == Some(true);

    let mut command = format!("/{name}");
    append_options(&mut command, payload.pointer("/data/options"));
    // A user or message command (from a context menu) names what it was used on.
    let target_id = text("/data/target_id");
    if let Some(target_id) = &target_id {
        command.push_str(&format!(" target={target_id}"));
    }

    let mut metadata = Map::new();
    metadata.insert("source".into(), "interaction".into());
    metadata.insert("interaction_id".into(), id.clone().into());
    metadata.insert("interaction_token".into(), token.into());
    if let Some(application_id) = text("/application_id") {
        metadata.insert("application_id".into(), application_id.into());
    }
    metadata.insert("channel_id".into(), channel_id.clone().into());
    if let Some(guild_id) = &guild_id {
        metadata.insert("guild_id".into(), guild_id.clone().into());
    }
    metadata.insert("command".into(), name.into());
    if let Some(target_id) = target_id {
        metadata.insert("target_id".into(), target_id.into());
    }

    Ok(Inbound {
        external_id: format!("interaction:{id}"),
        conversation_id: channel_id,
        sender_id: user_id,
        sender_name: text("/member/nick")
            .or_else(|| user_text("/global_name"))
            .or_else(|| user_text("/username")),
        sender_kind: if is_bot {
            SenderKind::Bot
        } else {
            SenderKind::User
        },
        text: Some(command),
        timestamp: time::snowflake_millis(&id).map_or(0, |ms| ms / 1_000),
        kind: Kind::Text,
        chat_type: if guild_id.is_some() {
            ChatType::Group
        } else {
            ChatType::Direct
        },
        // A command is addressed to the bot wherever it is used.
        mentions_bot: true,
        metadata: Value::Object(metadata).to_string(),
        ..Inbound::default()
    })
}

/// Appends ` <name>=<value>` for each option, and ` <name>` followed by its own
/// options for a subcommand or a subcommand group.
fn append_options(command: &mut String, options: Option<&Value>) {
    let Some(options) = options.and_then(Value::as_array) else {
        return;
    };
    for option in options {
        let name = option
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        match option.get("value") {
            Some(Value::String(value)) => command.push_str(&format!(" {name}={value}")),
            Some(value) => command.push_str(&format!(" {name}={value}")),
            None => {
                command.push_str(&format!(" {name}"));
                append_options(command, option.get("options"));
            }
        }
    }
}

/// A Gateway dispatch posted back by `switchboard dead-letters replay`: mapped as
/// the session maps it. Anything but a message event needs nothing.
fn replay_dispatch(host: &impl Host, payload: &Value) -> Response {
    let event = payload.get("t").and_then(Value::as_str).unwrap_or_default();
    if payload.get("op").and_then(Value::as_u64) != Some(0)
        || !matches!(event, "MESSAGE_CREATE" | "MESSAGE_UPDATE")
    {
        host.log(
            Level::Debug,
            "a gateway payload other than a message event: nothing to do",
        );
        return Response::empty(200);
    }
    let data = payload.get("d").unwrap_or(&Value::Null);
    let bot_id = gateway::bot_id(host);
    if let Err(reason) = receive::message_event(host, event, data, bot_id.as_deref())
        && let Err(refused) = host.dead_letter(&reason)
    {
        host.log(
            Level::Error,
            &format!("could not keep the event as a dead letter: {refused}"),
        );
    }
    Response::empty(200)
}

#[cfg(test)]
mod tests;
