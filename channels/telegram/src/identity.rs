//! The bot's own identity, to tell mentions of the bot and its own messages.
//!
//! The `bot_username` setting names the bot when the operator sets it. Otherwise
//! the channel asks Telegram once (`getMe`) and keeps the answer in instance state,
//! so later webhooks need no extra request.

use serde::{Deserialize, Serialize};
use switchboard_channel_sdk::{Host, Level};

use crate::bot_api;
use crate::parse::User;

/// Where the identity learned with `getMe` is kept.
pub(crate) const STATE_KEY: &str = "bot/me";

/// Who the bot is: an id when `getMe` told, the username without `@`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct BotIdentity {
    pub(crate) id: Option<i64>,
    pub(crate) username: Option<String>,
}

impl BotIdentity {
    /// Whether `user` is the bot: by id when known, else by username (Telegram
    /// usernames are unique and compare without case).
    pub(crate) fn is(&self, user: &User) -> bool {
        match self.id {
            Some(id) => user.id == id,
            None => user
                .username
                .as_deref()
                .is_some_and(|name| self.has_username(name)),
        }
    }

    /// Whether `name` (without `@`) is the bot's username.
    pub(crate) fn has_username(&self, name: &str) -> bool {
        self.username
            .as_deref()
            .is_some_and(|own| own.eq_ignore_ascii_case(name))
    }
}

/// The bot's identity: from the setting, else from state, else from `getMe`.
///
/// `None` when none of them tells; a failed `getMe` is logged and tried again
/// with the next message that needs it. Never fails the webhook.
pub(crate) fn resolve(host: &impl Host) -> Option<BotIdentity> {
    if let Some(name) = host.setting("bot_username") {
        let name = name.trim().trim_start_matches('@');
        if !name.is_empty() {
            return Some(BotIdentity {
                id: None,
                username: Some(name.to_owned()),
            });
        }
    }
    if let Some(known) = host
        .state_get(STATE_KEY)
        .and_then(|bytes| serde_json::from_slice::<BotIdentity>(&bytes).ok())
    {
        return Some(known);
    }
    match get_me(host) {
        Ok(me) => {
            let stored = serde_json::to_vec(&me).map_err(|e| e.to_string());
            if let Err(reason) = stored.and_then(|bytes| host.state_set(STATE_KEY, &bytes)) {
                host.log(
                    Level::Warn,
                    &format!("could not keep the bot identity; getMe runs again: {reason}"),
                );
            }
            Some(me)
        }
        Err(reason) => {
            host.log(
                Level::Warn,
                &format!(
                    "getMe failed, so mentions of the bot are not recognised in this message \
                     (set bot_username to avoid the call): {reason}"
                ),
            );
            None
        }
    }
}

fn get_me(host: &impl Host) -> Result<BotIdentity, String> {
    let request = bot_api::call(&bot_api::api_base(host), "getMe", &serde_json::json!({}));
    let response = host.fetch(request).map_err(|failure| failure.to_string())?;
    let result = bot_api::read_answer(&response).map_err(|failure| failure.message)?;
    let me: User =
        serde_json::from_value(result).map_err(|e| format!("answer is not a bot user: {e}"))?;
    Ok(BotIdentity {
        id: Some(me.id),
        username: me.username,
    })
}

#[cfg(test)]
mod tests {
    use switchboard_channel_sdk::FetchFailure;
    use switchboard_channel_sdk::fake::{FakeHost, answer, ok};

    use super::*;

    const GET_ME: &str = r#"{"ok":true,"result":{"id":7000000001,"is_bot":true,"first_name":"Switchboard","username":"SwitchboardBot"}}"#;

    #[test]
    fn the_setting_wins_without_a_request() {
        let mut host = FakeHost::default();
        host.settings
            .insert("bot_username".to_owned(), " @SwitchboardBot ".to_owned());
        let me = resolve(&host).expect("identity");
        assert_eq!(me.username.as_deref(), Some("SwitchboardBot"));
        assert!(host.requests.borrow().is_empty());
    }

    #[test]
    fn get_me_runs_once_and_its_answer_is_kept() {
        let host = FakeHost::answering(vec![ok(GET_ME)]);
        let me = resolve(&host).expect("identity");
        assert_eq!(me.id, Some(7000000001));
        assert_eq!(me.username.as_deref(), Some("SwitchboardBot"));
        assert_eq!(
            host.requests.borrow()[0].url,
            "https://api.telegram.org/bot{{secret:bot_token}}/getMe"
        );
        // The second time comes from state: the fake host has no answer left.
        assert_eq!(resolve(&host), Some(me));
        assert_eq!(host.requests.borrow().len(), 1);
    }

    #[test]
    fn a_failed_get_me_is_a_warning_and_no_identity() {
        let host = FakeHost::answering(vec![
            answer(
                401,
                r#"{"ok":false,"error_code":401,"description":"Unauthorized"}"#,
            ),
            Err(FetchFailure::Timeout),
        ]);
        assert_eq!(resolve(&host), None);
        assert!(host.logged(Level::Warn, "Unauthorized"));
        assert_eq!(resolve(&host), None);
        assert!(host.state.borrow().is_empty());
    }

    #[test]
    fn users_are_the_bot_by_id_or_else_by_username() {
        let user = |id: i64, username: &str| User {
            id,
            is_bot: true,
            first_name: None,
            last_name: None,
            username: Some(username.to_owned()),
        };
        let by_id = BotIdentity {
            id: Some(1),
            username: Some("SwitchboardBot".to_owned()),
        };
        assert!(by_id.is(&user(1, "renamed_bot")));
        assert!(!by_id.is(&user(2, "SwitchboardBot")));
        let by_name = BotIdentity {
            id: None,
            username: Some("SwitchboardBot".to_owned()),
        };
        assert!(by_name.is(&user(2, "switchboardbot")));
        assert!(!by_name.is(&user(2, "OtherBot")));
    }
}
