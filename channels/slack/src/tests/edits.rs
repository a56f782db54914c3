//! Edits: the original's external id, and the time Slack says the edit was made.

use serde_json::json;

use super::*;

/// The morphism fixture with its author made a person: as published, its
/// `authorizations` name the author as this app's bot user.
fn edit_by_a_person() -> Value {
    let mut edit = fixture_json("slack-morphism-message_changed.json");
    edit["authorizations"][0]["user_id"] = json!("UBOT");
    edit
}

#[test]
fn an_edit_replaces_the_original_with_the_time_of_the_edit() {
    let host = deliver_json(&edit_by_a_person());
    let m = &host.emitted.borrow()[0];
    assert!(m.is_edit);
    assert_eq!(m.external_id, "CXXXXXXXXXX:1701735043.989889");
    assert_eq!(m.text.as_deref(), Some("edited message"));
    // `message.edited.ts` is "1701743154.000000".
    assert_eq!(m.edited_at_ms, Some(1_701_743_154_000));
    assert_eq!(m.timestamp, 1_701_735_043);
}

#[test]
fn edits_delivered_out_of_order_keep_their_own_times() {
    let mut earlier = edit_by_a_person();
    earlier["event"]["message"]["edited"]["ts"] = json!("1701743100.123456");
    earlier["event"]["message"]["text"] = json!("first edit");
    let later = edit_by_a_person();
    // The later edit arrives first; each says when it was made, so the host
    // keeps the later one.
    let later = deliver_json(&later).emitted.borrow()[0].clone();
    let earlier = deliver_json(&earlier).emitted.borrow()[0].clone();
    assert_eq!(later.external_id, earlier.external_id);
    assert_eq!(earlier.edited_at_ms, Some(1_701_743_100_123));
    assert!(later.edited_at_ms > earlier.edited_at_ms);
}

#[test]
fn an_unfurl_is_not_an_edit() {
    let host = deliver(JSON, &fixture("slack-web-messageChange.json"));
    ignored(&host, "message_changed without a text change");
}
