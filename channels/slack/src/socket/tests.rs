//! Socket Mode against the fake host: opening a connection, and each kind of
//! envelope, with payloads from the fixtures (see their README) wrapped as the
//! Socket Mode docs show, compared with what the webhook makes of the same
//! payload.

use serde_json::{Map, Value, json};
use switchboard_channel_sdk::fake::{FakeHost, answer, ok};
use switchboard_channel_sdk::{
    FetchFailure, FrameOutcome, Inbound, Level, Response, SessionContext, header, query_pairs,
};

use super::*;
use crate::tests::{emitted, fixture};

const CONNECTION_URL: &str = "wss://wss-primary.slack.com/link/?ticket=12348f7b-5e3a-4b2b-8f6c-d5e8b6a9c0f1&app_id=A0PNCHHK2";

fn context() -> SessionContext {
    SessionContext::default()
}

fn fixture_json(name: &str) -> Value {
    serde_json::from_slice(&fixture(name)).expect("fixture is JSON")
}

/// A Socket Mode frame of `kind` carrying `payload`, as Slack sends a first
/// delivery.
fn envelope(kind: &str, id: &str, payload: &Value) -> String {
    json!({
        "envelope_id": id,
        "type": kind,
        "payload": payload,
        "accepts_response_payload": kind == "slash_commands",
        "retry_attempt": 0,
        "retry_reason": "",
    })
    .to_string()
}

/// Runs one frame on a fresh host; the frame must be accepted.
fn frame(text: &str) -> (FakeHost, FrameOutcome) {
    let host = FakeHost::default();
    let outcome = on_frame(&host, text, &context()).expect("frame accepted");
    (host, outcome)
}

/// The one message a frame emitted, after checking it was acknowledged after
/// the commit and nothing else was sent or kept.
fn single(host: &FakeHost, outcome: &FrameOutcome, envelope_id: &str) -> Inbound {
    assert_acked(outcome, envelope_id);
    assert!(outcome.unmapped.is_empty(), "{:?}", outcome.unmapped);
    let emitted = host.emitted.borrow();
    assert_eq!(emitted.len(), 1, "{:?}", host.logs.borrow());
    emitted[0].clone()
}

/// The envelope is acknowledged only once it is committed, and that is all.
fn assert_acked(outcome: &FrameOutcome, envelope_id: &str) {
    let expected = FrameOutcome {
        send_after_commit: vec![format!(r#"{{"envelope_id":"{envelope_id}"}}"#)],
        unmapped: outcome.unmapped.clone(),
        ..FrameOutcome::default()
    };
    assert_eq!(*outcome, expected);
}

fn metadata(message: &Inbound) -> Value {
    serde_json::from_str(&message.metadata).expect("metadata is JSON")
}

/// The interaction payload of a form-encoded fixture (`payload=<json>`).
fn form_payload(name: &str) -> Value {
    let body = String::from_utf8(fixture(name)).expect("utf-8");
    let pairs = query_pairs(&body);
    let (_, payload) = pairs
        .iter()
        .find(|(key, _)| key == "payload")
        .expect("payload field");
    serde_json::from_str(payload).expect("payload is JSON")
}

/// The fields of a form-encoded slash command fixture as the object Socket
/// Mode carries.
fn form_fields(name: &str) -> Value {
    let body = String::from_utf8(fixture(name)).expect("utf-8");
    let fields: Map<String, Value> = query_pairs(&body)
        .into_iter()
        .map(|(key, value)| (key, Value::String(value)))
        .collect();
    Value::Object(fields)
}

mod opening {
    use super::*;

    #[test]
    fn asks_apps_connections_open_with_the_app_level_token() {
        let body = json!({"ok": true, "url": CONNECTION_URL}).to_string();
        let host = FakeHost::answering(vec![ok(&body)]);
        let target = open(&host, &context()).expect("opened");
        assert_eq!(
            target,
            SessionTarget {
                url: CONNECTION_URL.to_owned(),
                headers: Vec::new(),
            }
        );
        let requests = host.requests.borrow();
        assert_eq!(requests.len(), 1);
        let request = &requests[0];
        assert_eq!(request.method, "POST");
        assert_eq!(request.url, "https://slack.com/api/apps.connections.open");
        assert_eq!(
            header(&request.headers, "authorization"),
            Some("Bearer {{secret:app_token}}")
        );
        assert_eq!(
            header(&request.headers, "content-type"),
            Some("application/x-www-form-urlencoded")
        );
        assert_eq!(request.body.bytes(), Some(&b""[..]));
    }

    #[test]
    fn follows_the_api_base_setting() {
        let mut host =
            FakeHost::answering(vec![ok(r#"{"ok":true,"url":"ws://127.0.0.1:9/link/"}"#)]);
        host.settings
            .insert("api_base".to_owned(), "http://127.0.0.1:9/api/".to_owned());
        let target = open(&host, &context()).expect("opened");
        assert_eq!(target.url, "ws://127.0.0.1:9/link/");
        assert_eq!(
            host.requests.borrow()[0].url,
            "http://127.0.0.1:9/api/apps.connections.open"
        );
    }

    #[test]
    fn a_refused_token_is_permanent_and_names_the_app_level_token() {
        for error in ["invalid_auth", "not_allowed_token_type", "not_authed"] {
            let body = json!({"ok": false, "error": error}).to_string();
            let host = FakeHost::answering(vec![ok(&body)]);
            let failure = open(&host, &context()).expect_err(error);
            assert!(!failure.retryable, "{error}");
            assert_eq!(failure.retry_after_secs, None);
            for needle in [
                "apps.connections.open",
                error,
                "app-level token",
                "xapp-",
                "connections:write",
            ] {
                assert!(failure.message.contains(needle), "{needle}: {failure}");
            }
        }
    }

    #[test]
    fn other_api_errors_are_permanent_with_the_error() {
        let host = FakeHost::answering(vec![ok(r#"{"ok":false,"error":"app_not_found"}"#)]);
        let failure = open(&host, &context()).expect_err("refused");
        assert!(!failure.retryable);
        assert_eq!(
            failure.message,
            "apps.connections.open: slack error: app_not_found"
        );
    }

    #[test]
    fn a_rate_limit_is_retryable_after_the_requested_delay() {
        let limited = Ok(Response {
            status: 429,
            headers: vec![("Retry-After".to_owned(), "30".to_owned())],
            body: br#"{"ok":false,"error":"ratelimited"}"#.to_vec(),
        });
        let host = FakeHost::answering(vec![limited]);
        let failure = open(&host, &context()).expect_err("limited");
        assert!(failure.retryable);
        assert_eq!(failure.retry_after_secs, Some(30));
        assert!(
            failure
                .message
                .starts_with("apps.connections.open: http 429")
        );
    }

    #[test]
    fn server_and_network_trouble_is_retryable() {
        for trouble in [
            answer(503, "upstream unavailable"),
            answer(500, ""),
            ok(r#"{"ok":false,"error":"internal_error"}"#),
            Err(FetchFailure::Timeout),
            Err(FetchFailure::Network("connection reset".to_owned())),
        ] {
            let host = FakeHost::answering(vec![trouble.clone()]);
            let failure = open(&host, &context()).expect_err("fails");
            assert!(failure.retryable, "{trouble:?}: {failure}");
            assert!(failure.message.starts_with("apps.connections.open: "));
        }
    }

    #[test]
    fn an_answer_without_a_url_is_retryable() {
        for body in [r#"{"ok":true}"#, r#"{"ok":true,"url":""}"#, "<html>"] {
            let host = FakeHost::answering(vec![ok(body)]);
            let failure = open(&host, &context()).expect_err(body);
            assert!(failure.retryable, "{body}");
            assert_eq!(
                failure.message,
                "apps.connections.open: answer without a url"
            );
        }
    }

    #[test]
    fn a_denied_request_is_permanent() {
        let host = FakeHost::answering(vec![Err(FetchFailure::Denied(
            "origin not granted".to_owned(),
        ))]);
        let failure = open(&host, &context()).expect_err("denied");
        assert!(!failure.retryable);
    }
}

mod control {
    use super::*;

    #[test]
    fn hello_needs_nothing() {
        let hello = String::from_utf8(fixture("socket/hello.json")).expect("utf-8");
        let (host, outcome) = frame(&hello);
        assert_eq!(outcome, FrameOutcome::default());
        assert!(host.emitted.borrow().is_empty());
        assert!(host.logged(
            Level::Debug,
            "socket mode connected (app A01K58AR4RF, 1 connection(s))"
        ));
    }

    #[test]
    fn disconnect_asks_for_a_new_connection() {
        let disconnect =
            String::from_utf8(fixture("socket/disconnect-refresh_requested.json")).expect("utf-8");
        let (host, outcome) = frame(&disconnect);
        assert_eq!(
            outcome,
            FrameOutcome {
                reconnect: true,
                ..FrameOutcome::default()
            }
        );
        assert!(host.logged(Level::Debug, "refresh_requested"));
        assert!(
            !host
                .logs
                .borrow()
                .iter()
                .any(|(level, _)| *level == Level::Warn)
        );
    }

    #[test]
    fn link_disabled_warns_that_socket_mode_was_turned_off() {
        let (host, outcome) = frame(r#"{"type":"disconnect","reason":"link_disabled"}"#);
        assert!(outcome.reconnect);
        assert!(host.logged(
            Level::Warn,
            "Socket Mode was turned off in the app's settings"
        ));
    }

    #[test]
    fn a_frame_that_is_not_json_is_an_error() {
        let host = FakeHost::default();
        let failure = on_frame(&host, "hello there", &context()).expect_err("not json");
        assert!(!failure.retryable);
        assert!(
            failure.message.starts_with("socket mode frame is not json"),
            "{failure}"
        );
    }

    #[test]
    fn a_frame_without_a_type_is_an_error() {
        for text in [
            r#"{"envelope_id":"e1"}"#,
            r#"{"type":7}"#,
            "[1,2]",
            r#""hello""#,
        ] {
            let host = FakeHost::default();
            let failure = on_frame(&host, text, &context()).expect_err(text);
            assert!(!failure.retryable);
            assert_eq!(
                failure.message, "socket mode frame without a type: not a slack envelope",
                "{text}"
            );
        }
    }

    #[test]
    fn unknown_envelope_types_are_acknowledged() {
        let (host, outcome) = frame(&envelope("future_thing", "e-unknown", &json!({"a": 1})));
        assert_acked(&outcome, "e-unknown");
        assert!(outcome.unmapped.is_empty());
        assert!(host.emitted.borrow().is_empty());
        assert!(host.logged(Level::Debug, "future_thing envelope"));
    }

    #[test]
    fn url_verification_over_a_socket_is_acknowledged() {
        let challenge = fixture_json("slackeventsapi-url_challenge.json");
        for text in [
            envelope("events_api", "e-challenge", &challenge),
            envelope("url_verification", "e-challenge", &challenge),
        ] {
            let (host, outcome) = frame(&text);
            assert_acked(&outcome, "e-challenge");
            assert!(outcome.unmapped.is_empty());
            assert!(host.emitted.borrow().is_empty());
        }
    }

    #[test]
    fn ticks_do_nothing() {
        let host = FakeHost::default();
        assert_eq!(
            on_tick(&host, &context()).expect("tick"),
            FrameOutcome::default()
        );
    }
}

mod events_api {
    use super::*;

    const IM: &str = "slackdocs-message-im.json";

    #[test]
    fn a_message_is_emitted_as_the_webhook_emits_it_and_acknowledged_after_commit() {
        let (host, outcome) = frame(&envelope("events_api", "e-im", &fixture_json(IM)));
        let message = single(&host, &outcome, "e-im");
        assert_eq!(message, emitted(IM));
        assert_eq!(message.external_id, "D024BE91L:1355517523.000005");
        assert!(
            outcome.send.is_empty(),
            "nothing is acknowledged before the commit"
        );
    }

    #[test]
    fn every_message_fixture_maps_as_by_webhook() {
        for name in [
            "slackdocs-app_mention.json",
            "bolt-python-assistant-user_message_with_assistant_thread.json",
            "bolt-python-message-file_share.json",
            "slack-web-message_subtype_bot_message.json",
            "slackdocs-reaction_added.json",
            "slackdocs-message-channel_topic.json",
        ] {
            let (host, outcome) = frame(&envelope("events_api", "e1", &fixture_json(name)));
            assert_eq!(single(&host, &outcome, "e1"), emitted(name), "{name}");
        }
    }

    #[test]
    fn a_redelivered_envelope_emits_the_same_external_id() {
        let mut redelivery: Value =
            serde_json::from_str(&envelope("events_api", "e-im", &fixture_json(IM))).expect("json");
        redelivery["retry_attempt"] = 1.into();
        redelivery["retry_reason"] = "timeout".into();
        let (host, outcome) = frame(&redelivery.to_string());
        let message = single(&host, &outcome, "e-im");
        let first = emitted(IM);
        assert_eq!(message.external_id, first.external_id);
        let meta = metadata(&message);
        assert_eq!(meta["retry_num"], 1);
        assert_eq!(meta["retry_reason"], "timeout");
        assert!(metadata(&first).get("retry_num").is_none());
    }

    #[test]
    fn the_bot_user_setting_applies_as_for_the_webhook() {
        let mut host = FakeHost::default();
        host.settings
            .insert("bot_user_id".to_owned(), "UBOT".to_owned());
        let payload = json!({"type": "event_callback", "event": {"type": "message",
            "channel": "C1", "channel_type": "channel", "user": "U1",
            "text": "<@UBOT> hi", "ts": "5.000001"}});
        let outcome =
            on_frame(&host, &envelope("events_api", "e1", &payload), &context()).expect("frame");
        assert!(single(&host, &outcome, "e1").mentions_bot);
    }

    #[test]
    fn ignored_events_are_acknowledged() {
        let payload = json!({"type": "event_callback",
            "event": {"type": "member_joined_channel", "user": "U1"}});
        let (host, outcome) = frame(&envelope("events_api", "e1", &payload));
        assert_acked(&outcome, "e1");
        assert!(outcome.unmapped.is_empty());
        assert!(host.emitted.borrow().is_empty());
        assert!(host.logged(Level::Debug, "member_joined_channel event"));
    }

    #[test]
    fn an_unmappable_payload_is_kept_byte_for_byte_and_acknowledged() {
        // Exactly as Slack might write it: spacing and key order are kept.
        let payload = r#"{ "type": "event_callback", "team_id": "T1",
            "event": {"type": "message", "channel": "C1", "user": "U1"} }"#;
        let text = format!(
            r#"{{"envelope_id":"e-bad","payload":{payload},"type":"events_api","accepts_response_payload":false,"retry_attempt":0,"retry_reason":""}}"#
        );
        let (host, outcome) = frame(&text);
        assert_acked(&outcome, "e-bad");
        assert_eq!(
            outcome.unmapped,
            [Unmapped {
                reason: "message event without ts".to_owned(),
                payload: payload.as_bytes().to_vec(),
            }]
        );
        assert!(host.emitted.borrow().is_empty());
        assert!(
            host.dead_letters.borrow().is_empty(),
            "host.dead_letter is for webhooks only"
        );
        assert!(host.logged(Level::Warn, "message event without ts"));
    }

    #[test]
    fn an_envelope_without_a_payload_is_kept_whole() {
        let text = r#"{"envelope_id":"e-empty","type":"events_api"}"#;
        let (_, outcome) = frame(text);
        assert_acked(&outcome, "e-empty");
        assert_eq!(
            outcome.unmapped,
            [Unmapped {
                reason: "events_api envelope without a payload object".to_owned(),
                payload: text.as_bytes().to_vec(),
            }]
        );
    }

    #[test]
    fn an_envelope_without_an_id_is_mapped_but_cannot_be_acknowledged() {
        let text = json!({"type": "events_api", "payload": fixture_json(IM)}).to_string();
        let (host, outcome) = frame(&text);
        assert!(outcome.send_after_commit.is_empty());
        assert_eq!(host.emitted.borrow().len(), 1);
        assert!(host.logged(Level::Warn, "without an envelope_id"));
    }

    #[test]
    fn a_rejected_message_is_logged_and_acknowledged() {
        let mut host = FakeHost::default();
        host.reject.insert(
            "D024BE91L:1355517523.000005".to_owned(),
            "external id too long".to_owned(),
        );
        let outcome = on_frame(
            &host,
            &envelope("events_api", "e-im", &fixture_json(IM)),
            &context(),
        )
        .expect("frame");
        assert_acked(&outcome, "e-im");
        assert!(outcome.unmapped.is_empty());
        assert!(host.logged(Level::Error, "external id too long"));
    }
}

mod interactive {
    use super::*;

    const BUTTON: &str = "bolt-python-block_actions-button.body.txt";
    const SELECT: &str = "slackdocs-block_actions-static_select.body.txt";

    #[test]
    fn block_actions_map_as_by_webhook() {
        for name in [BUTTON, SELECT] {
            let (host, outcome) = frame(&envelope("interactive", "e-press", &form_payload(name)));
            assert_eq!(single(&host, &outcome, "e-press"), emitted(name), "{name}");
        }
    }

    #[test]
    fn other_interactions_are_acknowledged() {
        let payload = json!({"type": "view_submission", "user": {"id": "U1"}});
        let (host, outcome) = frame(&envelope("interactive", "e-view", &payload));
        assert_acked(&outcome, "e-view");
        assert!(outcome.unmapped.is_empty());
        assert!(host.emitted.borrow().is_empty());
        assert!(host.logged(Level::Debug, "view_submission interaction"));
    }

    #[test]
    fn an_unmappable_interaction_is_kept() {
        let mut payload = form_payload(BUTTON);
        payload.as_object_mut().expect("object").remove("user");
        let (host, outcome) = frame(&envelope("interactive", "e-press", &payload));
        assert_acked(&outcome, "e-press");
        assert_eq!(outcome.unmapped.len(), 1);
        assert_eq!(outcome.unmapped[0].reason, "block_actions without user");
        let kept: Value = serde_json::from_slice(&outcome.unmapped[0].payload).expect("json");
        assert_eq!(kept, payload);
        assert!(host.emitted.borrow().is_empty());
    }
}

mod slash_commands {
    use super::*;

    const COMMAND: &str = "slackdocs-signing-example.body.txt";

    #[test]
    fn a_slash_command_maps_as_by_webhook() {
        let (host, outcome) = frame(&envelope("slash_commands", "e-cmd", &form_fields(COMMAND)));
        let message = single(&host, &outcome, "e-cmd");
        assert_eq!(message, emitted(COMMAND));
        assert_eq!(
            message.external_id,
            "G8PSS9T3V:398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
        );
        assert_eq!(message.text.as_deref(), Some("/webhook-collect"));
    }

    #[test]
    fn an_unmappable_slash_command_is_kept() {
        let mut fields = form_fields(COMMAND);
        fields.as_object_mut().expect("object").remove("channel_id");
        let (_, outcome) = frame(&envelope("slash_commands", "e-cmd", &fields));
        assert_acked(&outcome, "e-cmd");
        assert_eq!(outcome.unmapped.len(), 1);
        assert_eq!(
            outcome.unmapped[0].reason,
            "slash command without channel_id"
        );
    }
}

/// A dead letter from a socket holds the payload, which the host replays through
/// the webhook as a JSON body: each kind of payload maps there as it does here.
mod replay {
    use super::*;
    use crate::webhook::handle;

    fn by_webhook(payload: &Value) -> Inbound {
        let host = FakeHost::default();
        let headers = vec![("content-type".to_owned(), "application/json".to_owned())];
        let response = handle(&host, "POST", &headers, payload.to_string().as_bytes());
        assert_eq!(response.status, 200);
        let emitted = host.emitted.borrow();
        assert_eq!(emitted.len(), 1, "{:?}", host.logs.borrow());
        emitted[0].clone()
    }

    fn by_socket(kind: &str, payload: &Value) -> Inbound {
        let (host, outcome) = frame(&envelope(kind, "e1", payload));
        single(&host, &outcome, "e1")
    }

    #[test]
    fn every_kind_of_payload_replays_through_the_webhook() {
        for (kind, payload) in [
            ("events_api", fixture_json("slackdocs-message-im.json")),
            (
                "interactive",
                form_payload("bolt-python-block_actions-button.body.txt"),
            ),
            (
                "slash_commands",
                form_fields("slackdocs-signing-example.body.txt"),
            ),
        ] {
            assert_eq!(by_webhook(&payload), by_socket(kind, &payload), "{kind}");
        }
    }
}
