//! One Telegram `Update` → what to store: the messages it carries, or why a
//! person's message in it cannot be mapped. The webhook and the poll both go
//! through here; they differ only in where an unmappable update is kept (the
//! webhook's `host.dead_letter`, the poll's `unmapped`).

use switchboard_channel_sdk::{Host, Inbound, Level};

use crate::parse::{Event, ParseError, Update};
use crate::{callback, identity, message, reaction};

/// What one update comes to.
#[derive(Debug)]
pub(crate) enum Mapped {
    /// The messages to emit, in order; none for an update that carries nothing
    /// worth storing (anonymous reaction counts, chat member changes, ...).
    Messages(Vec<Inbound>),
    /// A message, reaction or button tap in a shape this channel cannot read,
    /// with the reason. It is kept for replay: receiving the same bytes again
    /// cannot help, a fixed channel can.
    Unmappable(String),
    /// JSON that is no Telegram update at all: logged and dropped.
    NotAnUpdate,
}

/// Maps an update as [`read_update`](crate::parse::read_update) read it. Reasons
/// for `Unmappable` and `NotAnUpdate` are logged as warnings here.
pub(crate) fn map(host: &impl Host, update: Result<Update, ParseError>) -> Mapped {
    match update {
        Ok(update) => Mapped::Messages(messages(host, update)),
        Err(err @ ParseError::Unreadable { .. }) => {
            let reason = describe(&err);
            host.log(Level::Warn, &reason);
            Mapped::Unmappable(reason)
        }
        Err(err @ (ParseError::NotJson(_) | ParseError::NotAnUpdate(_))) => {
            host.log(Level::Warn, &describe(&err));
            Mapped::NotAnUpdate
        }
    }
}

/// Hands `messages` to the host in order. A message the host rejects is logged
/// and the rest still go.
pub(crate) fn emit_all(host: &impl Host, messages: Vec<Inbound>) {
    for message in messages {
        let id = message.external_id.clone();
        if let Err(reason) = host.emit(message) {
            host.log(
                Level::Error,
                &format!("host rejected message {id}: {reason}"),
            );
        }
    }
}

fn messages(host: &impl Host, update: Update) -> Vec<Inbound> {
    let update_id = update.update_id;
    match update.event {
        Event::Message {
            update_type,
            message,
            is_edit,
        } => {
            // Asking Telegram who the bot is costs a request; only a message that
            // could name the bot or come from it needs the answer.
            let me = message::needs_identity(&message)
                .then(|| identity::resolve(host))
                .flatten();
            Vec::from([message::to_inbound(
                update_id,
                update_type,
                &message,
                is_edit,
                me.as_ref(),
            )])
        }
        Event::Reaction(update) => {
            let changes = reaction::to_inbound(update_id, &update);
            if changes.is_empty() {
                host.log(Level::Debug, "reaction update changes nothing");
            }
            changes
        }
        Event::ReactionCount => {
            host.log(
                Level::Debug,
                "message_reaction_count carries anonymous counts, not a person's reaction",
            );
            Vec::new()
        }
        Event::Callback(query) => Vec::from([callback::to_inbound(update_id, &query)]),
        Event::Other(update_type) => {
            host.log(
                Level::Debug,
                &format!("update carries no message ({update_type})"),
            );
            Vec::new()
        }
    }
}

/// The error and its cause, e.g. "cannot read the `message` ...: missing field
/// `chat`".
pub(crate) fn describe(err: &ParseError) -> String {
    match std::error::Error::source(err) {
        Some(source) => format!("{err}: {source}"),
        None => err.to_string(),
    }
}
