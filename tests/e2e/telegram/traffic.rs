//! Real-traffic semantics through the daemon, from public example updates: button
//! taps, edits arriving late or of messages never seen, service messages and
//! reactions. Only what a person wrote to the bot is answered, and "typing" shows
//! only when an answer is coming.

use serde_json::json;

use super::{private_chat, setup, update};
use crate::harness::fixture_json;

#[tokio::test]
async fn a_button_tap_is_stored_as_a_press_its_spinner_stopped_and_answered() {
    let s = setup().await;
    let tap = fixture_json("telegram/bloodcell-callback-query.json");
    s.deliver(&tap).await;

    let messages = s.daemon.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    let m = &messages[0];
    assert_eq!(m["kind"], "button");
    assert_eq!(m["external_id"], "callback:4278655576057498272");
    assert_eq!(m["conversation_id"], "996202131");
    assert_eq!(m["button"]["payload"], "button2_bijoy");
    assert_eq!(m["button"]["label"], "Button 2");
    assert_eq!(m["no_turn"], serde_json::Value::Null);

    // The agent is asked (echo answers with the label) and the client's spinner is
    // stopped with answerCallbackQuery.
    s.expect_outbound(1, 1).await;
    assert_eq!(s.sent()[0]["text"], "Button 2");
    let answered = s.calls("answerCallbackQuery");
    assert_eq!(answered.len(), 1, "{:?}", s.mock.requests());
    assert_eq!(
        answered[0].json()["callback_query_id"],
        "4278655576057498272"
    );

    // Telegram redelivers until it gets a 200: the tap is stored and answered once.
    s.deliver(&tap).await;
    s.daemon.wait_idle().await;
    assert_eq!(s.daemon.messages().len(), 1);
    assert_eq!(s.calls("answerCallbackQuery").len(), 1);
    assert_eq!(s.sent().len(), 1);
}

fn edit(message_id: i64, text: &str, edit_date: i64) -> serde_json::Value {
    let mut edit = update("edited_message", private_chat(), message_id, text);
    edit["update_id"] = json!(600_000 + edit_date);
    edit["edited_message"]["edit_date"] = json!(edit_date);
    edit
}

#[tokio::test]
async fn the_newest_edit_wins_and_late_or_repeated_edits_change_nothing() {
    let s = setup().await;
    s.deliver(&update("message", private_chat(), 40, "frist"))
        .await;
    s.expect_outbound(1, 1).await;

    s.deliver(&edit(40, "first, really", 1_700_000_200)).await;
    // An older edit redelivered late, and the newest one redelivered.
    s.deliver(&edit(40, "first", 1_700_000_100)).await;
    s.deliver(&edit(40, "first, really", 1_700_000_200)).await;

    let messages = s.daemon.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(messages[0]["text"], "first, really");
    assert_eq!(messages[0]["platform_edited_at_ms"], 1_700_000_200_000_i64);
    // Edits are never answered and never show "typing".
    s.expect_outbound(1, 1).await;
}

#[tokio::test]
async fn an_edit_of_a_message_never_seen_is_kept_and_not_answered() {
    let s = setup().await;
    s.deliver(&edit(7, "changed my mind", 1_700_000_300)).await;

    let messages = s.daemon.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(messages[0]["is_edit"], true);
    assert_eq!(messages[0]["no_turn"], "edit");
    s.daemon.wait_idle().await;
    assert!(
        s.mock.requests().is_empty(),
        "no reply, no typing: {:?}",
        s.mock.requests()
    );
}

#[tokio::test]
async fn service_messages_and_reactions_are_stored_without_typing_or_a_reply() {
    let s = setup().await;
    for fixture in [
        "telegram/teloxide-pinned-message.json",
        "telegram/teloxide-migrate-to-chat-id.json",
        "telegram/teloxide-video-chat-started.json",
        "telegram/teloxide-forum-topic-created.json",
        "telegram/teloxide-message-reaction-added.json",
    ] {
        s.deliver(&fixture_json(fixture)).await;
    }

    let messages = s.daemon.messages();
    assert_eq!(messages.len(), 5, "{messages:?}");
    let reaction = messages
        .iter()
        .find(|m| m["kind"] == "reaction")
        .expect("the reaction is recorded");
    assert_eq!(reaction["no_turn"], "reaction");
    assert_eq!(reaction["reaction"]["target"], "-1002184233434:35");
    assert_eq!(reaction["reaction"]["emoji"], "🌭");
    assert_eq!(reaction["reaction"]["removed"], false);
    for m in messages.iter().filter(|m| m["kind"] != "reaction") {
        assert_eq!(m["kind"], "system", "{m}");
        assert_eq!(m["no_turn"], "service-event", "{m}");
    }
    s.daemon.wait_idle().await;
    assert!(
        s.mock.requests().is_empty(),
        "a service event or a reaction got typing or a reply: {:?}",
        s.mock.requests()
    );
}
