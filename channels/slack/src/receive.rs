//! One parsed Slack payload → what the host is handed: the message emitted, or
//! why the payload cannot be mapped. The webhook and the Socket Mode session both
//! go through here; they differ only in where an unmappable payload is kept (the
//! webhook's `host.dead_letter`, the session's `unmapped`).

use switchboard_channel_sdk::{Host, Inbound, Level};

use crate::parse::{Options, ParseError, Parsed};

/// What became of one payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Received {
    /// A `url_verification` handshake, with the challenge to echo.
    Challenge(String),
    /// The message was emitted, or there was nothing to emit (the reason is
    /// logged at debug level).
    Handled,
    /// A payload in a shape this channel cannot read, with the reason (logged as
    /// a warning). It is kept for replay: receiving the same payload again cannot
    /// help, a fixed channel can.
    Unmappable(String),
    /// A webhook body that is malformed as such (not JSON, a form that is not
    /// UTF-8), with the reason (logged as a warning): not from Slack, refused.
    Malformed(String),
}

/// What the operator configured that parsing depends on.
pub(crate) fn options(host: &impl Host) -> Options {
    Options {
        bot_user_id: host
            .setting("bot_user_id")
            .map(|id| id.trim().to_owned())
            .filter(|id| !id.is_empty()),
    }
}

/// Emits what `parsed` carries and says what became of it.
pub(crate) fn receive(host: &impl Host, parsed: Result<Parsed, ParseError>) -> Received {
    match parsed {
        Ok(Parsed::Challenge(challenge)) => Received::Challenge(challenge),
        Ok(Parsed::Message(message)) => {
            emit(host, *message);
            Received::Handled
        }
        Ok(Parsed::Nothing(reason)) => {
            host.log(Level::Debug, &format!("nothing to emit: {reason}"));
            Received::Handled
        }
        Err(err) => {
            let reason = describe(&err);
            host.log(Level::Warn, &reason);
            if err.is_malformed() {
                Received::Malformed(reason)
            } else {
                Received::Unmappable(reason)
            }
        }
    }
}

/// Hands `message` to the host. One the host rejects is logged and not retried:
/// Slack delivering the same payload again would be rejected the same way.
fn emit(host: &impl Host, message: Inbound) {
    let id = message.external_id.clone();
    if let Err(reason) = host.emit(message) {
        host.log(
            Level::Error,
            &format!("host rejected message {id}: {reason}"),
        );
    }
}

fn describe(err: &ParseError) -> String {
    match std::error::Error::source(err) {
        Some(source) => format!("{err}: {source}"),
        None => err.to_string(),
    }
}
