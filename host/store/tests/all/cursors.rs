//! Polling instances: the cursor commits with the poll's messages and dead letters,
//! all or nothing, and survives a restart.

use switchboard_store::{DeadLetterKind, NewDeadLetter, PersistOutcome, Store, StoreOptions};

use crate::support::{message, on_both, open};

fn unmapped(payload: &str) -> NewDeadLetter {
    NewDeadLetter {
        kind: DeadLetterKind::Delivery,
        instance: "tg".to_owned(),
        error: "the channel could not map it: no sender".to_owned(),
        payload: payload.as_bytes().to_vec(),
    }
}

fn stored_count(outcomes: &[PersistOutcome]) -> usize {
    outcomes
        .iter()
        .filter(|o| matches!(o, PersistOutcome::Stored(_)))
        .count()
}

#[tokio::test]
async fn a_poll_commits_its_messages_dead_letters_and_cursor_together_and_the_cursor_survives_a_restart()
 {
    let mut t = open();
    assert_eq!(t.store.receive_cursor("tg").await.unwrap(), None);

    let first = t
        .store
        .persist_received(
            "tg",
            vec![message("1:1", "1", "a"), message("1:2", "1", "b")],
            vec![unmapped(r#"{"update_id":12}"#)],
            Some("13".to_owned()),
            |_| {},
        )
        .await
        .unwrap();
    assert_eq!(stored_count(&first.outcomes), 2);
    assert_eq!(first.dead_letters.len(), 1);
    assert_eq!(
        t.store.receive_cursor("tg").await.unwrap().as_deref(),
        Some("13")
    );
    assert_eq!(
        t.store.receive_cursor("other").await.unwrap(),
        None,
        "cursors are per instance"
    );

    let path = t.path.clone();
    t.store.close().await.unwrap();
    t.store = Store::open(&path, StoreOptions::default()).unwrap();
    assert_eq!(
        t.store.receive_cursor("tg").await.unwrap().as_deref(),
        Some("13")
    );
    let letters = t.store.dead_letters(false).await.unwrap();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].payload, br#"{"update_id":12}"#);
}

on_both! {
async fn a_batch_fetched_again_after_a_crash_is_stored_once_and_no_cursor_keeps_the_old_one(t) {
    let s = &t.store;
    let batch = || vec![message("1:1", "1", "a"), message("1:2", "1", "b")];
    s.persist_received("tg", batch(), Vec::new(), Some("3".to_owned()), |_| {})
        .await
        .unwrap();
    // The same updates again (the cursor was committed, but say the platform
    // redelivers): duplicates, and the cursor still moves.
    let again = s
        .persist_received("tg", batch(), Vec::new(), Some("4".to_owned()), |_| {})
        .await
        .unwrap();
    assert_eq!(stored_count(&again.outcomes), 0);
    assert!(
        again
            .outcomes
            .iter()
            .all(|o| matches!(o, PersistOutcome::Duplicate { .. }))
    );
    assert_eq!(s.receive_cursor("tg").await.unwrap().as_deref(), Some("4"));
    // An empty poll returns no cursor: the stored one stays.
    s.persist_received("tg", Vec::new(), Vec::new(), None, |_| {})
        .await
        .unwrap();
    assert_eq!(s.receive_cursor("tg").await.unwrap().as_deref(), Some("4"));
    assert_eq!(s.counts().await.unwrap().messages, 2);
}
}

#[tokio::test]
async fn a_failed_commit_stores_neither_the_messages_nor_the_cursor() {
    let t = open();
    let s = &t.store;
    s.persist_received("tg", Vec::new(), Vec::new(), Some("1".to_owned()), |_| {})
        .await
        .unwrap();
    s.simulate_read_only(true).await.unwrap();
    let handed_over = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let seen = handed_over.clone();
    let err = s
        .persist_received(
            "tg",
            vec![message("1:1", "1", "a")],
            vec![unmapped("{}")],
            Some("2".to_owned()),
            move |_| seen.store(true, std::sync::atomic::Ordering::SeqCst),
        )
        .await
        .unwrap_err();
    assert!(err.is_transient(), "{err:?}");
    s.simulate_read_only(false).await.unwrap();
    assert!(!handed_over.load(std::sync::atomic::Ordering::SeqCst));
    assert_eq!(s.receive_cursor("tg").await.unwrap().as_deref(), Some("1"));
    assert_eq!(s.counts().await.unwrap().messages, 0);
    assert!(s.dead_letters(true).await.unwrap().is_empty());
}
