//! Polls against the fake host: the `getUpdates` request, the updates it brings
//! (the answers in `tests/fixtures/telegram/answers`, see its README), the next
//! cursor, and how refusals are classified.

use serde_json::{Value, json};
use switchboard_channel_sdk::fake::{FakeHost, answer, ok};
use switchboard_channel_sdk::{Body, ChatType, Inbound, Kind};

use super::*;

const GET_UPDATES: &str = "https://api.telegram.org/bot{{secret:bot_token}}/getUpdates";

/// What a poll asks for besides the offset.
const ALLOWED_UPDATES: [&str; 6] = [
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "message_reaction",
    "callback_query",
];

fn read_fixture(name: &str) -> String {
    let path = format!(
        "{}/../../tests/fixtures/telegram/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"))
}

/// A `getUpdates` answer carrying these updates, each as the text given.
fn updates(updates: &[&str]) -> String {
    format!(r#"{{"ok":true,"result":[{}]}}"#, updates.join(","))
}

/// A host that knows the bot's username, so no `getMe` runs.
fn named_host(answers: Vec<Result<Response, FetchFailure>>) -> FakeHost {
    let mut host = FakeHost::answering(answers);
    host.settings
        .insert("bot_username".to_owned(), "SwitchboardBot".to_owned());
    host
}

fn with_setting(mut host: FakeHost, name: &str, value: &str) -> FakeHost {
    host.settings.insert(name.to_owned(), value.to_owned());
    host
}

fn emitted_ids(host: &FakeHost) -> Vec<String> {
    host.emitted
        .borrow()
        .iter()
        .map(|m| m.external_id.clone())
        .collect()
}

#[test]
fn the_first_poll_asks_for_every_mapped_type_without_an_offset() {
    let host = named_host(vec![ok(&read_fixture(
        "answers/constructed-getupdates-empty.json",
    ))]);
    let outcome = poll(&host, None).expect("polled");
    assert_eq!(outcome, PollOutcome::default());
    let requests = host.requests.borrow();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method, "POST");
    assert_eq!(requests[0].url, GET_UPDATES);
    assert_eq!(requests[0].timeout_ms, Some(40_000));
    assert!(matches!(requests[0].body, Body::Bytes(_)));
    assert_eq!(
        host.sent_bodies(),
        [json!({"timeout": 30, "limit": 100, "allowed_updates": ALLOWED_UPDATES})]
    );
}

#[test]
fn the_cursor_is_the_offset() {
    for (cursor, offset) in [("10001", 10001), (" 42 ", 42), ("-1", -1)] {
        let host = named_host(vec![ok(&updates(&[]))]);
        assert_eq!(
            poll(&host, Some(cursor)).expect("polled").next_cursor,
            None,
            "an empty poll keeps the cursor"
        );
        assert_eq!(host.sent_bodies()[0]["offset"], offset, "{cursor:?}");
        assert!(host.logs.borrow().is_empty());
    }
}

#[test]
fn a_cursor_that_is_no_update_id_is_a_warning_and_no_offset() {
    let host = named_host(vec![ok(&updates(&[]))]);
    poll(&host, Some("not-a-number")).expect("polled");
    let body = &host.sent_bodies()[0];
    assert!(body.get("offset").is_none(), "{body}");
    assert!(host.logged(Level::Warn, "\"not-a-number\" is not an update_id"));
}

#[test]
fn updates_are_emitted_in_order_and_the_next_cursor_follows_the_highest() {
    let host = named_host(vec![ok(&read_fixture(
        "answers/constructed-getupdates-two-messages.json",
    ))]);
    let outcome = poll(&host, None).expect("polled");
    assert_eq!(outcome.next_cursor.as_deref(), Some("10003"));
    assert!(outcome.unmapped.is_empty());
    let emitted = host.emitted.borrow();
    let ids: Vec<&str> = emitted.iter().map(|m| m.external_id.as_str()).collect();
    assert_eq!(ids, ["1111111:1366", "-1001000000001:301"]);
    assert_eq!(emitted[0].chat_type, ChatType::Direct);
    assert_eq!(emitted[0].text.as_deref(), Some("What is new today?"));
    assert_eq!(emitted[1].chat_type, ChatType::Group);
    assert!(emitted[1].mentions_bot);
    let meta: Value = serde_json::from_str(&emitted[1].metadata).expect("json");
    assert_eq!(meta["update_id"], 10002);
}

#[test]
fn the_next_cursor_is_the_highest_update_id_plus_one_in_any_order() {
    let text = |update_id: i64, message_id: i64| {
        json!({"update_id": update_id, "message": {"message_id": message_id, "date": 1,
            "chat": {"id": 42, "type": "private"}, "from": {"id": 42}, "text": "x"}})
        .to_string()
    };
    let answer = updates(&[&text(7, 1), &text(9, 2), &text(8, 3)]);
    let host = named_host(vec![ok(&answer)]);
    let outcome = poll(&host, Some("7")).expect("polled");
    assert_eq!(outcome.next_cursor.as_deref(), Some("10"));
    assert_eq!(emitted_ids(&host), ["42:1", "42:2", "42:3"]);
}

#[test]
fn one_update_may_emit_several_messages_and_another_none() {
    // A changed reaction is one removal and one addition; a member change
    // carries no message. Both still move the cursor.
    let reaction = json!({"update_id": 31, "message_reaction": {
        "chat": {"id": -100, "type": "supergroup"}, "message_id": 5, "date": 9,
        "user": {"id": 3, "first_name": "Bo"},
        "old_reaction": [{"type": "emoji", "emoji": "👍"}],
        "new_reaction": [{"type": "emoji", "emoji": "🔥"}]}});
    let member = r#"{"update_id":32,"my_chat_member":{"chat":{"id":1},"date":1}}"#;
    let host = named_host(vec![ok(&updates(&[&reaction.to_string(), member]))]);
    let outcome = poll(&host, None).expect("polled");
    assert_eq!(outcome.next_cursor.as_deref(), Some("33"));
    let emitted = host.emitted.borrow();
    let kinds: Vec<(Kind, bool)> = emitted
        .iter()
        .map(|m| (m.kind, m.reaction.as_ref().expect("reaction").removed))
        .collect();
    assert_eq!(kinds, [(Kind::Reaction, false), (Kind::Reaction, true)]);
    assert!(host.logged(Level::Debug, "my_chat_member"));
}

#[test]
fn an_unmappable_update_is_returned_byte_for_byte_and_the_rest_go_on() {
    let answer = read_fixture("answers/constructed-getupdates-unreadable.json");
    let host = named_host(vec![ok(&answer)]);
    let outcome = poll(&host, Some("20001")).expect("polled");
    assert_eq!(outcome.next_cursor.as_deref(), Some("20003"));
    assert_eq!(outcome.unmapped.len(), 1);
    let unmapped = &outcome.unmapped[0];
    assert!(
        unmapped.reason.contains("`message`") && unmapped.reason.contains("chat"),
        "{}",
        unmapped.reason
    );
    // The payload is the update's exact text in the answer, as a webhook would
    // have posted it, not a re-serialisation.
    let payload = std::str::from_utf8(&unmapped.payload).expect("utf-8");
    assert!(
        payload.starts_with("{\n      \"update_id\": 20001,"),
        "{payload}"
    );
    assert!(answer.contains(payload));
    let value: Value = serde_json::from_str(payload).expect("json");
    assert_eq!(value["message"]["text"], "this message has no chat");
    assert_eq!(emitted_ids(&host), ["5000000001:402"]);
    assert!(host.dead_letters.borrow().is_empty());
    assert!(host.logged(Level::Warn, "cannot read the `message`"));
}

#[test]
fn an_unmapped_payload_replays_through_the_webhook() {
    let answer = read_fixture("answers/constructed-getupdates-unreadable.json");
    let host = named_host(vec![ok(&answer)]);
    let outcome = poll(&host, None).expect("polled");
    let replay = named_host(Vec::new());
    let response = crate::webhook::handle(&replay, "POST", &outcome.unmapped[0].payload);
    assert_eq!(response.status, 200);
    assert_eq!(
        *replay.dead_letters.borrow(),
        [outcome.unmapped[0].reason.clone()]
    );
}

#[test]
fn an_update_arrives_by_poll_as_it_does_by_webhook() {
    for fixture in [
        "bloodcell-callback-query.json",
        "teloxide-message-reaction-added.json",
        "teloxide-photo-caption.json",
        "tgdocs-edited-message.json",
    ] {
        let update = read_fixture(fixture);
        let polled = named_host(vec![ok(&updates(&[&update]))]);
        poll(&polled, None).expect("polled");
        let posted = named_host(Vec::new());
        assert_eq!(
            crate::webhook::handle(&posted, "POST", update.as_bytes()).status,
            200
        );
        let by_poll: Vec<Inbound> = polled.emitted.take();
        assert!(!by_poll.is_empty(), "{fixture}");
        assert_eq!(by_poll, posted.emitted.take(), "{fixture}");
    }
}

#[test]
fn a_button_tap_by_poll_is_a_button_message_the_hook_answers() {
    let host = named_host(vec![ok(&read_fixture(
        "answers/constructed-getupdates-callback-query.json",
    ))]);
    let outcome = poll(&host, None).expect("polled");
    assert_eq!(outcome.next_cursor.as_deref(), Some("734997100"));
    let tap = host.emitted.borrow()[0].clone();
    assert_eq!(tap.kind, Kind::Button);
    assert_eq!(tap.external_id, "callback:4278655576057498272");

    let hooked = FakeHost::answering(vec![ok(r#"{"ok":true,"result":true}"#)]);
    crate::hooks::on_message_persisted(&hooked, &tap).expect("answered");
    assert_eq!(
        hooked.sent_bodies(),
        [json!({"callback_query_id": "4278655576057498272"})]
    );
}

#[test]
fn json_that_is_no_update_is_skipped_with_a_warning() {
    let host = named_host(vec![ok(&updates(&[
        "5",
        r#"{"update_id":"x"}"#,
        r#"{"update_id":4,"message":{"message_id":1,"date":1,"chat":{"id":9},"text":"y"}}"#,
    ]))]);
    let outcome = poll(&host, None).expect("polled");
    assert_eq!(outcome.next_cursor.as_deref(), Some("5"));
    assert!(outcome.unmapped.is_empty());
    assert_eq!(emitted_ids(&host), ["9:1"]);
    assert!(host.logged(Level::Warn, "not a telegram update"));
}

#[test]
fn a_message_the_host_rejects_is_logged_and_the_cursor_moves_on() {
    let mut host = named_host(vec![ok(&read_fixture(
        "answers/constructed-getupdates-two-messages.json",
    ))]);
    host.reject
        .insert("1111111:1366".to_owned(), "metadata too large".to_owned());
    let outcome = poll(&host, None).expect("polled");
    assert_eq!(outcome.next_cursor.as_deref(), Some("10003"));
    assert_eq!(emitted_ids(&host), ["-1001000000001:301"]);
    assert!(host.logged(Level::Error, "1111111:1366: metadata too large"));
}

#[test]
fn the_api_base_setting_is_where_the_poll_goes() {
    let host = with_setting(
        named_host(vec![ok(&updates(&[]))]),
        "api_base",
        "http://127.0.0.1:8081/",
    );
    poll(&host, None).expect("polled");
    assert_eq!(
        host.requests.borrow()[0].url,
        "http://127.0.0.1:8081/bot{{secret:bot_token}}/getUpdates"
    );
}

#[test]
fn the_timeout_setting_sets_the_wait_and_the_request_timeout() {
    for (value, timeout, timeout_ms) in [("0", 0, 10_000), ("50", 50, 60_000), (" 5 ", 5, 15_000)] {
        let host = with_setting(named_host(vec![ok(&updates(&[]))]), TIMEOUT_SETTING, value);
        poll(&host, None).expect("polled");
        assert_eq!(host.sent_bodies()[0]["timeout"], timeout, "{value:?}");
        assert_eq!(
            host.requests.borrow()[0].timeout_ms,
            Some(timeout_ms),
            "{value:?}"
        );
    }
}

#[test]
fn a_timeout_setting_out_of_range_is_permanent_and_asks_nothing() {
    for value in ["51", "-1", "thirty", "", "2.5", "99999999999"] {
        // No scripted answer: a request would panic.
        let host = with_setting(named_host(Vec::new()), TIMEOUT_SETTING, value);
        let failure = poll(&host, None).expect_err(value);
        assert!(!failure.retryable, "{value:?}");
        assert!(
            failure.message.contains("poll_timeout_secs") && failure.message.contains("0 to 50"),
            "{value:?}: {}",
            failure.message
        );
    }
}

#[test]
fn a_webhook_still_set_needs_the_operator() {
    let host = named_host(vec![answer(
        409,
        &read_fixture("answers/constructed-getupdates-webhook-active.json"),
    )]);
    let failure = poll(&host, Some("10003")).expect_err("409");
    assert!(!failure.retryable);
    assert_eq!(failure.retry_after_secs, None);
    for needle in ["a webhook is set", "deleteWebhook", "`mode` to \"webhook\""] {
        assert!(failure.message.contains(needle), "{}", failure.message);
    }
}

#[test]
fn another_poller_with_the_same_token_is_named() {
    let host = named_host(vec![answer(
        409,
        r#"{"ok":false,"error_code":409,"description":"Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"}"#,
    )]);
    let failure = poll(&host, None).expect_err("409");
    assert!(!failure.retryable);
    assert!(
        failure
            .message
            .contains("another program polls with this bot token"),
        "{}",
        failure.message
    );
}

#[test]
fn flood_control_is_retried_after_the_delay_telegram_asks_for() {
    let host = named_host(vec![answer(
        429,
        &read_fixture("answers/constructed-flood-control.json"),
    )]);
    let failure = poll(&host, None).expect_err("429");
    assert!(failure.retryable);
    assert_eq!(failure.retry_after_secs, Some(5));
    assert!(
        failure
            .message
            .starts_with("getUpdates: telegram error 429"),
        "{}",
        failure.message
    );
    assert!(host.emitted.borrow().is_empty());
}

#[test]
fn a_rejected_token_needs_the_operator() {
    for (status, body) in [
        (
            401,
            r#"{"ok":false,"error_code":401,"description":"Unauthorized"}"#,
        ),
        (
            404,
            r#"{"ok":false,"error_code":404,"description":"Not Found"}"#,
        ),
        (401, "Unauthorized"),
    ] {
        let host = named_host(vec![answer(status, body)]);
        let failure = poll(&host, None).expect_err("refused");
        assert!(!failure.retryable, "{status}");
        assert!(
            failure.message.contains("the bot token was rejected"),
            "{}",
            failure.message
        );
    }
}

#[test]
fn other_client_errors_are_permanent_with_the_description() {
    let host = named_host(vec![answer(
        400,
        r#"{"ok":false,"error_code":400,"description":"Bad Request: wrong parameter action in request"}"#,
    )]);
    let failure = poll(&host, None).expect_err("400");
    assert!(!failure.retryable);
    assert_eq!(
        failure.message,
        "getUpdates: telegram error 400: Bad Request: wrong parameter action in request"
    );
}

#[test]
fn server_errors_timeouts_and_network_trouble_are_retryable() {
    for failing in [
        answer(502, "<html>Bad Gateway</html>"),
        answer(
            500,
            r#"{"ok":false,"error_code":500,"description":"Internal Server Error"}"#,
        ),
        Err(FetchFailure::Timeout),
        Err(FetchFailure::Network("connection reset".to_owned())),
        // A 2xx that is not a Bot API answer: a proxy's page.
        answer(200, "<html>maintenance</html>"),
    ] {
        let described = format!("{failing:?}");
        let host = named_host(vec![failing]);
        let failure = poll(&host, None).expect_err(&described);
        assert!(failure.retryable, "{described}: {}", failure.message);
        assert!(
            failure.message.starts_with("getUpdates: "),
            "{}",
            failure.message
        );
    }
}

#[test]
fn a_denied_request_is_permanent() {
    let host = named_host(vec![Err(FetchFailure::Denied(
        "origin not granted".to_owned(),
    ))]);
    let failure = poll(&host, None).expect_err("denied");
    assert!(!failure.retryable);
    assert!(failure.message.contains("origin not granted"));
}

#[test]
fn an_answer_too_large_for_the_host_is_asked_again_for_fewer_updates() {
    let host = named_host(vec![
        Err(FetchFailure::TooLarge),
        Err(FetchFailure::TooLarge),
        ok(&read_fixture(
            "answers/constructed-getupdates-two-messages.json",
        )),
    ]);
    let outcome = poll(&host, Some("10001")).expect("polled");
    assert_eq!(outcome.next_cursor.as_deref(), Some("10003"));
    let limits: Vec<Value> = host
        .sent_bodies()
        .iter()
        .map(|body| {
            assert_eq!(body["offset"], 10001);
            body["limit"].clone()
        })
        .collect();
    assert_eq!(limits, [json!(100), json!(10), json!(1)]);
    assert!(host.logged(Level::Warn, "at most 10 updates"));

    let host = named_host(vec![
        Err(FetchFailure::TooLarge),
        Err(FetchFailure::TooLarge),
        Err(FetchFailure::TooLarge),
    ]);
    let failure = poll(&host, None).expect_err("too large");
    assert!(!failure.retryable);
    assert!(failure.message.contains("larger than the host accepts"));
}

#[test]
fn a_result_that_is_no_list_is_permanent() {
    for body in [r#"{"ok":true,"result":true}"#, r#"{"ok":true}"#] {
        let host = named_host(vec![ok(body)]);
        let failure = poll(&host, None).expect_err(body);
        assert!(!failure.retryable, "{body}");
        assert!(failure.message.starts_with("getUpdates: "), "{body}");
    }
}
