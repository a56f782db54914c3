//! `reaction_added` and `reaction_removed` events: a reaction recorded against
//! the message it was given to, `<channel>:<item.ts>`.
//!
//! Each delivery is its own record, kept apart by who reacted, with what, which
//! way and when (`event_ts`), so adding, removing and adding again are three
//! entries while Slack's retries of one of them store once. Reactions to files
//! (items of type `file` or `file_comment`) have no message to point at and are
//! ignored.

use serde::Deserialize;
use serde_json::Value;
use switchboard_channel_sdk::{Inbound, Kind, Reaction};

use super::channel::chat_type;
use super::events::Context;
use super::ts::seconds;
use super::{ParseError, Parsed, finish_metadata, put};

#[derive(Deserialize)]
struct ReactionEvent {
    #[serde(rename = "type")]
    kind: String,
    user: Option<String>,
    reaction: Option<String>,
    /// The author of the message reacted to; absent for webhook posts.
    item_user: Option<String>,
    item: Option<Item>,
    event_ts: Option<String>,
}

#[derive(Deserialize)]
struct Item {
    #[serde(rename = "type")]
    kind: Option<String>,
    channel: Option<String>,
    ts: Option<String>,
    channel_type: Option<String>,
}

pub(super) fn parse(context: &Context<'_>, event: &Value) -> Result<Parsed, ParseError> {
    let event = ReactionEvent::deserialize(event).map_err(ParseError::Unreadable)?;
    let missing = |field| ParseError::MissingField {
        payload: "reaction event",
        field,
    };
    let item = event.item.as_ref().ok_or_else(|| missing("item"))?;
    let item_type = item.kind.as_deref().unwrap_or_default();
    if item_type != "message" {
        return Ok(Parsed::Nothing(format!(
            "{} to a {item_type} item",
            event.kind
        )));
    }
    let user = event.user.as_deref().ok_or_else(|| missing("user"))?;
    // The app adds a reaction to every stored message to acknowledge it (see
    // `outbound::acknowledge`), and Slack reports each back: recording them would
    // add one entry of the app's own per message.
    if context.identity.is_bot_user(Some(user)) {
        return Ok(Parsed::Nothing(format!("{} by this app", event.kind)));
    }
    let emoji = event
        .reaction
        .as_deref()
        .ok_or_else(|| missing("reaction"))?;
    let channel = item
        .channel
        .as_deref()
        .ok_or_else(|| missing("item.channel"))?;
    let item_ts = item.ts.as_deref().ok_or_else(|| missing("item.ts"))?;
    let event_ts = event
        .event_ts
        .as_deref()
        .ok_or_else(|| missing("event_ts"))?;
    let removed = event.kind == "reaction_removed";
    let target = format!("{channel}:{item_ts}");
    let direction = if removed { "removed" } else { "added" };

    let mut meta = context.metadata(&event.kind, channel);
    put(&mut meta, "channel_type", item.channel_type.as_deref());
    meta.insert("item_ts".into(), item_ts.into());
    put(&mut meta, "item_user", event.item_user.as_deref());
    meta.insert("event_ts".into(), event_ts.into());
    Ok(Parsed::Message(Box::new(Inbound {
        external_id: format!("{target}:reaction:{user}:{emoji}:{direction}:{event_ts}"),
        conversation_id: channel.to_owned(),
        sender_id: user.to_owned(),
        timestamp: seconds(event_ts),
        kind: Kind::Reaction,
        chat_type: chat_type(item.channel_type.as_deref(), channel),
        // A reaction to one of the bot's messages answers it, as a reply would.
        mentions_bot: context.identity.is_bot_user(event.item_user.as_deref()),
        reaction: Some(Reaction {
            target,
            emoji: emoji.to_owned(),
            removed,
        }),
        metadata: finish_metadata(meta, &[]),
        ..Inbound::default()
    })))
}
