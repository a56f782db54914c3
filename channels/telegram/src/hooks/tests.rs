use serde_json::json;
use switchboard_channel_sdk::fake::{FakeHost, answer, ok};
use switchboard_channel_sdk::{ButtonPress, ChatType, FetchFailure};

use super::*;

fn stored(external_id: &str, kind: Kind, metadata: serde_json::Value) -> Inbound {
    Inbound {
        external_id: external_id.to_owned(),
        conversation_id: external_id
            .rsplit_once(':')
            .map(|(chat, _)| chat.to_owned())
            .unwrap_or_default(),
        sender_id: "1".to_owned(),
        kind,
        metadata: metadata.to_string(),
        ..Inbound::default()
    }
}

fn tap() -> Inbound {
    Inbound {
        external_id: "callback:4278655576057498272".to_owned(),
        conversation_id: "996202131".to_owned(),
        sender_id: "996202131".to_owned(),
        kind: Kind::Button,
        button: Some(ButtonPress {
            payload: "button2_bijoy".to_owned(),
            label: Some("Button 2".to_owned()),
        }),
        metadata: json!({"callback_query_id": "4278655576057498272"}).to_string(),
        ..Inbound::default()
    }
}

#[test]
fn a_stored_button_tap_is_answered_so_the_spinner_stops() {
    let host = FakeHost::answering(vec![ok(r#"{"ok":true,"result":true}"#)]);
    on_message_persisted(&host, &tap()).expect("answered");
    assert_eq!(
        host.requests.borrow()[0].url,
        "https://api.telegram.org/bot{{secret:bot_token}}/answerCallbackQuery"
    );
    assert_eq!(
        host.sent_bodies(),
        [json!({"callback_query_id": "4278655576057498272"})]
    );
}

#[test]
fn storing_any_other_message_calls_nothing_and_shows_no_typing() {
    // The fake host has no scripted answer: any request would panic.
    let host = FakeHost::default();
    for message in [
        stored("42:1", Kind::Text, json!({"chat_type": "private"})),
        stored("-100:5", Kind::System, json!({"service": "pinned_message"})),
        stored("-100:5:reaction:1:2:added:👍", Kind::Reaction, json!({})),
        stored("callback:1", Kind::Button, json!({})),
    ] {
        on_message_persisted(&host, &message).expect("nothing to do");
    }
    assert!(host.requests.borrow().is_empty());
}

#[test]
fn an_expired_tap_is_logged_and_a_transient_failure_retried() {
    let host = FakeHost::answering(vec![
        answer(
            400,
            r#"{"ok":false,"error_code":400,"description":"Bad Request: query is too old and response timeout expired or query ID is invalid"}"#,
        ),
        Err(FetchFailure::Timeout),
    ]);
    on_message_persisted(&host, &tap()).expect("a permanent refusal is not retried");
    assert!(host.logged(Level::Warn, "query is too old"));
    let error = on_message_persisted(&host, &tap()).expect_err("retry later");
    assert!(error.starts_with("answerCallbackQuery: "), "{error}");
}

#[test]
fn typing_is_shown_in_the_thread_of_the_message_but_not_in_channels() {
    let host = FakeHost::answering(vec![
        ok(r#"{"ok":true,"result":true}"#),
        ok(r#"{"ok":true,"result":true}"#),
    ]);
    let mut in_thread = stored("-100:5", Kind::Text, json!({"chat_type": "supergroup"}));
    in_thread.thread_id = Some("3".to_owned());
    on_agent_working(&host, &in_thread).expect("typing");
    assert_eq!(
        host.requests.borrow()[0].url,
        "https://api.telegram.org/bot{{secret:bot_token}}/sendChatAction"
    );
    // Stored by the previous version: the topic is in the metadata only.
    let older = stored(
        "-100:6",
        Kind::Text,
        json!({"chat_type": "supergroup", "message_thread_id": 4, "is_topic_message": true}),
    );
    on_agent_working(&host, &older).expect("typing");
    assert_eq!(
        host.sent_bodies(),
        [
            json!({"chat_id": -100, "message_thread_id": 3, "action": "typing"}),
            json!({"chat_id": -100, "message_thread_id": 4, "action": "typing"})
        ]
    );

    let mut post = stored("-200:1", Kind::Text, json!({}));
    post.chat_type = ChatType::Broadcast;
    on_agent_working(&host, &post).expect("skipped");
    let older_post = stored("-200:2", Kind::Text, json!({"chat_type": "channel"}));
    on_agent_working(&host, &older_post).expect("skipped");
    assert_eq!(host.requests.borrow().len(), 2);
}

#[test]
fn typing_failures_are_reported_without_the_url() {
    let host = FakeHost::answering(vec![answer(
        400,
        r#"{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}"#,
    )]);
    let error = on_agent_working(&host, &stored("42:1", Kind::Text, json!({}))).expect_err("400");
    assert!(error.contains("chat not found"), "{error}");
    assert!(!error.contains("secret"), "{error}");
}
