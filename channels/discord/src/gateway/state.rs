//! What the channel remembers of its Gateway session: the memo the host keeps in
//! memory across reconnects, and the instance state that survives a restart.

use serde::{Deserialize, Serialize};
use switchboard_channel_sdk::{Host, Level, SessionContext};

/// Instance state: the session to resume after a restart.
pub(crate) const SESSION_KEY: &str = "gateway/session";

/// Instance state: the bot's user id, to tell its own messages and mentions of it
/// apart after a restart (and in replayed dead letters). It belongs to the token,
/// not to a session, so forgetting a session keeps it.
pub(crate) const BOT_ID_KEY: &str = "gateway/bot_user_id";

/// Instance state: set when Discord invalidated the session, so that the next
/// `open` waits a moment before identifying again (see `open`).
pub(crate) const WAIT_KEY: &str = "gateway/wait_before_identify";

/// The memo: kept by the host across the reconnects of one daemon run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Memo {
    /// The session to resume (READY's `session_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) session_id: Option<String>,
    /// READY's `resume_gateway_url`, kept for the log: the channel resumes on the
    /// URL it connects to anyway, since this one varies and cannot be granted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) resume_gateway_url: Option<String>,
    /// The bot's user id (READY's `user.id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) bot_id: Option<String>,
    /// Whether Discord acknowledged the last heartbeat sent on this connection.
    #[serde(default = "yes")]
    pub(crate) acked: bool,
}

fn yes() -> bool {
    true
}

impl Default for Memo {
    fn default() -> Self {
        Self {
            session_id: None,
            resume_gateway_url: None,
            bot_id: None,
            acked: true,
        }
    }
}

impl Memo {
    /// The memo the host handed over; none yet, or one this channel cannot read,
    /// is an empty one.
    pub(crate) fn read(host: &impl Host, context: &SessionContext) -> Self {
        let Some(memo) = context.memo.as_deref() else {
            return Self::default();
        };
        serde_json::from_str(memo).unwrap_or_else(|err| {
            host.log(
                Level::Warn,
                &format!("unreadable session memo, starting afresh: {err}"),
            );
            Self::default()
        })
    }

    /// The memo as the host keeps it.
    pub(crate) fn encode(&self) -> String {
        // A struct of strings and a bool always serialises.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The session kept in instance state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct StoredSession {
    session_id: String,
}

/// The session id kept in instance state, if any.
pub(crate) fn stored_session(host: &impl Host) -> Option<String> {
    let bytes = host.state_get(SESSION_KEY)?;
    serde_json::from_slice::<StoredSession>(&bytes)
        .ok()
        .map(|s| s.session_id)
        .filter(|id| !id.is_empty())
}

/// Keeps the session id for a restarted daemon. A failure is logged: the daemon
/// still runs, it only identifies anew after a restart.
pub(crate) fn store_session(host: &impl Host, session_id: &str) {
    let value = serde_json::json!({ "session_id": session_id }).to_string();
    if let Err(reason) = host.state_set(SESSION_KEY, value.as_bytes()) {
        host.log(
            Level::Warn,
            &format!("could not keep the gateway session for a restart: {reason}"),
        );
    }
}

/// Forgets the session kept in instance state.
pub(crate) fn forget_session(host: &impl Host) {
    host.state_delete(SESSION_KEY);
}

/// The bot's user id: from the memo, else from instance state.
pub(crate) fn bot_id(host: &impl Host, memo: Option<&Memo>) -> Option<String> {
    memo.and_then(|m| m.bot_id.clone()).or_else(|| {
        host.state_get(BOT_ID_KEY)
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .map(|id| id.trim().to_owned())
            .filter(|id| !id.is_empty())
    })
}

/// Keeps the bot's user id in instance state, when it changed.
pub(crate) fn store_bot_id(host: &impl Host, bot_id: &str) {
    if host.state_get(BOT_ID_KEY).as_deref() == Some(bot_id.as_bytes()) {
        return;
    }
    if let Err(reason) = host.state_set(BOT_ID_KEY, bot_id.as_bytes()) {
        host.log(
            Level::Warn,
            &format!("could not keep the bot's user id: {reason}"),
        );
    }
}
