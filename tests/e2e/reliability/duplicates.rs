//! Platforms redeliver: the same id at once, after a restart, and after the
//! retention period.

use super::rig::{Burst, Config, Rig, Seen, fresh_postgres_url};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_id_posted_100_times_at_once_is_stored_once_and_all_get_200() {
    the_same_id_posted_100_times_at_once(Config::default()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn on_postgres_the_same_id_posted_100_times_at_once_is_stored_once() {
    the_same_id_posted_100_times_at_once(Config::default().postgres(&fresh_postgres_url().await))
        .await;
}

async fn the_same_id_posted_100_times_at_once(config: Config) {
    let rig = Rig::start(config).await;
    let same = vec![
        (
            "wamid.SAME".to_owned(),
            "16505551234".to_owned(),
            "only once".to_owned()
        );
        100
    ];
    let seen = Burst::start(&rig, same, 100, 1).finish().await;
    assert_eq!(seen.len(), 100);
    assert!(
        seen.iter().all(|(_, s)| *s == Seen::Status(200)),
        "{seen:?}"
    );
    assert_eq!(
        rig.stored().into_iter().collect::<Vec<_>>(),
        [("wamid.SAME".to_owned(), 1)]
    );

    rig.wait_replies_sent(1).await;
    rig.daemon.wait_idle().await;
    assert_eq!(rig.api.delivered(), ["only once"]);
    assert_eq!(rig.api.reads().len(), 1, "marked read once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_redelivery_after_a_restart_is_acknowledged_and_not_processed_again() {
    let mut rig = Rig::start(Config::default()).await;
    rig.post_ok("wamid.AGAIN", "16505551234", "hello").await;
    rig.wait_replies_sent(1).await;
    let status = rig.daemon.stop();
    assert!(status.success(), "exit {status:?}");

    rig.restart();
    rig.post_ok("wamid.AGAIN", "16505551234", "hello").await;
    rig.daemon.wait_idle().await;
    assert_eq!(rig.stored().get("wamid.AGAIN"), Some(&1));
    assert_eq!(rig.daemon.replies().len(), 1);
    assert_eq!(rig.api.delivered(), ["hello"]);
    assert_eq!(rig.api.reads().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn processed_messages_are_forgotten_after_the_retention_period() {
    // Zero days: whatever is fully processed is past retention at the next prune,
    // which runs when the daemon starts and then every hour.
    let mut rig = Rig::start(Config::default().server("retention_days = 0")).await;
    rig.post_ok("wamid.OLD", "16505551234", "old news").await;
    rig.wait_replies_sent(1).await;
    rig.wait("the read receipt", || {
        (rig.api.reads().len() == 1).then_some(())
    })
    .await;
    let status = rig.daemon.stop();
    assert!(status.success(), "exit {status:?}");

    rig.restart();
    rig.wait("the prune", || rig.stored().is_empty().then_some(()))
        .await;
    assert!(rig.daemon.replies().is_empty(), "its replies went with it");
    rig.wait("the prune to be logged", || {
        rig.log()
            .contains("pruned processed messages past the retention period")
            .then_some(())
    })
    .await;

    // Outside the dedup window the same id is new again.
    rig.post_ok("wamid.OLD", "16505551234", "old news").await;
    assert_eq!(rig.stored().get("wamid.OLD"), Some(&1));
}
