//! Button taps and menu choices.

use switchboard_channel_sdk::{ButtonPress, ChatType, Kind, SenderKind};

use super::*;

#[test]
fn a_button_tap_carries_its_value_and_label() {
    let m = emitted("bolt-python-block_actions-button.body.txt");
    assert_eq!(m.kind, Kind::Button);
    assert_eq!(
        m.button,
        Some(ButtonPress {
            payload: "click_me_123".to_owned(),
            label: Some("Button".to_owned()),
        })
    );
    assert_eq!(m.external_id, "C111:1596530385.194939");
    assert_eq!(m.conversation_id, "C111");
    assert_eq!(m.reply_to.as_deref(), Some("C111:111.222"));
    assert_eq!(m.sender_id, "W111");
    assert_eq!(m.sender_kind, SenderKind::User);
    assert_eq!(m.chat_type, ChatType::Group);
    assert!(
        m.mentions_bot,
        "a tap on the app's message addresses the app"
    );
    assert!(!m.metadata.contains("random-value"), "response_url leaked");
    assert!(!m.metadata.contains("verification_token"), "token leaked");
}

#[test]
fn a_menu_choice_in_a_direct_message_thread_is_a_button_press_in_that_thread() {
    let m = emitted("slackdocs-block_actions-static_select.body.txt");
    assert_eq!(m.kind, Kind::Button);
    assert_eq!(
        m.button,
        Some(ButtonPress {
            payload: "glinda".to_owned(),
            label: Some("Glinda".to_owned()),
        })
    );
    assert_eq!(m.chat_type, ChatType::Direct);
    assert_eq!(m.thread_id.as_deref(), Some("1596530200.000050"));
    assert_eq!(m.conversation_id, "D111:1596530200.000050");
}
