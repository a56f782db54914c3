//! Dead letters: work that failed for good, kept with enough to replay it.

use rusqlite::{Connection, Row, params};

use super::Sqlite;
use super::now_ms;
use super::rows::{expect_one, next_id, parsed};
use crate::{DeadLetter, DeadLetterKind, NewDeadLetter, StoreError};

impl Sqlite {
    pub(crate) async fn dead_letter(&self, dl: NewDeadLetter) -> Result<i64, StoreError> {
        self.write(move |conn| {
            insert_dead_letter(
                conn,
                dl.kind,
                &dl.instance,
                None,
                None,
                &dl.error,
                &dl.payload,
            )
        })
        .await
    }

    pub(crate) async fn dead_letters(
        &self,
        include_replayed: bool,
    ) -> Result<Vec<DeadLetter>, StoreError> {
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id, kind, instance, message_id, reply_id, created_at_ms, error, payload,
                     replayed_at_ms
                 FROM dead_letters
                 WHERE ?1 OR replayed_at_ms IS NULL
                 ORDER BY id",
            )?;
            let rows = stmt.query_map([include_replayed], dead_letter)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    pub(crate) async fn mark_replayed(&self, id: i64) -> Result<(), StoreError> {
        self.write(move |conn| {
            let changed = conn
                .prepare_cached("UPDATE dead_letters SET replayed_at_ms = ?2 WHERE id = ?1")?
                .execute(params![id, now_ms()])?;
            expect_one(changed, "dead_letters", id)
        })
        .await
    }
}

/// Inserts a dead letter inside the caller's command, so that it commits (or not)
/// together with the state change it explains.
pub(crate) fn insert_dead_letter(
    conn: &Connection,
    kind: DeadLetterKind,
    instance: &str,
    message_id: Option<i64>,
    reply_id: Option<i64>,
    error: &str,
    payload: &[u8],
) -> Result<i64, StoreError> {
    conn.prepare_cached(concat!(
        "INSERT INTO dead_letters (id, kind, instance, message_id, reply_id, created_at_ms,
             error, payload)
         VALUES (",
        next_id!("dead_letters"),
        ", ?1, ?2, ?3, ?4, ?5, ?6, ?7)"
    ))?
    .execute(params![
        kind.as_str(),
        instance,
        message_id,
        reply_id,
        now_ms(),
        error,
        payload
    ])?;
    Ok(conn.last_insert_rowid())
}

fn dead_letter(row: &Row<'_>) -> rusqlite::Result<DeadLetter> {
    Ok(DeadLetter {
        id: row.get(0)?,
        kind: parsed(row, 1, DeadLetterKind::parse)?,
        instance: row.get(2)?,
        message_id: row.get(3)?,
        reply_id: row.get(4)?,
        created_at_ms: row.get(5)?,
        error: row.get(6)?,
        payload: row.get(7)?,
        replayed_at_ms: row.get(8)?,
    })
}
