//! Storage faults: when the database cannot grow, deliveries get 503 and are not
//! acknowledged, and work already done is not repeated; once the cause is fixed,
//! the platform's retry is stored and the held-up work goes out.

use std::collections::BTreeMap;
use std::time::Duration;

use super::api::{AgentApi, Answer};
use super::rig::{Config, Rig};

fn config(agent: &AgentApi, max_database_mb: u32) -> Config {
    Config::default()
        .server(&format!("max_database_mb = {max_database_mb}"))
        .agent(&format!("kind = \"http\"\nurl = \"{}\"", agent.url()))
        // Each failed hook writes a dead letter holding the message: more writes
        // that find the database full.
        .delivery("hook_max_attempts = 1")
}

fn most_per_key(keys: impl IntoIterator<Item = String>) -> (String, usize) {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for key in keys {
        *counts.entry(key).or_insert(0) += 1;
    }
    counts
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_full_database_answers_503_with_retry_after_and_recovers_when_the_cap_is_raised() {
    let agent = AgentApi::start().await;
    let mut rig = Rig::start(config(&agent, 1)).await;
    rig.api.reads_down(Some(Answer::status(
        500,
        r#"{"error":{"message":"internal"}}"#,
    )));
    let padding = "x".repeat(3000);
    let mut acked = Vec::new();
    let mut refused = None;
    // Background bookkeeping (hooks, dead letters) competes for the last free pages,
    // so one refusal may still leave room for a message on its own: fill on until
    // three deliveries in a row are refused.
    let mut refused_in_a_row = 0;
    for i in 0..1000 {
        let id = format!("wamid.FULL-{i:04}");
        let resp = rig
            .post(&id, "16505551234", &format!("{i} {padding}"))
            .await
            .expect("post");
        match resp.status().as_u16() {
            200 => {
                acked.push(id);
                refused_in_a_row = 0;
            }
            503 => {
                let retry_after = resp.headers().get("retry-after").cloned();
                refused = Some((id, i, retry_after));
                refused_in_a_row += 1;
                if refused_in_a_row == 3 {
                    break;
                }
            }
            other => panic!("delivery {id} got {other}; log:\n{}", rig.log()),
        }
    }
    let (refused, n, retry_after) =
        refused.unwrap_or_else(|| panic!("1000 deliveries of 3 KB fit into 1 MB"));
    assert!(retry_after.is_some(), "503 without Retry-After");
    assert!(!acked.is_empty(), "the cap left no room at all");
    let stored = rig.stored();
    assert!(
        !stored.contains_key(&refused),
        "a refused delivery was stored"
    );
    for id in &acked {
        assert_eq!(stored.get(id), Some(&1), "acknowledged {id} was lost");
    }
    let log = rig.log();
    assert!(
        log.contains("database or disk is full"),
        "the log says why:\n{log}"
    );

    // The platform retries; while the cap holds, it is still refused.
    let again = rig
        .post(&refused, "16505551234", &format!("{n} {padding}"))
        .await
        .expect("post");
    assert_eq!(
        again.status().as_u16(),
        503,
        "the retry of {refused} (delivery {n}) was accepted; log:\n{}",
        rig.log()
    );

    // Work whose result cannot be recorded is not redone while the store is full:
    // the agent is not asked twice, the platform not called twice.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (text, asked) = most_per_key(agent.calls().into_iter().map(|(text, _)| text));
    assert!(
        asked <= 1,
        "the agent was asked {asked} times about {text:.8}…"
    );
    let (id, reads) = most_per_key(
        rig.api
            .reads()
            .into_iter()
            .map(|(body, _)| body["message_id"].as_str().unwrap_or_default().to_owned()),
    );
    assert!(
        reads <= 1,
        "{id} was marked read {reads} times (hook_max_attempts = 1)"
    );

    // The operator raises the cap and restarts.
    rig.reconfigure(config(&agent, 64));
    let status = rig.daemon.stop();
    assert!(status.success(), "exit {status:?}");
    rig.restart();
    rig.post_ok(&refused, "16505551234", &format!("{n} {padding}"))
        .await;
    let stored = rig.stored();
    assert_eq!(stored.len(), acked.len() + 1);
    assert!(stored.values().all(|&rows| rows == 1));
    // Turns and replies the full database held up go out now.
    rig.wait_replies_sent(acked.len() + 1).await;
}
