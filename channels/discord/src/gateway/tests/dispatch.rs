use super::*;

#[test]
fn ready_keeps_the_session_in_the_memo_and_in_instance_state() {
    let host = FakeHost::default();
    let outcome = frame(
        &host,
        &frame_text("ready.json"),
        &context(None, Some(&Memo::default())),
    );
    assert_eq!(outcome.cursor.as_deref(), Some("1"));
    assert_eq!(memo_of(&outcome), ready_memo());
    assert!(outcome.send.is_empty());
    let state = host.state.borrow();
    let stored: Value =
        serde_json::from_slice(state.get(SESSION_KEY).expect("session kept")).expect("json");
    assert_eq!(stored, json!({"session_id": SESSION_ID}));
    assert_eq!(
        state.get(BOT_ID_KEY).map(Vec::as_slice),
        Some(BOT_ID.as_bytes())
    );
}

#[test]
fn resumed_only_moves_the_cursor() {
    let host = FakeHost::default();
    let memo = ready_memo();
    let outcome = frame(
        &host,
        r#"{"op":0,"s":57,"t":"RESUMED","d":{"_trace":["x"]}}"#,
        &context(Some("50"), Some(&memo)),
    );
    assert_eq!(
        outcome,
        FrameOutcome {
            cursor: Some("57".to_owned()),
            ..FrameOutcome::default()
        }
    );
}

#[test]
fn other_dispatches_only_move_the_cursor() {
    let host = FakeHost::default();
    let outcome = frame(
        &host,
        r#"{"op":0,"s":3,"t":"GUILD_CREATE","d":{"id":"290926798626357999"}}"#,
        &context(Some("2"), Some(&ready_memo())),
    );
    assert_eq!(
        outcome,
        FrameOutcome {
            cursor: Some("3".to_owned()),
            ..FrameOutcome::default()
        }
    );
    assert!(emitted(&host).is_empty());
    assert!(host.logged(Level::Debug, "GUILD_CREATE dispatch"));
}

#[test]
fn a_direct_message_is_emitted_with_its_sequence_number_as_the_cursor() {
    let host = FakeHost::default();
    let outcome = frame(
        &host,
        &frame_text("message-create-dm.json"),
        &context(Some("1"), Some(&ready_memo())),
    );
    assert_eq!(
        outcome,
        FrameOutcome {
            cursor: Some("2".to_owned()),
            ..FrameOutcome::default()
        }
    );
    let emitted = emitted(&host);
    assert_eq!(emitted.len(), 1);
    let message = &emitted[0];
    assert_eq!(message.external_id, "290926798999357250:334385199974967042");
    assert_eq!(message.chat_type, ChatType::Direct);
    assert_eq!(message.text.as_deref(), Some("Supa Hot"));
}

#[test]
fn a_mention_in_a_guild_mentions_the_bot() {
    let host = FakeHost::default();
    let outcome = frame(
        &host,
        &frame_text("message-create-guild-mention.json"),
        &context(Some("3"), Some(&ready_memo())),
    );
    assert_eq!(outcome.cursor.as_deref(), Some("4"));
    let message = &emitted(&host)[0];
    assert_eq!(message.chat_type, ChatType::Group);
    assert!(message.mentions_bot);
    assert_eq!(message.attachments.len(), 2);
    assert_eq!(metadata(message)["guild_id"], "290926798626357999");
}

#[test]
fn after_a_restart_the_bots_id_comes_from_instance_state() {
    let host = restarted_host();
    frame(
        &host,
        &frame_text("message-create-guild-mention.json"),
        &context(Some("3"), None),
    );
    assert!(emitted(&host)[0].mentions_bot);
    frame(
        &host,
        &frame_text("message-create-own.json"),
        &context(Some("4"), None),
    );
    assert_eq!(
        emitted(&host).len(),
        1,
        "the bot's own message is not emitted"
    );
}

#[test]
fn the_bots_own_messages_are_not_emitted_but_the_cursor_moves() {
    let host = FakeHost::default();
    let outcome = frame(
        &host,
        &frame_text("message-create-own.json"),
        &context(Some("5"), Some(&ready_memo())),
    );
    assert_eq!(
        outcome,
        FrameOutcome {
            cursor: Some("6".to_owned()),
            ..FrameOutcome::default()
        }
    );
    assert!(emitted(&host).is_empty());
    assert!(host.logged(Level::Debug, "the bot's own message"));
}

#[test]
fn other_bots_messages_are_emitted_as_bots() {
    let host = FakeHost::default();
    frame(
        &host,
        &frame_text("message-create-other-bot.json"),
        &context(Some("6"), Some(&ready_memo())),
    );
    let message = &emitted(&host)[0];
    assert_eq!(message.sender_kind, SenderKind::Bot);
    assert_eq!(message.sender_id, "1000000000000000400");
}

#[test]
fn an_edit_is_emitted_as_an_edit() {
    let host = FakeHost::default();
    let outcome = frame(
        &host,
        &frame_text("message-update-edit.json"),
        &context(Some("9"), Some(&ready_memo())),
    );
    assert_eq!(outcome.cursor.as_deref(), Some("10"));
    let message = &emitted(&host)[0];
    assert!(message.is_edit);
    assert_eq!(message.edited_at_ms, Some(1_714_558_530_123));
    assert_eq!(
        message.external_id,
        "645027906669510667:1235203015113162833"
    );
    assert_eq!(message.kind, Kind::Text);
}

#[test]
fn an_update_that_is_not_an_edit_emits_nothing() {
    let host = FakeHost::default();
    let outcome = frame(
        &host,
        &frame_text("message-update-embed.json"),
        &context(Some("10"), Some(&ready_memo())),
    );
    assert_eq!(outcome.cursor.as_deref(), Some("11"));
    assert!(outcome.unmapped.is_empty());
    assert!(emitted(&host).is_empty());
}

#[test]
fn an_unmappable_message_is_kept_byte_for_byte_and_the_cursor_moves() {
    let host = FakeHost::default();
    let text = r#"{"op": 0, "s": 12, "t": "MESSAGE_CREATE", "d": {"id": "1", "channel_id": "2", "content": "who wrote this?"}}"#;
    let outcome = frame(&host, text, &context(Some("11"), Some(&ready_memo())));
    assert_eq!(outcome.cursor.as_deref(), Some("12"));
    assert_eq!(outcome.unmapped.len(), 1);
    assert_eq!(outcome.unmapped[0].payload, text.as_bytes());
    assert_eq!(
        outcome.unmapped[0].reason,
        "MESSAGE_CREATE 2:1 without an author"
    );
    assert!(emitted(&host).is_empty());
    assert!(host.logged(Level::Warn, "without an author"));
}

#[test]
fn a_message_the_host_rejects_is_logged() {
    let mut host = FakeHost::default();
    host.reject.insert(
        "290926798999357250:334385199974967042".to_owned(),
        "metadata too large".to_owned(),
    );
    let outcome = frame(
        &host,
        &frame_text("message-create-dm.json"),
        &context(Some("1"), Some(&ready_memo())),
    );
    assert!(outcome.unmapped.is_empty());
    assert!(host.logged(Level::Error, "metadata too large"));
}
