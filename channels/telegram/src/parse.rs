//! Reading one Telegram `Update` (a webhook body, or one update of a poll):
//! which update type it is and the Bot API objects it carries, nothing more.
//!
//! The parser is tolerant: Telegram adds fields with every Bot API release and
//! published samples predate required fields such as `is_bot`, so unknown fields
//! are ignored and only the identity of what an update is about is required
//! (`message_id` and `chat.id` of a message, the chat and message of a reaction,
//! the id and sender of a button tap).

use serde::Deserialize;
use serde_json::{Map, Value, error::Category};

/// Update types that carry a message, with whether they are edits.
const MESSAGE_TYPES: &[(&str, bool)] = &[
    ("message", false),
    ("edited_message", true),
    ("channel_post", false),
    ("edited_channel_post", true),
];

/// Every update type this channel maps to messages: what a poll asks `getUpdates`
/// for (`allowed_updates`), and what a webhook should be set up with.
/// `message_reaction` is among them, though Telegram leaves it out by default.
pub(crate) const MAPPED_TYPES: &[&str] = &[
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "message_reaction",
    "callback_query",
];

/// Why an update's JSON produced no update this channel can map.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ParseError {
    /// The body is not JSON at all; the request is malformed.
    #[error("body is not valid json")]
    NotJson(#[source] serde_json::Error),
    /// The body is JSON but not shaped like an update. Telegram would redeliver it
    /// forever if refused, so callers log it and acknowledge.
    #[error("body is json but not a telegram update")]
    NotAnUpdate(#[source] serde_json::Error),
    /// A known update type that carries something a person did, in a shape this
    /// channel cannot read.
    #[error("cannot read the `{update_type}` of a telegram update")]
    Unreadable {
        update_type: &'static str,
        #[source]
        source: serde_json::Error,
    },
}

impl ParseError {
    fn from_serde(err: serde_json::Error) -> Self {
        match err.classify() {
            Category::Data => ParseError::NotAnUpdate(err),
            Category::Io | Category::Syntax | Category::Eof => ParseError::NotJson(err),
        }
    }
}

/// One update, as a webhook delivers it or a poll brings it.
#[derive(Debug)]
pub(crate) struct Update {
    pub(crate) update_id: Option<i64>,
    pub(crate) event: Event,
}

/// What an update is about.
#[derive(Debug)]
pub(crate) enum Event {
    /// A new message or channel post, or an edit of one.
    Message {
        update_type: &'static str,
        message: Box<Message>,
        is_edit: bool,
    },
    /// A person changed their reactions to a message.
    Reaction(Box<ReactionUpdate>),
    /// Anonymous reaction counts of a channel post: nobody in particular reacted.
    ReactionCount,
    /// A tap on an inline keyboard button.
    Callback(Box<CallbackQuery>),
    /// Any other update type (named), or none at all.
    Other(String),
}

#[derive(Debug, Deserialize)]
pub(crate) struct Message {
    pub(crate) message_id: i64,
    pub(crate) message_thread_id: Option<i64>,
    pub(crate) is_topic_message: Option<bool>,
    pub(crate) from: Option<User>,
    pub(crate) sender_chat: Option<Chat>,
    pub(crate) chat: Chat,
    #[serde(default)]
    pub(crate) date: u64,
    pub(crate) edit_date: Option<u64>,
    pub(crate) text: Option<String>,
    pub(crate) caption: Option<String>,
    pub(crate) reply_to_message: Option<MessageRef>,
    pub(crate) entities: Option<Value>,
    pub(crate) caption_entities: Option<Value>,
    pub(crate) media_group_id: Option<String>,
    /// Content, service, forward and keyboard fields, looked up by name so that
    /// new content types only need a table entry.
    #[serde(flatten)]
    pub(crate) rest: Map<String, Value>,
}

impl Message {
    /// In forum topics every message that is not an explicit reply still carries
    /// the topic's creation message as `reply_to_message`; that is not a reply.
    pub(crate) fn reply(&self) -> Option<&MessageRef> {
        self.reply_to_message.as_ref().filter(|reply| {
            !(self.is_topic_message == Some(true)
                && self.message_thread_id == Some(reply.message_id))
        })
    }

    /// The text a person wrote and the entities marked in it: the text of a text
    /// message, the caption of a media message.
    pub(crate) fn text_and_entities(&self) -> Option<(&str, Option<&Value>)> {
        match (&self.text, &self.caption) {
            (Some(text), _) => Some((text, self.entities.as_ref())),
            (None, Some(caption)) => Some((caption, self.caption_entities.as_ref())),
            (None, None) => None,
        }
    }
}

/// The message a reply answers; only who sent it matters here.
#[derive(Debug, Deserialize)]
pub(crate) struct MessageRef {
    pub(crate) message_id: i64,
    pub(crate) from: Option<User>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct User {
    pub(crate) id: i64,
    #[serde(default)]
    pub(crate) is_bot: bool,
    pub(crate) first_name: Option<String>,
    pub(crate) last_name: Option<String>,
    pub(crate) username: Option<String>,
}

impl User {
    /// First and last name, else the username.
    pub(crate) fn display_name(&self) -> Option<String> {
        full_name(self.first_name.as_deref(), self.last_name.as_deref())
            .or_else(|| self.username.clone())
    }
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Chat {
    pub(crate) id: i64,
    #[serde(rename = "type")]
    pub(crate) kind: Option<String>,
    pub(crate) title: Option<String>,
    pub(crate) username: Option<String>,
    pub(crate) first_name: Option<String>,
    pub(crate) last_name: Option<String>,
}

impl Chat {
    /// The title of a group or channel, the name of a private chat's user.
    pub(crate) fn display_name(&self) -> Option<String> {
        self.title
            .clone()
            .or_else(|| full_name(self.first_name.as_deref(), self.last_name.as_deref()))
            .or_else(|| self.username.clone())
    }

    pub(crate) fn is_private(&self) -> bool {
        self.kind.as_deref() == Some("private")
    }
}

fn full_name(first: Option<&str>, last: Option<&str>) -> Option<String> {
    let parts: Vec<&str> = [first, last]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// `MessageReactionUpdated`.
#[derive(Debug, Deserialize)]
pub(crate) struct ReactionUpdate {
    pub(crate) chat: Chat,
    pub(crate) message_id: i64,
    pub(crate) user: Option<User>,
    pub(crate) actor_chat: Option<Chat>,
    #[serde(default)]
    pub(crate) date: u64,
    #[serde(default)]
    pub(crate) old_reaction: Vec<ReactionType>,
    #[serde(default)]
    pub(crate) new_reaction: Vec<ReactionType>,
}

/// `ReactionType`: an emoji, a custom emoji or a paid (star) reaction.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct ReactionType {
    #[serde(rename = "type")]
    pub(crate) kind: String,
    pub(crate) emoji: Option<String>,
    pub(crate) custom_emoji_id: Option<String>,
}

/// `CallbackQuery`.
#[derive(Debug, Deserialize)]
pub(crate) struct CallbackQuery {
    pub(crate) id: String,
    pub(crate) from: User,
    /// Absent for buttons of inline-mode messages; for old messages only the
    /// chat, id and a zero date are left.
    pub(crate) message: Option<Message>,
    pub(crate) inline_message_id: Option<String>,
    pub(crate) chat_instance: Option<String>,
    pub(crate) data: Option<String>,
    pub(crate) game_short_name: Option<String>,
}

/// Reads one update: a webhook body, or one element of a poll's `result`.
pub(crate) fn read_update(body: &[u8]) -> Result<Update, ParseError> {
    let value: Value = serde_json::from_slice(body).map_err(ParseError::from_serde)?;
    let Value::Object(fields) = value else {
        return Err(ParseError::NotAnUpdate(serde::de::Error::custom(
            "expected a json object",
        )));
    };
    let update_id = match fields.get("update_id") {
        None | Some(Value::Null) => None,
        Some(id) => Some(i64::deserialize(id).map_err(ParseError::NotAnUpdate)?),
    };
    Ok(Update {
        update_id,
        event: event(&fields)?,
    })
}

fn event(fields: &Map<String, Value>) -> Result<Event, ParseError> {
    for &(update_type, is_edit) in MESSAGE_TYPES {
        if let Some(value) = present(fields, update_type) {
            let message = read(update_type, value)?;
            return Ok(Event::Message {
                update_type,
                message: Box::new(message),
                is_edit,
            });
        }
    }
    if let Some(value) = present(fields, "message_reaction") {
        return read("message_reaction", value).map(|update| Event::Reaction(Box::new(update)));
    }
    if present(fields, "message_reaction_count").is_some() {
        return Ok(Event::ReactionCount);
    }
    if let Some(value) = present(fields, "callback_query") {
        return read("callback_query", value).map(|query| Event::Callback(Box::new(query)));
    }
    let other = fields
        .iter()
        .find(|(key, value)| *key != "update_id" && !value.is_null())
        .map_or_else(|| "none".to_owned(), |(key, _)| key.clone());
    Ok(Event::Other(other))
}

fn present<'a>(fields: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    fields.get(key).filter(|value| !value.is_null())
}

fn read<'a, T: Deserialize<'a>>(
    update_type: &'static str,
    value: &'a Value,
) -> Result<T, ParseError> {
    T::deserialize(value).map_err(|source| ParseError::Unreadable {
        update_type,
        source,
    })
}

#[cfg(test)]
mod tests;
