//! `message` and `app_mention` events.
//!
//! Both become messages under `<channel>:<ts>`, so the two deliveries Slack makes
//! for one @mention (a `message` and an `app_mention` with different `event_id`s)
//! and Slack's own retries store once. Whichever of the twins arrives first is
//! stored, and both say `mentions_bot` (the `message` twin from its text), so
//! the stored one does.
//!
//! Subtypes: a person's message with files, a thread reply also sent to the
//! channel and `/me` are messages; `bot_message` is a bot's; `message_changed` is
//! an edit of the original `<channel>:<ts>`. Every other subtype (joins, leaves,
//! topic, purpose and name changes, pins, archiving, reminders, tombstones, and
//! whatever Slack adds) is a service event, stored as `System` and never
//! answered. `message_deleted` is ignored: the contract has no deletion, and a
//! service message would be a new, empty entry that neither removes nor marks
//! the deleted one. `message_replied` is ignored too: it only says a thread got a
//! reply, which arrives as its own event.

use serde::Deserialize;
use serde_json::{Map, Value};
use switchboard_channel_sdk::{ChatType, Inbound, Kind, SenderKind};

use super::channel::{chat_type, conversation};
use super::events::Context;
use super::identity::Author;
use super::ts::{millis, seconds};
use super::{ParseError, Parsed, files, finish_metadata, put};

#[derive(Deserialize)]
struct Event {
    #[serde(rename = "type", default)]
    kind: String,
    subtype: Option<String>,
    channel: Option<String>,
    user: Option<String>,
    /// The name an integration posted under (`bot_message`).
    username: Option<String>,
    text: Option<String>,
    ts: Option<String>,
    thread_ts: Option<String>,
    /// The author of the thread's parent, on thread replies.
    parent_user_id: Option<String>,
    channel_type: Option<String>,
    bot_id: Option<String>,
    app_id: Option<String>,
    bot_profile: Option<BotProfile>,
    client_msg_id: Option<String>,
    #[serde(default)]
    files: Vec<Value>,
    user_profile: Option<Profile>,
    edited: Option<Edited>,
    /// Present on messages in an AI app's assistant thread. Its `action_token` is
    /// a short-lived credential and is never copied into metadata.
    assistant_thread: Option<Value>,
    /// The new version, for `message_changed`.
    message: Option<Box<Event>>,
    /// The old version, for `message_changed`.
    previous_message: Option<Box<Event>>,
}

#[derive(Deserialize)]
struct BotProfile {
    app_id: Option<String>,
    name: Option<String>,
}

#[derive(Deserialize)]
struct Profile {
    display_name: Option<String>,
    real_name: Option<String>,
}

#[derive(Deserialize)]
struct Edited {
    ts: Option<String>,
}

impl Event {
    fn author(&self) -> Author<'_> {
        Author {
            user: self.user.as_deref(),
            bot_id: self.bot_id.as_deref(),
            subtype: self.subtype.as_deref(),
            app_id: self.app_id.as_deref(),
            profile_app_id: self.bot_profile.as_ref().and_then(|p| p.app_id.as_deref()),
        }
    }
}

pub(super) fn parse(context: &Context<'_>, event: &Value) -> Result<Parsed, ParseError> {
    let event = Event::deserialize(event).map_err(ParseError::Unreadable)?;
    match event.subtype.as_deref() {
        None | Some("file_share" | "thread_broadcast" | "me_message" | "bot_message") => {
            post(context, &event)
        }
        Some("message_changed") => edit(context, &event),
        Some(subtype @ ("message_deleted" | "message_replied")) => {
            Ok(Parsed::Nothing(format!("message subtype {subtype}")))
        }
        Some(_) => service(context, &event),
    }
}

/// A message someone posted: a person, or another bot.
///
/// The app's own messages are not emitted. Slack delivers every message this
/// app posts back to it as an event, so each reply the host sends with
/// `chat.postMessage` would come back and be stored a second time, beside the
/// reply the host already keeps, and the agent would read every answer of its
/// own twice in the history.
fn post(context: &Context<'_>, event: &Event) -> Result<Parsed, ParseError> {
    let sender_kind = context.identity.sender_kind(&event.author());
    if sender_kind == SenderKind::ThisBot {
        return Ok(Parsed::Nothing("message from this app".to_owned()));
    }
    let missing = |field| ParseError::MissingField {
        payload: "message event",
        field,
    };
    let channel = event.channel.as_deref().ok_or_else(|| missing("channel"))?;
    let ts = event.ts.as_deref().ok_or_else(|| missing("ts"))?;
    let sender_id = sender_id(event, sender_kind).ok_or_else(|| missing("user"))?;
    let (conversation_id, reply_to) = conversation(channel, Some(ts), event.thread_ts.as_deref());

    let mut meta = context.metadata(&event.kind, channel);
    describe(&mut meta, event, event);
    Ok(Parsed::Message(Box::new(Inbound {
        external_id: format!("{channel}:{ts}"),
        conversation_id,
        sender_id,
        sender_name: sender_name(event),
        sender_kind,
        text: text(event),
        timestamp: seconds(ts),
        reply_to,
        kind: files::message_kind(&event.files),
        chat_type: chat_type_of(event, channel),
        mentions_bot: mentions_bot(context, event, event),
        thread_id: event.thread_ts.clone(),
        attachments: files::attachments(&event.files),
        metadata: finish_metadata(meta, &["files"]),
        ..Inbound::default()
    })))
}

/// `message_changed` carries the new version in `message`; its `ts` is the
/// original's, `message.edited.ts` the time of the edit.
fn edit(context: &Context<'_>, event: &Event) -> Result<Parsed, ParseError> {
    let missing = |field| ParseError::MissingField {
        payload: "message_changed event",
        field,
    };
    let message = event.message.as_deref().ok_or_else(|| missing("message"))?;
    let sender_kind = context.identity.sender_kind(&message.author());
    // The app's own messages were never stored (see `post`), so neither is an
    // edit of one.
    if sender_kind == SenderKind::ThisBot {
        return Ok(Parsed::Nothing(
            "edit of a message from this app".to_owned(),
        ));
    }
    // Slack also reports unfurls and new thread replies as `message_changed` of
    // the unchanged message; only a new text is an edit worth storing.
    if let Some(previous) = event.previous_message.as_deref()
        && previous.text == message.text
    {
        return Ok(Parsed::Nothing(
            "message_changed without a text change".to_owned(),
        ));
    }
    let channel = event.channel.as_deref().ok_or_else(|| missing("channel"))?;
    let ts = message.ts.as_deref().ok_or_else(|| missing("message.ts"))?;
    let sender_id = sender_id(message, sender_kind).ok_or_else(|| missing("message.user"))?;
    let (conversation_id, reply_to) = conversation(channel, Some(ts), message.thread_ts.as_deref());
    // The event's own `ts` is when Slack recorded the change: the edit time when
    // `edited` does not say.
    let edited_at_ms = message
        .edited
        .as_ref()
        .and_then(|edited| edited.ts.as_deref())
        .or(event.ts.as_deref())
        .and_then(millis);

    let mut meta = context.metadata(&event.kind, channel);
    describe(&mut meta, event, message);
    put(&mut meta, "message_subtype", message.subtype.as_deref());
    put(&mut meta, "edited_ts", event.ts.as_deref());
    Ok(Parsed::Message(Box::new(Inbound {
        external_id: format!("{channel}:{ts}"),
        conversation_id,
        sender_id,
        sender_name: sender_name(message),
        sender_kind,
        text: text(message),
        timestamp: seconds(ts),
        reply_to,
        kind: files::message_kind(&message.files),
        chat_type: chat_type_of(event, channel),
        mentions_bot: mentions_bot(context, event, message),
        thread_id: message.thread_ts.clone(),
        is_edit: true,
        edited_at_ms,
        attachments: files::attachments(&message.files),
        metadata: finish_metadata(meta, &["files"]),
        ..Inbound::default()
    })))
}

/// A service event: stored for the history, never answered. The app's own
/// (its joining a channel, say) are kept too: Slack sends them once, not once
/// per reply.
fn service(context: &Context<'_>, event: &Event) -> Result<Parsed, ParseError> {
    let missing = |field| ParseError::MissingField {
        payload: "message event",
        field,
    };
    let channel = event.channel.as_deref().ok_or_else(|| missing("channel"))?;
    let ts = event.ts.as_deref().ok_or_else(|| missing("ts"))?;
    let (conversation_id, reply_to) = conversation(channel, Some(ts), event.thread_ts.as_deref());

    let mut meta = context.metadata(&event.kind, channel);
    describe(&mut meta, event, event);
    Ok(Parsed::Message(Box::new(Inbound {
        external_id: format!("{channel}:{ts}"),
        conversation_id,
        // A service event may have no author at all.
        sender_id: event
            .user
            .clone()
            .or_else(|| event.bot_id.clone())
            .unwrap_or_default(),
        sender_name: sender_name(event),
        sender_kind: context.identity.sender_kind(&event.author()),
        text: text(event),
        timestamp: seconds(ts),
        reply_to,
        kind: Kind::System,
        chat_type: chat_type_of(event, channel),
        thread_id: event.thread_ts.clone(),
        metadata: finish_metadata(meta, &["files"]),
        ..Inbound::default()
    })))
}

/// The fields of the delivered event and of the message itself (the same event
/// except for edits): type details, `ts`, thread, files.
fn describe(meta: &mut Map<String, Value>, event: &Event, message: &Event) {
    put(meta, "channel_type", event.channel_type.as_deref());
    put(meta, "subtype", event.subtype.as_deref());
    put(meta, "ts", message.ts.as_deref());
    put(meta, "thread_ts", message.thread_ts.as_deref());
    put(meta, "client_msg_id", message.client_msg_id.as_deref());
    put(meta, "bot_id", message.bot_id.as_deref());
    put(meta, "app_id", message.app_id.as_deref());
    if message.assistant_thread.is_some() {
        // What `on-agent-working` needs to show the assistant's status.
        meta.insert("assistant_thread".into(), true.into());
    }
    if !message.files.is_empty() {
        meta.insert("files".into(), files::summaries(&message.files));
    }
}

/// A person is known by their user id; a bot by its bot user, or failing one
/// (integrations, webhooks) by its `bot_id`.
fn sender_id(message: &Event, kind: SenderKind) -> Option<String> {
    match kind {
        SenderKind::User => message.user.clone(),
        SenderKind::Bot | SenderKind::ThisBot => {
            message.user.clone().or_else(|| message.bot_id.clone())
        }
    }
}

/// Messages from a Slack client carry a `user_profile`, integrations a
/// `username` or a `bot_profile`; without any the name stays unknown (looking it
/// up would need `users.info`).
fn sender_name(message: &Event) -> Option<String> {
    let profile = message.user_profile.as_ref();
    [
        profile.and_then(|p| p.display_name.as_ref()),
        profile.and_then(|p| p.real_name.as_ref()),
        message.username.as_ref(),
        message.bot_profile.as_ref().and_then(|p| p.name.as_ref()),
    ]
    .into_iter()
    .flatten()
    .find(|name| !name.trim().is_empty())
    .cloned()
}

fn text(message: &Event) -> Option<String> {
    message.text.clone().filter(|t| !t.is_empty())
}

/// `app_mention` events carry no `channel_type`; they come from channels, group
/// DMs and the app's direct messages, whose ids start with `D`.
fn chat_type_of(event: &Event, channel: &str) -> ChatType {
    if event.kind == "app_mention" && event.channel_type.is_none() {
        return if channel.starts_with('D') {
            ChatType::Direct
        } else {
            ChatType::Group
        };
    }
    chat_type(event.channel_type.as_deref(), channel)
}

/// An `app_mention` always addresses the bot; a message does when its text
/// mentions the bot user or it replies in a thread the bot started.
fn mentions_bot(context: &Context<'_>, event: &Event, message: &Event) -> bool {
    let identity = &context.identity;
    event.kind == "app_mention"
        || identity.is_mentioned_in(message.text.as_deref())
        || identity.is_bot_user(message.parent_user_id.as_deref())
}
