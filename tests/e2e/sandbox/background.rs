//! Guest calls after the ACK: hooks (`on-message-persisted`) and replies
//! (`on-respond`). A guest spinning in either delays no other instance's work,
//! and shutdown holds `shutdown_grace_ms` whatever the guests do, leaving their
//! work to be done after the restart.

use std::time::{Duration, Instant};

use crate::harness::{eventually, sample};

use super::support::{Sandbox, channel};

async fn metrics(sandbox: &Sandbox) -> String {
    match sandbox
        .http
        .get(sandbox.daemon.url("/metrics"))
        .send()
        .await
    {
        Ok(response) => response.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// Posts `count` deliveries to `instance` and waits until each has a reply row
/// (the echo agent has answered), so that its hook and reply calls are under way.
async fn start_spinning(sandbox: &Sandbox, instance: &str, count: usize) {
    for n in 0..count {
        let answer = sandbox.post(instance, &format!("{instance}-{n}")).await;
        assert_eq!(answer.status, 200, "{answer:?}");
    }
    let replied = eventually(Duration::from_secs(10), || {
        let replies = sandbox.daemon.replies();
        (replies.iter().filter(|r| r["instance"] == instance).count() == count).then_some(())
    })
    .await;
    assert!(
        replied.is_some(),
        "{instance}: the agent did not answer; log:\n{}",
        sandbox.daemon.log()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spinning_hooks_and_replies_delay_no_other_instance() {
    // Spinning calls run to a 10 s deadline; the well-behaved instance's hook and
    // reply must be done long before any of them ends.
    let sandbox = Sandbox::start(
        &[
            channel("hookspin", "hook-loop").option("call_timeout_ms = 10000"),
            channel("replyspin", "reply-loop").option("call_timeout_ms = 10000"),
            channel("good", "well-behaved"),
        ],
        "",
        &[],
    );
    start_spinning(&sandbox, "hookspin", 6).await;
    start_spinning(&sandbox, "replyspin", 6).await;

    let started = Instant::now();
    sandbox.assert_good_still_works("while-others-spin").await;
    let done = eventually(Duration::from_secs(30), || {
        let sent = sandbox
            .daemon
            .replies()
            .into_iter()
            .any(|r| r["instance"] == "good" && r["status"] == "sent");
        sent.then_some(started.elapsed())
    })
    .await
    .expect("the good reply was never sent");
    let text = metrics(&sandbox).await;
    let hooked = sample(
        &text,
        r#"switchboard_hooks_total{instance="good",outcome="done"}"#,
    );
    assert_eq!(hooked, Some(1.0), "the good hook did not run:\n{text}");
    assert!(
        done < Duration::from_secs(8),
        "the good reply waited {done:?} behind spinning guests; log:\n{}",
        sandbox.daemon.log()
    );
    let spinning = sample(
        &text,
        r#"switchboard_hooks_total{instance="hookspin",outcome="retry"}"#,
    )
    .unwrap_or(0.0);
    assert_eq!(spinning, 0.0, "a spinning hook ended early:\n{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_holds_its_grace_against_spinning_guests_and_their_work_survives() {
    let mut sandbox = Sandbox::start(
        &[
            channel("hookspin", "hook-loop").option("call_timeout_ms = 15000"),
            channel("replyspin", "reply-loop").option("call_timeout_ms = 15000"),
        ],
        "shutdown_grace_ms = 1000",
        &[],
    );
    start_spinning(&sandbox, "hookspin", 3).await;
    start_spinning(&sandbox, "replyspin", 3).await;

    let started = Instant::now();
    let status = sandbox.daemon.stop();
    let took = started.elapsed();
    assert!(status.success(), "exit status {status:?}");
    assert!(
        took < Duration::from_secs(6),
        "SIGTERM took {took:?} with a 1 s grace; log:\n{}",
        sandbox.daemon.log()
    );

    // The same instances, fixed: the cancelled hooks and replies run now.
    let path = sandbox.daemon.dir.path().join("switchboard.toml");
    let config = std::fs::read_to_string(&path).expect("config");
    let fixed = config
        .replace("mode = \"hook-loop\"", "mode = \"well-behaved\"")
        .replace("mode = \"reply-loop\"", "mode = \"well-behaved\"");
    std::fs::write(&path, fixed).expect("write config");
    sandbox.daemon.start();
    sandbox.daemon.wait_idle().await;
    let text = metrics(&sandbox).await;
    assert_eq!(
        sample(
            &text,
            r#"switchboard_hooks_total{instance="hookspin",outcome="done"}"#
        ),
        Some(3.0),
        "{text}"
    );
    let replies = sandbox.daemon.replies();
    let sent = replies
        .iter()
        .filter(|r| r["instance"] == "replyspin" && r["status"] == "sent")
        .count();
    assert_eq!(sent, 3, "{replies:?}");
}
