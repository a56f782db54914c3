//! Pages written per stored message. Every page a commit dirties is one more write-ahead
//! log frame to write and fsync, so the schema's index count is paid on every webhook.
//! These are page counts, not timings: they are the same on every machine.

use switchboard_store::{HookOutcome, Store};

use crate::support::{TestStore, message, open, stored};

/// Messages per measured phase, each in its own commit; spread over a few
/// conversations so the conversation indexes see more than one key.
const MESSAGES: usize = 20;
const CONVERSATIONS: usize = 4;
/// Messages persisted in one call, so in one commit, as group commit does under load.
const BATCH: usize = 100;

/// Write-ahead log frames written since the last checkpoint.
fn wal_frames(t: &TestStore) -> u64 {
    let mut wal = t.path.clone().into_os_string();
    wal.push("-wal");
    let bytes = std::fs::metadata(&wal).map_or(0, |m| m.len());
    let page_size: u64 = rusqlite::Connection::open(&t.path)
        .unwrap()
        .pragma_query_value(None, "page_size", |row| row.get(0))
        .unwrap();
    // A 32-byte file header, then one 24-byte header and one page per frame.
    bytes.saturating_sub(32) / (page_size + 24)
}

/// Frames per message written by `phase`, starting from an empty log.
async fn per_message<F: Future<Output = ()>>(t: &TestStore, count: usize, phase: F) -> f64 {
    t.store.checkpoint().await.unwrap();
    assert_eq!(wal_frames(t), 0);
    phase.await;
    wal_frames(t) as f64 / count as f64
}

async fn persist_each(s: &Store, prefix: &str) -> Vec<i64> {
    let mut ids = Vec::with_capacity(MESSAGES);
    for i in 0..MESSAGES {
        let conversation = format!("c-{}", i % CONVERSATIONS);
        let m = message(&format!("{prefix}-{i}"), &conversation, "hello there");
        ids.push(stored(s, "wa", m).await.id);
    }
    ids
}

#[tokio::test]
async fn a_stored_message_writes_few_pages() {
    let t = open();
    let s = &t.store;
    // A history, so that the tables are more than one page deep.
    let history: Vec<_> = (0..500)
        .map(|i| message(&format!("old-{i}"), &format!("c-{}", i % 50), "earlier"))
        .collect();
    s.persist("wa", history).await.unwrap();

    let mut ids = Vec::new();
    let persist = per_message(&t, MESSAGES, async {
        ids = persist_each(s, "new").await;
    })
    .await;
    let hook = per_message(&t, MESSAGES, async {
        for &id in &ids {
            s.finish_hook(id, HookOutcome::Done).await.unwrap();
        }
    })
    .await;
    let mut replies = Vec::new();
    let turn = per_message(&t, MESSAGES, async {
        for &id in &ids {
            replies.push(s.complete_turn(id, vec!["hi".into()]).await.unwrap()[0].id);
        }
    })
    .await;
    let sent = per_message(&t, MESSAGES, async {
        for &id in &replies {
            s.reply_sent(id, Some("receipt".into())).await.unwrap();
        }
    })
    .await;
    let batched = per_message(&t, BATCH, async {
        let batch = (0..BATCH)
            .map(|i| message(&format!("batch-{i}"), &format!("c-{}", i % 50), "x"))
            .collect();
        s.persist("wa", batch).await.unwrap();
    })
    .await;

    println!(
        "pages per message: persist {persist:.2}, hook done {hook:.2}, turn with one reply \
         {turn:.2}, reply sent {sent:.2}, lifecycle {:.2}; persisted {BATCH} in one commit \
         {batched:.2}",
        persist + hook + turn + sent
    );
    // A commit touches each B-tree a row lives in at least once: a new message is the
    // table, its unique key, two history indexes and its two queue indexes; the odd
    // page split adds a fraction. One more index or a sequence table breaks these.
    assert!(
        persist < 7.0,
        "persist wrote {persist:.2} pages per message"
    );
    assert!(
        turn < 8.0,
        "complete_turn wrote {turn:.2} pages per message"
    );
    assert!(sent < 3.0, "reply_sent wrote {sent:.2} pages per message");
}
