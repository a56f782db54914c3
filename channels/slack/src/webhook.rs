//! Answering webhook deliveries.

use serde_json::json;
use switchboard_channel_sdk::{Host, Level, Response, Webhook};

use crate::parse::parse_request;
use crate::receive::{self, Received};

/// `channel.on-http-request`: the `content-type` header decides how Slack's body
/// is read.
pub(crate) fn on_http_request(host: &impl Host, request: &Webhook<'_>) -> Response {
    handle(host, request.method, request.headers, request.body)
}

/// Handles one request whose `slack-v0` signature the host has already checked.
///
/// Slack retries anything but a 2xx three times, so only a body that is malformed
/// as such is refused. A payload this channel cannot read is kept by the host as a
/// dead letter, to replay once the channel reads it, and acknowledged: Slack
/// redelivering the same bytes cannot help. A message the host rejects is logged
/// and acknowledged for the same reason.
pub(crate) fn handle(
    host: &impl Host,
    method: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Response {
    if method != "POST" {
        host.log(Level::Warn, &format!("unexpected {method} request"));
        return Response::empty(405);
    }
    let parsed = parse_request(headers, body, &receive::options(host));
    match receive::receive(host, parsed) {
        Received::Challenge(challenge) => Response::json(200, &json!({ "challenge": challenge })),
        Received::Handled => Response::empty(200),
        Received::Malformed(_) => Response::empty(400),
        Received::Unmappable(reason) => {
            if let Err(refused) = host.dead_letter(&reason) {
                host.log(
                    Level::Error,
                    &format!("host refused to keep the delivery: {refused}"),
                );
            }
            Response::empty(200)
        }
    }
}

#[cfg(test)]
mod tests {
    use switchboard_channel_sdk::fake::FakeHost;

    use super::*;

    fn json_headers() -> Vec<(String, String)> {
        vec![("content-type".to_owned(), "application/json".to_owned())]
    }

    const MESSAGE: &str = r#"{"type":"event_callback","team_id":"T1","event_id":"Ev1","event":{"type":"message","channel":"C1","user":"U1","text":"hi","ts":"5.000001"}}"#;

    #[test]
    fn url_verification_echoes_the_challenge_as_json() {
        let host = FakeHost::default();
        let body = br#"{"token":"t","challenge":"3eZbrw1aBm2r","type":"url_verification"}"#;
        let response = handle(&host, "POST", &json_headers(), body);
        assert_eq!(response.status, 200);
        assert_eq!(
            switchboard_channel_sdk::header(&response.headers, "content-type"),
            Some("application/json")
        );
        let answer: serde_json::Value = serde_json::from_slice(&response.body).expect("json");
        assert_eq!(answer, json!({"challenge": "3eZbrw1aBm2r"}));
        assert!(host.emitted.borrow().is_empty());
    }

    #[test]
    fn a_message_is_emitted_and_acknowledged_with_an_empty_body() {
        let host = FakeHost::default();
        let response = handle(&host, "POST", &json_headers(), MESSAGE.as_bytes());
        assert_eq!(response.status, 200);
        assert!(response.body.is_empty());
        assert_eq!(host.emitted.borrow()[0].external_id, "C1:5.000001");
    }

    #[test]
    fn ignored_events_are_acknowledged() {
        let host = FakeHost::default();
        let body =
            br#"{"type":"event_callback","event":{"type":"member_joined_channel","user":"U1"}}"#;
        assert_eq!(handle(&host, "POST", &json_headers(), body).status, 200);
        assert!(host.emitted.borrow().is_empty());
        assert!(host.dead_letters.borrow().is_empty());
        assert!(host.logged(Level::Debug, "member_joined_channel event"));
    }

    #[test]
    fn unreadable_payloads_are_kept_as_dead_letters_and_malformed_ones_refused() {
        let host = FakeHost::default();
        let body = br#"{"type":"event_callback","event":{"type":"message","channel":"C1"}}"#;
        assert_eq!(handle(&host, "POST", &json_headers(), body).status, 200);
        assert!(host.logged(Level::Warn, "message event without ts"));
        assert_eq!(
            *host.dead_letters.borrow(),
            ["message event without ts".to_owned()]
        );
        assert_eq!(
            handle(&host, "POST", &json_headers(), b"<xml/>").status,
            400
        );
        assert!(host.logged(Level::Warn, "not valid json"));
        assert_eq!(host.dead_letters.borrow().len(), 1, "a 400 is not kept");
    }

    #[test]
    fn the_bot_user_setting_names_the_bot_when_the_envelope_does_not() {
        let mut host = FakeHost::default();
        host.settings
            .insert("bot_user_id".to_owned(), " UBOT ".to_owned());
        let body = br#"{"type":"event_callback","event":{"type":"message","channel":"C1","channel_type":"channel","user":"U1","text":"<@UBOT> hi","ts":"5.000001"}}"#;
        assert_eq!(handle(&host, "POST", &json_headers(), body).status, 200);
        assert!(host.emitted.borrow()[0].mentions_bot);
    }

    #[test]
    fn interactions_are_acknowledged_with_an_empty_body() {
        let host = FakeHost::default();
        let headers = vec![(
            "content-type".to_owned(),
            "application/x-www-form-urlencoded".to_owned(),
        )];
        let body = b"payload=%7B%22type%22%3A%22view_submission%22%7D";
        let response = handle(&host, "POST", &headers, body);
        assert_eq!(response.status, 200);
        assert!(response.body.is_empty());
    }

    #[test]
    fn a_rejected_message_is_logged_and_acknowledged() {
        let mut host = FakeHost::default();
        host.reject
            .insert("C1:5.000001".to_owned(), "external id too long".to_owned());
        assert_eq!(
            handle(&host, "POST", &json_headers(), MESSAGE.as_bytes()).status,
            200
        );
        assert!(host.logged(Level::Error, "C1:5.000001: external id too long"));
    }

    #[test]
    fn only_post_is_accepted() {
        assert_eq!(handle(&FakeHost::default(), "GET", &[], b"").status, 405);
    }
}
