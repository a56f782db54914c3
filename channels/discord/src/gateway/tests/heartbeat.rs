use super::*;

#[test]
fn a_tick_sends_the_last_sequence_number_and_awaits_the_ack() {
    let host = FakeHost::default();
    let outcome = on_tick(&host, &context(Some("42"), Some(&ready_memo()))).expect("tick");
    assert_eq!(sent(&outcome), vec![json!({"op": 1, "d": 42})]);
    assert!(!memo_of(&outcome).acked);
    assert!(!outcome.reconnect);
    assert_eq!(outcome.cursor, None);
}

#[test]
fn before_the_first_dispatch_the_heartbeat_carries_null() {
    let host = FakeHost::default();
    for cursor in [None, Some("0")] {
        let outcome = on_tick(&host, &context(cursor, Some(&Memo::default()))).expect("tick");
        assert_eq!(
            sent(&outcome),
            vec![json!({"op": 1, "d": null})],
            "{cursor:?}"
        );
    }
}

#[test]
fn a_heartbeat_without_an_ack_means_a_zombie_connection() {
    let host = FakeHost::default();
    let waiting = Memo {
        acked: false,
        ..ready_memo()
    };
    let outcome = on_tick(&host, &context(Some("42"), Some(&waiting))).expect("tick");
    assert_eq!(
        outcome,
        FrameOutcome {
            reconnect: true,
            ..FrameOutcome::default()
        }
    );
    assert!(host.logged(Level::Warn, "did not acknowledge the last heartbeat"));
}

/// A whole connection's life, memo and cursor carried from call to call as the
/// host carries them: identify, READY, heartbeats, a missed ack, and the resume.
#[test]
fn a_zombie_connection_is_resumed_on_the_next_one() {
    let host = FakeHost::answering(vec![
        ok(&fixture_text("rest/get-gateway-bot.json")),
        ok(&fixture_text("rest/get-gateway-bot.json")),
    ]);
    let mut cursor: Option<String> = None;
    let mut memo: Option<String> = None;
    let mut step = |outcome: FrameOutcome| {
        if outcome.cursor.is_some() {
            cursor.clone_from(&outcome.cursor);
        }
        if outcome.memo.is_some() {
            memo.clone_from(&outcome.memo);
        }
        let now = SessionContext {
            cursor: cursor.clone(),
            memo: memo.clone(),
        };
        (outcome, now)
    };
    let (_, now) = step(FrameOutcome::default());
    open(&host, &now).expect("opened");
    let (hello, now) = step(frame(&host, &frame_text("hello.json"), &now));
    assert_eq!(sent(&hello)[0]["op"], 2);
    let (_, now) = step(frame(&host, &frame_text("ready.json"), &now));
    let (_, now) = step(frame(&host, &frame_text("message-create-dm.json"), &now));
    let (beat, now) = step(on_tick(&host, &now).expect("tick"));
    assert_eq!(sent(&beat), vec![json!({"op": 1, "d": 2})]);
    let (_, now) = step(frame(&host, &frame_text("heartbeat-ack.json"), &now));
    let (beat, now) = step(on_tick(&host, &now).expect("tick"));
    assert_eq!(sent(&beat).len(), 1);
    // No ack this time.
    let (zombie, now) = step(on_tick(&host, &now).expect("tick"));
    assert!(zombie.reconnect);
    open(&host, &now).expect("reopened");
    let (hello, _) = step(frame(&host, &frame_text("hello.json"), &now));
    assert_eq!(
        sent(&hello),
        vec![json!({
            "op": 6,
            "d": {"token": "{{secret:bot_token}}", "session_id": SESSION_ID, "seq": 2},
        })]
    );
    assert_eq!(host.emitted.borrow().len(), 1);
}
