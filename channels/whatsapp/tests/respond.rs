//! Replies through the channel's `on_respond`: where they go for the
//! conversations the channel emits, and why a conversation id is refused.

mod common;

use common::only_message;
use serde_json::json;
use switchboard_channel_sdk::fake::{FakeHost, ok};
use switchboard_channel_whatsapp::native::{self, Inbound, Reply};

const SENT: &str = r#"{"messaging_product":"whatsapp","messages":[{"id":"wamid.OUT"}]}"#;

fn answer_to(message: Inbound, text: &str) -> Reply {
    Reply {
        conversation_id: message.conversation_id.clone(),
        text: text.into(),
        in_reply_to: Some(message),
        idempotency_key: "reply-1".into(),
        ..Reply::default()
    }
}

#[test]
fn a_group_message_is_answered_in_the_group() {
    let message = only_message("meta-docs-group-messages.json", "mention_of_business");
    let quoted = message.external_id.clone();
    let host = FakeHost::answering(vec![ok(SENT)]);
    let sent = native::on_respond(&host, &answer_to(message, "Yes, in blue.")).expect("sent");
    assert_eq!(sent.as_deref(), Some("wamid.OUT"));
    assert_eq!(
        host.sent_bodies(),
        [json!({
            "messaging_product": "whatsapp",
            "recipient_type": "group",
            "to": "Y2FwaV9ncm91cDoxNzA1NTU1MDEzOToxMjAzNjM0MDQ2OTQyMzM4MjAZD",
            "type": "text",
            "text": { "preview_url": false, "body": "Yes, in blue." },
            "context": { "message_id": quoted },
        })]
    );
    assert!(
        host.requests.borrow()[0]
            .url
            .ends_with("/106540352242922/messages")
    );
}

#[test]
fn a_username_user_is_answered_by_business_scoped_id() {
    let message = only_message("meta-docs-bsuid-messages.json", "username_text");
    let host = FakeHost::answering(vec![ok(SENT)]);
    native::on_respond(&host, &answer_to(message, "Yes.")).expect("sent");
    let body = &host.sent_bodies()[0];
    assert_eq!(body["recipient"], "US.13491208655302741918");
    assert_eq!(body["recipient_type"], "individual");
    assert!(body.get("to").is_none());
}

#[test]
fn a_malformed_conversation_id_is_refused_saying_which_part_and_why() {
    let cases = [
        (
            "abc:123",
            "conversation id `abc:123`: the phone number id `abc` must be digits",
        ),
        (
            "106540352242922",
            "conversation id `106540352242922`: there is no `:` between the phone number id \
             and the user (expected `<phone_number_id>:<user>`)",
        ),
        (
            ":16505551234",
            "conversation id `:16505551234`: the phone number id before `:` is empty",
        ),
        (
            "106540352242922:",
            "conversation id `106540352242922:`: the user after `:` is empty",
        ),
        (
            "106540352242922:group:",
            "conversation id `106540352242922:group:`: the group id after `group:` is empty",
        ),
    ];
    for (conversation_id, why) in cases {
        let host = FakeHost::default();
        let reply = Reply {
            conversation_id: conversation_id.into(),
            text: "hello".into(),
            idempotency_key: "first-contact".into(),
            ..Reply::default()
        };
        let failure = native::on_respond(&host, &reply).expect_err(conversation_id);
        assert!(!failure.retryable, "{conversation_id}");
        assert_eq!(
            failure.message,
            format!("{why}, and no answered message says where to reply")
        );
        assert!(host.requests.borrow().is_empty(), "{conversation_id}");
    }
}
