use serde_json::json;
use switchboard_channel_sdk::{AttachmentKind, ChatType, SenderKind};

use super::*;
use crate::parse::{Event, read_update};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../tests/fixtures/telegram/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {path}: {e}"))
}

/// The message an update body carries, converted without the bot's identity;
/// `None` for updates of other types.
fn parse_update(body: &[u8]) -> Option<Inbound> {
    let update = read_update(body).expect("well-formed update");
    match update.event {
        Event::Message {
            update_type,
            message,
            is_edit,
        } => Some(to_inbound(
            update.update_id,
            update_type,
            &message,
            is_edit,
            None,
        )),
        _ => None,
    }
}

fn parse_fixture(name: &str) -> Inbound {
    parse_update(&fixture(name)).unwrap_or_else(|| panic!("{name}: no message"))
}

fn meta(message: &Inbound) -> serde_json::Value {
    serde_json::from_str(&message.metadata).expect("metadata is JSON")
}

fn parse_json(value: serde_json::Value) -> Option<Inbound> {
    parse_update(value.to_string().as_bytes())
}

#[test]
fn every_official_sample_yields_one_message_in_the_same_private_chat() {
    let dir = format!(
        "{}/../../tests/fixtures/telegram",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("fixture dir") {
        let path = entry.expect("dir entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name.starts_with("tgdocs-") && name.ends_with(".json") {
            let body = std::fs::read(&path).expect("fixture");
            let message =
                parse_update(&body).unwrap_or_else(|| panic!("{}: no message", path.display()));
            assert_eq!(message.external_id, "1111111:1365", "{}", path.display());
            assert_eq!(message.conversation_id, "1111111");
            assert_eq!(meta(&message)["update_id"], 10000);
            seen += 1;
        }
    }
    assert_eq!(seen, 6, "expected the six documented samples");
}

#[test]
fn text_message_maps_every_field() {
    let m = parse_fixture("tgdocs-message-text.json");
    assert_eq!(m.external_id, "1111111:1365");
    assert_eq!(m.conversation_id, "1111111");
    assert_eq!(m.sender_id, "1111111");
    assert_eq!(
        m.sender_name.as_deref(),
        Some("Test Firstname Test Lastname")
    );
    assert_eq!(m.text.as_deref(), Some("/start"));
    assert_eq!(m.timestamp, 1441645532);
    assert_eq!(m.reply_to, None);
    assert_eq!(m.kind, Kind::Text);
    assert!(!m.is_edit);
    assert_eq!(m.edited_at_ms, None);
    assert_eq!(m.chat_type, ChatType::Direct);
    assert_eq!(m.sender_kind, SenderKind::User);
    assert!(!m.mentions_bot, "direct messages need no mention");
    assert_eq!(m.thread_id, None);
    assert!(m.attachments.is_empty());
    assert_eq!(meta(&m)["chat_type"], "private");
    assert_eq!(meta(&m)["update_type"], "message");
    assert_eq!(meta(&m)["message_id"], 1365);
}

#[test]
fn reply_points_at_the_answered_message_in_the_same_chat() {
    let m = parse_fixture("tgdocs-message-reply.json");
    assert_eq!(m.reply_to.as_deref(), Some("1111111:1334"));
    assert_eq!(m.text.as_deref(), Some("/start"));
}

#[test]
fn edit_keeps_the_original_external_id_and_carries_the_edit_time() {
    let original = parse_fixture("tgdocs-message-text.json");
    let edit = parse_fixture("tgdocs-edited-message.json");
    assert!(edit.is_edit);
    assert_eq!(edit.external_id, original.external_id);
    assert_eq!(edit.conversation_id, original.conversation_id);
    assert_eq!(edit.text.as_deref(), Some("Edited text"));
    // The host keeps the newest edit by this time, whatever order edits arrive in.
    assert_eq!(edit.edited_at_ms, Some(1_441_646_600_000));
    // The timestamp stays the time the message was sent.
    assert_eq!(edit.timestamp, original.timestamp);
    assert_eq!(meta(&edit)["edit_date"], 1441646600);
    assert_eq!(meta(&edit)["update_type"], "edited_message");
}

#[test]
fn entities_are_kept_in_metadata() {
    let m = parse_fixture("tgdocs-message-entities.json");
    assert_eq!(m.text.as_deref(), Some("Bold and italics"));
    assert_eq!(
        meta(&m)["entities"],
        json!([
            {"type": "italic", "offset": 9, "length": 7},
            {"type": "bold", "offset": 0, "length": 4}
        ])
    );
}

#[test]
fn legacy_forward_fields_are_kept_in_metadata() {
    let m = parse_fixture("tgdocs-message-forwarded.json");
    let forward = &meta(&m)["forward"];
    assert_eq!(forward["forward_from"]["id"], 222222);
    assert_eq!(forward["forward_date"], 1441645550);
    // The sender is whoever forwarded it, not the original author.
    assert_eq!(m.sender_id, "1111111");
}

#[test]
fn document_without_caption_has_no_text_and_keeps_the_file_id() {
    let m = parse_fixture("tgdocs-message-document.json");
    assert_eq!(m.kind, Kind::Document);
    assert_eq!(m.text, None);
    let content = &meta(&m)["content"];
    assert_eq!(content["type"], "document");
    assert_eq!(content["file_id"], "AwADBAADbXXXXXXXXXXXGBdhD2l6_XX");
    assert_eq!(content["file_name"], "Testfile.pdf");
    assert_eq!(content["mime_type"], "application/pdf");
}

#[test]
fn non_ascii_text_survives_unchanged() {
    let text = "Привет, 世界! 👋🏽 «ёлка»";
    let m = parse_json(json!({
        "update_id": 1,
        "message": {"message_id": 7, "date": 1700000000,
                    "chat": {"id": 42, "type": "private", "first_name": "Zoë"},
                    "from": {"id": 42, "is_bot": false, "first_name": "Zoë", "last_name": "Ångström"},
                    "text": text}
    }))
    .expect("message");
    assert_eq!(m.text.as_deref(), Some(text));
    assert_eq!(m.sender_name.as_deref(), Some("Zoë Ångström"));
}

#[test]
fn chat_ids_beyond_32_and_53_bits_are_exact() {
    for chat_id in [-1001234567890_i64, -9_007_199_254_740_993, i64::MIN] {
        let m = parse_json(json!({
            "update_id": 1,
            "message": {"message_id": 5, "date": 1, "text": "hi",
                        "chat": {"id": chat_id, "type": "supergroup", "title": "Big"},
                        "from": {"id": 6_000_000_000_i64, "is_bot": false, "first_name": "A"}}
        }))
        .expect("message");
        assert_eq!(m.external_id, format!("{chat_id}:5"));
        assert_eq!(m.conversation_id, chat_id.to_string());
        assert_eq!(m.sender_id, "6000000000");
        assert_eq!(meta(&m)["chat_id"], chat_id);
    }
}

#[test]
fn channel_posts_are_sent_by_the_channel_and_their_edits_are_edits() {
    let post = json!({"message_id": 3, "date": 10, "text": "news",
                      "chat": {"id": -1002000000001_i64, "type": "channel", "title": "Announcements"}});
    let new = parse_json(json!({"update_id": 1, "channel_post": post})).expect("post");
    assert!(!new.is_edit);
    assert_eq!(new.chat_type, ChatType::Broadcast);
    assert_eq!(new.sender_kind, SenderKind::User);
    assert_eq!(new.sender_id, "-1002000000001");
    assert_eq!(new.sender_name.as_deref(), Some("Announcements"));
    assert_eq!(meta(&new)["chat_type"], "channel");
    assert_eq!(meta(&new)["update_type"], "channel_post");

    let mut edited = post.clone();
    edited["edit_date"] = json!(20);
    edited["text"] = json!("news, corrected");
    let edit = parse_json(json!({"update_id": 2, "edited_channel_post": edited})).expect("edit");
    assert!(edit.is_edit);
    assert_eq!(edit.external_id, new.external_id);
    assert_eq!(edit.timestamp, 10);
    assert_eq!(edit.edited_at_ms, Some(20_000));
}

#[test]
fn sender_chat_wins_over_the_placeholder_from_user() {
    let m = parse_json(json!({"update_id": 1, "message": {
        "message_id": 9, "date": 1, "text": "anon",
        "chat": {"id": -100500, "type": "supergroup", "title": "Group"},
        "from": {"id": 1087968824, "is_bot": true, "first_name": "Group", "username": "GroupAnonymousBot"},
        "sender_chat": {"id": -100500, "type": "supergroup", "title": "Group"}}}))
    .expect("message");
    assert_eq!(m.sender_id, "-100500");
    assert_eq!(m.sender_name.as_deref(), Some("Group"));
    assert_eq!(m.sender_kind, SenderKind::User, "a person behind the chat");
    assert_eq!(m.chat_type, ChatType::Group);
}

#[test]
fn username_is_the_name_when_a_user_has_no_name_parts() {
    let m = parse_json(json!({"update_id": 1, "message": {
        "message_id": 1, "date": 1, "text": "x",
        "chat": {"id": 5, "type": "private"},
        "from": {"id": 5, "first_name": " ", "username": "handle"}}}))
    .expect("message");
    assert_eq!(m.sender_name.as_deref(), Some("handle"));
}

#[test]
fn content_kinds_follow_the_content_field() {
    let cases = [
        (
            json!({"photo": [{"file_id": "small", "width": 90}, {"file_id": "big", "width": 1280}]}),
            Kind::Image,
            "big",
            AttachmentKind::Image,
        ),
        (
            json!({"voice": {"file_id": "v", "duration": 3}}),
            Kind::Audio,
            "v",
            AttachmentKind::Voice,
        ),
        (
            json!({"audio": {"file_id": "a"}}),
            Kind::Audio,
            "a",
            AttachmentKind::Audio,
        ),
        (
            json!({"video": {"file_id": "vid"}}),
            Kind::Video,
            "vid",
            AttachmentKind::Video,
        ),
        (
            json!({"video_note": {"file_id": "note"}}),
            Kind::Video,
            "note",
            AttachmentKind::Video,
        ),
        // Telegram sends an animation with a `document` twin; it is a video.
        (
            json!({"animation": {"file_id": "gif"}, "document": {"file_id": "gif"}}),
            Kind::Video,
            "gif",
            AttachmentKind::Video,
        ),
        (
            json!({"sticker": {"file_id": "st", "emoji": "🙂"}}),
            Kind::Sticker,
            "st",
            AttachmentKind::Sticker,
        ),
    ];
    for (content, kind, file_id, attachment) in cases {
        let mut message = json!({"message_id": 1, "date": 1, "chat": {"id": 5, "type": "private"}});
        for (k, v) in content.as_object().expect("object") {
            message[k] = v.clone();
        }
        let m = parse_json(json!({"update_id": 1, "message": message})).expect("message");
        assert_eq!(m.kind, kind, "{content}");
        assert_eq!(meta(&m)["content"]["file_id"], file_id, "{content}");
        assert_eq!(m.attachments.len(), 1, "{content}");
        assert_eq!(m.attachments[0].reference, file_id, "{content}");
        assert_eq!(m.attachments[0].kind, attachment, "{content}");
    }
}

#[test]
fn caption_is_the_text_of_a_photo_and_its_entities_are_kept() {
    let m = parse_json(json!({"update_id": 1, "message": {
        "message_id": 1, "date": 1, "chat": {"id": 5, "type": "private"},
        "photo": [{"file_id": "p"}], "caption": "look",
        "caption_entities": [{"type": "bold", "offset": 0, "length": 4}],
        "media_group_id": "album-1"}}))
    .expect("message");
    assert_eq!(m.kind, Kind::Image);
    assert_eq!(m.text.as_deref(), Some("look"));
    assert_eq!(meta(&m)["entities"][0]["type"], "bold");
    assert_eq!(meta(&m)["media_group_id"], "album-1");
}

#[test]
fn venue_location_contact_poll_and_service_messages() {
    let cases = [
        (
            json!({"venue": {"location": {"latitude": 52.5, "longitude": 13.4}, "title": "Cafe", "address": "Main St"},
                "location": {"latitude": 52.5, "longitude": 13.4}}),
            Kind::Location,
        ),
        (
            json!({"location": {"latitude": 1.5, "longitude": 2.5}}),
            Kind::Location,
        ),
        (
            json!({"contact": {"phone_number": "+100", "first_name": "Bo", "vcard": "BEGIN:VCARD"}}),
            Kind::Contact,
        ),
        (
            json!({"poll": {"id": "p1", "question": "Tea?", "options": []}}),
            Kind::Other,
        ),
        (
            json!({"new_chat_members": [{"id": 8, "first_name": "New"}]}),
            Kind::System,
        ),
        (json!({}), Kind::Other),
    ];
    for (content, kind) in cases {
        let mut message =
            json!({"message_id": 1, "date": 1, "chat": {"id": 5, "type": "group", "title": "G"}});
        for (k, v) in content.as_object().expect("object") {
            message[k] = v.clone();
        }
        let m = parse_json(json!({"update_id": 1, "message": message})).expect("message");
        assert_eq!(m.kind, kind, "{content}");
        assert_eq!(m.text, None);
    }
    let venue = parse_json(json!({"update_id": 1, "message": {
        "message_id": 1, "date": 1, "chat": {"id": 5},
        "venue": {"location": {"latitude": 52.5, "longitude": 13.4}, "title": "Cafe"},
        "location": {"latitude": 52.5, "longitude": 13.4}}}))
    .expect("venue");
    assert_eq!(meta(&venue)["content"]["type"], "venue");
    assert_eq!(meta(&venue)["content"]["latitude"], 52.5);
    assert_eq!(meta(&venue)["content"]["title"], "Cafe");
    let contact = parse_json(json!({"update_id": 1, "message": {
        "message_id": 1, "date": 1, "chat": {"id": 5},
        "contact": {"phone_number": "+100", "first_name": "Bo", "vcard": "BEGIN:VCARD"}}}))
    .expect("contact");
    assert_eq!(meta(&contact)["content"]["phone_number"], "+100");
    assert!(meta(&contact)["content"].get("vcard").is_none());
}

#[test]
fn forum_topic_messages_keep_their_thread_and_are_not_replies_to_the_topic() {
    let m = parse_json(json!({"update_id": 1, "message": {
        "message_id": 50, "message_thread_id": 44, "is_topic_message": true, "date": 1, "text": "in topic",
        "chat": {"id": -1003, "type": "supergroup", "title": "Forum", "is_forum": true},
        "reply_to_message": {"message_id": 44, "date": 1, "chat": {"id": -1003},
                             "forum_topic_created": {"name": "T", "icon_color": 1}}}}))
    .expect("message");
    assert_eq!(m.reply_to, None);
    assert_eq!(m.thread_id.as_deref(), Some("44"));
    assert_eq!(meta(&m)["message_thread_id"], 44);

    let reply = parse_json(json!({"update_id": 2, "message": {
        "message_id": 51, "message_thread_id": 44, "is_topic_message": true, "date": 1, "text": "re",
        "chat": {"id": -1003, "type": "supergroup"},
        "reply_to_message": {"message_id": 50, "date": 1, "chat": {"id": -1003}}}}))
    .expect("reply");
    assert_eq!(reply.reply_to.as_deref(), Some("-1003:50"));
}

#[test]
fn oversized_entities_are_dropped_to_fit_the_metadata_limit() {
    let entities: Vec<_> = (0..4096)
        .map(|i| json!({"type": "text_link", "offset": i, "length": 1, "url": "https://example.com/some/long/path"}))
        .collect();
    let m = parse_json(json!({"update_id": 1, "message": {
        "message_id": 1, "date": 1, "text": "x".repeat(4096),
        "chat": {"id": 5, "type": "private"}, "entities": entities}}))
    .expect("message");
    assert!(meta(&m).get("entities").is_none());
    assert_eq!(meta(&m)["entities_dropped"], true);
    let size = m.metadata.len();
    assert!(size <= MAX_METADATA_BYTES, "{size}");
}
