//! Upgrading a file written by an older release, in place, without losing or renumbering
//! anything.

use std::path::Path;

use rusqlite::Connection;
use rusqlite::types::Value;
use switchboard_store::{DeadLetterKind, DueMessage, NewDeadLetter, OutboxItem, Store};
use switchboard_store::{PersistOutcome, StoreOptions};

use crate::support::message;

const SCHEMA_1: &str = include_str!("../../migrations/sqlite/0001_init.sql");

/// Tables whose rows must come through an upgrade unchanged.
const TABLES: [&str; 4] = ["messages", "replies", "dead_letters", "state"];

/// Every row of `table` in key order, every column as stored.
fn rows(conn: &Connection, table: &str) -> Vec<Vec<Value>> {
    let order = if table == "state" {
        "instance, key"
    } else {
        "id"
    };
    let mut stmt = conn
        .prepare(&format!("SELECT * FROM {table} ORDER BY {order}"))
        .unwrap();
    let columns = stmt.column_count();
    stmt.query_map([], |row| (0..columns).map(|i| row.get(i)).collect())
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn insert_message(
    conn: &Connection,
    instance: &str,
    conversation: &str,
    hook: (&str, i64),
    agent: (&str, i64),
) -> i64 {
    conn.execute(
        "INSERT INTO messages (instance, external_id, conversation_id, sender_id, sender_name,
             text, timestamp, kind, metadata, received_at_ms, hook_state, hook_next_at_ms,
             agent_state, agent_next_at_ms)
         VALUES (?1, 'ext-' || (SELECT count(*) FROM messages), ?2, 'u-1', 'Ada', 'hi',
             -1, 'text', '{}', 100, ?3, ?4, ?5, ?6)",
        rusqlite::params![instance, conversation, hook.0, hook.1, agent.0, agent.1],
    )
    .unwrap();
    conn.last_insert_rowid()
}

fn insert_reply(
    conn: &Connection,
    conversation: &str,
    message_id: Option<i64>,
    status: &str,
    next_at_ms: i64,
) -> i64 {
    conn.execute(
        "INSERT INTO replies (instance, conversation_id, message_id, text, idempotency_key,
             status, next_attempt_at_ms, created_at_ms)
         VALUES ('wa', ?1, ?2, 'answer', 'key-' || (SELECT count(*) FROM replies), ?3, ?4, 100)",
        rusqlite::params![conversation, message_id, status, next_at_ms],
    )
    .unwrap();
    conn.last_insert_rowid()
}

fn insert_dead_letter(conn: &Connection, message_id: Option<i64>, replayed: Option<i64>) -> i64 {
    conn.execute(
        "INSERT INTO dead_letters (kind, instance, message_id, created_at_ms, error, payload,
             replayed_at_ms)
         VALUES ('agent', 'wa', ?1, 100, 'agent down', x'00ff', ?2)",
        rusqlite::params![message_id, replayed],
    )
    .unwrap();
    conn.last_insert_rowid()
}

/// A file at schema version 1 with work in every state. The newest row of each table
/// was pruned already, so only the old AUTOINCREMENT counters remember those ids.
fn write_version_1(path: &Path) {
    let conn = Connection::open(path).unwrap();
    conn.pragma_update(None, "foreign_keys", true).unwrap();
    conn.execute_batch(SCHEMA_1).unwrap();
    conn.pragma_update(None, "user_version", 1).unwrap();

    let done = insert_message(&conn, "wa", "c1", ("done", 0), ("done", 0));
    let hook = insert_message(&conn, "wa", "c1", ("pending", 0), ("done", 0));
    let turn = insert_message(&conn, "wa", "c2", ("done", 0), ("pending", 0));
    let both = insert_message(&conn, "tg", "c3", ("pending", 0), ("pending", 0));
    let later = insert_message(&conn, "wa", "c2", ("done", 0), ("pending", 5_000));
    let held = insert_message(&conn, "wa", "c2", ("done", 0), ("pending", 0));
    let pruned = insert_message(&conn, "wa", "c9", ("done", 0), ("done", 0));
    assert_eq!(
        [done, hook, turn, both, later, held, pruned],
        [1, 2, 3, 4, 5, 6, 7]
    );

    assert_eq!(insert_reply(&conn, "c1", Some(done), "sent", 0), 1);
    assert_eq!(insert_reply(&conn, "c1", Some(hook), "pending", 0), 2);
    assert_eq!(insert_reply(&conn, "c4", None, "pending", 5_000), 3);
    assert_eq!(insert_reply(&conn, "c4", None, "pending", 0), 4);
    assert_eq!(insert_reply(&conn, "c9", Some(pruned), "sent", 0), 5);

    assert_eq!(insert_dead_letter(&conn, Some(turn), None), 1);
    assert_eq!(insert_dead_letter(&conn, None, Some(200)), 2);
    assert_eq!(insert_dead_letter(&conn, None, None), 3);

    conn.execute(
        "INSERT INTO state (instance, key, value, updated_at_ms) VALUES ('wa', 'cursor', x'2a', 100)",
        [],
    )
    .unwrap();
    conn.execute("DELETE FROM messages WHERE id = ?1", [pruned])
        .unwrap();
    conn.execute("DELETE FROM dead_letters WHERE id = 3", [])
        .unwrap();
}

fn message_ids(due: &[DueMessage]) -> Vec<i64> {
    due.iter().map(|d| d.message.id).collect()
}

fn reply_ids(due: &[OutboxItem]) -> Vec<i64> {
    due.iter().map(|r| r.id).collect()
}

#[tokio::test]
async fn a_version_1_file_is_upgraded_in_place_with_every_row_and_id_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("switchboard.db");
    write_version_1(&path);
    let before: Vec<_> = {
        let conn = Connection::open(&path).unwrap();
        TABLES.iter().map(|table| rows(&conn, table)).collect()
    };
    // The cascade took the pruned message's reply, the newest one.
    assert_eq!(before[1].len(), 4);

    let s = Store::open(&path, StoreOptions::default()).unwrap();

    {
        let conn = Connection::open(&path).unwrap();
        for (table, old) in TABLES.iter().zip(&before) {
            let now = rows(&conn, table);
            // Later versions add columns at the end; the old ones keep every value.
            let kept: Vec<_> = now.iter().map(|row| row[..old[0].len()].to_vec()).collect();
            assert_eq!(&kept, old, "{table} changed");
            if *table == "messages" {
                // What a 0.1 channel implied: a person, a chat of unknown type, no
                // mention, no thread, no edit time, no details, and a turn.
                let added: Vec<Value> = vec![
                    Value::Text("user".to_owned()),
                    Value::Text("unknown".to_owned()),
                    Value::Integer(0),
                    Value::Null,
                    Value::Null,
                    Value::Null,
                    Value::Null,
                ];
                for row in &now {
                    assert_eq!(row[old[0].len()..], added[..], "new columns of an old row");
                }
            }
        }
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .unwrap();
        assert!(version >= 2, "user_version {version}");
        let autoincrement: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE sql LIKE '%AUTOINCREMENT%'",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(autoincrement, 0);
        let parent: (String, String, String) = conn
            .query_row("PRAGMA foreign_key_list(replies)", [], |row| {
                Ok((row.get(2)?, row.get(3)?, row.get(6)?))
            })
            .unwrap();
        assert_eq!(
            parent,
            ("messages".into(), "message_id".into(), "CASCADE".into())
        );
        let integrity: String = conn
            .query_row("PRAGMA integrity_check", [], |row| row.get(0))
            .unwrap();
        assert_eq!(integrity, "ok");
    }

    // Work that was pending is still due, in the same order and held back the same way.
    assert_eq!(message_ids(&s.due_hooks(1_000, 10).await.unwrap()), [2, 4]);
    assert_eq!(
        message_ids(&s.pending_turns(1_000, 10).await.unwrap()),
        [3, 4]
    );
    assert_eq!(
        message_ids(&s.pending_turns(5_000, 10).await.unwrap()),
        [3, 4, 5, 6]
    );
    assert_eq!(reply_ids(&s.due_replies(1_000, 10).await.unwrap()), [2]);
    assert_eq!(
        reply_ids(&s.due_replies(5_000, 10).await.unwrap()),
        [2, 3, 4]
    );
    assert_eq!(s.state_get("wa", "cursor").await.unwrap(), Some(vec![0x2a]));

    // New rows continue above every id ever handed out, pruned ones included.
    let stored = s
        .persist("wa", vec![message("new", "c1", "hello")])
        .await
        .unwrap();
    assert!(matches!(&stored[..], [PersistOutcome::Stored(m)] if m.id == 8));
    let queued = s.complete_turn(3, vec!["ok".into()]).await.unwrap();
    assert_eq!(reply_ids(&queued), [6]);
    let letter = s
        .dead_letter(NewDeadLetter {
            kind: DeadLetterKind::Delivery,
            instance: "wa".into(),
            error: "bad".into(),
            payload: vec![1],
        })
        .await
        .unwrap();
    assert_eq!(letter, 4);

    // The foreign key still cascades: pruning the finished message takes its sent reply.
    assert_eq!(s.prune(i64::MAX).await.unwrap(), 1);
    let replies = reply_ids(&s.replies(None, 10).await.unwrap());
    assert_eq!(replies, [6, 4, 3, 2]);
    s.close().await.unwrap();
}
