//! Events API JSON: `url_verification` and `event_callback` envelopes.
//!
//! `message` and `app_mention` events become messages under `<channel>:<ts>`, so
//! the two deliveries Slack makes for one @mention (a `message` and an
//! `app_mention` with different `event_id`s) and Slack's own retries store once.
//! `message_changed` becomes an edit of the original `<channel>:<ts>`. Messages
//! from bots (this app included), and edits of them, are skipped so that the app
//! never answers itself.

use serde::Deserialize;
use serde_json::{Map, Value};
use switchboard_channel_sdk::header;

use super::{ParseError, Parsed, conversation, finish_metadata, put, seconds};
use crate::message::{Inbound, Kind};

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "type")]
    kind: String,
    challenge: Option<String>,
    team_id: Option<String>,
    api_app_id: Option<String>,
    event_id: Option<String>,
    event_time: Option<u64>,
    /// Kept as JSON until its type is known: events this channel ignores come in
    /// shapes (e.g. `channel` as an object) that the message struct would reject.
    event: Option<Value>,
    authorizations: Option<Vec<Authorization>>,
}

#[derive(Deserialize)]
struct Authorization {
    user_id: Option<String>,
    #[serde(default)]
    is_bot: bool,
}

#[derive(Deserialize)]
struct Event {
    #[serde(rename = "type", default)]
    kind: String,
    subtype: Option<String>,
    channel: Option<String>,
    user: Option<String>,
    text: Option<String>,
    ts: Option<String>,
    thread_ts: Option<String>,
    channel_type: Option<String>,
    bot_id: Option<String>,
    client_msg_id: Option<String>,
    #[serde(default)]
    files: Vec<Value>,
    user_profile: Option<Profile>,
    /// The new version, for `message_changed`.
    message: Option<Box<Event>>,
    /// The old version, for `message_changed`.
    previous_message: Option<Box<Event>>,
}

#[derive(Deserialize)]
struct Profile {
    display_name: Option<String>,
    real_name: Option<String>,
}

/// Subtypes that are still a person's message: with files, a thread reply also
/// sent to the channel, `/me`. Every other subtype (joins, topic changes,
/// deletions, bot messages) is not something to answer.
const MESSAGE_SUBTYPES: &[&str] = &["file_share", "thread_broadcast", "me_message"];

/// File fields kept in metadata; `url_private` needs the bot token to download, so
/// it is a reference, not a secret.
const FILE_FIELDS: &[&str] = &[
    "id",
    "name",
    "title",
    "mimetype",
    "filetype",
    "size",
    "url_private",
];

pub(super) fn parse(headers: &[(String, String)], body: &[u8]) -> Result<Parsed, ParseError> {
    let envelope: Envelope = serde_json::from_slice(body).map_err(ParseError::from_serde)?;
    match envelope.kind.as_str() {
        "url_verification" => {
            return Ok(match envelope.challenge {
                Some(challenge) => Parsed::Challenge(challenge),
                None => Parsed::Nothing("url_verification without a challenge".to_owned()),
            });
        }
        "event_callback" => {}
        other => return Ok(Parsed::Nothing(format!("{other} envelope"))),
    }
    let Some(event) = &envelope.event else {
        return Err(ParseError::MissingField {
            payload: "event_callback",
            field: "event",
        });
    };
    let event_type = event
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !matches!(event_type, "message" | "app_mention") {
        return Ok(Parsed::Nothing(format!("{event_type} event")));
    }
    let event = Event::deserialize(event).map_err(ParseError::Unreadable)?;
    let context = Context {
        envelope: &envelope,
        retry_num: header(headers, "x-slack-retry-num"),
        retry_reason: header(headers, "x-slack-retry-reason"),
    };
    match event.subtype.as_deref() {
        None => new_message(&context, &event),
        Some(subtype) if MESSAGE_SUBTYPES.contains(&subtype) => new_message(&context, &event),
        Some("message_changed") => edit(&context, &event),
        Some(other) => Ok(Parsed::Nothing(format!("message subtype {other}"))),
    }
}

/// The envelope and delivery details every emitted message records.
struct Context<'a> {
    envelope: &'a Envelope,
    retry_num: Option<&'a str>,
    retry_reason: Option<&'a str>,
}

impl Context<'_> {
    /// The app's own bot user, from the installation this event was delivered for.
    fn own_bot_user(&self) -> Option<&str> {
        self.envelope
            .authorizations
            .iter()
            .flatten()
            .find(|a| a.is_bot)
            .and_then(|a| a.user_id.as_deref())
    }

    fn metadata(&self, event: &Event, channel: &str) -> Map<String, Value> {
        let e = self.envelope;
        let mut meta = Map::new();
        meta.insert("source".into(), "event".into());
        meta.insert("event_type".into(), event.kind.as_str().into());
        put(&mut meta, "team_id", e.team_id.as_deref());
        put(&mut meta, "api_app_id", e.api_app_id.as_deref());
        put(&mut meta, "event_id", e.event_id.as_deref());
        put(&mut meta, "event_time", e.event_time);
        meta.insert("channel".into(), channel.into());
        put(&mut meta, "channel_type", event.channel_type.as_deref());
        put(&mut meta, "subtype", event.subtype.as_deref());
        if let Some(retry) = self.retry_num {
            // Slack sends a small integer; anything else is kept as sent.
            let value = retry
                .parse::<u32>()
                .map_or_else(|_| Value::from(retry), Value::from);
            meta.insert("retry_num".into(), value);
        }
        put(&mut meta, "retry_reason", self.retry_reason);
        meta
    }
}

/// Why a message (or the new version of an edited one) must not be answered: it
/// comes from a bot, or from this app's own bot user.
fn from_a_bot(context: &Context<'_>, message: &Event) -> Option<&'static str> {
    if message.bot_id.is_some() || message.subtype.as_deref() == Some("bot_message") {
        return Some("a bot");
    }
    if message.user.is_some() && message.user.as_deref() == context.own_bot_user() {
        return Some("this app's bot user");
    }
    None
}

fn new_message(context: &Context<'_>, event: &Event) -> Result<Parsed, ParseError> {
    if let Some(author) = from_a_bot(context, event) {
        return Ok(Parsed::Nothing(format!("message from {author}")));
    }
    let missing = |field| ParseError::MissingField {
        payload: "message event",
        field,
    };
    let channel = event.channel.as_deref().ok_or_else(|| missing("channel"))?;
    let ts = event.ts.as_deref().ok_or_else(|| missing("ts"))?;
    let user = event.user.as_deref().ok_or_else(|| missing("user"))?;
    let (conversation_id, reply_to) = conversation(channel, Some(ts), event.thread_ts.as_deref());

    let mut meta = context.metadata(event, channel);
    describe_message(&mut meta, event);
    Ok(Parsed::Message(Inbound {
        external_id: format!("{channel}:{ts}"),
        conversation_id,
        sender_id: user.to_owned(),
        sender_name: sender_name(event),
        text: event.text.clone().filter(|t| !t.is_empty()),
        timestamp: seconds(ts),
        reply_to,
        kind: kind(&event.files),
        is_edit: false,
        metadata: finish_metadata(meta, &["files"]),
    }))
}

/// `message_changed` carries the new version in `message`; its `ts` is the
/// original's, the event's own `ts` is the time of the edit.
fn edit(context: &Context<'_>, event: &Event) -> Result<Parsed, ParseError> {
    let missing = |field| ParseError::MissingField {
        payload: "message_changed event",
        field,
    };
    let message = event.message.as_deref().ok_or_else(|| missing("message"))?;
    // The store keeps an edit of a message it never saw as a new message, which the
    // agent would then answer: an edit of the app's own message must stop here too.
    if let Some(author) = from_a_bot(context, message) {
        return Ok(Parsed::Nothing(format!("edit of a message from {author}")));
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
    let user = message
        .user
        .as_deref()
        .ok_or_else(|| missing("message.user"))?;
    let (conversation_id, reply_to) = conversation(channel, Some(ts), message.thread_ts.as_deref());
    let edited_at = event.ts.as_deref().map_or_else(|| seconds(ts), seconds);

    let mut meta = context.metadata(event, channel);
    describe_message(&mut meta, message);
    put(&mut meta, "edited_ts", event.ts.as_deref());
    Ok(Parsed::Message(Inbound {
        external_id: format!("{channel}:{ts}"),
        conversation_id,
        sender_id: user.to_owned(),
        sender_name: sender_name(message),
        text: message.text.clone().filter(|t| !t.is_empty()),
        timestamp: edited_at,
        reply_to,
        kind: kind(&message.files),
        is_edit: true,
        metadata: finish_metadata(meta, &["files"]),
    }))
}

/// The fields of the message itself: its `ts`, thread and files.
fn describe_message(meta: &mut Map<String, Value>, message: &Event) {
    put(meta, "ts", message.ts.as_deref());
    put(meta, "thread_ts", message.thread_ts.as_deref());
    put(meta, "client_msg_id", message.client_msg_id.as_deref());
    if !message.files.is_empty() {
        let files: Vec<Value> = message.files.iter().map(file_summary).collect();
        meta.insert("files".into(), files.into());
    }
}

fn file_summary(file: &Value) -> Value {
    let summary: Map<String, Value> = FILE_FIELDS
        .iter()
        .filter_map(|f| file.get(*f).map(|v| ((*f).to_owned(), v.clone())))
        .collect();
    Value::Object(summary)
}

/// A message with files takes the kind of its first file; the text is its caption.
fn kind(files: &[Value]) -> Kind {
    let Some(file) = files.first() else {
        return Kind::Text;
    };
    let mimetype = file
        .get("mimetype")
        .and_then(Value::as_str)
        .unwrap_or_default();
    match mimetype.split('/').next().unwrap_or_default() {
        "image" => Kind::Image,
        "audio" => Kind::Audio,
        "video" => Kind::Video,
        _ => Kind::Document,
    }
}

/// Message events carry a `user_profile` when sent from a Slack client; without
/// one the name stays unknown (looking it up would need `users.info`).
fn sender_name(event: &Event) -> Option<String> {
    let profile = event.user_profile.as_ref()?;
    [&profile.display_name, &profile.real_name]
        .into_iter()
        .flatten()
        .find(|name| !name.trim().is_empty())
        .cloned()
}
