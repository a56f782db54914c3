//! Webhook deliveries from public example payloads, through the channel's
//! `on_http_request`: what the host is handed for each kind of real traffic.

mod common;

use common::{case, deliver, fixture_bytes, metadata, only_message};
use switchboard_channel_whatsapp::native::{
    Attachment, AttachmentKind, ButtonPress, ChatType, Kind, Reaction, SenderKind,
};

const GROUPS: &str = "meta-docs-group-messages.json";
const GROUP_ID: &str = "Y2FwaV9ncm91cDoxNzA1NTU1MDEzOToxMjAzNjM0MDQ2OTQyMzM4MjAZD";
const BSUIDS: &str = "meta-docs-bsuid-messages.json";
const PYWA: &str = "pywa-updates-message.json";

#[test]
fn a_customer_chat_is_direct_unthreaded_and_never_a_mention() {
    let (host, response) = deliver(&fixture_bytes("meta-docs-text-message.json"));
    assert_eq!(response.status, 200);
    let message = &host.emitted.borrow()[0];
    assert_eq!(message.chat_type, ChatType::Direct);
    assert_eq!(message.sender_kind, SenderKind::User);
    assert!(!message.mentions_bot);
    assert_eq!(message.thread_id, None);

    // Quoting one of the business's messages is no mention in a one-to-one chat.
    let reply = only_message(PYWA, "reply");
    assert_eq!(metadata(&reply)["context"]["from"], "972123456789");
    assert_eq!(reply.chat_type, ChatType::Direct);
    assert!(!reply.mentions_bot);
}

#[test]
fn a_group_message_belongs_to_the_group_conversation() {
    let message = only_message(GROUPS, "member_text");
    assert_eq!(message.chat_type, ChatType::Group);
    assert_eq!(
        message.conversation_id,
        format!("106540352242922:group:{GROUP_ID}")
    );
    assert_eq!(message.sender_id, "+16505551234");
    assert_eq!(message.sender_name.as_deref(), Some("Sheena Nelson"));
    assert_eq!(message.sender_kind, SenderKind::User);
    assert_eq!(
        message.text.as_deref(),
        Some("What do you all think about this?")
    );
    assert!(!message.mentions_bot);
    assert_eq!(message.thread_id, None);
    assert_eq!(metadata(&message)["group_id"], GROUP_ID);
}

#[test]
fn group_messages_that_address_the_business_mention_it() {
    let reply = only_message(GROUPS, "reply_to_business");
    assert!(reply.mentions_bot);
    assert_eq!(
        reply.reply_to.as_deref(),
        Some("wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMQA=")
    );
    assert!(only_message(GROUPS, "mention_of_business").mentions_bot);
}

#[test]
fn the_business_own_number_is_this_bot() {
    let own = only_message(GROUPS, "business_text");
    assert_eq!(own.sender_kind, SenderKind::ThisBot);
    assert_eq!(own.sender_id, "15550783881");
    assert_eq!(own.chat_type, ChatType::Group);
    assert_eq!(
        own.conversation_id,
        format!("106540352242922:group:{GROUP_ID}")
    );
}

#[test]
fn a_username_user_is_keyed_by_business_scoped_id() {
    let message = only_message(BSUIDS, "username_text");
    assert_eq!(message.sender_id, "US.13491208655302741918");
    assert_eq!(
        message.conversation_id,
        "106540352242922:US.13491208655302741918"
    );
    assert_eq!(message.sender_name.as_deref(), Some("Sheena Nelson"));
    assert_eq!(message.sender_kind, SenderKind::User);
    let metadata = metadata(&message);
    assert_eq!(metadata["username"], "@sheenanelson");
    assert_eq!(metadata["parent_user_id"], "US.ENT.11815799212886844830");
    assert!(metadata.get("from").is_none());
}

#[test]
fn a_message_without_from_is_keyed_by_its_contact_user_id() {
    let shared = only_message(BSUIDS, "contact_request");
    assert_eq!(shared.kind, Kind::Contact);
    assert_eq!(shared.sender_id, "US.13491208655302741918");
    assert_eq!(
        shared.conversation_id,
        "106540352242922:US.13491208655302741918"
    );
}

#[test]
fn a_message_without_any_sender_is_dead_lettered_and_acknowledged() {
    let (host, response) = deliver(&case(BSUIDS, "no_sender"));
    assert_eq!(response.status, 200);
    assert!(host.emitted.borrow().is_empty());
    assert_eq!(
        *host.dead_letters.borrow(),
        [
            "whatsapp message wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0SAA= \
          has no sender: neither from nor from_user_id nor contacts[].user_id"
        ]
    );
}

#[test]
fn system_notices_are_system_messages_without_text() {
    const FILE: &str = "pywa-updates-system-user_id_change.json";
    let number = only_message(FILE, "phone_number_change");
    assert_eq!(number.kind, Kind::System);
    assert_eq!(number.text, None);
    assert_eq!(number.sender_id, "972987654321");
    assert_eq!(
        metadata(&number)["system"]["body"],
        "User A changed from 972987654321 to 972912345678"
    );

    // No sender at all: the notice is filed under the user's previous id, where
    // their history is, instead of being dead-lettered.
    let user_id = only_message(FILE, "user_id_change");
    assert_eq!(user_id.kind, Kind::System);
    assert_eq!(user_id.text, None);
    assert_eq!(user_id.conversation_id, "1122334455667:CO.1234567890");
    assert_eq!(metadata(&user_id)["system"]["user_id"], "MX.0987654321");

    let identity = only_message(FILE, "identity_change");
    assert_eq!(identity.kind, Kind::System);
    assert_eq!(
        metadata(&identity)["system"]["type"],
        "customer_identity_changed"
    );
}

#[test]
fn unsupported_messages_are_other() {
    for name in ["unsupported", "unsupported_with_type", "order"] {
        let message = only_message(PYWA, name);
        assert_eq!(message.kind, Kind::Other, "{name}");
        assert!(message.attachments.is_empty(), "{name}");
    }
}

#[test]
fn reactions_point_at_the_reacted_message_and_say_when_taken_back() {
    let added = only_message(PYWA, "reaction");
    assert_eq!(added.kind, Kind::Reaction);
    assert_eq!(added.text, None);
    assert_eq!(
        added.reaction,
        Some(Reaction {
            target: "wamid.yzxyzx=".into(),
            emoji: "\u{1f62e}".into(),
            removed: false,
        })
    );
    for name in ["unreaction_empty", "unreaction_no_emoji"] {
        let removed = only_message(PYWA, name);
        assert_eq!(removed.kind, Kind::Reaction, "{name}");
        assert_eq!(removed.text, None, "{name}");
        assert_eq!(
            removed.reaction,
            Some(Reaction {
                target: "wamid.yzxyzx=".into(),
                emoji: String::new(),
                removed: true,
            }),
            "{name}"
        );
    }
}

#[test]
fn button_taps_and_list_choices_are_button_presses_that_say_their_label() {
    let press = Some(ButtonPress {
        payload: "callback_data".into(),
        label: Some("title".into()),
    });
    for (file, name) in [
        ("pywa-updates-callback_button.json", "button"),
        ("pywa-updates-callback_button.json", "quick_reply"),
        ("pywa-updates-callback_selection.json", "callback"),
        ("pywa-updates-callback_selection.json", "description"),
    ] {
        let message = only_message(file, name);
        assert_eq!(message.kind, Kind::Button, "{name}");
        assert_eq!(message.button, press, "{name}");
        assert_eq!(message.text.as_deref(), Some("title"), "{name}");
        assert_eq!(message.sender_kind, SenderKind::User, "{name}");
    }
    let described = only_message("pywa-updates-callback_selection.json", "description");
    assert_eq!(
        metadata(&described)["interactive"]["list_reply"]["description"],
        "description"
    );
}

#[test]
fn a_flow_answer_stays_interactive() {
    for name in ["completion", "without_flow_token"] {
        let message = only_message("pywa-updates-flow_completion.json", name);
        assert_eq!(message.kind, Kind::Interactive, "{name}");
        assert_eq!(message.button, None, "{name}");
        assert_eq!(message.text.as_deref(), Some("Sent"), "{name}");
        assert!(
            metadata(&message)["interactive"]["nfm_reply"]["response_json"].is_string(),
            "{name}"
        );
    }
}

#[test]
fn media_messages_carry_their_attachment() {
    let attachment = |kind, mime: &str, reference: &str| Attachment {
        kind,
        mime_type: Some(mime.into()),
        size: None,
        file_name: None,
        caption: None,
        reference: reference.into(),
    };
    let cases = [
        (
            "image",
            Kind::Image,
            attachment(AttachmentKind::Image, "image/jpeg", "65463453"),
        ),
        (
            "media_with_url",
            Kind::Image,
            attachment(AttachmentKind::Image, "image/jpeg", "65463453"),
        ),
        (
            "audio",
            Kind::Audio,
            attachment(
                AttachmentKind::Audio,
                "audio/ogg; codecs=opus",
                "1234567890987654321",
            ),
        ),
        (
            "voice",
            Kind::Audio,
            attachment(
                AttachmentKind::Voice,
                "audio/ogg; codecs=opus",
                "1234567890987654321",
            ),
        ),
        (
            "static_sticker",
            Kind::Sticker,
            attachment(AttachmentKind::Sticker, "image/webp", "1234567890987654321"),
        ),
        (
            "animated_sticker",
            Kind::Sticker,
            attachment(AttachmentKind::Sticker, "image/webp", "1234567890987654321"),
        ),
        (
            "video",
            Kind::Video,
            Attachment {
                caption: Some("caption".into()),
                ..attachment(AttachmentKind::Video, "video/mp4", "765756756")
            },
        ),
        (
            "document",
            Kind::Document,
            Attachment {
                caption: Some("caption".into()),
                file_name: Some("filename.pdf".into()),
                ..attachment(
                    AttachmentKind::Document,
                    "application/pdf",
                    "1234567890987654321",
                )
            },
        ),
    ];
    for (name, kind, expected) in cases {
        let message = only_message(PYWA, name);
        assert_eq!(message.kind, kind, "{name}");
        assert_eq!(
            message.text, expected.caption,
            "{name}: the caption is the text"
        );
        assert_eq!(message.attachments, [expected], "{name}");
    }
    for name in ["text", "current_location", "contacts", "reaction"] {
        assert!(only_message(PYWA, name).attachments.is_empty(), "{name}");
    }
}

#[test]
fn an_edit_replaces_the_original_with_its_edit_time() {
    const FILE: &str = "pywa-updates-edit_message.json";
    let text = only_message(FILE, "edit_text");
    assert_eq!(text.external_id, "wamid.zzzzzz");
    assert!(text.is_edit);
    assert_eq!(text.edited_at_ms, Some(1_697_044_968_000));
    assert_eq!(text.kind, Kind::Text);
    assert_eq!(text.text.as_deref(), Some("Text was edited"));
    assert_eq!(text.conversation_id, "1122334455667:972987654321");
    assert_eq!(metadata(&text)["edit_id"], "wamid.yyyyyy");

    let caption = only_message(FILE, "edit_caption");
    assert_eq!(caption.external_id, "wamid.zzzzzz");
    assert!(caption.is_edit);
    assert_eq!(caption.kind, Kind::Image);
    assert_eq!(caption.text.as_deref(), Some("caption"));
    assert_eq!(caption.attachments[0].reference, "65463453");
    assert_eq!(metadata(&caption)["image"]["sha256"], "4654+8g=");

    // The business's own edits, echoed from the WhatsApp Business app, are not
    // messages field updates and are left alone.
    let (host, response) = deliver(&case(FILE, "coexistence_edit_text"));
    assert_eq!(response.status, 200);
    assert!(host.emitted.borrow().is_empty());
    assert!(host.dead_letters.borrow().is_empty());
}

#[test]
fn an_edit_that_names_no_original_is_dead_lettered() {
    let body = br#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"messages":[{"from":"16505551234","id":"wamid.E","timestamp":"1739321024","type":"edit","edit":{"message":{"type":"text","text":{"body":"fixed"}}}}]}}]}]}"#;
    let (host, response) = deliver(body);
    assert_eq!(response.status, 200);
    assert!(host.emitted.borrow().is_empty());
    assert_eq!(
        *host.dead_letters.borrow(),
        [
            "whatsapp message wamid.E (entry 0 change 0 message 0) is an edit without \
          edit.original_message_id"
        ]
    );
}
