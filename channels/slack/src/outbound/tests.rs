use serde_json::json;
use switchboard_channel_sdk::fake::{FakeHost, answer};
use switchboard_channel_sdk::{AttachmentKind, FetchFailure, OutboundAttachment, Response};

use super::*;

fn stored(external_id: &str, conversation_id: &str, metadata: Value) -> Inbound {
    Inbound {
        external_id: external_id.to_owned(),
        conversation_id: conversation_id.to_owned(),
        sender_id: "U1".to_owned(),
        text: Some("question".to_owned()),
        timestamp: 1,
        kind: Kind::Text,
        metadata: metadata.to_string(),
        ..Inbound::default()
    }
}

fn reply(conversation_id: &str, text: &str) -> Reply {
    Reply {
        conversation_id: conversation_id.to_owned(),
        text: text.to_owned(),
        idempotency_key: "k".to_owned(),
        ..Reply::default()
    }
}

const POSTED: &str =
    r#"{"ok":true,"channel":"C1","ts":"1503435956.000247","message":{"text":"x"}}"#;

#[test]
fn replies_to_top_level_messages_go_to_the_channel() {
    let host = FakeHost::answering(vec![answer(200, POSTED)]);
    let receipt = respond(&host, &reply("C1", "answer")).expect("posted");
    assert_eq!(receipt.as_deref(), Some("C1:1503435956.000247"));
    let requests = host.requests.borrow();
    assert_eq!(requests[0].url, "https://slack.com/api/chat.postMessage");
    assert_eq!(
        switchboard_channel_sdk::header(&requests[0].headers, "authorization"),
        Some("Bearer {{secret:bot_token}}")
    );
    drop(requests);
    assert_eq!(
        host.sent_bodies()[0],
        json!({"channel": "C1", "text": "answer"})
    );
}

#[test]
fn replies_in_a_thread_stay_in_the_thread() {
    let host = FakeHost::answering(vec![answer(200, POSTED)]);
    respond(&host, &reply("C1:1700000000.000100", "in thread")).expect("posted");
    assert_eq!(
        host.sent_bodies()[0],
        json!({"channel": "C1", "text": "in thread", "thread_ts": "1700000000.000100"})
    );
}

#[test]
fn the_reply_thread_decides_where_the_reply_goes() {
    let host = FakeHost::answering(vec![answer(200, POSTED), answer(200, POSTED)]);
    let into_thread = Reply {
        thread_id: Some("1700000000.000100".to_owned()),
        ..reply("C1", "in thread")
    };
    respond(&host, &into_thread).expect("posted");
    // An empty thread is no thread: the conversation's is used.
    let blank = Reply {
        thread_id: Some(" ".to_owned()),
        ..reply("C1:1700000000.000200", "conversation thread")
    };
    respond(&host, &blank).expect("posted");
    let bodies = host.sent_bodies();
    assert_eq!(bodies[0]["channel"], "C1");
    assert_eq!(bodies[0]["thread_ts"], "1700000000.000100");
    assert_eq!(bodies[1]["thread_ts"], "1700000000.000200");
}

#[test]
fn a_text_the_agent_writes_first_goes_to_its_conversation() {
    let host = FakeHost::answering(vec![answer(200, POSTED), answer(200, POSTED)]);
    let first = Reply {
        in_reply_to: None,
        ..reply("C1", "reminder")
    };
    respond(&host, &first).expect("posted");
    let in_thread = Reply {
        in_reply_to: None,
        ..reply("C1:1700000000.000100", "follow-up")
    };
    respond(&host, &in_thread).expect("posted");
    let bodies = host.sent_bodies();
    assert_eq!(bodies[0], json!({"channel": "C1", "text": "reminder"}));
    assert_eq!(
        bodies[1],
        json!({"channel": "C1", "text": "follow-up", "thread_ts": "1700000000.000100"})
    );
}

#[test]
fn a_conversation_without_a_channel_fails_permanently_without_calling_slack() {
    let host = FakeHost::default();
    let with_file = Reply {
        attachments: vec![OutboundAttachment {
            kind: AttachmentKind::Image,
            mime_type: "image/png".to_owned(),
            size: 3,
            file_name: None,
            caption: None,
            blob: "ab".repeat(32),
        }],
        ..reply(":1700000000.000100", "x")
    };
    for bad in [reply("", "x"), with_file] {
        let failure = respond(&host, &bad).expect_err("no channel");
        assert!(!failure.retryable);
        assert!(
            failure.message.contains("names no channel"),
            "{}",
            failure.message
        );
    }
    assert!(host.requests.borrow().is_empty());
}

#[test]
fn the_api_base_setting_redirects_calls() {
    let mut host = FakeHost::answering(vec![answer(200, POSTED)]);
    host.settings
        .insert("api_base".to_owned(), "http://127.0.0.1:9/api".to_owned());
    respond(&host, &reply("C1", "x")).expect("posted");
    assert_eq!(
        host.requests.borrow()[0].url,
        "http://127.0.0.1:9/api/chat.postMessage"
    );
}

#[test]
fn rate_limits_and_outages_are_retryable() {
    let host = FakeHost::answering(vec![
        Ok(Response {
            status: 429,
            headers: vec![("retry-after".to_owned(), "12".to_owned())],
            body: Vec::new(),
        }),
        answer(200, r#"{"ok":false,"error":"ratelimited"}"#),
        answer(500, ""),
        Err(FetchFailure::Network("connection reset".to_owned())),
    ]);
    let failure = respond(&host, &reply("C1", "x")).expect_err("429");
    assert!(failure.retryable);
    assert_eq!(failure.retry_after_secs, Some(12));
    for _ in 0..3 {
        let failure = respond(&host, &reply("C1", "x")).expect_err("transient");
        assert!(failure.retryable, "{}", failure.message);
        assert!(
            failure.message.starts_with("chat.postMessage: "),
            "{}",
            failure.message
        );
    }
}

#[test]
fn api_errors_are_permanent() {
    let host = FakeHost::answering(vec![answer(
        200,
        r#"{"ok":false,"error":"not_in_channel"}"#,
    )]);
    let failure = respond(&host, &reply("C1", "x")).expect_err("error");
    assert!(!failure.retryable);
    assert_eq!(
        failure.message,
        "chat.postMessage: slack error: not_in_channel"
    );
}

#[test]
fn an_empty_reply_fails_permanently_without_calling_slack() {
    let host = FakeHost::default();
    assert!(
        !respond(&host, &reply("C1", "  "))
            .expect_err("empty")
            .retryable
    );
    assert!(host.requests.borrow().is_empty());
}

#[test]
fn stored_messages_get_the_ack_reaction() {
    let host = FakeHost::answering(vec![answer(200, r#"{"ok":true}"#)]);
    let message = stored(
        "C1:1.000001",
        "C1",
        json!({"source": "event", "channel": "C1", "ts": "1.000001"}),
    );
    acknowledge(&host, &message).expect("reacted");
    assert_eq!(
        host.requests.borrow()[0].url,
        "https://slack.com/api/reactions.add"
    );
    assert_eq!(
        host.sent_bodies()[0],
        json!({"channel": "C1", "name": "eyes", "timestamp": "1.000001"})
    );
}

#[test]
fn already_reacted_counts_as_success_and_other_errors_do_not() {
    let host = FakeHost::answering(vec![
        answer(200, r#"{"ok":false,"error":"already_reacted"}"#),
        answer(200, r#"{"ok":false,"error":"missing_scope"}"#),
    ]);
    let message = stored(
        "C1:1.0",
        "C1",
        json!({"source": "event", "channel": "C1", "ts": "1.0"}),
    );
    acknowledge(&host, &message).expect("already reacted is fine");
    let error = acknowledge(&host, &message).expect_err("missing scope");
    assert!(error.contains("missing_scope"), "{error}");
}

#[test]
fn the_reaction_setting_is_honoured_and_empty_disables_it() {
    let message = stored(
        "C1:1.0",
        "C1",
        json!({"source": "event", "channel": "C1", "ts": "1.0"}),
    );
    let mut host = FakeHost::answering(vec![answer(200, r#"{"ok":true}"#)]);
    host.settings
        .insert("ack_reaction".to_owned(), ":white_check_mark:".to_owned());
    acknowledge(&host, &message).expect("reacted");
    assert_eq!(host.sent_bodies()[0]["name"], "white_check_mark");

    let mut host = FakeHost::default();
    host.settings
        .insert("ack_reaction".to_owned(), String::new());
    acknowledge(&host, &message).expect("disabled");
    assert!(host.requests.borrow().is_empty());
}

#[test]
fn only_a_persons_new_message_gets_the_reaction() {
    let host = FakeHost::default();
    let event = json!({"source": "event", "channel": "C1", "ts": "1.0"});
    let base = stored("C1:1.0", "C1", event);
    for skipped in [
        Inbound {
            sender_kind: SenderKind::Bot,
            ..base.clone()
        },
        Inbound {
            sender_kind: SenderKind::ThisBot,
            ..base.clone()
        },
        Inbound {
            kind: Kind::System,
            ..base.clone()
        },
        Inbound {
            kind: Kind::Reaction,
            text: None,
            ..base.clone()
        },
        Inbound {
            is_edit: true,
            ..base.clone()
        },
    ] {
        acknowledge(&host, &skipped).expect("skipped");
    }
    assert!(host.requests.borrow().is_empty());
}

#[test]
fn interactions_and_commands_get_no_reaction() {
    let host = FakeHost::default();
    for source in ["interactive", "slash_command"] {
        let message = stored("C1:t", "C1", json!({"source": source, "channel": "C1"}));
        acknowledge(&host, &message).expect("skipped");
    }
    assert!(host.requests.borrow().is_empty());
}
