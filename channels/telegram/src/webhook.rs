//! Answering webhook deliveries.

use switchboard_channel_sdk::{Host, Level, Response, Webhook};

use crate::parse::{ParseError, read_update};
use crate::update::{self, Mapped};

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
    let mapped = match read_update(body) {
        Err(err @ ParseError::NotJson(_)) => {
            host.log(Level::Warn, &update::describe(&err));
            return Response::empty(400);
        }
        read => update::map(host, read),
    };
    match mapped {
        Mapped::Messages(messages) => update::emit_all(host, messages),
        Mapped::Unmappable(reason) => {
            if let Err(refused) = host.dead_letter(&reason) {
                host.log(
                    Level::Error,
                    &format!("could not keep the delivery as a dead letter: {refused}"),
                );
            }
        }
        Mapped::NotAnUpdate => {}
    }
    Response::empty(200)
}

#[cfg(test)]
mod tests;
