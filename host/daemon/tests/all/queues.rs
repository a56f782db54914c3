//! The queue engine through the hook, turn and reply queues.

use std::sync::Arc;
use std::time::Duration;

use switchboard_daemon::testing::QueueName;
use switchboard_store::{DeadLetterKind, ReplyStatus, WorkState};

use crate::support::{Respond, Rig, lock, workers};

#[tokio::test]
async fn a_stored_message_gets_its_hook_its_turn_and_its_reply() {
    let mut rig = Rig::new(&["tg"]);
    rig.deliver("tg", &[("m1", "c", "hello")]).await;

    rig.harness.settle(5).await;

    let channel = rig.channel("tg");
    assert_eq!(*lock(&channel.hooked), ["m1"]);
    assert_eq!(rig.agent.asked(), ["hello"]);
    assert_eq!(channel.sent_texts(), ["re: hello"]);
    let replies = rig.harness.store().replies(None, 10).await.unwrap();
    assert_eq!(replies[0].status, ReplyStatus::Sent);
    assert_eq!(
        replies[0].receipt_external_id.as_deref(),
        Some("sent-sb-tg-1-0")
    );
}

#[tokio::test]
async fn a_conversation_is_answered_in_order_even_when_its_first_turn_is_retried() {
    let mut rig = Rig::new(&["tg"]);
    lock(&rig.agent.failing).insert("one".to_owned(), 1);
    rig.deliver("tg", &[("m1", "c", "one"), ("m2", "c", "two")])
        .await;
    rig.deliver("tg", &[("m3", "c", "three"), ("x1", "other", "elsewhere")])
        .await;

    rig.harness.settle(5).await;

    // The first turn failed; the rest of its conversation waits, the other
    // conversation does not.
    let mut asked = rig.agent.asked();
    asked.sort();
    assert_eq!(asked, ["elsewhere", "one"]);
    assert_eq!(rig.channel("tg").sent_texts(), ["re: elsewhere"]);

    // Not before the backoff (2 s base, ±20 %) has passed on the clock.
    rig.advance(Duration::from_millis(1500));
    rig.harness.settle(5).await;
    assert_eq!(rig.agent.asked().len(), 2);

    rig.advance(Duration::from_secs(1));
    rig.harness.settle(5).await;
    let in_c = |texts: Vec<String>| -> Vec<String> {
        texts
            .into_iter()
            .filter(|t| !t.contains("elsewhere"))
            .collect()
    };
    assert_eq!(in_c(rig.agent.asked()), ["one", "one", "two", "three"]);
    assert_eq!(
        in_c(rig.channel("tg").sent_texts()),
        ["re: one", "re: two", "re: three"]
    );
}

#[tokio::test]
async fn a_retryable_reply_waits_for_retry_after_then_goes_out_once() {
    let mut rig = Rig::new(&["tg"]);
    rig.channel("tg").script([Respond::Fail {
        retryable: true,
        retry_after_secs: Some(30),
    }]);
    rig.deliver("tg", &[("m1", "c", "hello")]).await;
    rig.harness.settle(5).await;
    assert!(rig.channel("tg").sent_texts().is_empty());

    rig.advance(Duration::from_secs(29));
    assert_eq!(rig.harness.run_round(QueueName::Replies).await, 0);

    rig.advance(Duration::from_secs(2));
    assert_eq!(rig.harness.run_round(QueueName::Replies).await, 1);
    assert_eq!(rig.channel("tg").sent_texts(), ["re: hello"]);
    let reply = &rig.harness.store().replies(None, 10).await.unwrap()[0];
    assert_eq!((reply.status, reply.attempts), (ReplyStatus::Sent, 2));
    assert!(
        rig.harness
            .metrics()
            .contains(r#"switchboard_replies_total{instance="tg",outcome="retry"} 1"#)
    );
}

#[tokio::test]
async fn replies_that_cannot_go_out_are_dead_lettered_after_the_last_attempt() {
    let mut rig = Rig::new(&["tg"]);
    rig.channel("tg").script([
        Respond::Fail {
            retryable: false,
            retry_after_secs: None,
        },
        Respond::Trap,
        Respond::Trap,
        Respond::Trap,
    ]);
    rig.deliver("tg", &[("m1", "a", "refused"), ("m2", "b", "trapped")])
        .await;

    for _ in 0..4 {
        rig.harness.settle(5).await;
        rig.advance(Duration::from_secs(60));
    }

    assert!(rig.channel("tg").sent_texts().is_empty());
    let replies = rig.harness.store().replies(None, 10).await.unwrap();
    assert!(
        replies.iter().all(|r| r.status == ReplyStatus::Dead),
        "{replies:?}"
    );
    // The refused one on its first attempt, the trapping one after three.
    let mut attempts: Vec<u32> = replies.iter().map(|r| r.attempts).collect();
    attempts.sort_unstable();
    assert_eq!(attempts, [1, 3]);
    let letters = rig.harness.store().dead_letters(false).await.unwrap();
    assert_eq!(letters.len(), 2);
    assert!(letters.iter().all(|l| l.kind == DeadLetterKind::Reply));
}

#[tokio::test]
async fn an_agent_that_keeps_failing_dead_letters_the_message_and_frees_the_conversation() {
    let mut rig = Rig::new(&["tg"]);
    lock(&rig.agent.rejecting).push("poison".to_owned());
    rig.deliver("tg", &[("m1", "c", "poison"), ("m2", "c", "fine")])
        .await;

    rig.harness.settle(5).await;

    assert_eq!(rig.agent.asked(), ["poison", "fine"]);
    assert_eq!(rig.channel("tg").sent_texts(), ["re: fine"]);
    let letters = rig.harness.store().dead_letters(false).await.unwrap();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].kind, DeadLetterKind::Agent);
}

#[tokio::test]
async fn a_failing_hook_is_retried_with_backoff_and_does_not_hold_back_the_turn() {
    let mut rig = Rig::new(&["tg"]);
    *lock(&rig.channel("tg").hook_failures) = 1;
    rig.deliver("tg", &[("m1", "c", "hello")]).await;

    rig.harness.settle(5).await;
    assert!(lock(&rig.channel("tg").hooked).is_empty());
    assert_eq!(rig.channel("tg").sent_texts(), ["re: hello"]);

    rig.advance(Duration::from_secs(3));
    rig.harness.settle(5).await;
    assert_eq!(*lock(&rig.channel("tg").hooked), ["m1"]);
    let id = rig.harness.store().messages(None, 1).await.unwrap()[0].id;
    let status = rig.harness.store().message_status(id).await.unwrap();
    assert_eq!(
        (status.hook_state, status.hook_attempts),
        (WorkState::Done, 2)
    );
}

#[tokio::test]
async fn a_sent_reply_whose_outcome_cannot_be_recorded_is_not_sent_again() {
    let mut rig = Rig::new(&["tg"]);
    rig.deliver("tg", &[("m1", "c", "hello")]).await;
    rig.harness.run_round(QueueName::Hooks).await;
    rig.harness.run_round(QueueName::Turns).await;

    // The platform accepts the reply, but the store refuses to note it.
    rig.harness.store().simulate_read_only(true).await.unwrap();
    rig.harness.run_round(QueueName::Replies).await;
    assert_eq!(rig.channel("tg").sent_texts(), ["re: hello"]);
    rig.harness.run_round(QueueName::Replies).await;

    rig.harness.store().simulate_read_only(false).await.unwrap();
    // The store stamped the reply with the system's time; the poll reads it at the
    // test's clock.
    rig.advance(Duration::from_secs(1));
    rig.harness.run_round(QueueName::Replies).await;

    assert_eq!(rig.channel("tg").sent_texts(), ["re: hello"], "sent once");
    let reply = &rig.harness.store().replies(None, 10).await.unwrap()[0];
    assert_eq!(reply.status, ReplyStatus::Sent);
}

#[tokio::test]
async fn a_slow_instance_does_not_hold_back_another_instances_replies() {
    let mut config = workers();
    config.concurrency = 1;
    let mut rig = Rig::with(&["slow", "fast"], config, tempfile::tempdir().unwrap());
    let (slow, fast) = (
        Arc::new(tokio::sync::Notify::new()),
        Arc::new(tokio::sync::Notify::new()),
    );
    // Each instance's reply is stuck in its call until the other's call runs: with a
    // slot shared between instances, whichever started first would give up.
    rig.channel("slow").script([Respond::Meet {
        mine: slow.clone(),
        theirs: fast.clone(),
    }]);
    rig.channel("fast").script([Respond::Meet {
        mine: fast,
        theirs: slow,
    }]);
    rig.deliver("slow", &[("s1", "c", "first")]).await;
    rig.harness.run_round(QueueName::Turns).await;
    rig.deliver("fast", &[("f1", "c", "second")]).await;
    rig.harness.run_round(QueueName::Turns).await;

    rig.harness.run_round(QueueName::Replies).await;

    assert_eq!(rig.channel("fast").sent_texts(), ["re: second"]);
    assert_eq!(rig.channel("slow").sent_texts(), ["re: first"]);
}

#[tokio::test]
async fn work_stored_before_a_restart_is_done_after_it() {
    let rig = Rig::new(&["tg"]);
    rig.deliver("tg", &[("m1", "c", "before the restart")])
        .await;
    // Stopped without running a single queue round: only the database knows.
    let Rig { harness, dir, .. } = rig;
    drop(harness);

    let mut rig = Rig::with(&["tg"], workers(), dir);
    rig.harness.settle(5).await;

    assert_eq!(*lock(&rig.channel("tg").hooked), ["m1"]);
    assert_eq!(rig.channel("tg").sent_texts(), ["re: before the restart"]);
}

#[tokio::test]
async fn a_backlog_beyond_what_a_queue_holds_in_memory_is_worked_off_from_the_store() {
    let mut rig = Rig::new(&["tg"]);
    // 1,100 messages in 1,100 conversations: more than a queue keeps in memory
    // (4 batches of 256), so some are only in the store when they are handed over.
    for batch in 0..11 {
        let messages: Vec<(String, String, String)> = (0..100)
            .map(|i| {
                let n = batch * 100 + i;
                (format!("m{n}"), format!("c{n}"), format!("t{n}"))
            })
            .collect();
        let refs: Vec<(&str, &str, &str)> = messages
            .iter()
            .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
            .collect();
        assert_eq!(rig.deliver("tg", &refs).await, 200);
    }
    // The store stamped the rows with the system's time; polls read at the clock's.
    rig.advance(Duration::from_secs(1));

    rig.harness.settle(50).await;

    let mut asked = rig.agent.asked();
    asked.sort();
    asked.dedup();
    assert_eq!(asked.len(), 1_100, "every message gets exactly one turn");
    assert_eq!(rig.agent.asked().len(), 1_100);
    assert_eq!(rig.channel("tg").sent_texts().len(), 1_100);
    assert_eq!(lock(&rig.channel("tg").hooked).len(), 1_100);
}

#[tokio::test]
async fn typing_shows_while_the_agent_works_and_never_after_the_reply() {
    let mut rig = Rig::new(&["tg"]);
    // A presence call still running when the agent answers: the reply must wait
    // for it, or the platform would show "typing" after the answer.
    *lock(&rig.channel("tg").presence_takes) = Duration::from_millis(300);
    rig.deliver("tg", &[("m1", "c", "hello")]).await;
    // A service event: stored, but no turn, so no typing either.
    let event = serde_json::json!({"messages": [
        {"id": "s1", "conversation": "c", "text": "pinned a message", "kind": "system"}
    ]});
    let answer = rig
        .harness
        .post(
            "tg",
            &[(crate::support::TOKEN_HEADER, crate::support::TOKEN)],
            &serde_json::to_vec(&event).unwrap(),
        )
        .await;
    assert_eq!(answer.status, 200);

    rig.harness.settle(5).await;

    let events = lock(&rig.channel("tg").events).clone();
    assert_eq!(
        events,
        ["working:m1", "worked:m1", "sent:re: hello"],
        "typing starts with the turn and ends before the reply"
    );
    assert_eq!(
        rig.agent.asked(),
        ["hello"],
        "the service event got no turn"
    );
    let stored = rig.harness.store().messages(None, 10).await.unwrap();
    let event = stored
        .iter()
        .find(|m| m.message.external_id == "s1")
        .unwrap();
    assert_eq!(event.no_turn, Some(switchboard_types::NoTurn::ServiceEvent));
}

#[tokio::test]
async fn a_retried_turn_is_not_judged_again_by_the_senders_rate() {
    let access = switchboard_daemon::AccessPolicy {
        rate: Some(switchboard_daemon::Rate {
            count: 1,
            per: Duration::from_secs(3_600),
        }),
        ..switchboard_daemon::AccessPolicy::open()
    };
    let mut rig = Rig::with_access(&["tg"], workers(), tempfile::tempdir().unwrap(), access);
    lock(&rig.agent.failing).insert("hello".to_owned(), 1);
    rig.deliver("tg", &[("m1", "c", "hello")]).await;
    rig.harness.settle(5).await;
    rig.advance(Duration::from_secs(5));
    rig.harness.settle(5).await;

    assert_eq!(
        rig.agent.asked(),
        ["hello", "hello"],
        "asked again after the failure"
    );
    assert_eq!(rig.channel("tg").sent_texts(), ["re: hello"]);
    let stored = rig.harness.store().messages(None, 1).await.unwrap();
    assert_eq!(stored[0].no_turn, None, "not rate-limited by its own retry");
}
