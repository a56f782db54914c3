//! `kill -9` at the worst moments: during a burst of deliveries, while the agent
//! is answering, and after the agent answered but before the reply went out.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::api::{AgentApi, Answer};
use super::rig::{Burst, Config, Rig, Seen, fresh_postgres_url, messages, somewhere_in};

/// Conversations the outbox serves at once (`WorkerConfig::concurrency`): at most
/// that many replies can be in flight when the process dies.
const OUTBOX_CONCURRENCY: usize = 16;

fn integrity_check(rig: &Rig) {
    let db = rig.daemon.dir.path().join("data/switchboard.db");
    let conn = rusqlite::Connection::open(&db).expect("open the database");
    let result: String = conn
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .expect("integrity_check");
    assert_eq!(result, "ok", "the database is damaged after kill -9");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_during_a_burst_loses_no_acknowledged_message() {
    kill_9_during_a_burst(Config::default()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_during_a_burst_on_postgres_loses_no_acknowledged_message() {
    kill_9_during_a_burst(Config::default().postgres(&fresh_postgres_url().await)).await;
}

async fn kill_9_during_a_burst(config: Config) {
    let sqlite = config.store.is_none();
    let mut rig = Rig::start(config).await;
    let all = messages("kill", 400, 20);
    let burst = Burst::start(&rig, all.clone(), 16, somewhere_in(40, 240));
    tokio::time::timeout(Duration::from_secs(60), burst.reached())
        .await
        .unwrap_or_else(|_| panic!("the burst stalled; log:\n{}", rig.log()));
    rig.daemon.kill9();
    let acked_at_kill = burst.acked();
    let seen = burst.finish().await;

    let mut acked = BTreeSet::new();
    for (id, seen) in &seen {
        match seen {
            Seen::Status(200) => {
                acked.insert(id.clone());
            }
            Seen::Status(503) | Seen::NoAnswer => {}
            other => panic!("delivery {id} got {other:?}"),
        }
    }
    assert!(acked.len() >= acked_at_kill);
    eprintln!(
        "kill -9 after {acked_at_kill} acknowledgements; {} of {} acknowledged in all",
        acked.len(),
        all.len()
    );
    if sqlite {
        integrity_check(&rig);
    }

    rig.restart();
    let stored = rig.stored();
    for id in &acked {
        assert_eq!(stored.get(id), Some(&1), "acknowledged {id} was lost");
    }
    assert!(
        stored.values().all(|&rows| rows == 1),
        "a message is stored twice"
    );

    // The platform redelivers everything it has no 200 for, and some it has.
    let again = Burst::start(&rig, all.clone(), 16, 1).finish().await;
    for (id, seen) in &again {
        assert_eq!(
            *seen,
            Seen::Status(200),
            "redelivery of {id}; log:\n{}",
            rig.log()
        );
    }
    let stored = rig.stored();
    assert_eq!(stored.len(), all.len());
    assert!(
        stored.values().all(|&rows| rows == 1),
        "a redelivery was stored again"
    );

    // Every message gets its turn and exactly one reply row, crash or not.
    let replies = rig.wait_replies_sent(all.len()).await;
    let answered: BTreeSet<&str> = replies
        .iter()
        .map(|r| {
            r["in_reply_to"]["external_id"]
                .as_str()
                .expect("answered id")
        })
        .collect();
    assert_eq!(
        answered.len(),
        all.len(),
        "a message got two replies or none"
    );

    // The platform got each reply; twice only if it was in flight at the kill.
    let mut delivered: BTreeMap<String, usize> = BTreeMap::new();
    for text in rig.api.delivered() {
        *delivered.entry(text).or_insert(0) += 1;
    }
    for (_, _, text) in &all {
        assert!(
            delivered.contains_key(text),
            "no reply to {text:?} reached the platform"
        );
    }
    let repeated: usize = delivered.values().map(|n| n - 1).sum();
    assert!(
        repeated <= OUTBOX_CONCURRENCY,
        "{repeated} replies sent twice; only those in flight at the kill may be"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_crash_while_the_agent_is_answering_still_gets_exactly_one_reply() {
    let agent = AgentApi::start().await;
    agent.hold(true);
    let config = || Config::default().agent(&format!("kind = \"http\"\nurl = \"{}\"", agent.url()));
    let mut rig = Rig::start(config()).await;
    rig.post_ok("wamid.CRASH-TURN", "16505550001", "are you there?")
        .await;
    rig.wait("the agent to be asked", || {
        (agent.server.arrived() >= 1).then_some(())
    })
    .await;
    assert!(rig.daemon.replies().is_empty());

    rig.daemon.kill9();
    agent.hold(false);
    rig.restart();

    let replies = rig.wait_replies_sent(1).await;
    assert_eq!(replies[0]["text"], "re: are you there?");
    rig.daemon.wait_idle().await;
    assert_eq!(rig.api.delivered(), ["re: are you there?"], "sent once");
    assert_eq!(rig.daemon.replies().len(), 1);
    assert_eq!(rig.stored().len(), 1);
    assert!(rig.dead_letters().is_empty(), "{:?}", rig.dead_letters());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_crash_after_the_agent_answered_sends_the_reply_once_without_asking_again() {
    let agent = AgentApi::start().await;
    let mut rig = Rig::start(
        Config::default()
            .agent(&format!("kind = \"http\"\nurl = \"{}\"", agent.url()))
            .delivery("reply_max_attempts = 1000"),
    )
    .await;
    rig.api
        .sends_down(Some(Answer::status(502, r#"{"error":"bad gateway"}"#)));
    rig.post_ok("wamid.CRASH-OUTBOX", "16505550002", "hello")
        .await;
    rig.wait("a reply waiting for retry", || {
        let replies = rig.daemon.replies();
        (replies.len() == 1
            && replies[0]["status"] == "pending"
            && replies[0]["attempts"].as_u64() >= Some(2))
        .then_some(())
    })
    .await;

    rig.daemon.kill9();
    rig.api.sends_down(None);
    rig.restart();

    let replies = rig.wait_replies_sent(1).await;
    assert_eq!(replies[0]["text"], "re: hello");
    rig.daemon.wait_idle().await;
    assert_eq!(rig.api.delivered(), ["re: hello"], "sent once");
    assert_eq!(
        agent.calls(),
        [("hello".to_owned(), 200)],
        "the agent's committed answer was used, not asked for again"
    );
}
