use super::*;

#[test]
fn identifies_with_the_token_placeholder_and_starts_the_heartbeat() {
    let host = FakeHost::default();
    let outcome = frame(&host, &frame_text("hello.json"), &context(None, None));
    assert_eq!(outcome.tick_ms, Some(45_000));
    assert_eq!(
        sent(&outcome),
        vec![json!({
            "op": 2,
            "d": {
                "token": "{{secret:bot_token}}",
                "intents": 37_376,
                "properties": {"os": "linux", "browser": "switchboard", "device": "switchboard"},
            },
        })]
    );
    assert_eq!(memo_of(&outcome), Memo::default());
    assert_eq!(outcome.cursor, None);
    assert!(!outcome.reconnect);
    assert!(outcome.send_after_commit.is_empty());
    assert_eq!(INTENTS, (1 << 9) | (1 << 12) | (1 << 15));
}

#[test]
fn resumes_the_stored_session_from_the_committed_cursor_after_a_restart() {
    let host = restarted_host();
    let outcome = frame(
        &host,
        &frame_text("hello.json"),
        &context(Some("1337"), None),
    );
    assert_eq!(outcome.tick_ms, Some(45_000));
    assert_eq!(
        sent(&outcome),
        vec![json!({
            "op": 6,
            "d": {"token": "{{secret:bot_token}}", "session_id": SESSION_ID, "seq": 1337},
        })]
    );
    let memo = memo_of(&outcome);
    assert_eq!(memo.session_id.as_deref(), Some(SESSION_ID));
    assert_eq!(memo.bot_id.as_deref(), Some(BOT_ID));
    assert!(memo.acked);
    assert_eq!(outcome.cursor, None, "the cursor stays");
}

#[test]
fn resumes_the_session_of_the_memo_after_a_reconnect() {
    let host = FakeHost::default();
    let memo = Memo {
        acked: false,
        ..ready_memo()
    };
    let outcome = frame(
        &host,
        &frame_text("hello.json"),
        &context(Some("42"), Some(&memo)),
    );
    assert_eq!(sent(&outcome)[0]["op"], 6);
    assert_eq!(sent(&outcome)[0]["d"]["seq"], 42);
    assert_eq!(memo_of(&outcome), ready_memo(), "acknowledged afresh");
}

#[test]
fn identifies_without_a_sequence_number_and_resets_a_stale_cursor() {
    // A session but no committed sequence number: nothing to resume from.
    let host = restarted_host();
    let outcome = frame(&host, &frame_text("hello.json"), &context(None, None));
    assert_eq!(sent(&outcome)[0]["op"], 2);
    assert_eq!(outcome.cursor, None);

    // A sequence number but no session (forgotten): the old numbers are void.
    let host = FakeHost::default();
    let memo = Memo {
        bot_id: Some(BOT_ID.to_owned()),
        ..Memo::default()
    };
    let outcome = frame(
        &host,
        &frame_text("hello.json"),
        &context(Some("42"), Some(&memo)),
    );
    assert_eq!(sent(&outcome)[0]["op"], 2);
    assert_eq!(outcome.cursor.as_deref(), Some("0"));
    assert_eq!(memo_of(&outcome), memo);

    // "0" is no sequence number: identify again, without touching the cursor.
    let outcome = frame(&host, &frame_text("hello.json"), &context(Some("0"), None));
    assert_eq!(sent(&outcome)[0]["op"], 2);
    assert_eq!(outcome.cursor, None);
}

#[test]
fn ticks_never_faster_than_the_host_allows() {
    let host = FakeHost::default();
    let outcome = frame(
        &host,
        r#"{"op":10,"d":{"heartbeat_interval":250}}"#,
        &context(None, None),
    );
    assert_eq!(outcome.tick_ms, Some(1_000));
}

#[test]
fn a_hello_without_an_interval_is_an_error() {
    let host = FakeHost::default();
    let failure =
        on_frame(&host, r#"{"op":10,"d":{}}"#, &context(None, None)).expect_err("no interval");
    assert_eq!(failure.message, "hello without a heartbeat_interval");
}
