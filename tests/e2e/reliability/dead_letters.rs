//! Work that fails for good is kept as a dead letter with its input and error,
//! and `switchboard dead-letters replay` brings it back after the fix: a hook, an
//! agent turn, and a delivery the channel could not process.

use std::time::Duration;

use base64::Engine as _;

use super::api::{AgentApi, Answer};
use super::rig::{Config, Rig, fresh_postgres_url};
use crate::harness::{TestDaemon, repo_root};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failing_hook_is_retried_a_bounded_number_of_times_recorded_and_replayed() {
    let rig = Rig::start(Config::default().delivery("hook_max_attempts = 3")).await;
    rig.api.reads_down(Some(Answer::status(
        500,
        r#"{"error":{"message":"internal"}}"#,
    )));
    rig.post_ok("wamid.HOOK", "16505551234", "read me").await;

    let letter = rig
        .wait("the hook's dead letter", || {
            rig.dead_letters().into_iter().next()
        })
        .await;
    assert_eq!(letter["kind"], "hook");
    assert_eq!(letter["payload"]["external_id"], "wamid.HOOK");
    assert!(
        letter["error"].as_str().expect("error").contains("500"),
        "{letter}"
    );
    rig.daemon.wait_idle().await;
    assert_eq!(
        rig.api.reads().len(),
        3,
        "exactly hook_max_attempts attempts"
    );
    // A failing hook does not hold up the answer.
    rig.wait_replies_sent(1).await;
    assert!(rig.log().contains("on-message-persisted failed for good"));

    rig.api.reads_down(None);
    let (ok, out, err) = rig.daemon.cli(&["dead-letters", "replay", "--all"]);
    assert!(ok, "replay failed:\n{out}\n{err}");
    rig.wait("the replayed read receipt", || {
        rig.api
            .reads()
            .last()
            .is_some_and(|(_, s)| *s == 200)
            .then_some(())
    })
    .await;
    assert_eq!(rig.api.reads().len(), 4);
    assert!(rig.dead_letters().is_empty());
    assert_eq!(
        rig.api.delivered(),
        ["read me"],
        "replaying the hook sends no reply"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_agent_that_keeps_failing_is_dead_lettered_and_replay_answers_the_message() {
    agent_dead_letter_and_replay(Config::default()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn on_postgres_a_dead_lettered_turn_is_listed_and_replayed_by_the_cli() {
    agent_dead_letter_and_replay(Config::default().postgres(&fresh_postgres_url().await)).await;
}

async fn agent_dead_letter_and_replay(config: Config) {
    let agent = AgentApi::start().await;
    agent.down(Some(Answer::status(503, r#"{"error":"maintenance"}"#)));
    let rig = Rig::start(
        config
            .agent(&format!("kind = \"http\"\nurl = \"{}\"", agent.url()))
            .delivery("agent_max_attempts = 3"),
    )
    .await;
    rig.post_ok("wamid.AGENT", "16505551234", "hello agent")
        .await;

    let letter = rig
        .wait("the agent's dead letter", || {
            rig.dead_letters().into_iter().next()
        })
        .await;
    assert_eq!(letter["kind"], "agent");
    assert_eq!(letter["payload"]["text"], "hello agent");
    assert!(
        letter["error"].as_str().expect("error").contains("503"),
        "{letter}"
    );
    rig.daemon.wait_idle().await;
    assert_eq!(
        agent.calls().len(),
        3,
        "exactly agent_max_attempts attempts"
    );
    assert!(rig.daemon.replies().is_empty());

    agent.down(None);
    let (ok, out, err) = rig.daemon.cli(&["dead-letters", "replay", "--all"]);
    assert!(ok, "replay failed:\n{out}\n{err}");
    rig.wait_replies_sent(1).await;
    assert_eq!(rig.api.delivered(), ["re: hello agent"]);
    assert!(rig.dead_letters().is_empty());
}

/// A registry index holding the hostile test guest, which traps in `panic` mode.
fn hostile_index(daemon: &TestDaemon) -> String {
    let wasm = repo_root().join("target/wasm32-wasip2/release/switchboard_guest_hostile.wasm");
    assert!(
        wasm.is_file(),
        "{} is missing: run `just build`",
        wasm.display()
    );
    let manifest = repo_root().join("tests/guests/hostile/manifest.json");
    let index = daemon.dir.path().join("hostile-index.json");
    let spec = format!("{}={}", manifest.display(), wasm.display());
    let (ok, out, err) = crate::harness::cli(
        &[
            "registry",
            "build",
            "--component",
            &spec,
            "--out",
            &index.display().to_string(),
        ],
        &[],
    );
    assert!(ok, "registry build failed:\n{out}\n{err}");
    index.display().to_string()
}

fn hostile_config(mode: &str) -> String {
    format!(
        r#"
[server]
listen = "127.0.0.1:0"
data_dir = "data"

[channels.h]
component = "hostile"
secrets = {{ token = "tok-9d2e" }}
settings = {{ mode = "{mode}" }}
"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_delivery_the_channel_cannot_process_is_kept_and_replayed_after_the_fix() {
    let mut daemon = TestDaemon::new(&hostile_config("panic"));
    let index = hostile_index(&daemon);
    let (ok, out, err) = daemon.cli(&["install", "hostile", "--registry", &index]);
    assert!(ok, "install failed:\n{out}\n{err}");
    daemon.start();

    let http = reqwest::Client::new();
    let resp = http
        .post(daemon.url("/webhooks/h"))
        .header("x-test-token", "tok-9d2e")
        .body("poison-1")
        .send()
        .await
        .expect("post");
    assert_eq!(
        resp.status().as_u16(),
        200,
        "acknowledged, so the platform stops retrying"
    );
    assert!(daemon.messages().is_empty());
    let letters = daemon.json_lines(&["dead-letters", "list", "--json"]);
    assert_eq!(letters.len(), 1, "{letters:?}");
    let letter = &letters[0];
    assert_eq!(letter["kind"], "delivery");
    assert_eq!(letter["instance"], "h");
    assert!(!letter["error"].as_str().expect("error").is_empty());
    let body = base64::engine::general_purpose::STANDARD
        .decode(letter["payload"]["body"].as_str().expect("raw body"))
        .expect("base64");
    assert_eq!(body, b"poison-1", "the raw input is kept");
    assert!(
        !letter.to_string().contains("tok-9d2e"),
        "the verification token was stored: {letter}"
    );

    // The operator fixes the channel (here: its setting) and replays.
    let status = daemon.stop();
    assert!(status.success(), "exit {status:?}");
    daemon.reconfigure(&hostile_config("well-behaved"));
    let (ok, out, err) = daemon.cli(&["dead-letters", "replay", "--all"]);
    assert!(ok, "replay failed:\n{out}\n{err}");
    assert!(out.contains("delivery processed"), "{out}");
    let messages = daemon.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["external_id"], "poison-1");
    assert!(
        daemon
            .json_lines(&["dead-letters", "list", "--json"])
            .is_empty()
    );

    // The replayed message gets its turn like any other.
    daemon.start();
    let replies = crate::harness::eventually(Duration::from_secs(20), || {
        let r = daemon.replies();
        (r.len() == 1 && r[0]["status"] == "sent").then_some(r)
    })
    .await;
    assert!(replies.is_some(), "no reply; log:\n{}", daemon.log());
}
