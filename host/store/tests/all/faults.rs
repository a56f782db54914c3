//! Storage faults: the write fails with a transient error, nothing is half-stored, and
//! the same store works again once the fault is gone.

use std::error::Error as _;
use switchboard_store::StateQuota;

use switchboard_store::{PersistOutcome, StoreError, WorkState};

use crate::support::{message, open, stored};

fn assert_transient_sqlite(err: &StoreError, needle: &str) {
    assert!(matches!(err, StoreError::Sqlite { .. }), "{err:?}");
    assert!(err.is_transient(), "{err:?} must map to 503");
    let cause = err.source().map(ToString::to_string).unwrap_or_default();
    assert!(cause.contains(needle), "cause {cause:?} lacks {needle:?}");
}

#[tokio::test]
async fn a_read_only_database_fails_writes_until_it_is_writable_again() {
    let t = open();
    let s = &t.store;
    let m = stored(s, "wa", message("before", "c", "x")).await;

    s.simulate_read_only(true).await.unwrap();

    let err = s
        .persist("wa", vec![message("during", "c", "y")])
        .await
        .unwrap_err();
    assert_transient_sqlite(&err, "readonly");
    let err = s
        .complete_turn(m.id, vec!["reply".into()])
        .await
        .unwrap_err();
    assert_transient_sqlite(&err, "readonly");
    assert!(
        s.state_set("wa", "k", vec![1], StateQuota::default())
            .await
            .is_err()
    );
    assert!(s.ping_write().await.is_err(), "readiness reports it too");
    // Nothing of the failed calls is visible: the turn is still pending, no reply exists.
    assert_eq!(
        s.message_status(m.id).await.unwrap().agent_state,
        WorkState::Pending
    );
    assert!(s.replies(None, 10).await.unwrap().is_empty());
    assert_eq!(s.counts().await.unwrap().messages, 1);

    s.simulate_read_only(false).await.unwrap();

    let outcome = s
        .persist("wa", vec![message("during", "c", "y")])
        .await
        .unwrap();
    assert!(
        matches!(&outcome[..], [PersistOutcome::Stored(_)]),
        "{outcome:?}"
    );
    assert_eq!(
        s.complete_turn(m.id, vec!["reply".into()])
            .await
            .unwrap()
            .len(),
        1
    );
    s.ping_write().await.unwrap();
}

#[tokio::test]
async fn a_full_disk_fails_the_batch_and_the_writer_recovers() {
    let t = open();
    let s = &t.store;
    stored(s, "wa", message("before", "c", "x")).await;
    let big = "x".repeat(1 << 20);

    s.simulate_disk_full(true).await.unwrap();

    let err = s
        .persist("wa", vec![message("big", "c", &big)])
        .await
        .unwrap_err();
    assert_transient_sqlite(&err, "full");
    assert_eq!(s.counts().await.unwrap().messages, 1, "nothing half-stored");

    s.simulate_disk_full(false).await.unwrap();

    let outcome = s
        .persist("wa", vec![message("big", "c", &big)])
        .await
        .unwrap();
    assert!(
        matches!(&outcome[..], [PersistOutcome::Stored(m)] if m.message.text.as_deref() == Some(big.as_str()))
    );
    assert_eq!(s.counts().await.unwrap().messages, 2);

    let conn = rusqlite::Connection::open(&t.path).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
}
