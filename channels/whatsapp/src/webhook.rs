//! Answering webhook requests: the GET subscription handshake and POST deliveries.

use serde_json::Value;
use switchboard_channel_sdk::{Host, Level, Response, query_param};

use crate::parse::parse_webhook;

/// Handles one request the host has already verified.
pub(crate) fn handle(host: &impl Host, method: &str, query: &str, body: &[u8]) -> Response {
    match method {
        "GET" => handshake(host, query),
        "POST" => deliver(host, body),
        other => {
            host.log(Level::Warn, &format!("unexpected {other} request"));
            Response::empty(405)
        }
    }
}

/// The host checked `hub.verify_token` (and `hub.mode`) before this runs; Meta
/// only needs its challenge back, byte for byte.
fn handshake(host: &impl Host, query: &str) -> Response {
    match query_param(query, "hub.challenge") {
        Some(challenge) => Response::text(200, challenge),
        None => {
            host.log(Level::Warn, "subscription handshake without hub.challenge");
            Response::empty(400)
        }
    }
}

/// Emits every message of a delivery and acknowledges it.
///
/// Anything short of 200 makes Meta redeliver for up to seven days, so only a
/// body that is not JSON at all is refused; a payload that parses but has parts
/// this channel cannot read is logged and acknowledged, since redelivering the
/// same bytes cannot help. When such a part is a message someone sent, the host
/// also keeps the delivery as a dead letter, to be replayed once a fixed channel
/// can map it.
fn deliver(host: &impl Host, body: &[u8]) -> Response {
    let payload: Value = match serde_json::from_slice(body) {
        Ok(payload) => payload,
        Err(err) => {
            host.log(Level::Warn, &format!("webhook body is not JSON: {err}"));
            return Response::empty(400);
        }
    };
    let parsed = parse_webhook(&payload);
    if parsed.statuses > 0 {
        host.log(
            Level::Debug,
            &format!("ignored {} status update(s)", parsed.statuses),
        );
    }
    for field in &parsed.other_fields {
        host.log(Level::Debug, &format!("ignored change of field {field:?}"));
    }
    for error in &parsed.platform_errors {
        host.log(Level::Warn, &format!("webhook reports an error: {error}"));
    }
    for problem in &parsed.problems {
        host.log(Level::Warn, &format!("skipped part of webhook: {problem}"));
        if problem.lost_a_message()
            && let Err(reason) = host.dead_letter(&problem.to_string())
        {
            host.log(
                Level::Error,
                &format!("host refused to keep the delivery for replay: {reason}"),
            );
        }
    }
    for message in parsed.messages {
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

#[cfg(test)]
mod tests {
    use switchboard_channel_sdk::fake::FakeHost;

    use super::*;

    const TEXT: &str = r#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"metadata":{"display_phone_number":"1555","phone_number_id":"42"},"contacts":[{"profile":{"name":"Ann"},"wa_id":"7"}],"messages":[{"from":"7","id":"wamid.A","timestamp":"10","type":"text","text":{"body":"hi"}},{"from":"7","id":"wamid.B","timestamp":"11","type":"text","text":{"body":"again"}}],"statuses":[{"id":"wamid.out","status":"read","timestamp":"9","recipient_id":"7"}]}}]}]}"#;

    #[test]
    fn handshake_echoes_the_challenge_as_plain_text() {
        let host = FakeHost::default();
        let response = handle(
            &host,
            "GET",
            "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=t",
            b"",
        );
        assert_eq!(response, Response::text(200, "1158201444"));
        assert!(host.emitted.borrow().is_empty());
    }

    #[test]
    fn handshake_without_challenge_is_refused() {
        let host = FakeHost::default();
        let response = handle(&host, "GET", "hub.mode=subscribe", b"");
        assert_eq!(response.status, 400);
        assert!(host.logged(Level::Warn, "hub.challenge"));
    }

    #[test]
    fn delivery_emits_messages_and_acknowledges_with_an_empty_200() {
        let host = FakeHost::default();
        let response = handle(&host, "POST", "", TEXT.as_bytes());
        assert_eq!(response, Response::empty(200));
        let emitted = host.emitted.borrow();
        let ids: Vec<_> = emitted.iter().map(|m| m.external_id.as_str()).collect();
        assert_eq!(ids, ["wamid.A", "wamid.B"]);
        assert_eq!(emitted[0].conversation_id, "42:7");
        assert!(host.logged(Level::Debug, "1 status update"));
    }

    #[test]
    fn a_body_that_is_not_json_is_refused() {
        for body in [&b"not json"[..], b"{\"entry\": [", b"\xff\xfe", b""] {
            let host = FakeHost::default();
            let response = handle(&host, "POST", "", body);
            assert_eq!(response.status, 400);
            assert!(host.emitted.borrow().is_empty());
            assert!(host.logged(Level::Warn, "not JSON"));
        }
    }

    #[test]
    fn json_of_the_wrong_shape_is_logged_and_acknowledged() {
        let host = FakeHost::default();
        let response = handle(&host, "POST", "", br#"{"object":"page","entry":[]}"#);
        assert_eq!(response.status, 200);
        assert!(host.logged(Level::Warn, "\"page\""));
    }

    #[test]
    fn deeply_nested_json_is_refused_without_crashing() {
        let body = "[".repeat(100_000);
        let host = FakeHost::default();
        assert_eq!(handle(&host, "POST", "", body.as_bytes()).status, 400);
    }

    #[test]
    fn a_rejected_message_is_logged_and_the_rest_still_emitted() {
        let mut host = FakeHost::default();
        host.reject
            .insert("wamid.A".into(), "metadata too large".into());
        let response = handle(&host, "POST", "", TEXT.as_bytes());
        assert_eq!(response.status, 200);
        let emitted = host.emitted.borrow();
        assert_eq!(emitted.len(), 1);
        assert_eq!(emitted[0].external_id, "wamid.B");
        assert!(host.logged(Level::Error, "wamid.A: metadata too large"));
    }

    #[test]
    fn a_message_without_sender_is_kept_for_replay_and_the_rest_emitted() {
        let body = br#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"metadata":{"display_phone_number":"1555","phone_number_id":"42"},"contacts":[{"profile":{"name":"A"},"wa_id":"7"},{"profile":{"name":"B"},"wa_id":"8"}],"messages":[{"id":"wamid.nobody","timestamp":"10","type":"text","text":{"body":"who am I"}},{"from":"7","id":"wamid.A","timestamp":"11","type":"text","text":{"body":"hi"}}]}}]}]}"#;
        let host = FakeHost::default();
        assert_eq!(handle(&host, "POST", "", body), Response::empty(200));
        assert_eq!(
            *host.dead_letters.borrow(),
            [
                "whatsapp message wamid.nobody has no sender: neither from nor from_user_id nor contacts[].user_id"
            ]
        );
        let emitted = host.emitted.borrow();
        assert_eq!(emitted.len(), 1);
        assert_eq!(emitted[0].external_id, "wamid.A");
    }

    #[test]
    fn envelope_problems_are_only_logged() {
        let host = FakeHost::default();
        let response = handle(&host, "POST", "", br#"{"object":"page","entry":[]}"#);
        assert_eq!(response.status, 200);
        assert!(host.dead_letters.borrow().is_empty());
    }

    #[test]
    fn other_methods_are_not_allowed() {
        let host = FakeHost::default();
        assert_eq!(handle(&host, "PUT", "", b"{}").status, 405);
    }
}
