use std::sync::Arc;
use switchboard_store::StateQuota;

use switchboard_store::{
    DeadLetterKind, NewDeadLetter, PersistOutcome, Store, StoreError, StoreOptions,
};

use crate::support::{message, open, open_with, stored};

#[tokio::test]
async fn data_survives_close_and_reopen() {
    let t = open();
    let m = stored(&t.store, "wa", message("wamid.1", "c", "persist me")).await;
    let reply = t
        .store
        .complete_turn(m.id, vec!["ok".into()])
        .await
        .unwrap()[0]
        .id;
    let pending = stored(&t.store, "wa", message("wamid.2", "c", "still pending")).await;
    t.store
        .state_set("wa", "cursor", b"7".to_vec(), StateQuota::default())
        .await
        .unwrap();
    let letter = NewDeadLetter {
        kind: DeadLetterKind::Delivery,
        instance: "wa".into(),
        error: "bad payload".into(),
        payload: b"{}".to_vec(),
    };
    t.store.dead_letter(letter).await.unwrap();
    t.store.clone().close().await.unwrap();
    drop(t.store);

    let store = Store::open(&t.path, StoreOptions::default()).unwrap();

    let messages = store.messages(None, 10).await.unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[1], m);
    let turns = store.pending_turns(i64::MAX, 10).await.unwrap();
    assert_eq!(
        turns.iter().map(|d| d.message.id).collect::<Vec<_>>(),
        [pending.id]
    );
    assert_eq!(store.due_replies(i64::MAX, 10).await.unwrap()[0].id, reply);
    assert_eq!(
        store.state_get("wa", "cursor").await.unwrap(),
        Some(b"7".to_vec())
    );
    assert_eq!(store.dead_letters(false).await.unwrap().len(), 1);
    // Deduplication survives the restart too.
    let again = store
        .persist("wa", vec![message("wamid.1", "c", "x")])
        .await
        .unwrap();
    assert_eq!(again, vec![PersistOutcome::Duplicate { id: m.id }]);
}

#[tokio::test]
async fn dropping_the_last_handle_flushes_the_writer() {
    let t = open();
    let clone = t.store.clone();
    let m = stored(&clone, "tg", message("1:1", "1", "x")).await;
    drop(clone);
    drop(t.store);

    let store = Store::open(&t.path, StoreOptions::default()).unwrap();
    assert_eq!(store.messages(None, 10).await.unwrap(), vec![m]);
}

#[tokio::test]
async fn after_close_writes_fail_as_closed_and_reads_still_work() {
    let t = open();
    let m = stored(&t.store, "tg", message("1:1", "1", "x")).await;
    let other = t.store.clone();

    t.store.close().await.unwrap();

    let err = other
        .persist("tg", vec![message("1:2", "1", "y")])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Closed), "{err:?}");
    assert!(err.is_transient(), "a shutting-down daemon answers 503");
    assert!(matches!(other.ping_write().await, Err(StoreError::Closed)));
    assert_eq!(other.messages(None, 10).await.unwrap(), vec![m]);
}

#[tokio::test]
async fn read_only_mode_reads_beside_a_writer_and_rejects_writes() {
    let t = open();
    let m = stored(&t.store, "wa", message("a", "c", "x")).await;

    let reader = Store::open_read_only(&t.path).unwrap();

    assert_eq!(reader.messages(None, 10).await.unwrap(), vec![m.clone()]);
    assert_eq!(reader.counts().await.unwrap().messages, 1);
    let err = reader
        .persist("wa", vec![message("b", "c", "y")])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::ReadOnly), "{err:?}");
    assert!(!err.is_transient());
    assert!(matches!(
        reader
            .state_set("wa", "k", vec![], StateQuota::default())
            .await,
        Err(StoreError::ReadOnly)
    ));
    assert!(matches!(
        reader.ping_write().await,
        Err(StoreError::ReadOnly)
    ));
    assert!(matches!(
        reader.prune(i64::MAX).await,
        Err(StoreError::ReadOnly)
    ));
    assert_eq!(reader.stats().commits, 0);

    // It sees what the writer commits later.
    let n = stored(&t.store, "wa", message("c", "c", "z")).await;
    assert_eq!(reader.messages(None, 1).await.unwrap(), vec![n]);
    reader.close().await.unwrap();
}

#[tokio::test]
async fn read_only_mode_refuses_a_missing_or_foreign_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.db");
    assert!(matches!(
        Store::open_read_only(&missing),
        Err(StoreError::Open { .. })
    ));
    assert!(!missing.exists(), "inspection never creates a database");

    let newer = dir.path().join("newer.db");
    let conn = rusqlite::Connection::open(&newer).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    for result in [
        Store::open_read_only(&newer),
        Store::open(&newer, StoreOptions::default()),
    ] {
        assert!(
            matches!(result, Err(StoreError::SchemaVersion { found: 99, .. })),
            "a newer file is never touched"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writes_share_commits() {
    let t = open();
    let store = Arc::new(t.store.clone());
    let before = store.stats();
    let barrier = Arc::new(tokio::sync::Barrier::new(1000));
    let tasks: Vec<_> = (0..1000)
        .map(|i| {
            let store = Arc::clone(&store);
            let barrier = Arc::clone(&barrier);
            tokio::spawn(async move {
                barrier.wait().await;
                store
                    .persist("wa", vec![message(&format!("m{i}"), "c", "load")])
                    .await
            })
        })
        .collect();
    for task in tasks {
        let outcome = task.await.unwrap().unwrap();
        assert!(matches!(&outcome[..], [PersistOutcome::Stored(_)]));
    }

    let stats = store.stats();
    let commits = stats.commits - before.commits;
    assert_eq!(stats.commands - before.commands, 1000);
    assert!(
        commits <= 250,
        "1000 concurrent writes took {commits} commits: group commit is not batching"
    );
    assert_eq!(store.counts().await.unwrap().messages, 1000);
}

#[tokio::test]
async fn ping_write_runs_a_transaction() {
    let t = open_with(StoreOptions {
        batch_max: 1,
        queue_capacity: 1,
        ..StoreOptions::default()
    });
    let before = t.store.stats();
    t.store.ping_write().await.unwrap();
    let after = t.store.stats();
    assert_eq!(
        (
            after.commits - before.commits,
            after.commands - before.commands
        ),
        (1, 1)
    );
}

#[tokio::test]
async fn checkpoint_empties_the_write_ahead_log() {
    let t = open();
    for i in 0..20 {
        stored(
            &t.store,
            "wa",
            message(&format!("m{i}"), "c", "fill the log"),
        )
        .await;
    }
    let wal = t.path.with_extension("db-wal");
    assert!(std::fs::metadata(&wal).unwrap().len() > 0);

    t.store.checkpoint().await.unwrap();

    assert_eq!(std::fs::metadata(&wal).unwrap().len(), 0);
    assert_eq!(t.store.counts().await.unwrap().messages, 20);
}

#[tokio::test]
async fn read_only_mode_opens_a_file_no_daemon_has_open() {
    let t = open();
    let m = stored(&t.store, "wa", message("a", "c", "x")).await;
    t.store.close().await.unwrap();

    let reader = Store::open_read_only(&t.path).unwrap();

    assert_eq!(reader.messages(None, 10).await.unwrap(), vec![m]);
}
