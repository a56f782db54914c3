//! Telegram Bot API failures: refused and unreachable calls end up where an
//! operator sees them, and never put the bot token into the log.

use std::time::Duration;

use serde_json::json;

use super::{BOT_TOKEN, assert_no_secret_in_log, private_chat, setup_with, update};
use crate::harness::eventually;
use crate::mock::{MockApi, Rule};

#[tokio::test]
async fn refused_reply_is_dead_lettered_and_failures_never_log_the_token() {
    let mock = MockApi::start().await;
    mock.rule(Rule {
        path: "/sendMessage".to_owned(),
        status: 400,
        body: json!({"ok": false, "error_code": 400, "description": "Bad Request: chat not found"})
            .to_string(),
        headers: Vec::new(),
        times: None,
    });
    let origin = mock.origin.clone();
    let s = setup_with(mock, &origin).await;
    s.deliver(&update("message", private_chat(), 6, "hello?"))
        .await;
    let dead = eventually(Duration::from_secs(20), || {
        let replies = s.daemon.replies();
        (replies.first()?["status"] == "dead").then_some(replies)
    })
    .await;
    assert!(
        dead.is_some(),
        "a permanent platform error dead-letters the reply; log:\n{}",
        s.daemon.log()
    );
    assert_eq!(s.sent().len(), 1, "a permanent error is not retried");
    let letters = s.daemon.json_lines(&["dead-letters", "list", "--json"]);
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert_eq!(letters[0]["kind"], "reply");
    assert!(
        letters[0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("chat not found")),
        "{letters:?}"
    );
    assert_no_secret_in_log(&s.daemon);
}

#[tokio::test]
async fn unreachable_bot_api_is_retried_and_never_logs_the_token() {
    // A closed port: every call fails at the network level, the kind of error
    // whose message is most likely to quote the URL, token and all.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        format!("http://{}", listener.local_addr().expect("addr"))
    };
    let s = setup_with(MockApi::start().await, &closed).await;
    s.deliver(&update("message", private_chat(), 7, "anyone?"))
        .await;
    // A button tap, whose hook (answerCallbackQuery) fails the same way.
    s.deliver(&crate::harness::fixture_json(
        "telegram/bloodcell-callback-query.json",
    ))
    .await;
    let retried = eventually(Duration::from_secs(20), || {
        let log = s.daemon.log();
        (log.contains("reply not delivered; will retry")
            && log.contains("on-message-persisted failed; will retry"))
        .then_some(())
    })
    .await;
    assert!(retried.is_some(), "log:\n{}", s.daemon.log());
    // The failure is logged just before it is recorded: wait for the record.
    let reply = eventually(Duration::from_secs(20), || {
        s.daemon.replies().into_iter().find(|r| {
            r["text"] == "anyone?" && r["last_error"].as_str().is_some_and(|e| !e.is_empty())
        })
    })
    .await
    .unwrap_or_else(|| panic!("the failure is recorded: {:?}", s.daemon.replies()));
    assert_eq!(reply["status"], "pending", "{reply:?}");
    let error = reply["last_error"].as_str().unwrap_or_default();
    assert!(
        !error.contains(BOT_TOKEN),
        "token in the stored error: {error}"
    );
    assert_no_secret_in_log(&s.daemon);
}
