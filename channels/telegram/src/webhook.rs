//! Answering webhook deliveries.

use switchboard_channel_sdk::{Host, Inbound, Level, Response, Webhook};

use crate::parse::{Event, ParseError, read_update};
use crate::{callback, identity, message, reaction};

/// `channel.on-http-request`: Telegram's webhook carries everything in the body.
pub(crate) fn on_http_request(host: &impl Host, request: &Webhook<'_>) -> Response {
    handle(host, request.method, request.body)
}

/// Handles one request whose secret-token header the host has already checked.
///
/// Telegram redelivers anything but a 2xx and holds back the chat's later updates
/// meanwhile, so only a body that is not JSON at all is refused. A message,
/// reaction or button tap this channel cannot read is kept as a dead letter for
/// replay, and acknowledged: redelivering the same bytes cannot help. A message
/// the host rejects is logged.
pub(crate) fn handle(host: &impl Host, method: &str, body: &[u8]) -> Response {
    if method != "POST" {
        host.log(Level::Warn, &format!("unexpected {method} request"));
        return Response::empty(405);
    }
    let update = match read_update(body) {
        Ok(update) => update,
        Err(err @ ParseError::NotJson(_)) => {
            host.log(Level::Warn, &describe(&err));
            return Response::empty(400);
        }
        Err(err @ ParseError::NotAnUpdate(_)) => {
            host.log(Level::Warn, &describe(&err));
            return Response::empty(200);
        }
        Err(err @ ParseError::Unreadable { .. }) => {
            let reason = describe(&err);
            host.log(Level::Warn, &reason);
            if let Err(refused) = host.dead_letter(&reason) {
                host.log(
                    Level::Error,
                    &format!("could not keep the delivery as a dead letter: {refused}"),
                );
            }
            return Response::empty(200);
        }
    };
    for message in messages(host, update.update_id, update.event) {
        let id = message.external_id.clone();
        if let Err(reason) = host.emit(message) {
            host.log(
                Level::Error,
                &format!("host rejected message {id}: {reason}"),
            );
        }
    }
    Response::empty(200)
}

fn messages(host: &impl Host, update_id: Option<i64>, event: Event) -> Vec<Inbound> {
    match event {
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
fn describe(err: &ParseError) -> String {
    match std::error::Error::source(err) {
        Some(source) => format!("{err}: {source}"),
        None => err.to_string(),
    }
}

#[cfg(test)]
mod tests;
