//! The `http` agent: the request each turn makes, history, replies, retries and
//! dead letters.

use std::time::Duration;

use serde_json::{Value, json};

use super::scripted::ScriptedServer;
use super::{CHAT, history, is_rfc3339_ms, replies, setup, turn, wait_requests};
use crate::harness::eventually;
use crate::mock::{MockApi, Rule};

#[tokio::test]
async fn http_agent_gets_each_message_with_bounded_history_and_its_replies_are_sent() {
    let agent = ScriptedServer::start(|_, n| match n {
        0 => (200, replies(&["first answer"])),
        1 => (200, replies(&["second answer, part 1", "part 2"])),
        _ => (200, replies(&[])),
    })
    .await;
    let s = setup(
        &format!(
            r#"[agent]
kind = "http"
url = "{}/turn"
timeout_secs = 5
max_history = 4
headers = {{ Authorization = "Bearer agent-e2e-key", X-Tenant = {{ env = "E2E_AGENT_TENANT" }} }}"#,
            agent.origin
        ),
        &[("E2E_AGENT_TENANT", "tenant-7")],
    )
    .await;

    s.say(1, "hello").await;
    assert_eq!(s.wait_sent(1).await, ["first answer"]);
    s.say(2, "how are you?").await;
    assert_eq!(
        s.wait_sent(3).await,
        ["first answer", "second answer, part 1", "part 2"],
        "each reply is its own message, in order"
    );
    // A photo: no text, but the agent still hears of it.
    s.deliver(&json!({
        "update_id": 3,
        "message": {
            "message_id": 3, "date": 1_700_000_003,
            "chat": {"id": CHAT, "type": "private"},
            "from": {"id": CHAT, "first_name": "Ada"},
            "photo": [{"file_id": "small", "file_unique_id": "s", "width": 90, "height": 90}]
        }
    }))
    .await;
    let requests = wait_requests(&s.daemon, 3, || agent.requests()).await;

    let first = &requests[0];
    assert_eq!(first.method, "POST");
    assert_eq!(first.path, "/turn");
    assert_eq!(first.header("authorization"), Some("Bearer agent-e2e-key"));
    assert_eq!(first.header("x-tenant"), Some("tenant-7"));
    assert!(
        first
            .header("content-type")
            .is_some_and(|c| c.starts_with("application/json")),
        "{first:?}"
    );
    let message = &first.json()["message"];
    assert_eq!(message["instance"], "tg");
    assert_eq!(message["external_id"], format!("{CHAT}:1"));
    assert_eq!(message["conversation_id"], CHAT.to_string());
    assert_eq!(message["sender_id"], CHAT.to_string());
    assert_eq!(message["sender_name"], "Ada Lovelace");
    assert_eq!(message["text"], "hello");
    assert_eq!(message["kind"], "text");
    assert!(is_rfc3339_ms(&message["received_at"]), "{message}");
    assert!(history(first).is_empty());

    // The second turn sees the first message and the first reply, oldest first.
    let second = &requests[1];
    assert_eq!(second.json()["message"]["text"], "how are you?");
    assert_eq!(
        history(second),
        [turn("user", "hello"), turn("assistant", "first answer")]
    );
    let entries = second.json()["history"].clone();
    assert_eq!(entries[0]["sender_name"], "Ada Lovelace");
    assert!(entries[1]["sender_name"].is_null());
    assert!(is_rfc3339_ms(&entries[0]["at"]) && is_rfc3339_ms(&entries[1]["at"]));

    // The third: at most `max_history` (4) of the 5 earlier entries, the newest.
    let third = &requests[2];
    assert!(third.json()["message"]["text"].is_null());
    assert_eq!(third.json()["message"]["kind"], "image");
    assert_eq!(
        history(third),
        [
            turn("assistant", "first answer"),
            turn("user", "how are you?"),
            turn("assistant", "second answer, part 1"),
            turn("assistant", "part 2"),
        ]
    );

    // `{"replies": []}` sends nothing.
    s.daemon.wait_idle().await;
    assert_eq!(s.sent().len(), 3);
    assert_eq!(agent.requests().len(), 3, "each message is asked once");
    let log = s.daemon.log();
    assert!(!log.contains("agent-e2e-key") && !log.contains("tenant-7"));
}

#[tokio::test]
async fn http_agent_server_errors_are_retried_and_then_answered_once() {
    let agent = MockApi::start().await;
    agent.rule(Rule {
        path: "/turn".to_owned(),
        status: 503,
        body: r#"{"error":"warming up"}"#.to_owned(),
        headers: Vec::new(),
        times: Some(1),
    });
    agent.rule(Rule {
        path: "/turn".to_owned(),
        status: 200,
        body: replies(&["back again"]),
        headers: Vec::new(),
        times: None,
    });
    let s = setup(
        &format!(
            "[agent]\nkind = \"http\"\nurl = \"{}/turn?key=url-secret-e2e\"",
            agent.origin
        ),
        &[],
    )
    .await;
    s.say(1, "are you there?").await;
    assert_eq!(s.wait_sent(1).await, ["back again"]);
    let requests = agent.requests();
    assert_eq!(requests.len(), 2, "one failure, one retry");
    assert_eq!(
        requests[0].json(),
        requests[1].json(),
        "the retry asks the same turn"
    );
    let log = s.daemon.log();
    assert!(log.contains("agent failed; will retry"), "{log}");
    assert!(log.contains("503"), "the log says why: {log}");
    assert!(
        !log.contains("url-secret-e2e"),
        "the agent URL's query is not logged"
    );
    s.daemon.wait_idle().await;
    assert_eq!(s.sent().len(), 1);
    assert!(
        s.daemon
            .json_lines(&["dead-letters", "list", "--json"])
            .is_empty()
    );
}

#[tokio::test]
async fn http_agent_timeouts_are_retried_until_it_answers() {
    let agent = ScriptedServer::start(|_, _| (200, replies(&["sorry, I was slow"]))).await;
    agent.hold();
    let s = setup(
        &format!(
            "[agent]\nkind = \"http\"\nurl = \"{}/turn\"\ntimeout_secs = 0.5",
            agent.origin
        ),
        &[],
    )
    .await;
    s.say(1, "hello?").await;
    // Two attempts time out (the second after a backoff), then the agent recovers.
    wait_requests(&s.daemon, 2, || agent.requests()).await;
    assert!(s.sent().is_empty());
    agent.release();
    assert_eq!(s.wait_sent(1).await, ["sorry, I was slow"]);
    let log = s.daemon.log();
    assert!(log.contains("timed out"), "the log says why: {log}");
    s.daemon.wait_idle().await;
    assert_eq!(s.sent().len(), 1, "answered once");
    let texts: Vec<Value> = agent
        .requests()
        .iter()
        .map(|r| r.json()["message"]["text"].clone())
        .collect();
    assert!(
        texts.len() >= 2 && texts.iter().all(|t| t == "hello?"),
        "{texts:?}"
    );
}

#[tokio::test]
async fn http_agent_refusal_dead_letters_the_turn_and_the_conversation_moves_on() {
    let agent = MockApi::start().await;
    agent.rule(Rule {
        path: "/turn".to_owned(),
        status: 422,
        body: r#"{"error":"cannot handle this"}"#.to_owned(),
        headers: Vec::new(),
        times: Some(1),
    });
    agent.rule(Rule {
        path: "/turn".to_owned(),
        status: 200,
        body: replies(&["this one I can answer"]),
        headers: Vec::new(),
        times: None,
    });
    let s = setup(
        &format!("[agent]\nkind = \"http\"\nurl = \"{}/turn\"", agent.origin),
        &[],
    )
    .await;
    s.say(1, "something odd").await;
    let letters = eventually(Duration::from_secs(20), || {
        let letters = s.daemon.json_lines(&["dead-letters", "list", "--json"]);
        (!letters.is_empty()).then_some(letters)
    })
    .await
    .unwrap_or_else(|| panic!("no dead letter; log:\n{}", s.daemon.log()));
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0]["kind"], "agent");
    assert_eq!(letters[0]["instance"], "tg");
    let error = letters[0]["error"].as_str().unwrap_or_default();
    assert!(error.contains("422"), "{error}");
    assert_eq!(agent.requests().len(), 1, "a 4xx is not retried");

    s.say(2, "something normal").await;
    assert_eq!(s.wait_sent(1).await, ["this one I can answer"]);
    // The failed message is no longer in the way, nor is it answered.
    let requests = agent.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1].json()["message"]["text"], "something normal");
    assert_eq!(
        history(&requests[1]),
        [turn("user", "something odd")],
        "history holds messages, and only replies that exist"
    );
}

#[tokio::test]
async fn http_agent_that_keeps_failing_is_dead_lettered_after_the_configured_attempts() {
    let agent = MockApi::start().await;
    agent.rule(Rule {
        path: "/turn".to_owned(),
        status: 500,
        body: r#"{"error":"model crashed"}"#.to_owned(),
        headers: Vec::new(),
        times: Some(3),
    });
    agent.rule(Rule {
        path: "/turn".to_owned(),
        status: 200,
        body: replies(&["fixed now"]),
        headers: Vec::new(),
        times: None,
    });
    let s = setup(
        &format!(
            "[agent]\nkind = \"http\"\nurl = \"{}/turn\"\n\n[delivery]\nretry_base_ms = 50\nretry_max_ms = 200\nagent_max_attempts = 3",
            agent.origin
        ),
        &[],
    )
    .await;
    s.say(1, "please answer").await;
    let letters = eventually(Duration::from_secs(20), || {
        let letters = s.daemon.json_lines(&["dead-letters", "list", "--json"]);
        (!letters.is_empty()).then_some(letters)
    })
    .await
    .unwrap_or_else(|| panic!("no dead letter; log:\n{}", s.daemon.log()));
    assert_eq!(letters[0]["kind"], "agent");
    assert!(
        letters[0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("500") && e.contains("model crashed")),
        "{letters:?}"
    );
    assert_eq!(agent.requests().len(), 3, "exactly the configured attempts");
    assert!(s.sent().is_empty());

    // Once the agent is fixed, the operator replays the turn into the running daemon.
    let id = letters[0]["id"].as_i64().expect("id").to_string();
    let (ok, out, err) = s.daemon.cli(&["dead-letters", "replay", &id]);
    assert!(ok, "replay failed:\n{out}\n{err}");
    assert_eq!(s.wait_sent(1).await, ["fixed now"]);
    assert_eq!(agent.requests().len(), 4);
}
