//! Rate and daily limits with a single notice, and a reply loop paused.

use serde_json::{Value, json};

use super::telegram;

#[tokio::test]
async fn over_the_rate_messages_are_stored_unanswered_with_one_notice() {
    let s = telegram("dm = \"open\"\nrate = \"2/min\"\nmax_turns_per_day = 0").await;
    for text in ["one", "two", "three", "four"] {
        s.say(7777, 7777, text).await;
    }
    s.settle().await;
    let sent: Vec<String> = s.sent().into_iter().map(|(_, text)| text).collect();
    assert_eq!(sent.len(), 3, "{sent:?}");
    assert_eq!(sent[..2], ["one", "two"]);
    assert!(sent[2].contains("faster"), "one notice: {sent:?}");
    assert_eq!(
        s.reasons(),
        [
            ("one".to_owned(), Value::Null),
            ("two".to_owned(), Value::Null),
            ("three".to_owned(), json!("rate-limited")),
            ("four".to_owned(), json!("rate-limited")),
        ]
    );
    assert_eq!(s.metric("rate-limited").await, 2.0);
    assert_eq!(s.metric("turn").await, 2.0);
}

#[tokio::test]
async fn beyond_the_daily_cap_each_sender_is_told_once() {
    let s = telegram("dm = \"open\"\nrate = \"none\"\nmax_turns_per_day = 2").await;
    for text in ["a1", "a2", "a3", "a4"] {
        s.say(1, 1, text).await;
    }
    s.settle().await;
    for text in ["b1", "b2"] {
        s.say(2, 2, text).await;
    }
    s.settle().await;
    let sent = s.sent();
    let answers: Vec<&str> = sent
        .iter()
        .filter(|(_, t)| !t.contains("today"))
        .map(|(_, t)| t.as_str())
        .collect();
    assert_eq!(answers, ["a1", "a2"]);
    let notices: Vec<i64> = sent
        .iter()
        .filter(|(_, t)| t.contains("today"))
        .map(|(to, _)| *to)
        .collect();
    assert_eq!(notices, [1, 2], "one notice per sender");
    assert_eq!(s.metric("daily-cap").await, 4.0);
}

#[tokio::test]
async fn a_conversation_answered_faster_than_a_person_writes_is_paused() {
    let s =
        telegram("dm = \"open\"\nrate = \"none\"\nmax_turns_per_day = 0\nreply_burst = \"3/30s\"")
            .await;
    for n in 0..5 {
        s.say(8888, 8888, &format!("ping {n}")).await;
    }
    s.settle().await;
    assert_eq!(s.sent().len(), 3, "{:?}", s.sent());
    let reasons: Vec<Value> = s.reasons().into_iter().map(|(_, r)| r).collect();
    assert_eq!(reasons[3..], [json!("loop-paused"), json!("loop-paused")]);
    assert!(
        s.daemon.log().contains("conversation paused"),
        "{}",
        s.daemon.log()
    );
}
