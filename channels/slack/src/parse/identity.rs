//! Who this app is in a delivery, and so who wrote a message and whether it
//! addresses the app.

use switchboard_channel_sdk::SenderKind;

/// This app as one delivery names it.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Identity<'a> {
    /// The app's bot user (`U…`): the envelope's `authorizations` entry with
    /// `is_bot`, else the `bot_user_id` setting.
    pub(super) bot_user: Option<&'a str>,
    /// The app the delivery is for: the envelope's `api_app_id`.
    pub(super) app_id: Option<&'a str>,
}

/// What a message says about its author.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Author<'a> {
    pub(super) user: Option<&'a str>,
    pub(super) bot_id: Option<&'a str>,
    pub(super) subtype: Option<&'a str>,
    pub(super) app_id: Option<&'a str>,
    /// `bot_profile.app_id`.
    pub(super) profile_app_id: Option<&'a str>,
}

impl Identity<'_> {
    /// Whether `user` is this app's bot user.
    pub(super) fn is_bot_user(&self, user: Option<&str>) -> bool {
        user.is_some() && user == self.bot_user
    }

    /// Whether `text` mentions the bot user: `<@U…>`, or `<@U…|name>` as older
    /// clients wrote it.
    pub(super) fn is_mentioned_in(&self, text: Option<&str>) -> bool {
        let (Some(bot), Some(text)) = (self.bot_user, text) else {
            return false;
        };
        text.match_indices("<@").any(|(at, _)| {
            let rest = &text[at + 2..];
            rest.strip_prefix(bot)
                .is_some_and(|after| after.starts_with('>') || after.starts_with('|'))
        })
    }

    /// Who wrote a message: this app when the author is its bot user or the
    /// message was posted by its app id, another bot when Slack marks the message
    /// as a bot's (a `bot_id`, or the `bot_message` subtype of integrations and
    /// webhooks), else a person.
    pub(super) fn sender_kind(&self, author: &Author<'_>) -> SenderKind {
        let this_app = |app: Option<&str>| app.is_some() && app == self.app_id;
        if self.is_bot_user(author.user)
            || self.is_bot_user(author.bot_id)
            || this_app(author.app_id)
            || this_app(author.profile_app_id)
        {
            SenderKind::ThisBot
        } else if author.bot_id.is_some() || author.subtype == Some("bot_message") {
            SenderKind::Bot
        } else {
            SenderKind::User
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP: Identity<'static> = Identity {
        bot_user: Some("UBOT"),
        app_id: Some("A1"),
    };

    #[test]
    fn mentions_need_the_whole_bot_user_id() {
        assert!(APP.is_mentioned_in(Some("<@UBOT> hi")));
        assert!(APP.is_mentioned_in(Some("hi <@U1> and <@UBOT|bot>")));
        assert!(!APP.is_mentioned_in(Some("<@UBOTX> hi")));
        assert!(!APP.is_mentioned_in(Some("UBOT, <@U1>")));
        assert!(!APP.is_mentioned_in(None));
        assert!(!Identity::default().is_mentioned_in(Some("<@UBOT>")));
    }

    #[test]
    fn authors_are_people_bots_or_this_app() {
        let person = Author {
            user: Some("U1"),
            ..Author::default()
        };
        assert_eq!(APP.sender_kind(&person), SenderKind::User);
        let other_bot = Author {
            user: Some("U9"),
            bot_id: Some("B9"),
            profile_app_id: Some("A9"),
            ..Author::default()
        };
        assert_eq!(APP.sender_kind(&other_bot), SenderKind::Bot);
        let integration = Author {
            subtype: Some("bot_message"),
            ..Author::default()
        };
        assert_eq!(APP.sender_kind(&integration), SenderKind::Bot);
        for own in [
            Author {
                user: Some("UBOT"),
                ..Author::default()
            },
            Author {
                bot_id: Some("B1"),
                app_id: Some("A1"),
                ..Author::default()
            },
            Author {
                bot_id: Some("B1"),
                profile_app_id: Some("A1"),
                ..Author::default()
            },
        ] {
            assert_eq!(APP.sender_kind(&own), SenderKind::ThisBot, "{own:?}");
        }
        // Without knowing the app, nothing is this app.
        assert_eq!(Identity::default().sender_kind(&person), SenderKind::User);
    }
}
