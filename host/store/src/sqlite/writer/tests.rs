//! The writer's batching and failure isolation, made deterministic by holding the
//! writer thread inside a "gate" command while the commands under test queue up.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::mpsc;
use std::task::Poll;

use rusqlite::Connection;
use tempfile::TempDir;

use super::super::schema::{open_reader, open_writer};
use super::Writer;
use crate::{StoreError, StoreOptions};

type Call<'a> = Pin<Box<dyn Future<Output = Result<(), StoreError>> + Send + 'a>>;

fn writer(opts: StoreOptions) -> (TempDir, PathBuf, Writer) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite");
    let writer = Writer::spawn(open_writer(&path).unwrap(), opts).unwrap();
    (dir, path, writer)
}

/// Occupies the writer thread until the returned sender is dropped or sent to.
async fn hold(writer: &Writer) -> (Call<'_>, mpsc::Sender<()>) {
    let (entered_tx, entered_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let mut gate: Call<'_> = Box::pin(writer.submit(move |_| {
        entered_tx.send(()).unwrap();
        // Either a message or a dropped sender releases the gate.
        let _ = release_rx.recv();
        Ok(())
    }));
    assert!(poll_once(&mut gate).await.is_pending());
    entered_rx.recv().unwrap();
    (gate, release_tx)
}

/// Polls once, which is when a call enqueues its command.
async fn poll_once<T>(call: &mut Pin<Box<dyn Future<Output = T> + Send + '_>>) -> Poll<T> {
    std::future::poll_fn(|cx| Poll::Ready(call.as_mut().poll(cx))).await
}

fn set<'a>(writer: &'a Writer, key: &str) -> Call<'a> {
    let key = key.to_owned();
    Box::pin(writer.submit(move |conn| {
        conn.execute(
            "INSERT INTO state (instance, key, value, updated_at_ms) VALUES ('t', ?1, x'00', 0)",
            [key],
        )?;
        Ok(())
    }))
}

fn keys(path: &Path) -> Vec<String> {
    let conn = open_reader(path).unwrap();
    let mut stmt = conn.prepare("SELECT key FROM state ORDER BY key").unwrap();
    stmt.query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[tokio::test]
async fn commands_queued_behind_a_commit_share_the_next_one() {
    let (_dir, path, writer) = writer(StoreOptions::default());
    let (gate, release) = hold(&writer).await;
    let mut calls: Vec<Call<'_>> = (0..10).map(|i| set(&writer, &format!("k{i:02}"))).collect();
    for call in &mut calls {
        assert!(poll_once(call).await.is_pending());
    }

    release.send(()).unwrap();
    gate.await.unwrap();
    for call in calls {
        call.await.unwrap();
    }

    let stats = writer.stats();
    assert_eq!(
        (stats.commits, stats.commands),
        (2, 11),
        "the gate's batch, then one for ten"
    );
    assert_eq!(keys(&path).len(), 10);
}

fn set_background<'a>(writer: &'a Writer, key: &str) -> Call<'a> {
    let key = key.to_owned();
    Box::pin(writer.submit_background(move |conn| {
        conn.execute(
            "INSERT INTO state (instance, key, value, updated_at_ms) VALUES ('t', ?1, x'00', 0)",
            [key],
        )?;
        Ok(())
    }))
}

/// The test fails by timing out if a background write waited out its linger.
const NOT_THE_LINGER: std::time::Duration = std::time::Duration::from_secs(60);

#[tokio::test]
async fn background_writes_wait_for_company_and_leave_with_the_first_urgent_one() {
    let (_dir, path, writer) = writer(StoreOptions {
        background_linger: std::time::Duration::from_secs(3600),
        ..StoreOptions::default()
    });
    let mut background: Vec<Call<'_>> = (0..3)
        .map(|i| set_background(&writer, &format!("b{i}")))
        .collect();
    for call in &mut background {
        assert!(poll_once(call).await.is_pending());
    }
    let urgent = set(&writer, "urgent");
    tokio::time::timeout(NOT_THE_LINGER, async {
        urgent.await.unwrap();
        for call in background {
            call.await.unwrap();
        }
    })
    .await
    .expect("the urgent write ended the linger");
    assert_eq!(writer.stats().commits, 1, "one commit for all four");
    assert_eq!(keys(&path).len(), 4);
}

#[tokio::test]
async fn a_lone_background_write_commits_once_its_linger_is_over() {
    let (_dir, path, writer) = writer(StoreOptions {
        background_linger: std::time::Duration::from_millis(5),
        ..StoreOptions::default()
    });
    tokio::time::timeout(NOT_THE_LINGER, set_background(&writer, "alone"))
        .await
        .expect("committed without any other write")
        .unwrap();
    assert_eq!(writer.stats().commits, 1);
    assert_eq!(keys(&path), vec!["alone".to_owned()]);
}

#[tokio::test]
async fn batch_max_caps_the_commands_per_commit() {
    let (_dir, _path, writer) = writer(StoreOptions {
        batch_max: 4,
        queue_capacity: 64,
        ..StoreOptions::default()
    });
    let (gate, release) = hold(&writer).await;
    let mut calls: Vec<Call<'_>> = (0..10).map(|i| set(&writer, &format!("k{i}"))).collect();
    for call in &mut calls {
        assert!(poll_once(call).await.is_pending());
    }

    drop(release);
    gate.await.unwrap();
    for call in calls {
        call.await.unwrap();
    }

    assert_eq!(writer.stats().commits, 1 + 3, "4 + 4 + 2");
}

#[tokio::test]
async fn a_full_queue_fails_at_once_and_queued_work_still_commits() {
    let (_dir, path, writer) = writer(StoreOptions {
        batch_max: 256,
        queue_capacity: 2,
        ..StoreOptions::default()
    });
    let (gate, release) = hold(&writer).await;
    let mut queued: Vec<Call<'_>> = vec![set(&writer, "a"), set(&writer, "b")];
    for call in &mut queued {
        assert!(poll_once(call).await.is_pending());
    }

    let mut refused = set(&writer, "c");
    let Poll::Ready(result) = poll_once(&mut refused).await else {
        panic!("a call to a full queue must not wait");
    };
    let err = result.unwrap_err();
    assert!(matches!(err, StoreError::Overloaded), "{err:?}");
    assert!(err.is_transient());

    drop(release);
    gate.await.unwrap();
    for call in queued {
        call.await.unwrap();
    }
    set(&writer, "d").await.unwrap();
    assert_eq!(keys(&path), ["a", "b", "d"]);
}

#[tokio::test]
async fn a_failing_command_rolls_back_alone() {
    let (_dir, path, writer) = writer(StoreOptions::default());
    let (gate, release) = hold(&writer).await;
    let mut before = set(&writer, "before");
    let mut failing: Call<'_> = Box::pin(writer.submit(|conn: &Connection| {
        conn.execute(
            "INSERT INTO state (instance, key, value, updated_at_ms) VALUES ('t', 'half', x'', 0)",
            [],
        )?;
        Err(StoreError::NotFound { table: "x", id: 1 })
    }));
    let mut duplicate = set(&writer, "before");
    let mut after = set(&writer, "after");
    for call in [&mut before, &mut failing, &mut duplicate, &mut after] {
        assert!(poll_once(call).await.is_pending());
    }

    drop(release);
    gate.await.unwrap();

    before.await.unwrap();
    assert!(matches!(failing.await, Err(StoreError::NotFound { .. })));
    let err = duplicate.await.unwrap_err();
    assert!(
        matches!(err, StoreError::Sqlite { .. }) && !err.is_transient(),
        "{err:?}"
    );
    after.await.unwrap();
    assert_eq!(
        keys(&path),
        ["after", "before"],
        "the failed command's insert is gone"
    );
    assert_eq!(writer.stats().commits, 2);
}

#[tokio::test]
async fn a_command_that_loses_the_transaction_fails_its_batch_and_the_rest_go_on() {
    let (_dir, path, writer) = writer(StoreOptions::default());
    let (gate, release) = hold(&writer).await;
    let mut earlier = set(&writer, "earlier");
    // What SQLite does on some I/O errors: the whole transaction is rolled back.
    let mut aborting: Call<'_> = Box::pin(writer.submit(|conn: &Connection| {
        conn.execute_batch("ROLLBACK")?;
        Err(StoreError::NotFound { table: "x", id: 2 })
    }));
    let mut later = set(&writer, "later");
    for call in [&mut earlier, &mut aborting, &mut later] {
        assert!(poll_once(call).await.is_pending());
    }

    drop(release);
    gate.await.unwrap();

    // Its write was rolled back, so "earlier" must not be told it is stored.
    assert!(matches!(
        earlier.await,
        Err(StoreError::NotFound { id: 2, .. })
    ));
    assert!(matches!(
        aborting.await,
        Err(StoreError::NotFound { id: 2, .. })
    ));
    later.await.unwrap();
    assert_eq!(keys(&path), ["later"]);
}

#[tokio::test]
async fn a_panicking_command_is_contained() {
    let (_dir, path, writer) = writer(StoreOptions::default());

    let result = writer
        .submit(|conn: &Connection| -> Result<(), StoreError> {
            conn.execute(
                "INSERT INTO state (instance, key, value, updated_at_ms) VALUES ('t', 'p', x'', 0)",
                [],
            )?;
            panic!("bug in a command");
        })
        .await;

    assert!(
        matches!(result, Err(StoreError::CommandPanicked)),
        "{result:?}"
    );
    set(&writer, "next").await.unwrap();
    assert_eq!(keys(&path), ["next"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_runs_what_was_queued_and_then_refuses() {
    let (_dir, path, writer) = writer(StoreOptions::default());
    let writer = std::sync::Arc::new(writer);
    let (gate, release) = hold(&writer).await;
    let mut queued: Vec<Call<'_>> = vec![set(&writer, "a"), set(&writer, "b")];
    for call in &mut queued {
        assert!(poll_once(call).await.is_pending());
    }

    let stopping = {
        let writer = std::sync::Arc::clone(&writer);
        tokio::task::spawn_blocking(move || writer.stop())
    };
    // Give the stop request time to queue behind "a" and "b"; either order is correct,
    // this only makes the interesting one likely.
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    drop(release);
    gate.await.unwrap();
    for call in queued {
        call.await.unwrap();
    }
    stopping.await.unwrap();

    assert!(matches!(set(&writer, "c").await, Err(StoreError::Closed)));
    assert_eq!(keys(&path), ["a", "b"]);
}
