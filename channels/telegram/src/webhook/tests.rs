//! Whole deliveries through the webhook, mostly from the published payloads in
//! `tests/fixtures/telegram` (see its README for where each comes from).

use serde_json::{Value, json};
use switchboard_channel_sdk::fake::{FakeHost, answer, ok};
use switchboard_channel_sdk::{AttachmentKind, ChatType, Inbound, Kind, SenderKind};

use super::*;

const TEXT: &str = r#"{"update_id":1,"message":{"message_id":3,"date":5,"chat":{"id":42,"type":"private"},"from":{"id":42,"first_name":"Ann"},"text":"hi"}}"#;

/// The bot of the constructed fixtures, as `getMe` describes it.
const GET_ME: &str = r#"{"ok":true,"result":{"id":7000000001,"is_bot":true,"first_name":"Switchboard","username":"SwitchboardBot"}}"#;

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/../../tests/fixtures/telegram/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The updates of a fixture: the file itself, or each element of a list.
fn updates(name: &str) -> Vec<Value> {
    match fixture(name) {
        Value::Array(updates) => updates,
        update => Vec::from([update]),
    }
}

/// A host that knows the bot's username from the setting, so no `getMe` runs.
fn named_host() -> FakeHost {
    let mut host = FakeHost::default();
    host.settings
        .insert("bot_username".to_owned(), "SwitchboardBot".to_owned());
    host
}

fn deliver(host: &FakeHost, update: &Value) -> u16 {
    handle(host, "POST", update.to_string().as_bytes()).status
}

/// Delivers a one-update fixture and returns what it emitted.
fn emitted(name: &str) -> Vec<Inbound> {
    let host = named_host();
    for update in updates(name) {
        assert_eq!(deliver(&host, &update), 200, "{name}");
    }
    assert!(host.dead_letters.borrow().is_empty(), "{name}");
    host.emitted.take()
}

fn only(name: &str) -> Inbound {
    let mut messages = emitted(name);
    assert_eq!(messages.len(), 1, "{name}: {messages:?}");
    messages.remove(0)
}

fn meta(message: &Inbound) -> Value {
    serde_json::from_str(&message.metadata).expect("metadata is JSON")
}

fn fixture_names() -> Vec<String> {
    let dir = format!(
        "{}/../../tests/fixtures/telegram",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("fixture dir")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name.ends_with(".json"))
        .collect();
    names.sort();
    names
}

#[test]
fn a_message_is_emitted_and_acknowledged() {
    let host = FakeHost::default();
    let response = handle(&host, "POST", TEXT.as_bytes());
    assert_eq!(response.status, 200);
    assert!(response.body.is_empty());
    let emitted = host.emitted.borrow();
    assert_eq!(emitted.len(), 1);
    assert_eq!(emitted[0].external_id, "42:3");
    assert_eq!(emitted[0].text.as_deref(), Some("hi"));
}

#[test]
fn every_fixture_is_acknowledged_without_dead_letters_or_warnings() {
    let names = fixture_names();
    assert!(names.len() >= 30, "{names:?}");
    for name in names {
        let host = named_host();
        for update in updates(&name) {
            assert_eq!(deliver(&host, &update), 200, "{name}");
        }
        assert!(host.dead_letters.borrow().is_empty(), "{name}");
        let logs = host.logs.borrow();
        assert!(
            logs.iter().all(|(level, _)| *level == Level::Debug),
            "{name}: {logs:?}"
        );
    }
}

#[test]
fn other_updates_are_acknowledged_without_emitting() {
    let host = FakeHost::default();
    let body = br#"{"update_id":2,"my_chat_member":{"chat":{"id":1},"date":1}}"#;
    assert_eq!(handle(&host, "POST", body).status, 200);
    assert!(host.emitted.borrow().is_empty());
    assert!(host.logged(Level::Debug, "my_chat_member"));
}

#[test]
fn an_unreadable_message_is_kept_as_a_dead_letter_and_acknowledged() {
    let host = FakeHost::default();
    let response = handle(
        &host,
        "POST",
        br#"{"update_id":3,"message":{"message_id":1,"text":"no chat"}}"#,
    );
    assert_eq!(response.status, 200);
    assert!(host.emitted.borrow().is_empty());
    let dead = host.dead_letters.borrow();
    assert_eq!(dead.len(), 1);
    assert!(dead[0].contains("`message`"), "{}", dead[0]);
    assert!(
        dead[0].contains("chat"),
        "the reason names the part: {}",
        dead[0]
    );
}

#[test]
fn json_that_is_no_update_is_logged_and_acknowledged() {
    let host = FakeHost::default();
    assert_eq!(handle(&host, "POST", b"[1,2]").status, 200);
    assert!(host.logged(Level::Warn, "not a telegram update"));
    assert!(host.dead_letters.borrow().is_empty());
}

#[test]
fn non_json_is_refused() {
    let host = FakeHost::default();
    assert_eq!(handle(&host, "POST", b"update_id=1").status, 400);
    assert!(host.logged(Level::Warn, "not valid json"));
}

#[test]
fn a_rejected_message_is_logged_and_acknowledged() {
    let mut host = FakeHost::default();
    host.reject
        .insert("42:3".to_owned(), "metadata too large".to_owned());
    assert_eq!(handle(&host, "POST", TEXT.as_bytes()).status, 200);
    assert!(host.logged(Level::Error, "42:3: metadata too large"));
}

#[test]
fn only_post_is_accepted() {
    let host = FakeHost::default();
    assert_eq!(handle(&host, "GET", b"").status, 405);
}

#[test]
fn an_edit_carries_the_time_it_was_made() {
    let edit = only("tgdocs-edited-message.json");
    assert!(edit.is_edit);
    assert_eq!(edit.external_id, "1111111:1365");
    assert_eq!(edit.edited_at_ms, Some(1_441_646_600_000));
    assert_eq!(edit.chat_type, ChatType::Direct);
}

#[test]
fn an_added_reaction_is_one_reaction_message_on_the_reacted_message() {
    let reaction = only("teloxide-message-reaction-added.json");
    assert_eq!(reaction.kind, Kind::Reaction);
    assert_eq!(
        reaction.external_id,
        "-1002184233434:35:reaction:1459074222:1721306082:added:🌭"
    );
    let detail = reaction.reaction.as_ref().expect("reaction");
    assert_eq!(detail.target, "-1002184233434:35");
    assert_eq!(detail.emoji, "🌭");
    assert!(!detail.removed);
    assert_eq!(reaction.conversation_id, "-1002184233434");
    assert_eq!(reaction.sender_id, "1459074222");
    assert_eq!(reaction.sender_name.as_deref(), Some("shadowchain"));
    assert_eq!(reaction.sender_kind, SenderKind::User);
    assert_eq!(reaction.chat_type, ChatType::Group);
    assert_eq!(reaction.text, None);
    assert_eq!(reaction.timestamp, 1721306082);
    assert_eq!(meta(&reaction)["update_id"], 71651249);

    // A redelivery of the same update is the same message to the host.
    assert_eq!(only("teloxide-message-reaction-added.json"), reaction);
}

#[test]
fn a_reaction_taken_back_anonymously_is_removed_by_the_chat() {
    let reaction = only("teloxide-message-reaction-removed-anonymous.json");
    let detail = reaction.reaction.as_ref().expect("reaction");
    assert_eq!(detail.target, "-1002199793788:2");
    assert_eq!(detail.emoji, "❤");
    assert!(detail.removed);
    assert_eq!(reaction.sender_id, "-1002199793788");
    assert_eq!(reaction.sender_name.as_deref(), Some("тест"));
    assert_eq!(
        reaction.external_id,
        "-1002199793788:2:reaction:-1002199793788:1723798597:removed:❤"
    );
    assert_eq!(meta(&reaction)["anonymous"], true);
}

#[test]
fn a_changed_reaction_is_one_addition_and_one_removal() {
    let mut update = fixture("teloxide-message-reaction-added.json");
    update["message_reaction"]["old_reaction"] = json!([
        {"type": "emoji", "emoji": "👍"},
        {"type": "emoji", "emoji": "🔥"}
    ]);
    update["message_reaction"]["new_reaction"] = json!([
        {"type": "emoji", "emoji": "🔥"},
        {"type": "custom_emoji", "custom_emoji_id": "5312536423851630001"},
        {"type": "paid"}
    ]);
    let host = named_host();
    assert_eq!(deliver(&host, &update), 200);
    let changes: Vec<(String, bool)> = host
        .emitted
        .borrow()
        .iter()
        .map(|m| {
            let r = m.reaction.as_ref().expect("reaction");
            (r.emoji.clone(), r.removed)
        })
        .collect();
    assert_eq!(
        changes,
        [
            ("custom_emoji:5312536423851630001".to_owned(), false),
            ("paid".to_owned(), false),
            ("👍".to_owned(), true)
        ]
    );
    let ids: std::collections::HashSet<String> = host
        .emitted
        .borrow()
        .iter()
        .map(|m| m.external_id.clone())
        .collect();
    assert_eq!(ids.len(), 3, "each change has its own id: {ids:?}");
}

#[test]
fn anonymous_reaction_counts_emit_nothing() {
    let host = named_host();
    assert_eq!(
        deliver(&host, &fixture("teloxide-message-reaction-count.json")),
        200
    );
    assert!(host.emitted.borrow().is_empty());
    assert!(host.logged(Level::Debug, "message_reaction_count"));
}

#[test]
fn a_button_tap_is_a_button_message_with_its_payload_and_label() {
    let tap = only("bloodcell-callback-query.json");
    assert_eq!(tap.kind, Kind::Button);
    assert_eq!(tap.external_id, "callback:4278655576057498272");
    let button = tap.button.as_ref().expect("button");
    assert_eq!(button.payload, "button2_bijoy");
    assert_eq!(button.label.as_deref(), Some("Button 2"));
    assert_eq!(tap.conversation_id, "996202131");
    assert_eq!(tap.sender_id, "996202131");
    assert_eq!(tap.sender_name.as_deref(), Some("Bijoy"));
    assert_eq!(tap.sender_kind, SenderKind::User);
    assert_eq!(tap.reply_to.as_deref(), Some("996202131:60"));
    assert_eq!(tap.chat_type, ChatType::Direct);
    assert!(tap.mentions_bot, "a tap answers the bot's own message");
    assert_eq!(tap.text, None);
    assert_eq!(meta(&tap)["callback_query_id"], "4278655576057498272");
    assert_eq!(meta(&tap)["chat_instance"], "-2291384178539442901");
}

#[test]
fn a_tap_on_an_inline_message_belongs_to_the_private_chat_of_who_tapped() {
    let tap = only("teloxide-callback-inline-message.json");
    assert_eq!(tap.kind, Kind::Button);
    assert_eq!(tap.external_id, "callback:id");
    assert_eq!(tap.conversation_id, "12345");
    assert_eq!(tap.sender_id, "12345");
    assert_eq!(tap.reply_to, None);
    assert_eq!(tap.chat_type, ChatType::Unknown);
    let button = tap.button.as_ref().expect("button");
    assert_eq!(button.payload, "some_data");
    assert_eq!(button.label, None);
    assert_eq!(meta(&tap)["inline_message_id"], "i_m_id");
    assert_eq!(meta(&tap)["callback_query_id"], "id");
}

#[test]
fn a_game_button_carries_the_game_short_name() {
    let mut update = fixture("teloxide-callback-inline-message.json");
    update["callback_query"]
        .as_object_mut()
        .expect("query")
        .remove("data");
    let host = named_host();
    assert_eq!(deliver(&host, &update), 200);
    let button = host.emitted.borrow()[0].button.clone().expect("button");
    assert_eq!(button.payload, "game_name");
}

#[test]
fn service_messages_are_system_messages_without_text() {
    let published = [
        ("teloxide-pinned-message.json", "pinned_message"),
        ("teloxide-migrate-to-chat-id.json", "migrate_to_chat_id"),
        ("teloxide-migrate-from-chat-id.json", "migrate_from_chat_id"),
        ("teloxide-video-chat-started.json", "video_chat_started"),
        ("teloxide-forum-topic-created.json", "forum_topic_created"),
        ("teloxide-forum-topic-closed.json", "forum_topic_closed"),
        ("teloxide-chat-shared.json", "chat_shared"),
    ];
    for (name, service) in published {
        let m = only(name);
        assert_eq!(m.kind, Kind::System, "{name}");
        assert_eq!(m.text, None, "{name}");
        assert_eq!(meta(&m)["service"], service, "{name}");
    }
    let constructed = emitted("constructed-service-messages.json");
    let services: Vec<String> = constructed
        .iter()
        .map(|m| {
            assert_eq!(m.kind, Kind::System, "{m:?}");
            assert_eq!(m.text, None, "{m:?}");
            assert!(m.attachments.is_empty(), "{m:?}");
            meta(m)["service"].as_str().expect("service").to_owned()
        })
        .collect();
    assert_eq!(
        services,
        [
            "new_chat_members",
            "left_chat_member",
            "new_chat_title",
            "new_chat_photo",
            "delete_chat_photo",
            "group_chat_created",
            "supergroup_chat_created",
            "message_auto_delete_timer_changed",
            "video_chat_scheduled",
            "video_chat_ended",
            "video_chat_participants_invited",
            "forum_topic_edited",
            "forum_topic_reopened",
            "users_shared",
            "write_access_allowed",
            "boost_added",
        ]
    );
}

#[test]
fn a_service_message_from_an_anonymous_admin_is_from_the_group() {
    let m = only("teloxide-video-chat-started.json");
    assert_eq!(m.sender_id, "-1001331354980");
    assert_eq!(m.sender_kind, SenderKind::User);
    assert_eq!(m.chat_type, ChatType::Group);
}

#[test]
fn media_messages_carry_their_file_and_keep_the_caption_as_text() {
    let photo = only("teloxide-photo-caption.json");
    assert_eq!(photo.kind, Kind::Image);
    assert_eq!(photo.text.as_deref(), Some("www.example.com"));
    assert_eq!(photo.attachments.len(), 1);
    let file = &photo.attachments[0];
    assert_eq!(file.kind, AttachmentKind::Image);
    assert_eq!(
        file.reference,
        "AgACAgQAAxkBAAINhGKvijUVSn2i3980bQIIc1fqWGNCAAJpvDEbEmaBUfuA43fR-BnlAQADAgADeQADJAQ"
    );
    assert_eq!(file.size, Some(162061));
    assert_eq!(file.mime_type, None);
    assert_eq!(file.caption, None);

    let cases = [
        (
            "teloxide-video.json",
            Kind::Video,
            AttachmentKind::Video,
            "BAADAgADpgQAAgX9qEud6QcgPiOAlhYE",
            Some("video/mp4"),
            1381334,
            None,
        ),
        (
            "teloxide-sticker.json",
            Kind::Sticker,
            AttachmentKind::Sticker,
            "CAACAgIAAxkBAAESLdBjMImep-J0W8XaTN6S_Lz1-j1QIQACIwADsND4DGmmygHGlyggKQQ",
            None,
            16639,
            None,
        ),
        (
            "aiogram-document-caption.json",
            Kind::Document,
            AttachmentKind::Document,
            "BQADAgADpgADy_JxS66XQTBRHFleAg",
            Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
            21331,
            Some("test.docx"),
        ),
        (
            "aiogram-audio-caption.json",
            Kind::Audio,
            AttachmentKind::Audio,
            "CQADAgADbQEAAsnrIUpNoRRNsH7_hAI",
            Some("audio/mpeg3"),
            9507774,
            None,
        ),
        (
            "aiogram-voice.json",
            Kind::Audio,
            AttachmentKind::Voice,
            "AwADawAgADADy_JxS2gopIVIIxlhAg",
            Some("audio/ogg"),
            4321,
            None,
        ),
        (
            "aiogram-video-note.json",
            Kind::Video,
            AttachmentKind::Video,
            "AbCdEfGhIjKlMnOpQrStUvWxYz",
            None,
            186562,
            None,
        ),
        // An animation and its `document` twin are one video, not two files.
        (
            "aiogram-animation.json",
            Kind::Video,
            AttachmentKind::Video,
            "CgADBAAD4DUAAoceZAe2WiE9y0crrAI",
            Some("video/mp4"),
            65837,
            Some("a9b0e0ca537aa344338f80978f0896b7.gif.mp4"),
        ),
    ];
    for (name, kind, attachment, reference, mime, size, file_name) in cases {
        let m = only(name);
        assert_eq!(m.kind, kind, "{name}");
        assert_eq!(m.attachments.len(), 1, "{name}: {:?}", m.attachments);
        let file = &m.attachments[0];
        assert_eq!(file.kind, attachment, "{name}");
        assert_eq!(file.reference, reference, "{name}");
        assert_eq!(file.mime_type.as_deref(), mime, "{name}");
        assert_eq!(file.size, Some(size), "{name}");
        assert_eq!(file.file_name.as_deref(), file_name, "{name}");
    }
    assert_eq!(
        only("aiogram-document-caption.json").text.as_deref(),
        Some("Read my document")
    );
    assert_eq!(
        only("aiogram-audio-caption.json").text.as_deref(),
        Some("This is my favourite song")
    );
}

#[test]
fn forum_topics_and_reply_threads_are_the_thread() {
    let in_topic = only("teloxide-forum-topic-message.json");
    assert_eq!(in_topic.thread_id.as_deref(), Some("4"));
    assert_eq!(
        in_topic.reply_to, None,
        "the topic's first message is no reply"
    );
    assert_eq!(in_topic.text.as_deref(), Some("blah"));

    let in_thread = only("teloxide-command-in-reply-thread.json");
    assert_eq!(in_thread.thread_id.as_deref(), Some("134545"));
    assert_eq!(in_thread.reply_to.as_deref(), Some("-1001293752024:134545"));
    assert_eq!(in_thread.chat_type, ChatType::Group);
    assert!(
        !in_thread.mentions_bot,
        "a bare /report is meant for every bot"
    );
}

/// Which of the constructed group messages mention the bot, by message id.
const MENTIONS: &[(i64, bool)] = &[
    (101, true),
    (102, true),
    (103, true),
    (104, true),
    (105, true),
    (106, true),
    (107, false),
    (108, false),
    (109, false),
    (110, false),
];

fn mentions_of(host: &FakeHost) -> Vec<(i64, bool)> {
    host.emitted
        .borrow()
        .iter()
        .map(|m| (meta(m)["message_id"].as_i64().expect("id"), m.mentions_bot))
        .collect()
}

#[test]
fn group_messages_mention_the_bot_named_in_the_settings() {
    let host = named_host();
    for update in updates("constructed-group-mentions.json") {
        assert_eq!(deliver(&host, &update), 200);
    }
    assert_eq!(mentions_of(&host), MENTIONS);
    assert!(
        host.requests.borrow().is_empty(),
        "no getMe with the setting"
    );
}

#[test]
fn without_the_setting_get_me_runs_once_and_is_remembered() {
    let host = FakeHost::answering(vec![ok(GET_ME)]);
    for update in updates("constructed-group-mentions.json") {
        assert_eq!(deliver(&host, &update), 200);
    }
    assert_eq!(mentions_of(&host), MENTIONS);
    let requests = host.requests.borrow();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].url,
        "https://api.telegram.org/bot{{secret:bot_token}}/getMe"
    );
    assert!(host.state.borrow().contains_key("bot/me"));
}

#[test]
fn a_failed_get_me_leaves_the_message_unmentioned_but_stored() {
    let host = FakeHost::answering(vec![answer(
        502,
        r#"{"ok":false,"error_code":502,"description":"Bad Gateway"}"#,
    )]);
    let update = &updates("constructed-group-mentions.json")[0];
    assert_eq!(deliver(&host, update), 200);
    let emitted = host.emitted.borrow();
    assert_eq!(emitted.len(), 1);
    assert!(!emitted[0].mentions_bot);
    assert!(host.logged(Level::Warn, "getMe failed"));
    assert!(host.dead_letters.borrow().is_empty());
}

#[test]
fn messages_that_cannot_mention_the_bot_ask_nothing() {
    // No answers scripted: a getMe would panic.
    let host = FakeHost::default();
    // A private chat needs no mention, entities or not.
    deliver(&host, &fixture("bloodcell-callback-query.json"));
    let mut private = updates("constructed-group-mentions.json")[0].clone();
    private["message"]["chat"] =
        json!({"id": 5000000001_i64, "type": "private", "first_name": "Ada"});
    deliver(&host, &private);
    // A group message without entities or a reply.
    deliver(&host, &updates("constructed-service-messages.json")[0]);
    deliver(&host, &fixture("teloxide-forum-topic-message.json"));
    assert_eq!(host.emitted.borrow().len(), 4);
    assert!(
        host.emitted
            .borrow()
            .iter()
            .all(|m| !m.mentions_bot || m.kind == Kind::Button)
    );
    assert!(host.requests.borrow().is_empty());
}

#[test]
fn other_bots_and_the_bot_itself_are_told_apart() {
    for host in [named_host(), FakeHost::answering(vec![ok(GET_ME)])] {
        for update in updates("constructed-bot-senders.json") {
            assert_eq!(deliver(&host, &update), 200);
        }
        let kinds: Vec<SenderKind> = host
            .emitted
            .borrow()
            .iter()
            .map(|m| m.sender_kind)
            .collect();
        assert_eq!(kinds, [SenderKind::Bot, SenderKind::ThisBot]);
    }
}
