use super::*;

#[test]
fn a_heartbeat_request_is_answered_at_once_with_the_last_sequence_number() {
    let host = FakeHost::default();
    let memo = ready_memo();
    let outcome = frame(
        &host,
        &frame_text("heartbeat-request.json"),
        &context(Some("42"), Some(&memo)),
    );
    assert_eq!(sent(&outcome), vec![json!({"op": 1, "d": 42})]);
    assert_eq!(
        outcome,
        FrameOutcome {
            send: outcome.send.clone(),
            ..FrameOutcome::default()
        }
    );
    let outcome = frame(
        &host,
        &frame_text("heartbeat-request.json"),
        &context(None, None),
    );
    assert_eq!(sent(&outcome), vec![json!({"op": 1, "d": null})]);
}

#[test]
fn a_heartbeat_ack_is_noted_in_the_memo() {
    let host = FakeHost::default();
    let waiting = Memo {
        acked: false,
        ..ready_memo()
    };
    let outcome = frame(
        &host,
        &frame_text("heartbeat-ack.json"),
        &context(Some("42"), Some(&waiting)),
    );
    assert_eq!(memo_of(&outcome), ready_memo());
    assert!(outcome.send.is_empty());
    assert!(!outcome.reconnect);
    // Already acknowledged: nothing changes.
    let outcome = frame(
        &host,
        &frame_text("heartbeat-ack.json"),
        &context(Some("42"), Some(&ready_memo())),
    );
    assert_eq!(outcome, FrameOutcome::default());
}

#[test]
fn reconnect_keeps_the_session_to_resume() {
    let host = FakeHost::default();
    let outcome = frame(
        &host,
        &frame_text("reconnect.json"),
        &context(Some("42"), Some(&ready_memo())),
    );
    assert_eq!(
        outcome,
        FrameOutcome {
            reconnect: true,
            ..FrameOutcome::default()
        }
    );
}

#[test]
fn a_resumable_invalid_session_reconnects_and_resumes() {
    let host = restarted_host();
    let outcome = frame(
        &host,
        &frame_text("invalid-session-resumable.json"),
        &context(Some("42"), Some(&ready_memo())),
    );
    assert_eq!(
        outcome,
        FrameOutcome {
            reconnect: true,
            ..FrameOutcome::default()
        }
    );
    assert!(host.state.borrow().contains_key(SESSION_KEY));
    assert!(!host.state.borrow().contains_key(WAIT_KEY));
}

#[test]
fn an_invalid_session_forgets_it_and_identifies_next_time() {
    let host = restarted_host();
    let outcome = frame(
        &host,
        &frame_text("invalid-session.json"),
        &context(Some("42"), Some(&ready_memo())),
    );
    assert!(outcome.reconnect);
    assert!(outcome.send.is_empty());
    let memo = memo_of(&outcome);
    assert_eq!(
        memo,
        Memo {
            bot_id: Some(BOT_ID.to_owned()),
            ..Memo::default()
        }
    );
    assert!(!host.state.borrow().contains_key(SESSION_KEY));
    assert!(
        host.state.borrow().contains_key(BOT_ID_KEY),
        "the bot id stays"
    );
    assert!(host.logged(Level::Warn, "invalidated the gateway session"));

    let hello = frame(
        &host,
        &frame_text("hello.json"),
        &context(Some("42"), Some(&memo)),
    );
    assert_eq!(sent(&hello)[0]["op"], 2);
    assert_eq!(hello.cursor.as_deref(), Some("0"));
}

#[test]
fn frames_that_are_not_gateway_payloads_are_errors() {
    let host = FakeHost::default();
    let failure = on_frame(&host, "hello there", &context(None, None)).expect_err("not json");
    assert!(!failure.retryable);
    assert!(
        failure.message.starts_with("gateway frame is not json"),
        "{failure}"
    );
    for text in [r#"{"t":"READY"}"#, r#"{"op":"0"}"#, "[1]", "null"] {
        let failure = on_frame(&host, text, &context(None, None)).expect_err(text);
        assert_eq!(
            failure.message,
            "gateway frame without an op: not a discord gateway payload"
        );
    }
}

#[test]
fn unknown_opcodes_need_nothing() {
    let host = FakeHost::default();
    let outcome = frame(&host, r#"{"op":42,"d":null}"#, &context(None, None));
    assert_eq!(outcome, FrameOutcome::default());
    assert!(host.logged(Level::Debug, "gateway op 42"));
}

#[test]
fn an_unreadable_memo_starts_afresh() {
    let host = FakeHost::default();
    let context = SessionContext {
        cursor: Some("42".to_owned()),
        memo: Some("not json".to_owned()),
    };
    let outcome = frame(&host, &frame_text("hello.json"), &context);
    assert_eq!(sent(&outcome)[0]["op"], 2);
    assert!(host.logged(Level::Warn, "unreadable session memo"));
}
