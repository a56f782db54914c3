//! Shared helpers: reading the public example payloads and running them through
//! the channel's entry points against the SDK's fake host.

#![allow(dead_code, reason = "each test binary uses a different subset")]

use serde_json::Value;
use switchboard_channel_sdk::fake::FakeHost;
use switchboard_channel_whatsapp::native::{self, Inbound, Response, Webhook};

/// A file of `tests/fixtures/whatsapp`, as bytes.
pub(crate) fn fixture_bytes(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../tests/fixtures/whatsapp/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|err| panic!("read {path}: {err}"))
}

/// A fixture keyed by case name (the pywa layout); the case's webhook body.
pub(crate) fn case(file: &str, case: &str) -> Vec<u8> {
    let cases: Value = serde_json::from_slice(&fixture_bytes(file)).expect("fixture is JSON");
    let payload = cases
        .get(case)
        .unwrap_or_else(|| panic!("{file} has no case {case}"));
    payload.to_string().into_bytes()
}

/// Posts `body` to the channel as a verified webhook delivery.
pub(crate) fn deliver(body: &[u8]) -> (FakeHost, Response) {
    let host = FakeHost::default();
    let response = native::on_http_request(
        &host,
        &Webhook {
            method: "POST",
            path: "",
            query: "",
            headers: &[],
            body,
        },
    );
    (host, response)
}

/// Delivers one case and returns the single message it emitted, checking that
/// Meta got its 200 and nothing was dead-lettered.
pub(crate) fn only_message(file: &str, name: &str) -> Inbound {
    let (host, response) = deliver(&case(file, name));
    assert_eq!(response.status, 200, "{file} {name}");
    assert!(
        host.dead_letters.borrow().is_empty(),
        "{file} {name}: {:?}",
        host.dead_letters.borrow()
    );
    let mut emitted = host.emitted.take();
    assert_eq!(emitted.len(), 1, "{file} {name}: {emitted:?}");
    emitted.remove(0)
}

/// The metadata object of a message.
pub(crate) fn metadata(message: &Inbound) -> Value {
    serde_json::from_str(&message.metadata).expect("metadata is JSON")
}
