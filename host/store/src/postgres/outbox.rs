//! The outbox: replies waiting for delivery, with retries and dead-lettering.

use super::Postgres;
use super::dead_letters::insert_dead_letter;
use super::rows::{self, expect_one, message_columns, reply_columns, standing};
use crate::columns::now_ms;
use crate::{DeadLetterKind, OutboxItem, Standing, StoreError};

impl Postgres {
    pub(crate) async fn due_replies(
        &self,
        now_ms: i64,
        limit: usize,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        let client = self.client().await?;
        let stmt = client.prepare_cached(DUE_REPLIES).await?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let items = client
            .query(&stmt, &[&now_ms, &limit])
            .await?
            .iter()
            .map(rows::reply)
            .collect::<Result<Vec<_>, _>>()?;
        rows::with_attachments(&client, items).await
    }

    pub(crate) async fn reply_sent(
        &self,
        id: i64,
        receipt_external_id: Option<String>,
    ) -> Result<(), StoreError> {
        let changed = self
            .execute(
                "UPDATE replies SET status = 'sent', attempts = attempts + 1,
                     sent_at_ms = $2, receipt_external_id = $3, last_error = NULL
                 WHERE id = $1",
                &[&id, &now_ms(), &receipt_external_id],
            )
            .await?;
        expect_one(changed, "replies", id)
    }

    pub(crate) async fn reply_retry(
        &self,
        id: i64,
        at_ms: i64,
        error: String,
    ) -> Result<(), StoreError> {
        let changed = self
            .execute(
                "UPDATE replies SET attempts = attempts + 1, next_attempt_at_ms = $2,
                     last_error = $3
                 WHERE id = $1",
                &[&id, &at_ms, &error],
            )
            .await?;
        expect_one(changed, "replies", id)
    }

    pub(crate) async fn reply_dead(&self, id: i64, error: String) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let changed = tx
            .execute(
                &tx.prepare_cached(
                    "UPDATE replies SET status = 'dead', attempts = attempts + 1, last_error = $2
                     WHERE id = $1",
                )
                .await?,
                &[&id, &error],
            )
            .await?;
        expect_one(changed, "replies", id)?;
        let reply = rows::load_reply(&tx, id).await?;
        let payload = serde_json::to_vec(&reply)?;
        insert_dead_letter(
            &tx,
            DeadLetterKind::Reply,
            &reply.instance,
            reply.in_reply_to.as_ref().map(|m| m.id),
            Some(id),
            &error,
            &payload,
        )
        .await?;
        tx.commit().await?;
        self.committed();
        Ok(())
    }

    pub(crate) async fn reply_standing(&self, id: i64) -> Result<Option<Standing>, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "SELECT r.status = 'pending', r.attempts, EXISTS (
                     SELECT 1 FROM replies e
                     WHERE e.instance = r.instance AND e.conversation_id = r.conversation_id
                       AND e.status = 'pending' AND e.id < r.id)
                 FROM replies r WHERE r.id = $1",
            )
            .await?;
        client
            .query_opt(&stmt, &[&id])
            .await?
            .map(|row| standing(&row))
            .transpose()
    }

    pub(crate) async fn requeue_reply(&self, id: i64) -> Result<(), StoreError> {
        let changed = self
            .execute(
                "UPDATE replies SET status = 'pending', attempts = 0, next_attempt_at_ms = $2
                 WHERE id = $1",
                &[&id, &now_ms()],
            )
            .await?;
        expect_one(changed, "replies", id)
    }

    pub(crate) async fn insert_reply(
        &self,
        instance: &str,
        conversation_id: &str,
        message_id: Option<i64>,
        text: String,
    ) -> Result<i64, StoreError> {
        let client = self.client().await?;
        if let Some(message_id) = message_id {
            // Checked here so that a wrong id is NotFound, not a foreign-key error.
            rows::load_message(&client, message_id).await?;
        }
        // The key embeds the row id, so the id is drawn from the sequence first.
        let stmt = client
            .prepare_cached(
                "WITH next AS (SELECT nextval(pg_get_serial_sequence('replies', 'id')) AS id)
                 INSERT INTO replies (id, instance, conversation_id, message_id, text,
                     idempotency_key, next_attempt_at_ms, created_at_ms)
                 SELECT next.id, $1, $2, $3, $4, 'sb-' || $1 || '-r' || next.id, $5, $5
                 FROM next
                 RETURNING id",
            )
            .await?;
        let row = client
            .query_one(
                &stmt,
                &[&instance, &conversation_id, &message_id, &text, &now_ms()],
            )
            .await?;
        self.committed();
        Ok(row.try_get(0)?)
    }

    pub(crate) async fn replies(
        &self,
        instance: Option<&str>,
        limit: usize,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(concat!(
                "SELECT ",
                reply_columns!(),
                ", ",
                message_columns!(),
                " FROM replies r LEFT JOIN messages m ON m.id = r.message_id
                  WHERE $1::text IS NULL OR r.instance = $1
                  ORDER BY r.id DESC LIMIT $2"
            ))
            .await?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let items = client
            .query(&stmt, &[&instance, &limit])
            .await?
            .iter()
            .map(rows::reply)
            .collect::<Result<Vec<_>, _>>()?;
        rows::with_attachments(&client, items).await
    }
}

/// Pending replies due at `$1` and not held back, oldest first, at most `$2`: one pass
/// over the pending queue, as the pending turns query does.
const DUE_REPLIES: &str = concat!(
    "SELECT ",
    reply_columns!(),
    ", ",
    message_columns!(),
    " FROM (SELECT id, next_attempt_at_ms AS next_at,
               max(next_attempt_at_ms) OVER (
                   PARTITION BY instance, conversation_id ORDER BY id
                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS held_until
           FROM replies
           WHERE status = 'pending') q
     JOIN replies r ON r.id = q.id
     LEFT JOIN messages m ON m.id = r.message_id
     WHERE q.next_at <= $1 AND (q.held_until IS NULL OR q.held_until <= $1)
     ORDER BY q.id LIMIT $2"
);
