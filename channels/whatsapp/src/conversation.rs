//! Conversation ids: `<phone_number_id>:<user>` for a chat with one person and
//! `<phone_number_id>:group:<group_id>` for a group made with the Groups API.
//!
//! The phone number id says which business number sends the reply; the rest says
//! to whom. A user is a phone number or a business-scoped user id (`US.1349...`),
//! neither of which contains `:`, so the `group:` prefix cannot be mistaken for one.

use std::fmt;

/// Marks the part after the phone number id as a group.
const GROUP_PREFIX: &str = "group:";

/// Who a conversation is with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Peer<'a> {
    /// One person: a phone number or a business-scoped user id.
    User(&'a str),
    /// A group, by its Groups API id.
    Group(&'a str),
}

/// A parsed conversation id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ConversationId<'a> {
    pub(crate) phone_number_id: &'a str,
    pub(crate) peer: Peer<'a>,
}

impl<'a> ConversationId<'a> {
    /// Reads a conversation id this channel emitted, saying exactly which part is
    /// wrong when it is not one.
    pub(crate) fn parse(id: &'a str) -> Result<Self, InvalidConversationId> {
        let invalid = |part| InvalidConversationId {
            id: id.to_owned(),
            part,
        };
        let (phone_number_id, rest) = id.split_once(':').ok_or(invalid(Part::Separator))?;
        if phone_number_id.is_empty() {
            return Err(invalid(Part::EmptyPhoneNumberId));
        }
        if !is_phone_number_id(phone_number_id) {
            return Err(invalid(Part::PhoneNumberIdNotDigits(
                phone_number_id.to_owned(),
            )));
        }
        let peer = match rest.strip_prefix(GROUP_PREFIX) {
            Some("") => return Err(invalid(Part::EmptyGroup)),
            Some(group) => Peer::Group(group),
            None if rest.is_empty() => return Err(invalid(Part::EmptyUser)),
            None => Peer::User(rest),
        };
        Ok(Self {
            phone_number_id,
            peer,
        })
    }
}

impl fmt::Display for ConversationId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.peer {
            Peer::User(user) => write!(f, "{}:{user}", self.phone_number_id),
            Peer::Group(group) => write!(f, "{}:{GROUP_PREFIX}{group}", self.phone_number_id),
        }
    }
}

/// Phone number ids are numeric; anything else would put arbitrary text into the
/// request path.
pub(crate) fn is_phone_number_id(candidate: &str) -> bool {
    !candidate.is_empty() && candidate.bytes().all(|byte| byte.is_ascii_digit())
}

/// A conversation id that is not `<phone_number_id>:<user>` or
/// `<phone_number_id>:group:<group_id>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("conversation id `{id}`: {part}")]
pub(crate) struct InvalidConversationId {
    id: String,
    part: Part,
}

/// Which part of a conversation id is wrong, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum Part {
    #[error(
        "there is no `:` between the phone number id and the user \
         (expected `<phone_number_id>:<user>`)"
    )]
    Separator,
    #[error("the phone number id before `:` is empty")]
    EmptyPhoneNumberId,
    #[error("the phone number id `{0}` must be digits")]
    PhoneNumberIdNotDigits(String),
    #[error("the user after `:` is empty")]
    EmptyUser,
    #[error("the group id after `group:` is empty")]
    EmptyGroup,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_and_groups_round_trip() {
        for id in [
            "106540352242922:16505551234",
            "106540352242922:US.13491208655302741918",
            "106540352242922:group:Y2FwaV9ncm91cDoxNzA1NTU1MDEzOToxMjAzNjM0MDQ2OTQyMzM4MjAZD",
        ] {
            let parsed = ConversationId::parse(id).expect(id);
            assert_eq!(parsed.phone_number_id, "106540352242922");
            assert_eq!(parsed.to_string(), id);
        }
        assert_eq!(
            ConversationId::parse("1:group:G").map(|c| c.peer),
            Ok(Peer::Group("G"))
        );
        assert_eq!(
            ConversationId::parse("1:+1555").map(|c| c.peer),
            Ok(Peer::User("+1555"))
        );
    }

    #[test]
    fn every_malformed_part_is_named() {
        let cases = [
            (
                "abc:123",
                "conversation id `abc:123`: the phone number id `abc` must be digits",
            ),
            (
                "1/../2:123",
                "conversation id `1/../2:123`: the phone number id `1/../2` must be digits",
            ),
            (
                "nowhere",
                "conversation id `nowhere`: there is no `:` between the phone number id and \
                 the user (expected `<phone_number_id>:<user>`)",
            ),
            (
                ":123",
                "conversation id `:123`: the phone number id before `:` is empty",
            ),
            ("42:", "conversation id `42:`: the user after `:` is empty"),
            (
                "42:group:",
                "conversation id `42:group:`: the group id after `group:` is empty",
            ),
        ];
        for (id, message) in cases {
            let error = ConversationId::parse(id).expect_err(id);
            assert_eq!(error.to_string(), message);
        }
    }
}
