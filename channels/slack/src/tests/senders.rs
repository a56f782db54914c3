//! Who wrote a message: a person, another bot, or this app (whose echoes are
//! not stored).

use serde_json::json;
use switchboard_channel_sdk::SenderKind;

use super::*;

#[test]
fn people_are_users() {
    let m = emitted("slackdocs-message-im.json");
    assert_eq!(m.sender_kind, SenderKind::User);
    assert_eq!(m.sender_id, "U2147483697");
}

#[test]
fn other_integrations_are_bots_and_are_stored() {
    let reacji = emitted("slack-web-message_subtype_bot_message.json");
    assert_eq!(reacji.sender_kind, SenderKind::Bot);
    assert_eq!(reacji.sender_id, "B07JWPS5Y5S");
    assert_eq!(reacji.sender_name.as_deref(), Some("Reacji Channeler"));
    assert_eq!(reacji.external_id, "C07KH38CR5E:1724955010.440469");
    assert_eq!(metadata(&reacji)["app_id"], "A1BFDR28J");

    let classic = emitted("bolt-python-message-classic_bot_message.json");
    assert_eq!(classic.sender_kind, SenderKind::Bot);
    assert_eq!(classic.sender_id, "B888");
    assert_eq!(classic.sender_name.as_deref(), Some("classic-bot"));
}

#[test]
fn this_apps_echoed_reply_and_edit_are_not_stored() {
    // The app's own thread reply, as Slack delivers it back.
    let host = deliver(JSON, &fixture("slack-web-botMessage.json"));
    ignored(&host, "message from this app");
    // The same, known only by its app id.
    let mut by_app = fixture_json("slack-web-botMessage.json");
    by_app["event"]["user"] = json!("U0SOMEONE");
    by_app["authorizations"] = json!([]);
    ignored(&deliver_json(&by_app), "message from this app");
    let host = deliver(JSON, &fixture("slack-morphism-message_changed_by_bot.json"));
    ignored(&host, "edit of a message from this app");
}

#[test]
fn a_persons_message_without_an_author_is_kept_as_a_dead_letter() {
    let mut im = fixture_json("slackdocs-message-im.json");
    im["event"].as_object_mut().expect("event").remove("user");
    let host = deliver_json(&im);
    assert!(host.emitted.borrow().is_empty());
    assert_eq!(
        *host.dead_letters.borrow(),
        ["message event without user".to_owned()]
    );
}
