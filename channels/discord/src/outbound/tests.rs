//! Replies against the fake host: into a channel, answering a message, split at
//! 2000 characters, and as follow-ups of a slash command; with Discord's
//! documented answers (see the fixtures' README).

use serde_json::{Value, json};
use switchboard_channel_sdk::fake::{FakeHost, answer, ok};
use switchboard_channel_sdk::{AttachmentKind, FetchFailure, OutboundAttachment, Response, header};

use super::*;
use crate::interactions::command_message;
use crate::message::{Mapped, map};
use crate::tests::{BOT_ID, fixture_json, fixture_text};

/// The message of a recorded MESSAGE_CREATE, as the host hands it back.
fn received(name: &str) -> Inbound {
    let data = fixture_json(&format!("gateway/{name}"))["d"].clone();
    match map(&data, Some(BOT_ID), false) {
        Mapped::Message(message) => *message,
        other => panic!("{name}: {other:?}"),
    }
}

/// The message of a recorded slash command, as the host hands it back.
fn command(name: &str) -> Inbound {
    command_message(&fixture_json(&format!("interactions/{name}"))).expect("command")
}

fn reply_to(message: Inbound, text: &str) -> Reply {
    Reply {
        conversation_id: message.conversation_id.clone(),
        text: text.to_owned(),
        in_reply_to: Some(message),
        idempotency_key: "reply-7f3a".to_owned(),
        ..Reply::default()
    }
}

fn created(id: &str) -> Result<Response, FetchFailure> {
    ok(&json!({"id": id, "channel_id": "290926798999357250", "content": "..."}).to_string())
}

#[test]
fn a_reply_answers_the_message_in_its_channel() {
    let host = FakeHost::answering(vec![ok(&fixture_text("rest/create-message.json"))]);
    let reply = reply_to(received("message-create-dm.json"), "Hot indeed.");
    let receipt = respond(&host, &reply).expect("sent");
    assert_eq!(receipt.as_deref(), Some("334385199974967042"));
    let requests = host.requests.borrow();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(
        request.url,
        "https://discord.com/api/v10/channels/290926798999357250/messages"
    );
    assert_eq!(
        header(&request.headers, "authorization"),
        Some("Bot {{secret:bot_token}}")
    );
    assert_eq!(
        host.sent_bodies()[0],
        json!({
            "content": "Hot indeed.",
            "allowed_mentions": {"parse": ["users"], "replied_user": true},
            "message_reference": {"message_id": "334385199974967042", "fail_if_not_exists": false},
            "nonce": nonce("reply-7f3a", 0),
            "enforce_nonce": true,
        })
    );
}

#[test]
fn a_message_the_agent_writes_first_answers_nothing() {
    let host = FakeHost::answering(vec![created("1")]);
    let reply = Reply {
        conversation_id: "645027906669510667".to_owned(),
        text: "Good morning!".to_owned(),
        idempotency_key: "first-1".to_owned(),
        ..Reply::default()
    };
    assert_eq!(respond(&host, &reply).expect("sent").as_deref(), Some("1"));
    let body = &host.sent_bodies()[0];
    assert!(body.get("message_reference").is_none(), "{body}");
    assert_eq!(body["content"], "Good morning!");
}

#[test]
fn long_replies_are_split_and_only_the_first_part_answers() {
    let host = FakeHost::answering(vec![created("11"), created("12"), created("13")]);
    let text = format!(
        "{} {} {}",
        "a".repeat(1999),
        "b".repeat(1999),
        "c".repeat(500)
    );
    let reply = reply_to(received("message-create-guild-mention.json"), &text);
    assert_eq!(respond(&host, &reply).expect("sent").as_deref(), Some("11"));
    let bodies = host.sent_bodies();
    assert_eq!(bodies.len(), 3);
    let contents: Vec<&str> = bodies
        .iter()
        .map(|b| b["content"].as_str().expect("content"))
        .collect();
    assert_eq!(contents.concat(), text);
    assert!(contents.iter().all(|c| c.encode_utf16().count() <= 2000));
    assert_eq!(
        bodies[0]["message_reference"]["message_id"],
        "1235203015113162833"
    );
    assert!(bodies[1].get("message_reference").is_none());
    assert!(bodies[2].get("message_reference").is_none());
    let nonces: Vec<&Value> = bodies.iter().map(|b| &b["nonce"]).collect();
    assert_ne!(nonces[0], nonces[1]);
    assert_ne!(nonces[1], nonces[2]);
    assert!(host.state.borrow().is_empty(), "progress is cleared");
}

#[test]
fn a_retry_after_a_partial_send_sends_only_the_rest() {
    let text = format!("{} {}", "a".repeat(1999), "b".repeat(100));
    let reply = reply_to(received("message-create-dm.json"), &text);
    let host = FakeHost::answering(vec![created("21"), answer(503, "")]);
    let failure = respond(&host, &reply).expect_err("second part fails");
    assert!(failure.retryable);
    assert_eq!(host.state.borrow().len(), 1, "progress kept");

    host.answers.borrow_mut().push_back(created("22"));
    assert_eq!(respond(&host, &reply).expect("sent").as_deref(), Some("21"));
    let bodies = host.sent_bodies();
    assert_eq!(bodies.len(), 3);
    assert_eq!(
        bodies[1]["content"], bodies[2]["content"],
        "the retry resends part 2 only"
    );
    assert!(bodies[2].get("message_reference").is_none());
    assert!(host.state.borrow().is_empty());
}

#[test]
fn nonces_are_short_and_stable() {
    let first = nonce("b3c0f1c4-8f1e-4c57-9d9a-0c3b8e2e7a11", 0);
    assert_eq!(first, nonce("b3c0f1c4-8f1e-4c57-9d9a-0c3b8e2e7a11", 0));
    assert_ne!(first, nonce("b3c0f1c4-8f1e-4c57-9d9a-0c3b8e2e7a12", 0));
    assert!(first.len() <= 25, "{first}");
    assert!(nonce("k", 123_456_789).len() <= 25);
}

#[test]
fn a_rate_limit_is_retryable_after_the_fractional_delay_rounded_up() {
    let limited = Ok(Response {
        status: 429,
        headers: Vec::new(),
        body: fixture_text("rest/rate-limited.json").into_bytes(),
    });
    let host = FakeHost::answering(vec![limited]);
    let failure =
        respond(&host, &reply_to(received("message-create-dm.json"), "hi")).expect_err("429");
    assert!(failure.retryable);
    assert_eq!(failure.retry_after_secs, Some(65));
    assert_eq!(
        failure.message,
        "create message: discord rate limit: You are being rate limited."
    );
}

#[test]
fn refusals_are_permanent_with_discords_message() {
    for (status, body, expected) in [
        (
            404,
            fixture_text("rest/error-unknown-channel.json"),
            "create message: discord error 404: Unknown Channel (code 10003)",
        ),
        (
            403,
            r#"{"message": "Missing Permissions", "code": 50013}"#.to_owned(),
            "create message: discord error 403: Missing Permissions (code 50013)",
        ),
        (
            401,
            r#"{"message": "401: Unauthorized", "code": 0}"#.to_owned(),
            "create message: discord error 401: 401: Unauthorized",
        ),
    ] {
        let host = FakeHost::answering(vec![answer(status, &body)]);
        let failure = respond(&host, &reply_to(received("message-create-dm.json"), "hi"))
            .expect_err("refused");
        assert!(!failure.retryable, "{status}");
        assert_eq!(failure.message, expected);
    }
}

#[test]
fn server_and_network_trouble_is_retryable() {
    for trouble in [
        answer(500, ""),
        answer(502, "<html>bad gateway</html>"),
        Err(FetchFailure::Network("reset".to_owned())),
        Err(FetchFailure::Timeout),
    ] {
        let host = FakeHost::answering(vec![trouble.clone()]);
        let failure =
            respond(&host, &reply_to(received("message-create-dm.json"), "hi")).expect_err("fails");
        assert!(failure.retryable, "{trouble:?}");
    }
}

#[test]
fn replies_with_files_fail_for_good_and_send_nothing() {
    let host = FakeHost::default();
    let mut reply = reply_to(received("message-create-dm.json"), "here is the chart");
    reply.attachments.push(OutboundAttachment {
        kind: AttachmentKind::Image,
        mime_type: "image/png".to_owned(),
        size: 1024,
        file_name: Some("chart.png".to_owned()),
        caption: None,
        blob: "ab".repeat(32),
    });
    let failure = respond(&host, &reply).expect_err("not supported");
    assert!(!failure.retryable);
    assert!(
        failure.message.contains("cannot send files to discord yet"),
        "{failure}"
    );
    assert!(host.requests.borrow().is_empty());
}

#[test]
fn empty_replies_and_foreign_conversations_fail_for_good() {
    let host = FakeHost::default();
    let failure =
        respond(&host, &reply_to(received("message-create-dm.json"), " \n ")).expect_err("empty");
    assert!(!failure.retryable);
    let reply = Reply {
        conversation_id: "C024BE91L".to_owned(),
        text: "hi".to_owned(),
        ..Reply::default()
    };
    let failure = respond(&host, &reply).expect_err("not a channel id");
    assert!(!failure.retryable);
    assert!(failure.message.contains("not a discord channel id"));
    assert!(host.requests.borrow().is_empty());
}

#[test]
fn a_slash_command_is_answered_with_follow_ups_of_its_interaction() {
    let host = FakeHost::answering(vec![created("31"), created("32")]);
    let text = format!("{} {}", "x".repeat(1999), "y".repeat(10));
    let reply = reply_to(command("slash-command-dm-subcommand.json"), &text);
    assert_eq!(respond(&host, &reply).expect("sent").as_deref(), Some("31"));
    let requests = host.requests.borrow();
    assert_eq!(requests.len(), 2);
    for request in requests.iter() {
        assert_eq!(request.method, "POST");
        assert_eq!(
            request.url,
            "https://discord.com/api/v10/webhooks/1100000000000000001/aW50ZXJhY3Rpb246MTIzNTI0MTIzNDU2Nzg5MDEyMzpzbGFzaA"
        );
        assert_eq!(header(&request.headers, "authorization"), None);
    }
    drop(requests);
    let bodies = host.sent_bodies();
    assert_eq!(
        bodies[0],
        json!({"content": "x".repeat(1999) + " ", "allowed_mentions": {"parse": ["users"]}})
    );
    assert_eq!(bodies[1]["content"], "y".repeat(10));
}

#[test]
fn a_follow_up_after_the_token_expired_fails_for_good() {
    let host = FakeHost::answering(vec![answer(
        404,
        r#"{"message": "Unknown Webhook", "code": 10015}"#,
    )]);
    let reply = reply_to(command("slash-command-dm-subcommand.json"), "late answer");
    let failure = respond(&host, &reply).expect_err("expired");
    assert!(!failure.retryable);
    assert_eq!(
        failure.message,
        "interaction follow-up: the interaction token is no longer valid (discord accepts \
         follow-ups for 15 minutes after the command): discord error 404: Unknown Webhook \
         (code 10015)"
    );
}

#[test]
fn a_follow_up_is_retried_on_a_rate_limit() {
    let host = FakeHost::answering(vec![answer(
        429,
        r#"{"message": "You are being rate limited.", "retry_after": 1.2, "global": false}"#,
    )]);
    let reply = reply_to(command("slash-command-dm-subcommand.json"), "answer");
    let failure = respond(&host, &reply).expect_err("limited");
    assert!(failure.retryable);
    assert_eq!(failure.retry_after_secs, Some(2));
}

#[test]
fn a_command_without_its_application_id_is_answered_in_its_channel() {
    // Discord's documented example interaction carries no application_id.
    let host = FakeHost::answering(vec![created("41")]);
    let reply = reply_to(command("slash-command.json"), "The Gitrog Monster: 3BG");
    assert_eq!(respond(&host, &reply).expect("sent").as_deref(), Some("41"));
    let requests = host.requests.borrow();
    assert_eq!(
        requests[0].url,
        "https://discord.com/api/v10/channels/645027906669510667/messages"
    );
    drop(requests);
    assert!(host.sent_bodies()[0].get("message_reference").is_none());
    assert!(host.logged(switchboard_channel_sdk::Level::Warn, "no application id"));
}

#[test]
fn an_answer_without_an_id_is_still_a_success() {
    let host = FakeHost::answering(vec![ok("{}")]);
    let reply = reply_to(received("message-create-dm.json"), "hi");
    assert_eq!(respond(&host, &reply).expect("sent"), None);
    assert!(host.logged(switchboard_channel_sdk::Level::Warn, "without a message id"));
}
