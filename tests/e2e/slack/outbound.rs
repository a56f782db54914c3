//! What Switchboard sends back to Slack: thread-aware replies, the acknowledgement
//! reaction, and a webhook ACK that waits for neither.

use std::time::Duration;

use serde_json::json;

use super::{DEFAULT, Options, POSTED_TS, envelope, message, setup, setup_with};
use crate::agents::scripted::ScriptedServer;
use crate::harness::eventually;

#[tokio::test]
async fn thread_replies_are_answered_in_their_thread() {
    let s = setup().await;
    let parent = "1700000003.000300";
    let mut reply = message("C0CHAN", "1700000004.000400", "in the thread");
    reply["thread_ts"] = json!(parent);
    s.deliver(&envelope("Ev0THREAD", reply)).await;
    let m = &s.daemon.messages()[0];
    assert_eq!(m["conversation_id"], format!("C0CHAN:{parent}"));
    s.expect_outbound(1, 1).await;
    let body = s.posts()[0].json();
    assert_eq!(body["channel"], "C0CHAN");
    assert_eq!(body["thread_ts"], parent);
    assert_eq!(body["text"], "in the thread");
    assert_eq!(s.reactions()[0].json()["timestamp"], "1700000004.000400");
}

#[tokio::test]
async fn empty_ack_reaction_setting_sends_no_reaction() {
    let s = setup_with(Options {
        ack_reaction: Some(""),
        ..DEFAULT
    })
    .await;
    s.deliver(&envelope(
        "Ev0NOACK",
        message("C0CHAN", "1700000010.001000", "quiet"),
    ))
    .await;
    s.expect_outbound(0, 1).await;
}

#[tokio::test]
async fn acknowledgement_waits_neither_for_the_agent_nor_for_the_web_api() {
    let api =
        ScriptedServer::start(|_, _| (200, json!({"ok": true, "ts": POSTED_TS}).to_string())).await;
    let agent = ScriptedServer::start(|req, _| {
        let text = req.json()["message"]["text"].clone();
        (200, json!({"replies": [{"text": text}]}).to_string())
    })
    .await;
    api.hold();
    agent.hold();
    let s = setup_with(Options {
        api_origin: Some(api.origin.clone()),
        agent: Some(format!(
            "[agent]\nkind = \"http\"\nurl = \"{}/turn\"\ntimeout_secs = 60",
            agent.origin
        )),
        ..DEFAULT
    })
    .await;

    // Each of these would time out (10 s) if the ACK waited for the held calls.
    s.deliver(&envelope(
        "Ev0SLOW1",
        message("C0CHAN", "1700000011.001100", "first"),
    ))
    .await;
    let busy = eventually(Duration::from_secs(20), || {
        (!api.requests_to("reactions.add").is_empty() && !agent.requests().is_empty()).then_some(())
    })
    .await;
    assert!(busy.is_some(), "log:\n{}", s.daemon.log());
    s.deliver(&envelope(
        "Ev0SLOW2",
        message("C0OTHER", "1700000012.001200", "second"),
    ))
    .await;
    assert_eq!(s.daemon.messages().len(), 2);
    assert!(
        api.requests_to("chat.postMessage").is_empty(),
        "nothing was answered yet"
    );

    api.release();
    agent.release();
    let posted = eventually(Duration::from_secs(20), || {
        (api.requests_to("chat.postMessage").len() >= 2).then_some(())
    })
    .await;
    assert!(posted.is_some(), "log:\n{}", s.daemon.log());
    let mut texts: Vec<String> = api
        .requests_to("chat.postMessage")
        .iter()
        .map(|r| r.json()["text"].as_str().unwrap_or_default().to_owned())
        .collect();
    texts.sort();
    assert_eq!(texts, ["first", "second"]);
}
