//! SIGTERM under load: stop accepting, finish what is in flight, flush, exit 0.

use std::collections::BTreeSet;
use std::time::Duration;

use super::rig::{Burst, Config, Rig, Seen, messages, somewhere_in};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_under_load_keeps_every_acknowledged_message_and_exits_0() {
    let mut rig = Rig::start(Config::default().server("shutdown_grace_ms = 5000")).await;
    let all = messages("term", 400, 20);
    let burst = Burst::start(&rig, all, 16, somewhere_in(40, 240));
    tokio::time::timeout(Duration::from_secs(60), burst.reached())
        .await
        .unwrap_or_else(|_| panic!("the burst stalled; log:\n{}", rig.log()));
    // `stop` waits (bounded) for the process to exit; the burst goes on meanwhile.
    let status = tokio::task::block_in_place(|| rig.daemon.stop());
    assert_eq!(status.code(), Some(0), "log:\n{}", rig.log());
    let seen = burst.finish().await;

    let mut acked = BTreeSet::new();
    for (id, seen) in &seen {
        match seen {
            Seen::Status(200) => {
                acked.insert(id.clone());
            }
            // Refused while draining, or never connected: the platform retries.
            Seen::Status(503) | Seen::NoAnswer => {}
            other => panic!("delivery {id} got {other:?} during shutdown"),
        }
    }
    eprintln!("SIGTERM; {} of 400 acknowledged in all", acked.len());
    let stored = rig.stored();
    for id in &acked {
        assert_eq!(stored.get(id), Some(&1), "acknowledged {id} was lost");
    }
    // The log pipe may still be draining after the exit.
    let log = rig
        .wait("the shutdown to be logged", || {
            let log = rig.log();
            log.contains(" stopped").then_some(log)
        })
        .await;
    assert!(log.contains("SIGTERM received"), "{log}");
    assert!(log.contains("no longer accepting connections"), "{log}");

    // Work left at shutdown is picked up by the next start: every stored message
    // gets exactly one reply.
    rig.restart();
    let replies = rig.wait_replies_sent(stored.len()).await;
    let answered: BTreeSet<&str> = replies
        .iter()
        .map(|r| {
            r["in_reply_to"]["external_id"]
                .as_str()
                .expect("answered id")
        })
        .collect();
    assert_eq!(answered.len(), stored.len());
}
