//! Who wrote a message and where: the sender's id and contact, whether it is the
//! business itself, the kind of chat and whether the business is addressed.

use serde_json::Value;
use switchboard_channel_sdk::{ChatType, SenderKind};

use super::{ChangeContext, non_empty_str, str_at};

/// The person (or the business) a message is from.
#[derive(Debug, Clone, Copy)]
pub(super) struct Sender<'a> {
    /// A phone number or a business-scoped user id (BSUID).
    pub(super) id: &'a str,
    /// The `contacts[]` entry describing them, when there is one.
    pub(super) contact: Option<&'a Value>,
    pub(super) kind: SenderKind,
}

/// Finds who sent `message`: its `from` (a phone number), else its `from_user_id`
/// (the BSUID, for users who adopted a username and withhold their number), else
/// the `user_id` of the contact describing the sender. `None` when none of them is
/// there.
///
/// The field names are those of Meta's business-scoped user id documentation
/// (`developers.facebook.com/documentation/business-messaging/whatsapp/business-scoped-user-ids`).
pub(super) fn sender_of<'a>(change: &ChangeContext<'a>, message: &'a Value) -> Option<Sender<'a>> {
    let from = non_empty_str(message, "from");
    let from_user_id = non_empty_str(message, "from_user_id");
    let contact = find_contact(change.contacts, from, from_user_id);
    let id = from
        .or(from_user_id)
        .or_else(|| contact.and_then(|contact| non_empty_str(contact, "user_id")))
        .or_else(|| system_subject(message))?;
    let kind = if from.is_some_and(|from| change.is_own_number(from)) {
        SenderKind::ThisBot
    } else {
        SenderKind::User
    };
    Some(Sender { id, contact, kind })
}

/// A system notice about a user whose id changed may come with no sender at all;
/// it is about the user's previous id, the one their history is stored under.
fn system_subject(message: &Value) -> Option<&str> {
    let system = message.get("system")?;
    non_empty_str(system, "previous_user_id").or_else(|| non_empty_str(system, "user_id"))
}

/// The contact entry describing the sender: the one whose `wa_id` (or `user_id`)
/// matches, else the only one, since Meta sends one contact per sender.
fn find_contact<'a>(
    contacts: &'a [Value],
    from: Option<&str>,
    from_user_id: Option<&str>,
) -> Option<&'a Value> {
    let matches = |contact: &&Value| {
        (from.is_some() && str_at(contact, "wa_id") == from)
            || (from_user_id.is_some() && str_at(contact, "user_id") == from_user_id)
    };
    contacts.iter().find(matches).or(match contacts {
        [only] => Some(only),
        _ => None,
    })
}

/// The sender's display name: their profile name, else their username.
pub(super) fn contact_name(contact: &Value) -> Option<&str> {
    let profile = contact.get("profile")?;
    non_empty_str(profile, "name").or_else(|| non_empty_str(profile, "username"))
}

/// The Groups API id of the group a message was written in, if it was: on the
/// message itself (Meta's group messages webhook reference) or on its context.
pub(super) fn group_id_of(message: &Value) -> Option<&str> {
    non_empty_str(message, "group_id").or_else(|| {
        message
            .get("context")
            .and_then(|context| non_empty_str(context, "group_id"))
    })
}

pub(super) fn chat_type_of(group_id: Option<&str>) -> ChatType {
    match group_id {
        Some(_) => ChatType::Group,
        None => ChatType::Direct,
    }
}

/// Whether a group message addresses the business: it replies to one of the
/// business's messages, or mentions its number the way WhatsApp writes a mention
/// into the text (`@` and the number). A direct message is to the business anyway
/// and never counts as a mention.
pub(super) fn mentions_business(
    change: &ChangeContext<'_>,
    message: &Value,
    chat_type: ChatType,
    text: Option<&str>,
) -> bool {
    if chat_type != ChatType::Group {
        return false;
    }
    let replies_to_business = message
        .get("context")
        .and_then(|context| non_empty_str(context, "from"))
        .is_some_and(|from| change.is_own_number(from));
    let own_digits = change.display_phone_number.map(digits).unwrap_or_default();
    let names_business = !own_digits.is_empty()
        && text.is_some_and(|text| {
            text.match_indices('@')
                .any(|(at, _)| text[at + 1..].starts_with(own_digits.as_str()))
        });
    replies_to_business || names_business
}

impl ChangeContext<'_> {
    /// Whether `candidate` is the business's own number: its display number
    /// written in any format, or its phone number id.
    fn is_own_number(&self, candidate: &str) -> bool {
        if candidate == self.phone_number_id {
            return true;
        }
        let own = self.display_phone_number.map(digits).unwrap_or_default();
        !own.is_empty() && digits(candidate) == own
    }
}

/// The digits of a phone number as written (`+1 555-078-3881` → `15550783881`).
fn digits(number: &str) -> String {
    number.chars().filter(char::is_ascii_digit).collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn change<'a>(contacts: &'a [Value]) -> ChangeContext<'a> {
        ChangeContext {
            waba_id: None,
            phone_number_id: "106540352242922",
            display_phone_number: Some("+1 555-078-3881"),
            contacts,
        }
    }

    #[test]
    fn the_business_number_in_any_format_is_this_bot() {
        let change = change(&[]);
        for from in ["15550783881", "+15550783881", "106540352242922"] {
            let message = json!({ "from": from });
            let sender = sender_of(&change, &message).expect("sender");
            assert_eq!(sender.kind, SenderKind::ThisBot, "{from}");
        }
        let message = json!({ "from": "16505551234" });
        assert_eq!(
            sender_of(&change, &message).expect("sender").kind,
            SenderKind::User
        );
    }

    #[test]
    fn a_business_without_a_display_number_recognises_only_its_id() {
        let change = ChangeContext {
            display_phone_number: Some(""),
            ..change(&[])
        };
        let message = json!({ "from": "" });
        assert!(sender_of(&change, &message).is_none());
        let message = json!({ "from": "123" });
        assert_eq!(
            sender_of(&change, &message).expect("sender").kind,
            SenderKind::User
        );
    }

    #[test]
    fn mentions_count_only_in_groups() {
        let change = change(&[]);
        let reply_to_business = json!({ "context": { "from": "15550783881", "id": "wamid.A" } });
        assert!(mentions_business(
            &change,
            &reply_to_business,
            ChatType::Group,
            None
        ));
        assert!(!mentions_business(
            &change,
            &reply_to_business,
            ChatType::Direct,
            None
        ));
        let plain = json!({});
        assert!(mentions_business(
            &change,
            &plain,
            ChatType::Group,
            Some("hey @15550783881 what do you think?")
        ));
        assert!(!mentions_business(
            &change,
            &plain,
            ChatType::Group,
            Some("mail me at someone@example.com, 15550783881")
        ));
    }
}
