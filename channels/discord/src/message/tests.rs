//! Message objects of the recorded dispatches (see the fixtures' README) mapped
//! with the bot's id as READY names it.

use serde_json::{Value, json};
use switchboard_channel_sdk::{Attachment, AttachmentKind, ChatType, Kind, SenderKind};

use super::*;
use crate::tests::{BOT_ID, fixture_json, metadata};

/// The `d` of a recorded dispatch.
fn data(name: &str) -> Value {
    fixture_json(&format!("gateway/{name}"))["d"].clone()
}

fn mapped(name: &str, edit: bool) -> Inbound {
    match map(&data(name), Some(BOT_ID), edit) {
        Mapped::Message(message) => *message,
        other => panic!("{name}: {other:?}"),
    }
}

#[test]
fn a_direct_message_from_the_documentation() {
    let message = mapped("message-create-dm.json", false);
    assert_eq!(message.external_id, "290926798999357250:334385199974967042");
    assert_eq!(message.conversation_id, "290926798999357250");
    assert_eq!(message.sender_id, "53908099506183680");
    assert_eq!(message.sender_name.as_deref(), Some("Mason"));
    assert_eq!(message.sender_kind, SenderKind::User);
    assert_eq!(message.text.as_deref(), Some("Supa Hot"));
    assert_eq!(message.kind, Kind::Text);
    assert_eq!(message.chat_type, ChatType::Direct);
    assert!(!message.mentions_bot);
    assert_eq!(message.timestamp, 1_499_794_027);
    assert_eq!(message.thread_id, None);
    assert_eq!(message.reply_to, None);
    assert!(!message.is_edit);
    assert_eq!(message.edited_at_ms, None);
    assert!(message.attachments.is_empty());
    assert_eq!(
        metadata(&message),
        json!({
            "channel_id": "290926798999357250",
            "message_id": "334385199974967042",
            "message_type": 0,
        })
    );
}

#[test]
fn a_guild_message_mentioning_the_bot_with_two_files() {
    let message = mapped("message-create-guild-mention.json", false);
    assert_eq!(
        message.external_id,
        "645027906669510667:1235203015113162833"
    );
    assert_eq!(message.chat_type, ChatType::Group);
    assert!(message.mentions_bot);
    assert_eq!(message.sender_name.as_deref(), Some("Ian (ops)"));
    assert_eq!(
        message.text.as_deref(),
        Some("<@1100000000000000001> what is in these two files?")
    );
    assert_eq!(message.kind, Kind::Text);
    assert_eq!(
        message.attachments,
        vec![
            Attachment {
                kind: AttachmentKind::Image,
                mime_type: Some("image/png".to_owned()),
                size: Some(183_421),
                file_name: Some("diagram.png".to_owned()),
                caption: Some("the deployment diagram".to_owned()),
                reference: "https://cdn.discordapp.com/attachments/645027906669510667/1235203014660046888/diagram.png?ex=66345d44&is=66330bc4&hm=6f1d0a3c3e5c2e8a".to_owned(),
            },
            Attachment {
                kind: AttachmentKind::Document,
                mime_type: Some("application/pdf".to_owned()),
                size: Some(52_877),
                file_name: Some("report.pdf".to_owned()),
                caption: None,
                reference: "https://cdn.discordapp.com/attachments/645027906669510667/1235203014999785482/report.pdf?ex=66345d44&is=66330bc4&hm=0c9b1e2d7f4a5b6c".to_owned(),
            },
        ]
    );
    assert_eq!(metadata(&message)["guild_id"], "290926798626357999");
}

#[test]
fn without_the_bots_id_nothing_counts_as_a_mention() {
    let Mapped::Message(message) = map(&data("message-create-guild-mention.json"), None, false)
    else {
        panic!("mapped");
    };
    assert!(!message.mentions_bot);
}

#[test]
fn a_reply_to_the_bot_mentions_it_and_names_the_message_answered() {
    let message = mapped("message-create-reply-to-bot.json", false);
    assert!(message.mentions_bot);
    assert_eq!(
        message.reply_to.as_deref(),
        Some("645027906669510667:1235203400812888115")
    );
    assert_eq!(message.kind, Kind::Text);
}

#[test]
fn a_reply_to_someone_else_does_not_mention_the_bot() {
    let mut data = data("message-create-reply-to-bot.json");
    data["referenced_message"]["author"]["id"] = "167348773423415296".into();
    let Mapped::Message(message) = map(&data, Some(BOT_ID), false) else {
        panic!("mapped");
    };
    assert!(!message.mentions_bot);
    assert!(message.reply_to.is_some());
}

#[test]
fn a_crosspost_or_a_forward_answers_nothing() {
    let message = mapped("message-create-crossposted.json", false);
    assert_eq!(message.reply_to, None);
    let mut forward = data("message-create-reply-to-bot.json");
    forward["message_reference"]["type"] = 1.into();
    let Mapped::Message(message) = map(&forward, Some(BOT_ID), false) else {
        panic!("mapped");
    };
    assert_eq!(message.reply_to, None);
}

#[test]
fn the_bots_own_messages_are_not_emitted() {
    let mapped = map(&data("message-create-own.json"), Some(BOT_ID), false);
    assert_eq!(
        mapped,
        Mapped::Ignored(
            "MESSAGE_CREATE 645027906669510667:1235203400812888115 is the bot's own message"
                .to_owned()
        )
    );
}

#[test]
fn other_bots_and_webhooks_are_bots() {
    let message = mapped("message-create-other-bot.json", false);
    assert_eq!(message.sender_kind, SenderKind::Bot);
    assert_eq!(message.text.as_deref(), Some("Build #42 passed."));
    let mut webhook = data("message-create-dm.json");
    webhook["webhook_id"] = "223704706495545344".into();
    let Mapped::Message(message) = map(&webhook, Some(BOT_ID), false) else {
        panic!("mapped");
    };
    assert_eq!(message.sender_kind, SenderKind::Bot);
    assert_eq!(metadata(&message)["webhook_id"], "223704706495545344");
}

#[test]
fn a_voice_message_is_audio_with_a_voice_attachment() {
    let message = mapped("message-create-voice.json", false);
    assert_eq!(message.kind, Kind::Audio);
    assert_eq!(message.text, None);
    assert_eq!(message.chat_type, ChatType::Direct);
    assert_eq!(message.attachments.len(), 1);
    assert_eq!(message.attachments[0].kind, AttachmentKind::Voice);
    assert_eq!(
        message.attachments[0].mime_type.as_deref(),
        Some("audio/ogg")
    );
}

#[test]
fn files_without_text_take_their_kind_from_the_first_file() {
    let mut data = data("message-create-guild-mention.json");
    data["content"] = "".into();
    let Mapped::Message(message) = map(&data, Some(BOT_ID), false) else {
        panic!("mapped");
    };
    assert_eq!(message.kind, Kind::Image);
    assert_eq!(message.text, None);
}

#[test]
fn stickers_and_empty_messages() {
    let mut data = data("message-create-dm.json");
    data["content"] = "".into();
    data["sticker_items"] = json!([{"id": "749054660769218631", "name": "Wave", "format_type": 3}]);
    let Mapped::Message(message) = map(&data, Some(BOT_ID), false) else {
        panic!("mapped");
    };
    assert_eq!(message.kind, Kind::Sticker);
    assert_eq!(
        metadata(&message)["stickers"],
        json!([{"id": "749054660769218631", "name": "Wave"}])
    );
    data.as_object_mut()
        .expect("object")
        .remove("sticker_items");
    let Mapped::Message(message) = map(&data, Some(BOT_ID), false) else {
        panic!("mapped");
    };
    assert_eq!(message.kind, Kind::Other);
}

#[test]
fn service_messages_are_system_messages() {
    let message = mapped("message-create-member-joined.json", false);
    assert_eq!(message.kind, Kind::System);
    assert_eq!(message.sender_id, "1000000000000000900");
    assert_eq!(metadata(&message)["message_type"], 7);
}

#[test]
fn an_edit_keeps_the_external_id_and_its_time() {
    let edit = mapped("message-update-edit.json", true);
    let original = mapped("message-create-guild-mention.json", false);
    assert_eq!(edit.external_id, original.external_id);
    assert!(edit.is_edit);
    assert_eq!(edit.edited_at_ms, Some(1_714_558_530_123));
    assert_eq!(
        edit.text.as_deref(),
        Some("<@1100000000000000001> what is in this file?")
    );
    assert!(edit.mentions_bot);
}

#[test]
fn updates_that_are_not_edits_are_ignored() {
    let Mapped::Ignored(reason) = map(&data("message-update-embed.json"), Some(BOT_ID), true)
    else {
        panic!("ignored");
    };
    assert!(reason.contains("without content"), "{reason}");
    let mut never_edited = data("message-create-dm.json");
    never_edited["content"] = "Supa Hot".into();
    let Mapped::Ignored(reason) = map(&never_edited, Some(BOT_ID), true) else {
        panic!("ignored");
    };
    assert!(reason.contains("never edited"), "{reason}");
}

#[test]
fn an_edit_without_its_time_still_counts() {
    let mut data = data("message-update-edit.json");
    data.as_object_mut()
        .expect("object")
        .remove("edited_timestamp");
    let Mapped::Message(message) = map(&data, Some(BOT_ID), true) else {
        panic!("mapped");
    };
    assert!(message.is_edit);
    assert_eq!(message.edited_at_ms, None);
}

#[test]
fn a_missing_timestamp_falls_back_to_the_snowflake() {
    let mut data = data("message-create-dm.json");
    data.as_object_mut().expect("object").remove("timestamp");
    let Mapped::Message(message) = map(&data, Some(BOT_ID), false) else {
        panic!("mapped");
    };
    // The id 334385199974967042 was minted at 2017-07-11T17:27:24.250Z.
    assert_eq!(message.timestamp, 1_499_794_044);
}

#[test]
fn objects_without_ids_or_author_cannot_be_mapped() {
    for (case, value) in [
        ("not an object", json!("hello")),
        ("no id", json!({"channel_id": "1", "author": {"id": "2"}})),
        ("no channel", json!({"id": "1", "author": {"id": "2"}})),
        (
            "no author",
            json!({"id": "1", "channel_id": "3", "content": "x"}),
        ),
    ] {
        assert!(
            matches!(map(&value, Some(BOT_ID), false), Mapped::Unmappable(_)),
            "{case}"
        );
    }
}
