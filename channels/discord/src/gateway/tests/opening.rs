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
