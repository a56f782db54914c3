//! Whether a message addresses the bot: names it (`@username`, or a
//! `text_mention` of the bot user), sends a command meant for it
//! (`/status@username`) or replies to one of its messages.
//!
//! A bare `/command` is not a mention: in a group it is meant for every bot.

use serde::Deserialize;
use serde_json::Value;

use crate::identity::BotIdentity;
use crate::parse::{Message, User};

/// `MessageEntity`, as far as mentions go. Offsets and lengths count UTF-16 code
/// units.
#[derive(Deserialize)]
struct Entity {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    offset: usize,
    #[serde(default)]
    length: usize,
    user: Option<User>,
}

pub(crate) fn mentions_bot(m: &Message, me: &BotIdentity) -> bool {
    let replies_to_bot = m
        .reply()
        .and_then(|reply| reply.from.as_ref())
        .is_some_and(|author| me.is(author));
    replies_to_bot
        || m.text_and_entities()
            .is_some_and(|(text, entities)| entities.is_some_and(|e| names_bot(text, e, me)))
}

fn names_bot(text: &str, entities: &Value, me: &BotIdentity) -> bool {
    // Entities this channel cannot read name nobody; the message still goes on.
    let Ok(entities) = Vec::<Entity>::deserialize(entities) else {
        return false;
    };
    let units: Vec<u16> = text.encode_utf16().collect();
    entities.iter().any(|entity| match entity.kind.as_str() {
        "mention" => slice(&units, entity)
            .as_deref()
            .and_then(|word| word.strip_prefix('@'))
            .is_some_and(|name| me.has_username(name)),
        "bot_command" => slice(&units, entity)
            .as_deref()
            .and_then(|command| command.split_once('@'))
            .is_some_and(|(_, name)| me.has_username(name)),
        "text_mention" => entity.user.as_ref().is_some_and(|user| me.is(user)),
        _ => false,
    })
}

/// The text an entity covers, if its bounds fit the text.
fn slice(units: &[u16], entity: &Entity) -> Option<String> {
    let end = entity.offset.checked_add(entity.length)?;
    String::from_utf16(units.get(entity.offset..end)?).ok()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn me() -> BotIdentity {
        BotIdentity {
            id: Some(7),
            username: Some("SwitchboardBot".to_owned()),
        }
    }

    #[test]
    fn entities_outside_the_text_or_unreadable_name_nobody() {
        let text = "@SwitchboardBot";
        for entities in [
            json!([{"type": "mention", "offset": 10, "length": 15}]),
            json!([{"type": "mention", "offset": usize::MAX, "length": 2}]),
            json!({"type": "mention"}),
            json!([{"type": "mention", "offset": "zero", "length": 15}]),
        ] {
            assert!(!names_bot(text, &entities, &me()), "{entities}");
        }
    }

    #[test]
    fn offsets_count_utf16_units() {
        // The flag is four UTF-16 units; a byte or char count would miss the name.
        let text = "🇺🇦 @switchboardbot";
        let entities = json!([{"type": "mention", "offset": 5, "length": 15}]);
        assert!(names_bot(text, &entities, &me()));
    }
}
