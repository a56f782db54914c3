//! The Gateway session against the fake host: opening a connection, every opcode
//! the channel handles, and heartbeats, with the recorded payloads (see the
//! fixtures' README).

use serde_json::{Value, json};
use switchboard_channel_sdk::fake::{FakeHost, answer, ok};
use switchboard_channel_sdk::{
    ChatType, FetchFailure, FrameOutcome, Inbound, Kind, Level, Response, SenderKind,
    SessionContext, header,
};

use super::state::{BOT_ID_KEY, SESSION_KEY, WAIT_KEY};
use super::*;
use crate::tests::{BOT_ID, fixture_text, metadata};

const SESSION_ID: &str = "d3f5b1c2e7a94c0f8b6a2e1d9c4f7a30";

fn context(cursor: Option<&str>, memo: Option<&Memo>) -> SessionContext {
    SessionContext {
        cursor: cursor.map(str::to_owned),
        memo: memo.map(Memo::encode),
    }
}

/// The memo of a session READY started on this daemon run.
fn ready_memo() -> Memo {
    Memo {
        session_id: Some(SESSION_ID.to_owned()),
        resume_gateway_url: Some("wss://gateway-us-east1-b.discord.gg".to_owned()),
        bot_id: Some(BOT_ID.to_owned()),
        acked: true,
    }
}

fn frame_text(name: &str) -> String {
    fixture_text(&format!("gateway/{name}"))
}

/// Runs one frame; it must be accepted.
fn frame(host: &FakeHost, text: &str, context: &SessionContext) -> FrameOutcome {
    on_frame(host, text, context).expect("frame accepted")
}

fn memo_of(outcome: &FrameOutcome) -> Memo {
    serde_json::from_str(outcome.memo.as_deref().expect("a memo")).expect("memo is JSON")
}

fn sent(outcome: &FrameOutcome) -> Vec<Value> {
    outcome
        .send
        .iter()
        .map(|f| serde_json::from_str(f).expect("frames are JSON"))
        .collect()
}

fn emitted(host: &FakeHost) -> Vec<Inbound> {
    host.emitted.borrow().clone()
}

/// A host whose instance state holds what READY stored before a restart.
fn restarted_host() -> FakeHost {
    let host = FakeHost::default();
    host.state.borrow_mut().insert(
        SESSION_KEY.to_owned(),
        json!({"session_id": SESSION_ID}).to_string().into_bytes(),
    );
    host.state
        .borrow_mut()
        .insert(BOT_ID_KEY.to_owned(), BOT_ID.as_bytes().to_vec());
    host
}

mod opening {
    use super::*;

    #[test]
    fn asks_get_gateway_bot_with_the_bot_token() {
        let host = FakeHost::answering(vec![ok(&fixture_text("rest/get-gateway-bot.json"))]);
        let target = open(&host, &context(None, None)).expect("opened");
        assert_eq!(
            target,
            SessionTarget {
                url: "wss://gateway.discord.gg/?v=10&encoding=json".to_owned(),
                headers: Vec::new(),
            }
        );
        let requests = host.requests.borrow();
        assert_eq!(requests.len(), 1);
        assert_eq!(requests[0].method, "GET");
        assert_eq!(requests[0].url, "https://discord.com/api/v10/gateway/bot");
        assert_eq!(
            header(&requests[0].headers, "authorization"),
            Some("Bot {{secret:bot_token}}")
        );
    }

    #[test]
    fn follows_the_api_base_setting() {
        let mut host = FakeHost::answering(vec![ok(r#"{"url": "ws://127.0.0.1:9/gw"}"#)]);
        host.settings.insert(
            "api_base".to_owned(),
            "http://127.0.0.1:9/api/v10/".to_owned(),
        );
        let target = open(&host, &context(None, None)).expect("opened");
        assert_eq!(target.url, "ws://127.0.0.1:9/gw/?v=10&encoding=json");
        assert_eq!(
            host.requests.borrow()[0].url,
            "http://127.0.0.1:9/api/v10/gateway/bot"
        );
    }

    #[test]
    fn the_gateway_url_setting_needs_no_request() {
        for (setting, url) in [
            (
                "wss://gateway.discord.gg",
                "wss://gateway.discord.gg/?v=10&encoding=json",
            ),
            (
                " ws://127.0.0.1:9/ ",
                "ws://127.0.0.1:9/?v=10&encoding=json",
            ),
            (
                "ws://127.0.0.1:9/?v=10&encoding=json&x=1",
                "ws://127.0.0.1:9/?v=10&encoding=json&x=1",
            ),
        ] {
            let mut host = FakeHost::default();
            host.settings
                .insert("gateway_url".to_owned(), setting.to_owned());
            let target = open(&host, &context(None, None)).expect("opened");
            assert_eq!(target.url, url, "{setting}");
            assert!(host.requests.borrow().is_empty());
        }
    }

    #[test]
    fn a_rejected_token_is_permanent() {
        let host = FakeHost::answering(vec![answer(
            401,
            r#"{"message": "401: Unauthorized", "code": 0}"#,
        )]);
        let failure = open(&host, &context(None, None)).expect_err("401");
        assert!(!failure.retryable);
        assert!(
            failure
                .message
                .starts_with("GET /gateway/bot: the bot token was rejected"),
            "{failure}"
        );
        assert!(failure.message.contains("bot_token"), "{failure}");
    }

    #[test]
    fn a_rate_limit_waits_the_time_discord_asks() {
        let limited = Ok(Response {
            status: 429,
            headers: vec![("retry-after".to_owned(), "65".to_owned())],
            body: fixture_text("rest/rate-limited.json").into_bytes(),
        });
        let host = FakeHost::answering(vec![limited]);
        let failure = open(&host, &context(None, None)).expect_err("429");
        assert!(failure.retryable);
        assert_eq!(failure.retry_after_secs, Some(65));
        let host = FakeHost::answering(vec![Ok(Response {
            status: 429,
            headers: vec![("retry-after".to_owned(), "3".to_owned())],
            body: Vec::new(),
        })]);
        let failure = open(&host, &context(None, None)).expect_err("429");
        assert_eq!(failure.retry_after_secs, Some(3));
    }

    #[test]
    fn server_and_network_trouble_is_retryable() {
        for trouble in [
            answer(502, ""),
            answer(
                500,
                r#"{"message": "500: Internal Server Error", "code": 0}"#,
            ),
            Err(FetchFailure::Timeout),
            Err(FetchFailure::Network("connection reset".to_owned())),
            ok(r#"{"shards": 1}"#),
            ok(r#"{"url": ""}"#),
        ] {
            let host = FakeHost::answering(vec![trouble.clone()]);
            let failure = open(&host, &context(None, None)).expect_err("fails");
            assert!(failure.retryable, "{trouble:?}: {failure}");
            assert!(
                failure.message.starts_with("GET /gateway/bot: "),
                "{failure}"
            );
        }
    }

    #[test]
    fn a_denied_request_is_permanent() {
        let host = FakeHost::answering(vec![Err(FetchFailure::Denied(
            "origin not granted".to_owned(),
        ))]);
        assert!(
            !open(&host, &context(None, None))
                .expect_err("denied")
                .retryable
        );
    }

    #[test]
    fn no_new_session_once_the_daily_allowance_is_used_up() {
        let exhausted = json!({
            "url": "wss://gateway.discord.gg/",
            "shards": 1,
            "session_start_limit": {
                "total": 1000, "remaining": 0, "reset_after": 14_400_500, "max_concurrency": 1
            }
        })
        .to_string();
        let host = FakeHost::answering(vec![ok(&exhausted)]);
        let failure = open(&host, &context(None, None)).expect_err("exhausted");
        assert!(failure.retryable);
        assert_eq!(failure.retry_after_secs, Some(14_401));
        assert!(host.logged(Level::Warn, "session_start_limit"));

        // A resume starts no new session, so it goes ahead.
        let host = FakeHost::answering(vec![ok(&exhausted)]);
        let memo = ready_memo();
        let target = open(&host, &context(Some("42"), Some(&memo))).expect("resumes");
        assert_eq!(target.url, "wss://gateway.discord.gg/?v=10&encoding=json");
    }

    #[test]
    fn after_an_invalidated_session_the_next_open_waits_once() {
        let host = FakeHost::answering(vec![ok(&fixture_text("rest/get-gateway-bot.json"))]);
        let outcome = frame(
            &host,
            &frame_text("invalid-session.json"),
            &context(Some("42"), Some(&ready_memo())),
        );
        let memo = memo_of(&outcome);
        let next = context(Some("42"), Some(&memo));
        let failure = open(&host, &next).expect_err("waits");
        assert!(failure.retryable);
        assert_eq!(failure.retry_after_secs, Some(5));
        assert!(host.requests.borrow().is_empty());
        assert!(open(&host, &next).is_ok());
        assert!(!host.state.borrow().contains_key(WAIT_KEY));
    }
}

mod hello {
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
}

mod dispatch {
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
}

mod control {
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
}

mod heartbeat {
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
}
