//! Real-traffic semantics through the daemon, from public example payloads:
//! business-scoped user ids, a message with no sender, the business's own messages,
//! reactions, system notices and button replies.

use serde_json::{Value, json};

use super::{delivery, entry, setup, setup_with_access, text_message};
use crate::harness::fixture_json;

#[tokio::test]
async fn a_business_scoped_user_is_answered_and_a_message_with_no_sender_is_dead_lettered() {
    let s = setup().await;
    let examples = fixture_json("whatsapp/meta-docs-bsuid-messages.json");
    let body = serde_json::to_vec(&examples["username_text"]).expect("json");
    assert_eq!(s.post_signed(&body).await, 200);

    let messages = s.daemon.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(messages[0]["sender_id"], "US.13491208655302741918");
    assert_eq!(messages[0]["sender_name"], "Sheena Nelson");
    assert_eq!(messages[0]["no_turn"], Value::Null);
    s.expect_outbound(1, 1).await;

    // A person's message the channel cannot attribute is kept for replay, never only
    // logged, and the platform still gets its 200.
    let body = serde_json::to_vec(&examples["no_sender"]).expect("json");
    assert_eq!(s.post_signed(&body).await, 200);
    assert_eq!(s.daemon.messages().len(), 1, "nothing new is stored");
    let letters = s.daemon.json_lines(&["dead-letters", "list", "--json"]);
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert_eq!(letters[0]["kind"], "delivery");
    let error = letters[0]["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0SAA=")
            && error.contains("no sender"),
        "the reason names the message and what is missing: {error}"
    );
    assert!(
        s.daemon.log().contains("kept as a dead letter"),
        "{}",
        s.daemon.log()
    );
    s.expect_outbound(1, 1).await;
}

#[tokio::test]
async fn own_messages_reactions_and_system_notices_are_stored_and_not_answered() {
    let s = setup().await;
    // The business's own number (the display number of `entry`) writing.
    let own = text_message("wamid.OWN", "15550783881", "sent from the phone app");
    let reaction = json!({
        "from": "16505551234", "id": "wamid.REACT", "timestamp": "1749416390",
        "type": "reaction", "reaction": { "message_id": "wamid.OWN", "emoji": "👍" }
    });
    let unreaction = json!({
        "from": "16505551234", "id": "wamid.UNREACT", "timestamp": "1749416391",
        "type": "reaction", "reaction": { "message_id": "wamid.OWN" }
    });
    let body = delivery(vec![entry(
        "106540352242922",
        vec![own, reaction, unreaction],
        vec![],
    )]);
    assert_eq!(s.post_signed(&body).await, 200);
    let system = serde_json::to_vec(
        &fixture_json("whatsapp/pywa-updates-system.json")["phone_number_change"],
    )
    .expect("json");
    assert_eq!(s.post_signed(&system).await, 200);

    let messages = s.daemon.messages();
    let by_id = |id: &str| -> Value {
        messages
            .iter()
            .find(|m| m["external_id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id} not stored among {messages:?}"))
    };
    assert_eq!(by_id("wamid.OWN")["sender_kind"], "this_bot");
    assert_eq!(by_id("wamid.OWN")["no_turn"], "from-self");
    let reaction = by_id("wamid.REACT");
    assert_eq!(reaction["kind"], "reaction");
    assert_eq!(reaction["text"], Value::Null, "no emoji to echo back");
    assert_eq!(reaction["reaction"]["target"], "wamid.OWN");
    assert_eq!(reaction["reaction"]["removed"], false);
    assert_eq!(by_id("wamid.UNREACT")["reaction"]["removed"], true);
    assert_eq!(by_id("wamid.UNREACT")["no_turn"], "reaction");
    let system: Vec<_> = messages.iter().filter(|m| m["kind"] == "system").collect();
    assert_eq!(system.len(), 1, "{messages:?}");
    assert_eq!(system[0]["no_turn"], "service-event");

    // No read receipt, no typing, no reply for any of them.
    s.daemon.wait_idle().await;
    assert!(
        s.mock.requests().is_empty(),
        "{:?}",
        s.mock
            .requests()
            .iter()
            .map(|r| r.json())
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn a_button_reply_is_a_button_press_that_the_agent_answers() {
    let s = setup().await;
    let examples = fixture_json("whatsapp/pywa-updates-callback_button.json");
    let body = serde_json::to_vec(&examples["button"]).expect("json");
    assert_eq!(s.post_signed(&body).await, 200);

    let messages = s.daemon.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    let m = &messages[0];
    assert_eq!(m["kind"], "button");
    assert_eq!(m["button"]["payload"], "callback_data");
    assert_eq!(m["button"]["label"], "title");
    s.expect_outbound(1, 1).await;
    assert_eq!(s.sends()[0]["text"]["body"], "title");
}

#[tokio::test]
async fn under_the_default_policy_a_stranger_gets_a_pairing_code_and_no_answer() {
    let s = setup_with_access("\n[channels.wa.access]\n").await;
    let body = delivery(vec![entry(
        "106540352242922",
        vec![text_message(
            "wamid.STRANGER",
            "16505550000",
            "who are you?",
        )],
        vec![],
    )]);
    assert_eq!(s.post_signed(&body).await, 200);
    // A read receipt, then the code instead of an answer (no typing: no turn).
    s.expect_outbound(1, 1).await;
    let notice = s.sends()[0]["text"]["body"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(notice.contains("pairing code"), "{notice}");
    assert!(s.typings().is_empty());
    let listed = s.daemon.json_lines(&["pairing", "list", "--json"]);
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["sender_id"], "16505550000");
    assert_eq!(listed[0]["sender_name"], "Sheena Nelson");
    assert!(notice.contains(listed[0]["code"].as_str().unwrap_or("?")));
}
