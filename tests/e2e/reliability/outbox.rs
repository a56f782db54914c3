//! Replies through the outbox: retried on retryable failures, dead-lettered on
//! permanent ones, replayed by the operator; and the retry settings themselves.

use super::api::Answer;
use super::rig::{Config, Rig};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reply_that_meets_server_errors_is_retried_and_delivered_once() {
    let rig = Rig::start(Config::default()).await;
    rig.api.fail_next_sends(vec![
        Answer::status(500, r#"{"error":{"message":"internal"}}"#),
        Answer::status(503, r#"{"error":{"message":"unavailable"}}"#),
    ]);
    rig.post_ok("wamid.R500", "16505551234", "try again").await;

    let replies = rig.wait_replies_sent(1).await;
    rig.daemon.wait_idle().await;
    let sends = rig.api.sends();
    let statuses: Vec<u16> = sends.iter().map(|(_, s)| *s).collect();
    assert_eq!(
        statuses,
        [500, 503, 200],
        "two failures, then one success, then nothing"
    );
    assert!(
        sends.iter().all(|(body, _)| *body == sends[0].0),
        "every attempt sends the same reply"
    );
    assert_eq!(rig.api.delivered(), ["try again"]);
    assert_eq!(replies[0]["attempts"], 3);
    assert!(
        replies[0]["receipt_external_id"]
            .as_str()
            .is_some_and(|id| id.starts_with("wamid.OUT"))
    );
    assert!(
        rig.log().contains("reply not delivered; will retry"),
        "{}",
        rig.log()
    );
    assert!(rig.dead_letters().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rate_limited_reply_is_retried_after_the_delay_the_platform_asked_for() {
    let rig = Rig::start(Config::default()).await;
    rig.api.fail_next_sends(vec![
        Answer::status(
            429,
            r#"{"error":{"message":"too many messages","code":130429}}"#,
        )
        .header("retry-after", "1"),
    ]);
    rig.post_ok("wamid.R429", "16505551234", "slow down").await;

    let replies = rig.wait_replies_sent(1).await;
    let statuses: Vec<u16> = rig.api.sends().iter().map(|(_, s)| *s).collect();
    assert_eq!(statuses, [429, 200]);
    assert_eq!(replies[0]["attempts"], 2);
    // The backoff alone would wait about 20 ms; the platform asked for one second.
    let log = rig.log();
    assert!(
        log.lines()
            .any(|l| l.contains("will retry") && l.contains("retry_in=1s")),
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_permanently_refused_reply_is_dead_lettered_and_replayed_after_the_fix() {
    let rig = Rig::start(Config::default()).await;
    rig.api.sends_down(Some(Answer::status(
        400,
        r#"{"error":{"message":"(#131030) Recipient phone number not in allowed list","code":131030}}"#,
    )));
    rig.post_ok("wamid.R400", "16505551234", "are you allowed?")
        .await;

    let letter = rig
        .wait("the reply's dead letter", || {
            rig.dead_letters().into_iter().next()
        })
        .await;
    assert_eq!(letter["kind"], "reply");
    assert_eq!(letter["instance"], "wa");
    assert!(
        letter["error"].as_str().expect("error").contains("400"),
        "{letter}"
    );
    assert_eq!(letter["payload"]["text"], "are you allowed?");
    rig.daemon.wait_idle().await;
    assert_eq!(rig.api.sends().len(), 1, "a permanent error is not retried");
    assert_eq!(rig.daemon.replies()[0]["status"], "dead");

    // The operator fixes the allow list and replays the letter.
    rig.api.sends_down(None);
    let id = letter["id"].as_i64().expect("id").to_string();
    let (ok, out, err) = rig.daemon.cli(&["dead-letters", "replay", &id]);
    assert!(ok, "replay failed:\n{out}\n{err}");
    assert!(out.contains(&format!("#{id} replayed")), "{out}");

    rig.wait_replies_sent(1).await;
    assert_eq!(rig.api.delivered(), ["are you allowed?"]);
    assert!(
        rig.dead_letters().is_empty(),
        "the letter is marked replayed"
    );
    let all = rig
        .daemon
        .json_lines(&["dead-letters", "list", "--all", "--json"]);
    assert!(all[0]["replayed_at_ms"].as_i64().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reply_that_keeps_failing_is_dead_lettered_after_the_configured_attempts() {
    let rig = Rig::start(Config::default().delivery("reply_max_attempts = 3")).await;
    rig.api
        .sends_down(Some(Answer::status(500, r#"{"error":{"message":"down"}}"#)));
    rig.post_ok("wamid.RDEAD", "16505551234", "anyone?").await;

    let letter = rig
        .wait("the reply's dead letter", || {
            rig.dead_letters().into_iter().next()
        })
        .await;
    assert_eq!(letter["kind"], "reply");
    rig.daemon.wait_idle().await;
    assert_eq!(
        rig.api.sends().len(),
        3,
        "exactly reply_max_attempts attempts"
    );
    let reply = &rig.daemon.replies()[0];
    assert_eq!(reply["status"], "dead");
    assert_eq!(reply["attempts"], 3);
}

#[test]
fn retry_settings_are_checked_before_the_daemon_starts() {
    let rig_config = |delivery: &str| {
        format!(
            "[server]\nlisten = \"127.0.0.1:0\"\ndata_dir = \"data\"\n\n[delivery]\n{delivery}\n"
        )
    };
    for (delivery, complaint) in [
        ("reply_max_attempts = 0", "delivery.reply_max_attempts"),
        ("hook_max_attempts = 0", "delivery.hook_max_attempts"),
        ("agent_max_attempts = 0", "delivery.agent_max_attempts"),
        ("retry_base_ms = 0", "delivery.retry_base_ms"),
        (
            "retry_base_ms = 500\nretry_max_ms = 100",
            "delivery.retry_max_ms",
        ),
        ("retry_every_ms = 5", "retry_every_ms"),
    ] {
        let daemon = crate::harness::TestDaemon::new(&rig_config(delivery));
        let (ok, out, err) = daemon.cli(&["check"]);
        assert!(!ok, "{delivery:?} was accepted:\n{out}");
        assert!(
            err.contains(complaint) || out.contains(complaint),
            "{delivery:?}:\n{out}\n{err}"
        );
    }
}
