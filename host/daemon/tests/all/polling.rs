//! The poll loop of a `mode = "polling"` instance, one poll at a time: what a poll
//! brings is committed with its cursor, the next poll starts from it, failures store
//! nothing, and the instance has no webhook without its verification secret.

use serde_json::Value;
use switchboard_daemon::AccessPolicy;

use crate::support::{PollStep, Rig, TOKEN, TOKEN_HEADER, lock, workers};

fn polling_rig() -> Rig {
    polling_rig_with(true)
}

fn polling_rig_with(secret: bool) -> Rig {
    Rig::with_settings(
        &["tg"],
        workers(),
        tempfile::tempdir().expect("temp dir"),
        AccessPolicy::open(),
        &[("mode", "polling")],
        secret,
    )
}

#[tokio::test]
async fn what_a_poll_brings_is_committed_with_its_cursor_answered_and_the_next_poll_starts_there() {
    let mut rig = polling_rig();
    let channel = rig.channels["tg"].clone();
    lock(&channel.polls).extend([
        PollStep::Brought {
            messages: vec![("1:1", "1", "one"), ("1:2", "1", "two")],
            unmapped: vec![],
            cursor: Some("13"),
        },
        // The same update again (a crash before the cursor was committed, say).
        PollStep::Brought {
            messages: vec![("1:2", "1", "two")],
            unmapped: vec![],
            cursor: Some("14"),
        },
    ]);
    assert_eq!(rig.harness.poll_once("tg").await, "stored");
    assert_eq!(rig.harness.poll_once("tg").await, "stored");
    assert_eq!(rig.harness.poll_once("tg").await, "empty");
    assert_eq!(
        *lock(&channel.polled_with),
        [None, Some("13".to_owned()), Some("14".to_owned())]
    );
    let store = rig.harness.store();
    assert_eq!(
        store.receive_cursor("tg").await.unwrap().as_deref(),
        Some("14")
    );
    assert_eq!(store.counts().await.unwrap().messages, 2, "stored once");

    // Handed to the queues like a webhook's messages: answered in order.
    rig.harness.settle(5).await;
    assert_eq!(channel.sent_texts(), ["re: one", "re: two"]);
    let metrics = rig.harness.metrics();
    assert!(
        metrics.contains(r#"switchboard_polls_total{instance="tg",outcome="messages"} 2"#),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_failed_poll_or_commit_stores_nothing_and_the_next_poll_asks_from_the_old_cursor() {
    let mut rig = polling_rig();
    let channel = rig.channels["tg"].clone();
    lock(&channel.polls).extend([
        PollStep::Brought {
            messages: vec![("1:1", "1", "one")],
            unmapped: vec![],
            cursor: Some("2"),
        },
        PollStep::Fail {
            retryable: true,
            retry_after_secs: Some(5),
        },
        PollStep::Fail {
            retryable: false,
            retry_after_secs: None,
        },
        PollStep::Trap,
        PollStep::Brought {
            messages: vec![("1:2", "1", "two")],
            unmapped: vec![],
            cursor: Some("3"),
        },
        PollStep::Brought {
            messages: vec![("1:2", "1", "two")],
            unmapped: vec![],
            cursor: Some("3"),
        },
    ]);
    assert_eq!(rig.harness.poll_once("tg").await, "stored");
    // A platform error with a delay, one that needs the operator, a trap: the
    // messages such a call emitted are not stored, and the cursor stays.
    assert_eq!(rig.harness.poll_once("tg").await, "retry-after");
    assert_eq!(rig.harness.poll_once("tg").await, "needs-operator");
    assert_eq!(rig.harness.poll_once("tg").await, "retry");
    // A commit that fails (a read-only database): nothing, not even the cursor.
    rig.harness.store().simulate_read_only(true).await.unwrap();
    assert_eq!(rig.harness.poll_once("tg").await, "retry");
    rig.harness.store().simulate_read_only(false).await.unwrap();
    assert_eq!(rig.harness.poll_once("tg").await, "stored");

    assert_eq!(
        *lock(&channel.polled_with),
        [
            None,
            Some("2".to_owned()),
            Some("2".to_owned()),
            Some("2".to_owned()),
            Some("2".to_owned()),
            Some("2".to_owned()),
        ]
    );
    let store = rig.harness.store();
    assert_eq!(
        store.receive_cursor("tg").await.unwrap().as_deref(),
        Some("3")
    );
    let ids: Vec<String> = store
        .messages(Some("tg"), 10)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.message.external_id)
        .collect();
    assert_eq!(
        ids,
        ["1:2", "1:1"],
        "nothing of the failed calls was stored"
    );
    rig.harness.settle(5).await;
    assert_eq!(channel.sent_texts(), ["re: one", "re: two"]);
    let metrics = rig.harness.metrics();
    for (outcome, n) in [
        ("platform_error", 2),
        ("call_failed", 1),
        ("store_failed", 1),
    ] {
        let series = format!(r#"switchboard_polls_total{{instance="tg",outcome="{outcome}"}} {n}"#);
        assert!(metrics.contains(&series), "{series}\n{metrics}");
    }
}

#[tokio::test]
async fn an_update_the_channel_cannot_map_is_kept_as_a_webhook_shaped_dead_letter() {
    let rig = polling_rig();
    let channel = rig.channels["tg"].clone();
    lock(&channel.polls).push_back(PollStep::Brought {
        messages: vec![],
        unmapped: vec![r#"{"update_id":7,"weird":true}"#],
        cursor: Some("8"),
    });
    assert_eq!(rig.harness.poll_once("tg").await, "stored");
    let letters = rig.harness.store().dead_letters(false).await.unwrap();
    assert_eq!(letters.len(), 1);
    assert!(
        letters[0].error.contains("no sender"),
        "{}",
        letters[0].error
    );
    // The payload is a webhook delivery of the update, so replay can run it through
    // on-http-request.
    let request: Value = serde_json::from_slice(&letters[0].payload).expect("a request");
    assert_eq!(request["method"], "POST");
    assert_eq!(
        rig.harness
            .store()
            .receive_cursor("tg")
            .await
            .unwrap()
            .as_deref(),
        Some("8")
    );
}

#[tokio::test]
async fn a_polling_instance_serves_its_webhook_only_with_its_verification_secret() {
    // Configured with its verification secret: served, and verified.
    let rig = polling_rig_with(true);
    let body = br#"{"messages":[{"id":"w1","conversation":"1","text":"hi"}]}"#;
    let answer = rig.harness.post("tg", &[(TOKEN_HEADER, TOKEN)], body).await;
    assert_eq!(answer.status, 200);
    let answer = rig
        .harness
        .post("tg", &[(TOKEN_HEADER, "wrong")], body)
        .await;
    assert_eq!(answer.status, 401);

    // Without it (the usual polling set-up): no webhook at all, and the daemon still
    // prepares, since a polling instance needs no verification secret.
    let rig = polling_rig_with(false);
    let answer = rig.harness.post("tg", &[(TOKEN_HEADER, TOKEN)], body).await;
    assert_eq!(answer.status, 404);
    assert_eq!(answer.rejected, Some("not_a_webhook_instance"));
    assert_eq!(rig.harness.store().counts().await.unwrap().messages, 0);
}
