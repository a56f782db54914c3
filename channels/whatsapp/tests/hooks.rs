//! The hooks after a message is stored: read receipts for what people sent
//! (`on_message_persisted`) and the typing indicator while the agent works on an
//! answer (`on_agent_working`), for messages parsed from public example payloads.

mod common;

use common::{fixture_bytes, only_message};
use serde_json::Value;
use switchboard_channel_sdk::fake::{FakeHost, ok};
use switchboard_channel_whatsapp::native::{self, Inbound};

const SUCCESS: &str = r#"{"success":true}"#;

fn bodies(host: &FakeHost) -> Vec<Value> {
    host.sent_bodies()
}

fn text_message() -> Inbound {
    let (host, _) = common::deliver(&fixture_bytes("meta-docs-text-message.json"));
    host.emitted.take().remove(0)
}

#[test]
fn messages_people_sent_are_marked_read_without_typing() {
    let tapped = only_message("pywa-updates-callback_button.json", "quick_reply");
    for message in [text_message(), tapped] {
        let host = FakeHost::answering(vec![ok(SUCCESS)]);
        native::on_message_persisted(&host, &message).expect("marked read");
        let sent = bodies(&host);
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0]["status"], "read");
        assert_eq!(sent[0]["message_id"], message.external_id.as_str());
        assert!(sent[0].get("typing_indicator").is_none(), "{sent:?}");
    }
}

#[test]
fn notices_reactions_and_the_business_own_messages_are_not_marked_read() {
    let not_read = [
        only_message("pywa-updates-system-user_id_change.json", "identity_change"),
        only_message("pywa-updates-message.json", "reaction"),
        only_message("meta-docs-group-messages.json", "business_text"),
    ];
    for message in not_read {
        let host = FakeHost::default();
        assert_eq!(native::on_message_persisted(&host, &message), Ok(()));
        assert!(host.requests.borrow().is_empty(), "{message:?}");
    }
}

#[test]
fn the_typing_indicator_is_the_documented_request() {
    // Meta's example marks this message of 106540352242922 read with "typing…".
    let documented: Value =
        serde_json::from_slice(&fixture_bytes("meta-docs-typing-indicator.request.json"))
            .expect("fixture is JSON");
    let mut message = text_message();
    message.external_id = documented["message_id"]
        .as_str()
        .expect("message_id")
        .to_owned();

    let host = FakeHost::answering(vec![ok(SUCCESS)]);
    native::on_agent_working(&host, &message).expect("typing shown");
    let requests = host.requests.borrow();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method, "POST");
    assert_eq!(
        requests[0].url,
        "https://graph.facebook.com/v23.0/106540352242922/messages"
    );
    drop(requests);
    assert_eq!(bodies(&host), [documented]);
}

#[test]
fn typing_in_a_group_goes_through_the_business_number() {
    let message = only_message("meta-docs-group-messages.json", "mention_of_business");
    let host = FakeHost::answering(vec![ok(SUCCESS)]);
    native::on_agent_working(&host, &message).expect("typing shown");
    assert!(
        host.requests.borrow()[0]
            .url
            .ends_with("/106540352242922/messages")
    );
    assert_eq!(bodies(&host)[0]["typing_indicator"]["type"], "text");
}
