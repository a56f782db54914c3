//! Helpers shared by the tests: the recorded payloads under
//! `tests/fixtures/discord/` (their README names the source of each).

use serde_json::Value;
use switchboard_channel_sdk::Inbound;

/// The bot's user id in the recorded READY and in every payload that mentions the
/// bot or was written by it.
pub(crate) const BOT_ID: &str = "1100000000000000001";

/// A fixture's text.
pub(crate) fn fixture_text(name: &str) -> String {
    let path = format!(
        "{}/../../tests/fixtures/discord/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"))
}

/// A fixture as JSON.
pub(crate) fn fixture_json(name: &str) -> Value {
    serde_json::from_str(&fixture_text(name)).expect("fixture is JSON")
}

/// A message's metadata as JSON.
pub(crate) fn metadata(message: &Inbound) -> Value {
    serde_json::from_str(&message.metadata).expect("metadata is JSON")
}
