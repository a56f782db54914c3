//! Where a message was written, whether it addresses the bot, and its thread.

use serde_json::json;
use switchboard_channel_sdk::ChatType;

use super::*;

#[test]
fn slack_channel_types_become_chat_types() {
    assert_eq!(
        emitted("slackdocs-message-im.json").chat_type,
        ChatType::Direct
    );
    assert_eq!(
        emitted("bolt-python-message-file_share.json").chat_type,
        ChatType::Group
    );
    for (channel_type, chat_type) in [
        ("group", ChatType::Group),
        ("mpim", ChatType::Group),
        ("app_home", ChatType::Unknown),
    ] {
        let mut im = fixture_json("slackdocs-message-im.json");
        im["event"]["channel_type"] = json!(channel_type);
        let host = deliver_json(&im);
        assert_eq!(
            host.emitted.borrow()[0].chat_type,
            chat_type,
            "{channel_type}"
        );
    }
}

#[test]
fn app_mentions_are_group_messages_unless_in_a_direct_message() {
    let mention = emitted("slackdocs-app_mention.json");
    assert_eq!(mention.chat_type, ChatType::Group);
    assert!(mention.mentions_bot);
    let mut in_dm = fixture_json("slackdocs-app_mention.json");
    in_dm["event"]["channel"] = json!("D123ABC456");
    let host = deliver_json(&in_dm);
    let m = &host.emitted.borrow()[0];
    assert_eq!(m.chat_type, ChatType::Direct);
    assert!(m.mentions_bot);
}

#[test]
fn both_deliveries_of_an_at_mention_say_the_bot_is_mentioned() {
    // Slack's app_mention example, delivered to the app whose bot user it names,
    // and the `message` event Slack sends for the same post.
    let mut mention = fixture_json("slackdocs-app_mention.json");
    mention["authorizations"][0]["user_id"] = json!("U0LAN0Z89");
    mention["authorizations"][0]["is_bot"] = json!(true);
    let mut twin = mention.clone();
    twin["event"]["type"] = json!("message");
    twin["event"]["channel_type"] = json!("channel");
    twin["event_id"] = json!("Ev123ABC457");
    for order in [[&mention, &twin], [&twin, &mention]] {
        let first = deliver_json(order[0]).emitted.borrow()[0].clone();
        let second = deliver_json(order[1]).emitted.borrow()[0].clone();
        assert_eq!(first.external_id, "C123ABC456:1515449522.000016");
        assert_eq!(second.external_id, first.external_id, "one stored message");
        assert!(first.mentions_bot && second.mentions_bot);
        assert_eq!(first.chat_type, ChatType::Group);
        assert_eq!(second.chat_type, ChatType::Group);
    }
    // Without the mention, the `message` event does not address the bot.
    twin["event"]["text"] = json!("is it everything a river should be?");
    assert!(!deliver_json(&twin).emitted.borrow()[0].mentions_bot);
}

#[test]
fn a_reply_in_a_thread_the_bot_started_addresses_the_bot() {
    let mut reply = fixture_json("bolt-python-assistant-user_message_with_assistant_thread.json");
    assert!(!deliver_json(&reply).emitted.borrow()[0].mentions_bot);
    // The thread's parent written by this app's bot user (`authorizations`).
    reply["event"]["parent_user_id"] = json!("W111");
    assert!(deliver_json(&reply).emitted.borrow()[0].mentions_bot);
}

#[test]
fn thread_replies_carry_their_thread() {
    let m = emitted("bolt-python-assistant-user_message_with_assistant_thread.json");
    assert_eq!(m.thread_id.as_deref(), Some("1726133698.626339"));
    assert_eq!(m.conversation_id, "D111:1726133698.626339");
    assert_eq!(m.reply_to.as_deref(), Some("D111:1726133698.626339"));
    assert_eq!(m.chat_type, ChatType::Direct);
    assert_eq!(emitted("slackdocs-message-im.json").thread_id, None);
}
