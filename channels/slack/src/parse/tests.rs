use serde_json::{Value, json};
use switchboard_channel_sdk::{ButtonPress, ChatType, Kind, SenderKind};

use super::*;

const JSON: &str = "application/json";
const FORM: &str = "application/x-www-form-urlencoded";

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../tests/fixtures/slack/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {path}: {e}"))
}

fn headers(content_type: &str, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    std::iter::once(("content-type", content_type))
        .chain(extra.iter().copied())
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn parse(content_type: &str, body: &[u8]) -> Parsed {
    parse_request(&headers(content_type, &[]), body, &Options::default()).expect("readable body")
}

fn message(parsed: Parsed) -> Inbound {
    match parsed {
        Parsed::Message(message) => *message,
        other => panic!("expected a message, got {other:?}"),
    }
}

fn nothing(parsed: &Parsed) -> bool {
    matches!(parsed, Parsed::Nothing(_))
}

fn meta(message: &Inbound) -> Value {
    serde_json::from_str(&message.metadata).expect("metadata is JSON")
}

fn event(event: Value) -> Vec<u8> {
    json!({
        "token": "legacy", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
        "event_id": "Ev1", "event_time": 1700000000,
        "authorizations": [{"team_id": "T1", "user_id": "UBOT", "is_bot": true}],
        "event": event
    })
    .to_string()
    .into_bytes()
}

fn form(pairs: &[(&str, &str)]) -> Vec<u8> {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
        .into_bytes()
}

#[test]
fn every_fixture_is_acknowledged_and_none_is_malformed() {
    let dir = format!("{}/../../tests/fixtures/slack", env!("CARGO_MANIFEST_DIR"));
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("fixture dir") {
        let path = entry.expect("dir entry").path();
        let content_type = match path.extension().and_then(|e| e.to_str()) {
            Some("json") => JSON,
            Some("txt") => FORM,
            _ => continue,
        };
        let body = std::fs::read(&path).expect("fixture");
        if let Err(err) = parse_request(&headers(content_type, &[]), &body, &Options::default()) {
            assert!(!err.is_malformed(), "{}: {err}", path.display());
        }
        seen += 1;
    }
    assert_eq!(seen, 25);
}

#[test]
fn url_verification_yields_the_challenge() {
    let parsed = parse(JSON, &fixture("slackeventsapi-url_challenge.json"));
    assert_eq!(
        parsed,
        Parsed::Challenge("valid_challenge_token".to_owned())
    );
}

#[test]
fn app_mention_maps_every_field() {
    let m = message(parse(JSON, &fixture("slackdocs-app_mention.json")));
    assert_eq!(m.external_id, "C123ABC456:1515449522.000016");
    assert_eq!(m.conversation_id, "C123ABC456");
    assert_eq!(m.sender_id, "U061F7AUR");
    assert_eq!(
        m.text.as_deref(),
        Some("<@U0LAN0Z89> is it everything a river should be?")
    );
    assert_eq!(m.timestamp, 1515449522);
    assert_eq!(m.reply_to, None);
    assert_eq!(m.kind, Kind::Text);
    assert!(!m.is_edit);
    assert_eq!(m.chat_type, ChatType::Group);
    assert!(m.mentions_bot);
    assert_eq!(m.sender_kind, SenderKind::User);
    assert_eq!(m.thread_id, None);
    let meta = meta(&m);
    assert_eq!(meta["source"], "event");
    assert_eq!(meta["event_type"], "app_mention");
    assert_eq!(meta["team_id"], "T123ABC456");
    assert_eq!(meta["event_id"], "Ev123ABC456");
    assert_eq!(meta["ts"], "1515449522.000016");
    assert!(meta.get("token").is_none());
}

#[test]
fn the_message_twin_of_an_app_mention_has_the_same_external_id_and_mentions_the_bot_too() {
    // As delivered to the app whose bot user the text mentions.
    let mut body: Value =
        serde_json::from_slice(&fixture("slackdocs-app_mention.json")).expect("fixture JSON");
    body["authorizations"] =
        json!([{"team_id": "T123ABC456", "user_id": "U0LAN0Z89", "is_bot": true}]);
    let mention = message(parse(JSON, body.to_string().as_bytes()));
    let mut twin = body.clone();
    twin["event"]["type"] = json!("message");
    twin["event"]["channel_type"] = json!("channel");
    twin["event_id"] = json!("Ev999OTHER");
    let twin = message(parse(JSON, twin.to_string().as_bytes()));
    assert_eq!(twin.external_id, mention.external_id);
    assert_eq!(twin.conversation_id, mention.conversation_id);
    assert_eq!(meta(&twin)["event_type"], "message");
    // Whichever the host stores first, it says the bot was mentioned.
    assert!(mention.mentions_bot && twin.mentions_bot);
    assert_eq!(twin.chat_type, mention.chat_type);
}

#[test]
fn direct_message_is_a_message_in_the_dm_channel() {
    let m = message(parse(JSON, &fixture("slackdocs-message-im.json")));
    assert_eq!(m.external_id, "D024BE91L:1355517523.000005");
    assert_eq!(m.conversation_id, "D024BE91L");
    assert_eq!(m.sender_id, "U2147483697");
    assert_eq!(m.text.as_deref(), Some("Hello hello can you hear me?"));
    assert_eq!(m.timestamp, 1355517523);
    assert_eq!(m.chat_type, ChatType::Direct);
    assert!(!m.mentions_bot);
    assert_eq!(meta(&m)["channel_type"], "im");
}

/// The morphism fixture with its author made a person: as published, its
/// `authorizations` name the author as this app's bot user.
fn edit_by_a_person() -> Vec<u8> {
    let mut edit: Value =
        serde_json::from_slice(&fixture("slack-morphism-message_changed.json")).expect("json");
    edit["authorizations"][0]["user_id"] = json!("UBOT");
    edit.to_string().into_bytes()
}

#[test]
fn message_changed_is_an_edit_of_the_original() {
    let m = message(parse(JSON, &edit_by_a_person()));
    assert!(m.is_edit);
    assert_eq!(m.external_id, "CXXXXXXXXXX:1701735043.989889");
    assert_eq!(m.conversation_id, "CXXXXXXXXXX");
    assert_eq!(m.sender_id, "UXXXXXXXXXX");
    assert_eq!(m.text.as_deref(), Some("edited message"));
    // Sent at the original's time, edited at `message.edited.ts`.
    assert_eq!(m.timestamp, 1701735043);
    assert_eq!(m.edited_at_ms, Some(1_701_743_154_000));
    assert_eq!(m.chat_type, ChatType::Group);
    let meta = meta(&m);
    assert_eq!(meta["subtype"], "message_changed");
    assert_eq!(meta["edited_ts"], "1701743154.000500");
    assert_eq!(meta["channel_type"], "group");
}

#[test]
fn an_edit_keeps_the_external_id_and_thread_of_the_original() {
    let original = message(parse(
        JSON,
        &event(json!({
        "type": "message", "channel": "C1", "user": "U1", "text": "hi",
        "ts": "200.000002", "thread_ts": "100.000001"})),
    ));
    let edit = message(parse(
        JSON,
        &event(json!({
        "type": "message", "subtype": "message_changed", "hidden": true, "channel": "C1",
        "ts": "300.000003",
        "message": {"type": "message", "user": "U1", "text": "hello", "ts": "200.000002",
                    "thread_ts": "100.000001"},
        "previous_message": {"type": "message", "user": "U1", "text": "hi", "ts": "200.000002"}})),
    ));
    assert_eq!(edit.external_id, original.external_id);
    assert_eq!(edit.conversation_id, original.conversation_id);
    assert_eq!(edit.reply_to, original.reply_to);
    assert_eq!(edit.thread_id, original.thread_id);
    // No `edited` in the new version: the change event's own time.
    assert_eq!(edit.edited_at_ms, Some(300_000));
}

#[test]
fn this_apps_own_messages_and_their_edits_emit_nothing() {
    assert!(nothing(&parse(
        JSON,
        &fixture("slack-morphism-message_changed_by_bot.json")
    )));
    assert!(nothing(&parse(
        JSON,
        &fixture("slack-morphism-message_changed.json")
    )));
    for event_json in [
        // This app's own bot user, from `authorizations`.
        json!({"type": "message", "user": "UBOT", "channel": "C1", "text": "echo", "ts": "1.000001"}),
        json!({"type": "app_mention", "user": "UBOT", "channel": "C1", "text": "<@UBOT>", "ts": "1.000001"}),
        // Posted by this app (`api_app_id`), as a bot.
        json!({"type": "message", "bot_id": "B1", "app_id": "A1", "channel": "C1",
               "text": "echo", "ts": "1.000001"}),
        // An edit of this app's own message, which was never stored.
        json!({"type": "message", "subtype": "message_changed", "channel": "C1", "ts": "2.000002",
               "message": {"type": "message", "user": "UBOT", "text": "new", "ts": "1.000001"},
               "previous_message": {"type": "message", "user": "UBOT", "text": "old", "ts": "1.000001"}}),
    ] {
        assert!(
            nothing(&parse(JSON, &event(event_json.clone()))),
            "{event_json}"
        );
    }
}

#[test]
fn other_bots_messages_and_their_edits_are_emitted_as_bots() {
    let integration = message(parse(
        JSON,
        &event(
            json!({"type": "message", "subtype": "bot_message", "bot_id": "B9",
                      "username": "ci", "channel": "C1", "text": "beep", "ts": "1.000001"}),
        ),
    ));
    assert_eq!(integration.sender_kind, SenderKind::Bot);
    assert_eq!(integration.sender_id, "B9");
    assert_eq!(integration.sender_name.as_deref(), Some("ci"));
    let bot_user = message(parse(
        JSON,
        &event(
            json!({"type": "message", "bot_id": "B9", "user": "U9", "channel": "C1",
                      "text": "<@UBOT> deploy done", "ts": "1.000002"}),
        ),
    ));
    assert_eq!(bot_user.sender_kind, SenderKind::Bot);
    assert_eq!(bot_user.sender_id, "U9");
    assert!(bot_user.mentions_bot);
    let edit = message(parse(
        JSON,
        &event(
            json!({"type": "message", "subtype": "message_changed", "channel": "C1",
               "ts": "2.000002",
               "message": {"type": "message", "bot_id": "B9", "text": "new", "ts": "1.000001"},
               "previous_message": {"type": "message", "bot_id": "B9", "text": "old", "ts": "1.000001"}}),
        ),
    ));
    assert!(edit.is_edit);
    assert_eq!(edit.sender_kind, SenderKind::Bot);
    assert_eq!(edit.sender_id, "B9");
}

#[test]
fn deletions_thread_notices_unchanged_edits_and_other_events_emit_nothing() {
    for event_json in [
        json!({"type": "message", "subtype": "message_deleted", "hidden": true, "channel": "C1",
               "deleted_ts": "1.000001", "ts": "2.000002"}),
        json!({"type": "message", "subtype": "message_replied", "hidden": true, "channel": "C1",
               "ts": "2.000002", "message": {"type": "message", "user": "U1", "text": "parent", "ts": "1.0"}}),
        json!({"type": "channel_created", "channel": {"id": "C2", "name": "new"}}),
        // An unfurl or a new thread reply re-reports the unchanged message.
        json!({"type": "message", "subtype": "message_changed", "channel": "C1", "ts": "3.0",
               "message": {"user": "U1", "text": "same", "ts": "1.0"},
               "previous_message": {"user": "U1", "text": "same", "ts": "1.0"}}),
    ] {
        assert!(
            nothing(&parse(JSON, &event(event_json.clone()))),
            "{event_json}"
        );
    }
    let rate_limited =
        json!({"type": "app_rate_limited", "team_id": "T1", "minute_rate_limited": 1});
    assert!(nothing(&parse(JSON, rate_limited.to_string().as_bytes())));
}

#[test]
fn service_subtypes_are_system_messages() {
    for subtype in [
        "channel_join",
        "channel_leave",
        "channel_topic",
        "channel_purpose",
        "channel_name",
        "channel_archive",
        "channel_unarchive",
        "group_join",
        "group_leave",
        "group_topic",
        "group_purpose",
        "group_name",
        "pinned_item",
        "unpinned_item",
        "channel_convert_to_private",
        "channel_posting_permissions",
        "ekm_access_denied",
        "reminder_add",
        "tombstone",
        "huddle_thread",
    ] {
        let m = message(parse(
            JSON,
            &event(
                json!({"type": "message", "subtype": subtype, "user": "U1", "channel": "C1",
                          "channel_type": "channel", "text": "<@U1> did something",
                          "ts": "1.000001"}),
            ),
        ));
        assert_eq!(m.kind, Kind::System, "{subtype}");
        assert_eq!(m.external_id, "C1:1.000001", "{subtype}");
        assert_eq!(m.sender_id, "U1", "{subtype}");
        assert_eq!(m.sender_kind, SenderKind::User, "{subtype}");
        assert!(!m.mentions_bot, "{subtype}");
        assert_eq!(meta(&m)["subtype"], subtype);
    }
}

#[test]
fn thread_replies_are_their_own_conversation_and_parents_stay_in_the_channel() {
    let reply = message(parse(
        JSON,
        &event(json!({
        "type": "message", "channel": "C1", "user": "U1", "text": "in thread",
        "ts": "1700000005.000200", "thread_ts": "1700000000.000100"})),
    ));
    assert_eq!(reply.conversation_id, "C1:1700000000.000100");
    assert_eq!(reply.reply_to.as_deref(), Some("C1:1700000000.000100"));
    assert_eq!(reply.thread_id.as_deref(), Some("1700000000.000100"));
    assert_eq!(meta(&reply)["thread_ts"], "1700000000.000100");

    let parent = message(parse(
        JSON,
        &event(json!({
        "type": "message", "channel": "C1", "user": "U1", "text": "parent",
        "ts": "1700000000.000100", "thread_ts": "1700000000.000100"})),
    ));
    assert_eq!(parent.conversation_id, "C1");
    assert_eq!(parent.reply_to, None);
}

#[test]
fn slack_retries_are_recorded() {
    let headers = headers(
        JSON,
        &[
            ("x-slack-retry-num", "2"),
            ("x-slack-retry-reason", "http_timeout"),
        ],
    );
    let parsed = parse_request(
        &headers,
        &fixture("slackdocs-message-im.json"),
        &Options::default(),
    )
    .expect("readable");
    let meta = meta(&message(parsed));
    assert_eq!(meta["retry_num"], 2);
    assert_eq!(meta["retry_reason"], "http_timeout");
}

#[test]
fn files_set_the_kind_and_keep_only_their_references() {
    let m = message(parse(
        JSON,
        &event(json!({
        "type": "message", "subtype": "file_share", "channel": "C1", "user": "U1", "text": "",
        "ts": "1.000001",
        "files": [{"id": "F1", "name": "cat.png", "mimetype": "image/png", "filetype": "png",
                   "url_private": "https://files.slack.com/x/cat.png", "thumb_64": "https://t/64"}]})),
    ));
    assert_eq!(m.kind, Kind::Image);
    assert_eq!(m.text, None);
    assert_eq!(
        m.attachments[0].reference,
        "https://files.slack.com/x/cat.png"
    );
    let file = &meta(&m)["files"][0];
    assert_eq!(file["id"], "F1");
    assert_eq!(file["url_private"], "https://files.slack.com/x/cat.png");
    assert!(file.get("thumb_64").is_none());
}

#[test]
fn non_ascii_text_and_profile_names_survive() {
    let text = "Grüße aus Köln — 東京 🚀";
    let m = message(parse(
        JSON,
        &event(json!({
        "type": "message", "channel": "C1", "user": "U1", "text": text, "ts": "1.000001",
        "user_profile": {"display_name": "", "real_name": "Renée Ødegård"}})),
    ));
    assert_eq!(m.text.as_deref(), Some(text));
    assert_eq!(m.sender_name.as_deref(), Some("Renée Ødegård"));
}

#[test]
fn block_actions_on_a_button_become_button_presses() {
    let payload = json!({
        "type": "block_actions", "token": "legacy", "trigger_id": "123.456.abc",
        "team": {"id": "T1", "domain": "acme"},
        "user": {"id": "U1", "username": "ann", "name": "ann", "team_id": "T1"},
        "api_app_id": "A1",
        "container": {"type": "message", "message_ts": "1700000000.000100", "channel_id": "C1"},
        "channel": {"id": "C1", "name": "general"},
        "message": {"type": "message", "ts": "1700000000.000100", "text": "Approve?"},
        "response_url": "https://hooks.slack.com/actions/T1/1/secret",
        "actions": [{"type": "button", "action_id": "approve", "block_id": "b1",
                     "text": {"type": "plain_text", "text": "Approve ✅"}, "value": "approve",
                     "action_ts": "1700000123.000200"}]
    });
    let body = form(&[("payload", &payload.to_string())]);
    let m = message(parse(FORM, &body));
    assert_eq!(m.external_id, "C1:1700000123.000200");
    assert_eq!(m.conversation_id, "C1");
    assert_eq!(m.sender_id, "U1");
    assert_eq!(m.sender_name.as_deref(), Some("ann"));
    assert_eq!(m.text.as_deref(), Some("approve"));
    assert_eq!(m.timestamp, 1700000123);
    assert_eq!(m.reply_to.as_deref(), Some("C1:1700000000.000100"));
    assert_eq!(m.kind, Kind::Button);
    assert_eq!(
        m.button,
        Some(ButtonPress {
            payload: "approve".to_owned(),
            label: Some("Approve ✅".to_owned()),
        })
    );
    assert_eq!(m.chat_type, ChatType::Group);
    assert!(m.mentions_bot);
    let meta = meta(&m);
    assert_eq!(meta["type"], "block_actions");
    assert_eq!(meta["actions"][0]["action_id"], "approve");
    assert_eq!(meta["user"]["id"], "U1");
    assert_eq!(meta["channel"], "C1");
    assert_eq!(meta["message_ts"], "1700000000.000100");
    assert!(
        !m.metadata.contains("hooks.slack.com"),
        "response_url leaked"
    );
    assert!(!m.metadata.contains("legacy"), "token leaked");
}

#[test]
fn block_actions_outside_a_channel_address_the_user() {
    let payload = json!({
        "type": "block_actions", "trigger_id": "9.9.z",
        "user": {"id": "U7", "username": "bo"},
        "container": {"type": "view", "view_id": "V1"},
        "actions": [{"type": "static_select", "action_id": "pick",
                     "selected_option": {"text": {"type": "plain_text", "text": "Blue"}, "value": "blue"}}]
    });
    let headers = headers(FORM, &[("x-slack-request-timestamp", "1531420618")]);
    let parsed = parse_request(
        &headers,
        &form(&[("payload", &payload.to_string())]),
        &Options::default(),
    );
    let m = message(parsed.expect("readable"));
    assert_eq!(m.external_id, "U7:9.9.z");
    assert_eq!(m.conversation_id, "U7");
    assert_eq!(m.text.as_deref(), Some("blue"));
    assert_eq!(m.timestamp, 1531420618);
    assert_eq!(m.chat_type, ChatType::Direct);
    assert_eq!(m.kind, Kind::Button);
    assert_eq!(
        m.button,
        Some(ButtonPress {
            payload: "blue".to_owned(),
            label: Some("Blue".to_owned()),
        })
    );
}

#[test]
fn multi_selects_press_every_choice_and_pickers_stay_interactive() {
    let payload = |action: Value| {
        let payload = json!({"type": "block_actions", "trigger_id": "9.9.z",
                             "user": {"id": "U7"}, "channel": {"id": "C1"}, "actions": [action]});
        form(&[("payload", &payload.to_string())])
    };
    let m = message(parse(
        FORM,
        &payload(
            json!({"type": "checkboxes", "action_id": "c", "action_ts": "5.0",
            "selected_options": [
                {"text": {"type": "plain_text", "text": "Red"}, "value": "red"},
                {"text": {"type": "plain_text", "text": "Green"}, "value": "green"}]}),
        ),
    ));
    assert_eq!(m.kind, Kind::Button);
    assert_eq!(
        m.button,
        Some(ButtonPress {
            payload: "red,green".to_owned(),
            label: Some("Red, Green".to_owned()),
        })
    );
    for action in [
        json!({"type": "datepicker", "action_id": "d", "selected_date": "2024-05-01", "action_ts": "5.0"}),
        json!({"type": "users_select", "action_id": "u", "selected_user": "U2", "action_ts": "5.0"}),
        json!({"type": "plain_text_input", "action_id": "t", "value": "typed", "action_ts": "5.0"}),
    ] {
        let m = message(parse(FORM, &payload(action.clone())));
        assert_eq!(m.kind, Kind::Interactive, "{action}");
        assert_eq!(m.button, None, "{action}");
        assert!(m.text.is_some(), "{action}");
    }
}

#[test]
fn other_interactions_emit_nothing() {
    for kind in [
        "view_submission",
        "shortcut",
        "message_action",
        "view_closed",
    ] {
        let payload = json!({"type": kind, "user": {"id": "U1"}, "trigger_id": "1.2.3"});
        let parsed = parse(FORM, &form(&[("payload", &payload.to_string())]));
        assert!(nothing(&parsed), "{kind}");
    }
}

#[test]
fn slash_commands_are_text_messages() {
    let headers = headers(
        "application/x-www-form-urlencoded; charset=utf-8",
        &[("x-slack-request-timestamp", "1531420618")],
    );
    let parsed = parse_request(
        &headers,
        &fixture("slackdocs-signing-example.body.txt"),
        &Options::default(),
    );
    let m = message(parsed.expect("readable"));
    assert_eq!(
        m.external_id,
        "G8PSS9T3V:398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
    );
    assert_eq!(m.conversation_id, "G8PSS9T3V");
    assert_eq!(m.sender_id, "U2CERLKJA");
    assert_eq!(m.sender_name.as_deref(), Some("roadrunner"));
    assert_eq!(m.text.as_deref(), Some("/webhook-collect"));
    assert_eq!(m.timestamp, 1531420618);
    assert_eq!(m.kind, Kind::Text);
    assert_eq!(m.chat_type, ChatType::Group);
    assert!(m.mentions_bot, "a command is addressed to the app");
    let meta = meta(&m);
    assert_eq!(meta["source"], "slash_command");
    assert_eq!(meta["command"], "/webhook-collect");
    assert_eq!(meta["team_id"], "T1DC2JH3J");
    assert!(
        !m.metadata.contains("hooks.slack.com"),
        "response_url leaked"
    );
    assert!(!m.metadata.contains("xyzz0WbapA4v"), "token leaked");

    let with_args = form(&[
        ("command", "/weather"),
        ("text", "München morgen"),
        ("channel_id", "C1"),
        ("user_id", "U1"),
        ("trigger_id", "t1"),
    ]);
    let m = message(parse(FORM, &with_args));
    assert_eq!(m.text.as_deref(), Some("/weather München morgen"));
}

#[test]
fn malformed_bodies_are_told_apart_from_unreadable_ones() {
    let malformed = [
        (JSON, b"not json".to_vec()),
        (JSON, b"{\"type\":".to_vec()),
        (FORM, form(&[("payload", "{not json")])),
        (FORM, vec![0xff, 0xfe]),
    ];
    for (content_type, body) in malformed {
        let err = parse_request(&headers(content_type, &[]), &body, &Options::default())
            .expect_err("malformed");
        assert!(err.is_malformed(), "{err}");
    }
    let unreadable = [
        (JSON, json!([1, 2]).to_string().into_bytes()),
        (
            JSON,
            event(json!({"type": "message", "channel": "C1", "ts": "1.0"})),
        ),
        (
            JSON,
            event(json!({"type": "message", "channel": ["C1"], "ts": "1.0", "user": "U"})),
        ),
        (
            FORM,
            form(&[("payload", r#"{"type":"block_actions","actions":[]}"#)]),
        ),
    ];
    for (content_type, body) in unreadable {
        let err = parse_request(&headers(content_type, &[]), &body, &Options::default())
            .expect_err("unreadable");
        assert!(!err.is_malformed(), "{err}");
    }
}

#[test]
fn oversized_file_lists_are_dropped_to_fit_the_metadata_limit() {
    let files: Vec<Value> = (0..2000)
        .map(|i| json!({"id": format!("F{i}"), "name": "x".repeat(40), "mimetype": "text/plain"}))
        .collect();
    let m = message(parse(
        JSON,
        &event(json!({
        "type": "message", "subtype": "file_share", "channel": "C1", "user": "U1",
        "text": "many", "ts": "1.0", "files": files})),
    ));
    assert!(m.metadata.len() <= MAX_METADATA_BYTES);
    assert_eq!(meta(&m)["files_dropped"], true);
    assert_eq!(m.kind, Kind::Document);
}
