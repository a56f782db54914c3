//! Reactions: recorded against the reacted message's external id.

use serde_json::json;
use switchboard_channel_sdk::{ChatType, Kind, Reaction, SenderKind};

use super::*;

#[test]
fn an_added_reaction_points_at_the_message() {
    let m = emitted("slackdocs-reaction_added.json");
    assert_eq!(m.kind, Kind::Reaction);
    assert_eq!(
        m.reaction,
        Some(Reaction {
            target: "C123ABC456:1360782400.498405".to_owned(),
            emoji: "thumbsup".to_owned(),
            removed: false,
        })
    );
    assert_eq!(
        m.external_id,
        "C123ABC456:1360782400.498405:reaction:U123ABC456:thumbsup:added:1360782804.083113"
    );
    assert_eq!(m.conversation_id, "C123ABC456");
    assert_eq!(m.sender_id, "U123ABC456");
    assert_eq!(m.sender_kind, SenderKind::User);
    assert_eq!(m.text, None);
    assert_eq!(m.timestamp, 1_360_782_804);
    assert_eq!(m.chat_type, ChatType::Group);
    assert_eq!(metadata(&m)["item_user"], "U222222222");
}

#[test]
fn a_removed_reaction_is_its_own_record() {
    let added = emitted("slackdocs-reaction_added.json");
    let removed = emitted("slackdocs-reaction_removed.json");
    assert_eq!(removed.kind, Kind::Reaction);
    let reaction = removed.reaction.as_ref().expect("reaction");
    assert!(reaction.removed);
    assert_eq!(reaction.target, added.reaction.expect("reaction").target);
    assert_ne!(removed.external_id, added.external_id);
    assert!(removed.external_id.contains(":removed:"));
}

#[test]
fn a_reaction_in_a_direct_message_and_to_the_bots_message() {
    // The older envelope names no bot user, so no message is known as the bot's.
    let m = emitted("slackeventsapi-reaction_added.json");
    assert_eq!(m.chat_type, ChatType::Direct);
    assert_eq!(
        m.reaction.as_ref().map(|r| r.target.as_str()),
        Some("D2AQCJCQ2:1477958101.000004")
    );
    assert!(!m.mentions_bot);
    // With `authorizations` naming the author of the reacted message as the bot.
    let mut to_bot = fixture_json("slackeventsapi-reaction_added.json");
    to_bot["authorizations"] = json!([{"user_id": "U299ATJ2X", "is_bot": true}]);
    assert!(deliver_json(&to_bot).emitted.borrow()[0].mentions_bot);
}

#[test]
fn reactions_to_files_and_this_apps_own_are_ignored() {
    let host = deliver(JSON, &fixture("slackdocs-reaction_added-file.json"));
    ignored(&host, "reaction_added to a file item");
    // The app's acknowledgement reaction, reported back.
    let mut own = fixture_json("slackdocs-reaction_added.json");
    own["authorizations"][0]["is_bot"] = json!(true);
    ignored(&deliver_json(&own), "reaction_added by this app");
}
