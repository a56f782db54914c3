//! Answering webhook deliveries.

use switchboard_channel_sdk::{Host, Level, Response, Webhook};

use crate::parse::{ParseError, parse_update};

/// `channel.on-http-request`: Telegram's webhook carries everything in the body.
pub(crate) fn on_http_request(host: &impl Host, request: &Webhook<'_>) -> Response {
    handle(host, request.method, request.body)
}

/// Handles one request whose secret-token header the host has already checked.
///
/// Telegram redelivers anything but a 2xx and holds back the chat's later updates
/// meanwhile, so only a body that is not JSON at all is refused. An update this
/// channel cannot read, or a message the host rejects, is logged and
/// acknowledged: redelivering the same bytes cannot help.
pub(crate) fn handle(host: &impl Host, method: &str, body: &[u8]) -> Response {
    if method != "POST" {
        host.log(Level::Warn, &format!("unexpected {method} request"));
        return Response::empty(405);
    }
    match parse_update(body) {
        Ok(Some(message)) => {
            let id = message.external_id.clone();
            if let Err(reason) = host.emit(message) {
                host.log(
                    Level::Error,
                    &format!("host rejected message {id}: {reason}"),
                );
            }
        }
        Ok(None) => host.log(Level::Debug, "update carries no message"),
        Err(err @ ParseError::NotJson(_)) => {
            host.log(Level::Warn, &format!("{err}: {}", source(&err)));
            return Response::empty(400);
        }
        Err(err @ ParseError::NotAnUpdate(_)) => {
            host.log(Level::Warn, &format!("{err}: {}", source(&err)));
        }
    }
    Response::empty(200)
}

fn source(err: &ParseError) -> String {
    std::error::Error::source(err).map_or_else(String::new, ToString::to_string)
}

#[cfg(test)]
mod tests {
    use switchboard_channel_sdk::fake::FakeHost;

    use super::*;

    const TEXT: &str = r#"{"update_id":1,"message":{"message_id":3,"date":5,"chat":{"id":42,"type":"private"},"from":{"id":42,"first_name":"Ann"},"text":"hi"}}"#;

    #[test]
    fn a_message_is_emitted_and_acknowledged() {
        let host = FakeHost::default();
        let response = handle(&host, "POST", TEXT.as_bytes());
        assert_eq!(response.status, 200);
        assert!(response.body.is_empty());
        let emitted = host.emitted.borrow();
        assert_eq!(emitted.len(), 1);
        assert_eq!(emitted[0].external_id, "42:3");
        assert_eq!(emitted[0].text.as_deref(), Some("hi"));
    }

    #[test]
    fn other_updates_are_acknowledged_without_emitting() {
        let host = FakeHost::default();
        let body = br#"{"update_id":2,"callback_query":{"id":"9","data":"x"}}"#;
        assert_eq!(handle(&host, "POST", body).status, 200);
        assert!(host.emitted.borrow().is_empty());
    }

    #[test]
    fn unreadable_json_is_acknowledged_and_logged() {
        let host = FakeHost::default();
        let response = handle(
            &host,
            "POST",
            br#"{"update_id":3,"message":{"text":"no chat"}}"#,
        );
        assert_eq!(response.status, 200);
        assert!(host.emitted.borrow().is_empty());
        assert!(host.logged(Level::Warn, "not a telegram update"));
    }

    #[test]
    fn non_json_is_refused() {
        let host = FakeHost::default();
        assert_eq!(handle(&host, "POST", b"update_id=1").status, 400);
        assert!(host.logged(Level::Warn, "not valid json"));
    }

    #[test]
    fn a_rejected_message_is_logged_and_acknowledged() {
        let mut host = FakeHost::default();
        host.reject
            .insert("42:3".to_owned(), "metadata too large".to_owned());
        assert_eq!(handle(&host, "POST", TEXT.as_bytes()).status, 200);
        assert!(host.logged(Level::Error, "42:3: metadata too large"));
    }

    #[test]
    fn only_post_is_accepted() {
        let host = FakeHost::default();
        assert_eq!(handle(&host, "GET", b"").status, 405);
    }
}
