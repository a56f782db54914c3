//! One MESSAGE_CREATE or MESSAGE_UPDATE → what the host is handed. The Gateway
//! session and the replay of a dead letter through the webhook both come here;
//! they differ only in where an unmappable event is kept (the frame's
//! `unmapped`, or `host.dead-letter`).

use serde_json::Value;
use switchboard_channel_sdk::{Host, Level};

use crate::message::{self, Mapped};

/// Emits the message `data` carries (a MESSAGE_UPDATE as an edit), or logs why
/// there is nothing to emit. `Err` holds why the event cannot be mapped (logged
/// as a warning): the caller keeps it for replay.
///
/// A message the host rejects is logged and not retried: delivering the same
/// event again would be rejected the same way.
pub(crate) fn message_event(
    host: &impl Host,
    event: &str,
    data: &Value,
    bot_id: Option<&str>,
) -> Result<(), String> {
    if bot_id.is_none() {
        host.log(
            Level::Warn,
            "the bot's user id is not known yet (no READY): mentions of the bot and its own \
             messages cannot be told apart",
        );
    }
    match message::map(data, bot_id, event == "MESSAGE_UPDATE") {
        Mapped::Message(message) => {
            let id = message.external_id.clone();
            if let Err(reason) = host.emit(*message) {
                host.log(
                    Level::Error,
                    &format!("host rejected message {id}: {reason}"),
                );
            }
            Ok(())
        }
        Mapped::Ignored(reason) => {
            host.log(Level::Debug, &format!("nothing to emit: {reason}"));
            Ok(())
        }
        Mapped::Unmappable(reason) => {
            host.log(Level::Warn, &reason);
            Err(reason)
        }
    }
}
