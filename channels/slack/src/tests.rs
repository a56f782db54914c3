//! Channel-level tests: public example payloads (see the fixtures' README)
//! delivered through the webhook handler as the host delivers them, and the
//! hooks run on what was emitted.

mod attachments;
mod buttons;
mod chat_and_mentions;
mod edits;
mod hooks;
mod reactions;
mod senders;
mod system;

use serde_json::Value;
use switchboard_channel_sdk::Inbound;
use switchboard_channel_sdk::fake::FakeHost;

use crate::webhook::handle;

const JSON: &str = "application/json";
const FORM: &str = "application/x-www-form-urlencoded";

pub(crate) fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../tests/fixtures/slack/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {path}: {e}"))
}

fn fixture_json(name: &str) -> Value {
    serde_json::from_slice(&fixture(name)).expect("fixture is JSON")
}

/// Posts `body` to a fresh host and returns it, after checking Slack gets a 200.
fn deliver(content_type: &str, body: &[u8]) -> FakeHost {
    let host = FakeHost::default();
    let headers = vec![("content-type".to_owned(), content_type.to_owned())];
    let response = handle(&host, "POST", &headers, body);
    assert_eq!(response.status, 200, "logs: {:?}", host.logs.borrow());
    host
}

fn deliver_json(event: &Value) -> FakeHost {
    deliver(JSON, event.to_string().as_bytes())
}

/// What the host stores for one fixture that carries exactly one message.
pub(crate) fn emitted(name: &str) -> Inbound {
    let content_type = if name.ends_with(".txt") { FORM } else { JSON };
    let host = deliver(content_type, &fixture(name));
    let emitted = host.emitted.borrow();
    assert_eq!(emitted.len(), 1, "{name}: {:?}", host.logs.borrow());
    emitted[0].clone()
}

/// A fixture that carries nothing to store: nothing emitted, nothing
/// dead-lettered, and the reason logged at debug level.
fn ignored(host: &FakeHost, reason: &str) {
    assert!(
        host.emitted.borrow().is_empty(),
        "{:?}",
        host.emitted.borrow()
    );
    assert!(host.dead_letters.borrow().is_empty());
    assert!(
        host.logged(switchboard_channel_sdk::Level::Debug, reason),
        "{:?}",
        host.logs.borrow()
    );
}

fn metadata(message: &Inbound) -> Value {
    serde_json::from_str(&message.metadata).expect("metadata is JSON")
}
