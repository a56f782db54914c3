//! `message_reaction` updates → one `reaction` message per emoji added or taken
//! back.
//!
//! Telegram sends a person's whole old and new list of reactions on a message;
//! the difference is what they did. Each change gets an external id built from
//! the update (chat, message, who, when, added or removed, which emoji), so a
//! redelivered update is stored once.
//!
//! Telegram sends these only to a bot that is an administrator of the chat and
//! lists `message_reaction` in `allowed_updates` of `setWebhook` (a poll asks
//! for them itself).

use serde_json::{Map, Value};
use switchboard_channel_sdk::{Inbound, Kind, Reaction, SenderKind};

use crate::message::chat_type;
use crate::parse::{ReactionType, ReactionUpdate};

/// The reaction messages of one update, additions first, in Telegram's order.
pub(crate) fn to_inbound(update_id: Option<i64>, update: &ReactionUpdate) -> Vec<Inbound> {
    let added = update
        .new_reaction
        .iter()
        .filter(|r| !update.old_reaction.contains(r));
    let removed = update
        .old_reaction
        .iter()
        .filter(|r| !update.new_reaction.contains(r));
    added
        .map(|r| (r, false))
        .chain(removed.map(|r| (r, true)))
        .map(|(reaction, removed)| one(update_id, update, reaction, removed))
        .collect()
}

fn one(
    update_id: Option<i64>,
    update: &ReactionUpdate,
    reaction: &ReactionType,
    removed: bool,
) -> Inbound {
    let chat_id = update.chat.id;
    let target = format!("{chat_id}:{}", update.message_id);
    // An anonymous admin reacts as the chat; the person behind it is no bot.
    let (sender_id, sender_name, sender_kind) = match (&update.user, &update.actor_chat) {
        (Some(user), _) => (
            user.id.to_string(),
            user.display_name(),
            if user.is_bot {
                SenderKind::Bot
            } else {
                SenderKind::User
            },
        ),
        (None, Some(chat)) => (chat.id.to_string(), chat.display_name(), SenderKind::User),
        (None, None) => (
            chat_id.to_string(),
            update.chat.display_name(),
            SenderKind::User,
        ),
    };
    let emoji = emoji(reaction);
    let change = if removed { "removed" } else { "added" };
    let mut meta = Map::new();
    if let Some(id) = update_id {
        meta.insert("update_id".into(), id.into());
    }
    meta.insert("update_type".into(), "message_reaction".into());
    meta.insert("chat_id".into(), chat_id.into());
    meta.insert("message_id".into(), update.message_id.into());
    if let Some(kind) = &update.chat.kind {
        meta.insert("chat_type".into(), kind.as_str().into());
    }
    meta.insert("reaction_type".into(), reaction.kind.as_str().into());
    if let Some(id) = &reaction.custom_emoji_id {
        meta.insert("custom_emoji_id".into(), id.as_str().into());
    }
    if update.user.is_none() && update.actor_chat.is_some() {
        meta.insert("anonymous".into(), true.into());
    }

    Inbound {
        external_id: format!(
            "{target}:reaction:{sender_id}:{}:{change}:{emoji}",
            update.date
        ),
        conversation_id: chat_id.to_string(),
        sender_id,
        sender_name,
        sender_kind,
        timestamp: update.date,
        kind: Kind::Reaction,
        chat_type: chat_type(&update.chat),
        reaction: Some(Reaction {
            target,
            emoji,
            removed,
        }),
        metadata: Value::Object(meta).to_string(),
        ..Inbound::default()
    }
}

/// The emoji itself; a custom emoji by its id (`custom_emoji:<id>`), a paid star
/// reaction as `paid`, and a type Telegram adds later by its name.
fn emoji(reaction: &ReactionType) -> String {
    match (
        reaction.kind.as_str(),
        &reaction.emoji,
        &reaction.custom_emoji_id,
    ) {
        ("emoji", Some(emoji), _) => emoji.clone(),
        ("custom_emoji", _, Some(id)) => format!("custom_emoji:{id}"),
        (kind, _, _) => kind.to_owned(),
    }
}
