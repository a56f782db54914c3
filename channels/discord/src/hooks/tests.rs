//! The hooks against the fake host, on messages as the channel emitted them.

use switchboard_channel_sdk::fake::{FakeHost, answer};
use switchboard_channel_sdk::{FetchFailure, Response, header};

use super::*;
use crate::interactions::command_message;
use crate::message::{Mapped, map};
use crate::tests::{BOT_ID, fixture_json};

fn received(name: &str) -> Inbound {
    let data = fixture_json(&format!("gateway/{name}"))["d"].clone();
    match map(&data, Some(BOT_ID), false) {
        Mapped::Message(message) => *message,
        other => panic!("{name}: {other:?}"),
    }
}

fn no_content() -> Result<Response, FetchFailure> {
    Ok(Response::empty(204))
}

#[test]
fn typing_shows_in_the_channel_of_the_message() {
    let host = FakeHost::answering(vec![no_content()]);
    on_agent_working(&host, &received("message-create-guild-mention.json")).expect("typing");
    let requests = host.requests.borrow();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method, "POST");
    assert_eq!(
        requests[0].url,
        "https://discord.com/api/v10/channels/645027906669510667/typing"
    );
    assert_eq!(
        header(&requests[0].headers, "authorization"),
        Some("Bot {{secret:bot_token}}")
    );
    assert_eq!(requests[0].body.bytes(), Some(&b""[..]));
}

#[test]
fn a_slash_command_shows_thinking_already() {
    let host = FakeHost::default();
    let message =
        command_message(&fixture_json("interactions/slash-command.json")).expect("command");
    on_agent_working(&host, &message).expect("nothing to do");
    assert!(host.requests.borrow().is_empty());
}

#[test]
fn typing_failures_are_reported() {
    let host = FakeHost::answering(vec![answer(
        403,
        r#"{"message": "Missing Access", "code": 50001}"#,
    )]);
    let error = on_agent_working(&host, &received("message-create-dm.json")).expect_err("403");
    assert_eq!(
        error,
        "trigger typing: discord error 403: Missing Access (code 50001)"
    );
    let host = FakeHost::answering(vec![Err(FetchFailure::Timeout)]);
    let error = on_agent_working(&host, &received("message-create-dm.json")).expect_err("timeout");
    assert_eq!(error, "trigger typing: request timed out");
}

#[test]
fn typing_needs_a_channel_id() {
    let host = FakeHost::default();
    let mut message = received("message-create-dm.json");
    message.metadata = "{}".to_owned();
    message.conversation_id = "not-a-channel".to_owned();
    assert!(on_agent_working(&host, &message).is_err());
    assert!(host.requests.borrow().is_empty());
}

#[test]
fn a_stored_message_needs_nothing() {
    let host = FakeHost::default();
    on_message_persisted(&host, &received("message-create-dm.json")).expect("ok");
    assert!(host.requests.borrow().is_empty());
}

#[test]
fn attachments_download_from_their_cdn_url_without_a_token() {
    let host = FakeHost::default();
    let message = received("message-create-guild-mention.json");
    for attachment in &message.attachments {
        let request = download_request(&host, attachment).expect("planned");
        assert_eq!(request.method, "GET");
        assert_eq!(request.url, attachment.reference);
        assert!(request.headers.is_empty());
        assert_eq!(request.body.bytes(), Some(&b""[..]));
    }
    assert!(host.requests.borrow().is_empty());
}

#[test]
fn a_reference_that_is_not_a_url_cannot_be_downloaded() {
    let host = FakeHost::default();
    let mut attachment = received("message-create-voice.json").attachments[0].clone();
    attachment.reference = "1235217125104734218".to_owned();
    let failure = download_request(&host, &attachment).expect_err("not a url");
    assert!(!failure.retryable);
}
