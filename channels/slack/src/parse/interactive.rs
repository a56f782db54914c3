//! Form-encoded bodies: interactivity payloads (`payload=<json>`) and slash
//! commands (plain form fields). Socket Mode carries the same payload, and the
//! same fields as a JSON object; both end in [`interaction`] and
//! [`slash_command`].
//!
//! Only `block_actions` and slash commands become messages; shortcuts, view
//! submissions and the rest are acknowledged with an empty 200, which is also
//! what closes a submitted modal. A button, or a choice from a menu, radio group,
//! checkbox group or overflow menu, is a [`Kind::Button`] press carrying the
//! element's value; other elements (date and time pickers, user and conversation
//! menus, text inputs) are [`Kind::Interactive`] with the choice as text. Both
//! come from a person working the app's own message or view, so they address the
//! bot (`mentions_bot`). `token` (the legacy verification token) and
//! `response_url` (a credential to post into the conversation) are never copied
//! into metadata.

use serde::Deserialize;
use serde_json::{Map, Value};
use switchboard_channel_sdk::{ButtonPress, ChatType, Inbound, Kind, query_pairs};

use super::channel::{chat_type_of_id, conversation};
use super::ts::seconds;
use super::{Delivery, ParseError, Parsed, finish_metadata, put};

#[derive(Deserialize)]
struct BlockActions {
    trigger_id: Option<String>,
    user: Option<User>,
    channel: Option<Value>,
    container: Option<Value>,
    message: Option<MessageRef>,
    team: Option<Value>,
    api_app_id: Option<String>,
    #[serde(default)]
    actions: Vec<Value>,
}

#[derive(Deserialize)]
struct User {
    id: String,
    name: Option<String>,
    username: Option<String>,
    team_id: Option<String>,
}

#[derive(Deserialize)]
struct MessageRef {
    ts: Option<String>,
    thread_ts: Option<String>,
}

/// Element types whose `value` is what the person typed, not a choice.
const TEXT_INPUT_SUFFIX: &str = "_input";

/// Action fields that hold what the user chose, in the order they are tried.
const CHOICE_FIELDS: &[&str] = &[
    "/value",
    "/selected_option/value",
    "/selected_date",
    "/selected_time",
    "/selected_date_time",
    "/selected_user",
    "/selected_conversation",
    "/selected_channel",
];

pub(super) fn parse_form(body: &[u8], delivery: &Delivery<'_>) -> Result<Parsed, ParseError> {
    let body = std::str::from_utf8(body).map_err(ParseError::NotUtf8Form)?;
    let fields = query_pairs(body);
    let field = |name: &str| {
        fields
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    };
    if let Some(payload) = field("payload") {
        let payload: Value = serde_json::from_str(payload).map_err(ParseError::from_serde)?;
        interaction(&payload, delivery.request_time)
    } else if field("command").is_some() {
        slash_command(&field, delivery.request_time)
    } else {
        Ok(Parsed::Nothing(
            "form body without payload or command".to_owned(),
        ))
    }
}

/// An interaction payload; `request_time` (Unix seconds, 0 when unknown) is when
/// it happened if the payload has no timestamp of its own.
pub(super) fn interaction(payload: &Value, request_time: u64) -> Result<Parsed, ParseError> {
    let kind = payload
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if kind != "block_actions" {
        return Ok(Parsed::Nothing(format!("{kind} interaction")));
    }
    let actions = BlockActions::deserialize(payload).map_err(ParseError::Unreadable)?;
    let missing = |field| ParseError::MissingField {
        payload: "block_actions",
        field,
    };
    let user = actions.user.as_ref().ok_or_else(|| missing("user"))?;
    let first = actions.actions.first();
    let action_ts = first
        .and_then(|a| a.get("action_ts"))
        .and_then(Value::as_str);
    let event_key = action_ts
        .or(actions.trigger_id.as_deref())
        .ok_or_else(|| missing("action_ts or trigger_id"))?;
    // Actions in App Home or a modal have no channel; the user's id addresses the
    // app's direct messages with them, which `chat.postMessage` accepts.
    let in_channel = str_at(actions.channel.as_ref(), "/id")
        .or_else(|| str_at(actions.container.as_ref(), "/channel_id"));
    let channel = in_channel.unwrap_or(user.id.as_str());
    let chat_type = in_channel.map_or(ChatType::Direct, chat_type_of_id);
    let message_ts = actions
        .message
        .as_ref()
        .and_then(|m| m.ts.as_deref())
        .or_else(|| str_at(actions.container.as_ref(), "/message_ts"));
    let thread_ts = actions
        .message
        .as_ref()
        .and_then(|m| m.thread_ts.as_deref())
        .or_else(|| str_at(actions.container.as_ref(), "/thread_ts"));
    let (conversation_id, _) = conversation(channel, message_ts, thread_ts);

    let mut meta = Map::new();
    meta.insert("source".into(), "interactive".into());
    meta.insert("type".into(), "block_actions".into());
    put(
        &mut meta,
        "team_id",
        str_at(actions.team.as_ref(), "/id").or(user.team_id.as_deref()),
    );
    put(&mut meta, "api_app_id", actions.api_app_id.as_deref());
    put(&mut meta, "trigger_id", actions.trigger_id.as_deref());
    meta.insert("channel".into(), channel.into());
    meta.insert(
        "user".into(),
        serde_json::json!({ "id": user.id, "name": user.name, "username": user.username }),
    );
    put(&mut meta, "container", actions.container.clone());
    put(&mut meta, "message_ts", message_ts);
    put(&mut meta, "thread_ts", thread_ts);
    meta.insert("actions".into(), actions.actions.clone().into());

    let button = first.and_then(button_press);
    Ok(Parsed::Message(Box::new(Inbound {
        external_id: format!("{channel}:{event_key}"),
        conversation_id,
        sender_id: user.id.clone(),
        sender_name: user.name.clone().or_else(|| user.username.clone()),
        text: first.and_then(choice),
        timestamp: action_ts.map_or(request_time, seconds),
        reply_to: message_ts.map(|ts| format!("{channel}:{ts}")),
        kind: if button.is_some() {
            Kind::Button
        } else {
            Kind::Interactive
        },
        chat_type,
        mentions_bot: true,
        thread_id: thread_ts.map(str::to_owned),
        button,
        metadata: finish_metadata(meta, &["actions", "container"]),
        ..Inbound::default()
    })))
}

/// The press of a button or a choice from a list, if `action` is one: its value
/// (the selected values, comma-separated, for multi-selects and checkboxes) and
/// the text the person saw.
fn button_press(action: &Value) -> Option<ButtonPress> {
    let element = action
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if element.ends_with(TEXT_INPUT_SUFFIX) {
        return None;
    }
    let text = |v: &Value, pointer: &str| {
        v.pointer(pointer)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let options = action
        .get("selected_options")
        .and_then(Value::as_array)
        .filter(|options| !options.is_empty());
    let joined = |pointer: &str, separator: &str| {
        let parts: Vec<String> = options?.iter().filter_map(|o| text(o, pointer)).collect();
        (!parts.is_empty()).then(|| parts.join(separator))
    };
    let payload = text(action, "/value")
        .or_else(|| text(action, "/selected_option/value"))
        .or_else(|| joined("/value", ","))?;
    let label = text(action, "/text/text")
        .or_else(|| text(action, "/selected_option/text/text"))
        .or_else(|| joined("/text/text", ", "));
    Some(ButtonPress { payload, label })
}

/// What the user chose: a button's value, the selected option(s) or date, or
/// failing those the label of what they pressed.
fn choice(action: &Value) -> Option<String> {
    let non_empty = |v: &Value| v.as_str().filter(|s| !s.is_empty()).map(str::to_owned);
    CHOICE_FIELDS
        .iter()
        .find_map(|pointer| action.pointer(pointer).and_then(non_empty))
        .or_else(|| {
            let options = action.get("selected_options")?.as_array()?;
            let values: Vec<&str> = options
                .iter()
                .filter_map(|o| o.get("value").and_then(Value::as_str))
                .collect();
            (!values.is_empty()).then(|| values.join(","))
        })
        .or_else(|| action.pointer("/text/text").and_then(non_empty))
}

fn str_at<'a>(value: Option<&'a Value>, pointer: &str) -> Option<&'a str> {
    value?.pointer(pointer)?.as_str().filter(|s| !s.is_empty())
}

/// A slash command is a text message from a person: `/command arguments`.
/// `field` reads one of the command's fields; `request_time` is when it was typed
/// (Unix seconds, 0 when unknown).
pub(super) fn slash_command<'a>(
    field: &impl Fn(&str) -> Option<&'a str>,
    request_time: u64,
) -> Result<Parsed, ParseError> {
    let missing = |field| ParseError::MissingField {
        payload: "slash command",
        field,
    };
    let command = field("command").unwrap_or_default();
    let channel = field("channel_id").ok_or_else(|| missing("channel_id"))?;
    let trigger = field("trigger_id").ok_or_else(|| missing("trigger_id"))?;
    let user = field("user_id").ok_or_else(|| missing("user_id"))?;
    let arguments = field("text").unwrap_or_default();
    let text = if arguments.is_empty() {
        command.to_owned()
    } else {
        format!("{command} {arguments}")
    };

    let mut meta = Map::new();
    meta.insert("source".into(), "slash_command".into());
    meta.insert("command".into(), command.into());
    meta.insert("arguments".into(), arguments.into());
    meta.insert("channel".into(), channel.into());
    meta.insert("trigger_id".into(), trigger.into());
    for name in [
        "team_id",
        "team_domain",
        "channel_name",
        "api_app_id",
        "enterprise_id",
    ] {
        put(&mut meta, name, field(name).filter(|v| !v.is_empty()));
    }

    // Slack names a direct message's channel `directmessage`.
    let chat_type = if field("channel_name") == Some("directmessage") {
        ChatType::Direct
    } else {
        chat_type_of_id(channel)
    };
    Ok(Parsed::Message(Box::new(Inbound {
        external_id: format!("{channel}:{trigger}"),
        conversation_id: channel.to_owned(),
        sender_id: user.to_owned(),
        sender_name: field("user_name")
            .filter(|n| !n.is_empty())
            .map(str::to_owned),
        text: Some(text),
        timestamp: request_time,
        kind: Kind::Text,
        chat_type,
        // A slash command is addressed to the app wherever it is typed.
        mentions_bot: true,
        metadata: finish_metadata(meta, &[]),
        ..Inbound::default()
    })))
}
