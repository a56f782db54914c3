//! The outbox: replies waiting for delivery, with retries and dead-lettering.

use rusqlite::{OptionalExtension, params};

use super::Sqlite;
use super::dead_letters::insert_dead_letter;
use super::rows::{self, expect_one, message_columns, next_id, reply_columns, standing};
use super::{now_ms, sql_limit};
use crate::{DeadLetterKind, OutboxItem, Standing, StoreError};

impl Sqlite {
    pub(crate) async fn due_replies(
        &self,
        now_ms: i64,
        limit: usize,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(DUE_REPLIES)?;
            let rows = stmt.query_map(params![now_ms, sql_limit(limit)], rows::reply)?;
            rows::with_attachments(conn, rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    pub(crate) async fn reply_sent(
        &self,
        id: i64,
        receipt_external_id: Option<String>,
    ) -> Result<(), StoreError> {
        self.write_background(move |conn| {
            let changed = conn
                .prepare_cached(
                    "UPDATE replies SET status = 'sent', attempts = attempts + 1,
                         sent_at_ms = ?2, receipt_external_id = ?3, last_error = NULL
                     WHERE id = ?1",
                )?
                .execute(params![id, now_ms(), receipt_external_id])?;
            expect_one(changed, "replies", id)
        })
        .await
    }

    pub(crate) async fn reply_retry(
        &self,
        id: i64,
        at_ms: i64,
        error: String,
    ) -> Result<(), StoreError> {
        self.write_background(move |conn| {
            let changed = conn
                .prepare_cached(
                    "UPDATE replies SET attempts = attempts + 1, next_attempt_at_ms = ?2,
                         last_error = ?3
                     WHERE id = ?1",
                )?
                .execute(params![id, at_ms, error])?;
            expect_one(changed, "replies", id)
        })
        .await
    }

    pub(crate) async fn reply_dead(&self, id: i64, error: String) -> Result<(), StoreError> {
        self.write_background(move |conn| {
            let changed = conn
                .prepare_cached(
                    "UPDATE replies SET status = 'dead', attempts = attempts + 1, last_error = ?2
                     WHERE id = ?1",
                )?
                .execute(params![id, error])?;
            expect_one(changed, "replies", id)?;
            let reply = rows::load_reply(conn, id)?;
            let payload = serde_json::to_vec(&reply)?;
            insert_dead_letter(
                conn,
                DeadLetterKind::Reply,
                &reply.instance,
                reply.in_reply_to.as_ref().map(|m| m.id),
                Some(id),
                &error,
                &payload,
            )?;
            Ok(())
        })
        .await
    }

    pub(crate) async fn reply_standing(&self, id: i64) -> Result<Option<Standing>, StoreError> {
        self.read(move |conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT r.status = 'pending', r.attempts, EXISTS (
                         SELECT 1 FROM replies e
                         WHERE e.instance = r.instance AND e.conversation_id = r.conversation_id
                           AND e.status = 'pending' AND e.id < r.id)
                     FROM replies r WHERE r.id = ?1",
                )?
                .query_row([id], standing)
                .optional()?)
        })
        .await
    }

    pub(crate) async fn requeue_reply(&self, id: i64) -> Result<(), StoreError> {
        self.write(move |conn| {
            let changed = conn
                .prepare_cached(
                    "UPDATE replies SET status = 'pending', attempts = 0, next_attempt_at_ms = ?2
                     WHERE id = ?1",
                )?
                .execute(params![id, now_ms()])?;
            expect_one(changed, "replies", id)
        })
        .await
    }

    pub(crate) async fn insert_reply(
        &self,
        instance: &str,
        conversation_id: &str,
        message_id: Option<i64>,
        text: String,
    ) -> Result<i64, StoreError> {
        let instance = instance.to_owned();
        let conversation_id = conversation_id.to_owned();
        self.write(move |conn| {
            if let Some(message_id) = message_id {
                // Checked here so that a wrong id is NotFound, not a foreign-key error.
                rows::load_message(conn, message_id)?;
            }
            let now = now_ms();
            // The key embeds the row id, which exists only after the insert; a random
            // placeholder satisfies the UNIQUE constraint until then.
            conn.prepare_cached(concat!(
                "INSERT INTO replies (id, instance, conversation_id, message_id, text,
                     idempotency_key, next_attempt_at_ms, created_at_ms)
                 VALUES (",
                next_id!("replies"),
                ", ?1, ?2, ?3, ?4, 'placeholder-' || hex(randomblob(16)), ?5, ?5)"
            ))?
            .execute(params![instance, conversation_id, message_id, text, now])?;
            let id = conn.last_insert_rowid();
            conn.prepare_cached("UPDATE replies SET idempotency_key = ?2 WHERE id = ?1")?
                .execute(params![id, format!("sb-{instance}-r{id}")])?;
            Ok(id)
        })
        .await
    }

    pub(crate) async fn replies(
        &self,
        instance: Option<&str>,
        limit: usize,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        let instance = instance.map(str::to_owned);
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(concat!(
                "SELECT ",
                reply_columns!(),
                ", ",
                message_columns!(),
                " FROM replies r LEFT JOIN messages m ON m.id = r.message_id
                  WHERE ?1 IS NULL OR r.instance = ?1
                  ORDER BY r.id DESC LIMIT ?2"
            ))?;
            let rows = stmt.query_map(params![instance, sql_limit(limit)], rows::reply)?;
            rows::with_attachments(conn, rows.collect::<Result<_, _>>()?)
        })
        .await
    }
}

/// Pending replies due at `?1` and not held back, oldest first, at most `?2`: one pass
/// over the pending queue, as `PENDING_TURNS` explains.
pub(crate) const DUE_REPLIES: &str = concat!(
    "SELECT ",
    reply_columns!(),
    ", ",
    message_columns!(),
    " FROM (SELECT id, next_attempt_at_ms AS next_at,
               max(next_attempt_at_ms) OVER (
                   PARTITION BY instance, conversation_id ORDER BY id
                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS held_until
           FROM replies INDEXED BY replies_queue
           WHERE status = 'pending') q
     CROSS JOIN replies r ON r.id = q.id
     LEFT JOIN messages m ON m.id = r.message_id
     WHERE q.next_at <= ?1 AND (q.held_until IS NULL OR q.held_until <= ?1)
     ORDER BY q.id LIMIT ?2"
);
