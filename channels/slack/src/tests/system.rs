//! Service events: stored as `System`, never a person's message to answer.

use switchboard_channel_sdk::{Kind, SenderKind};

use super::*;

#[test]
fn a_channel_join_is_a_system_message_even_when_the_bot_joins() {
    let m = emitted("slack-web-joinChannel.json");
    assert_eq!(m.kind, Kind::System);
    assert_eq!(m.external_id, "C043KSKGJUB:1664222685.728809");
    assert_eq!(m.conversation_id, "C043KSKGJUB");
    assert_eq!(m.sender_id, "U0442US8QGH");
    // The joining user is this app's bot user (`authorizations`).
    assert_eq!(m.sender_kind, SenderKind::ThisBot);
    assert_eq!(
        m.text.as_deref(),
        Some("<@U0442US8QGH> has joined the channel")
    );
    assert!(!m.mentions_bot);
    assert_eq!(metadata(&m)["subtype"], "channel_join");
}

#[test]
fn a_topic_change_is_a_system_message_from_the_person_who_made_it() {
    let m = emitted("slackdocs-message-channel_topic.json");
    assert_eq!(m.kind, Kind::System);
    assert_eq!(m.sender_kind, SenderKind::User);
    assert_eq!(m.sender_id, "U2147483828");
    assert_eq!(m.external_id, "C123ABC456:1358877455.000010");
}

#[test]
fn a_deletion_is_ignored() {
    let host = deliver(JSON, &fixture("slack-web-message_deleted.json"));
    ignored(&host, "message subtype message_deleted");
}
