//! Messages the agent sends first (`POST /v1/messages`, `switchboard send`): rows of
//! the outbox that answer no message, delivered by the reply queue like any reply, in
//! order with the other replies of their conversation.

use deadpool_postgres::GenericClient;
use switchboard_types::OutboundAttachment;

use super::Postgres;
use super::rows::{self, message_columns, reply_columns};
use crate::columns::now_ms;
use crate::{API_KEY_TTL_MS, NewSend, OutboxItem, SendQueued, StoreError};

impl Postgres {
    pub(crate) async fn queue_send(&self, send: NewSend) -> Result<SendQueued, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let now = now_ms();
        if let Some(key) = &send.api_key {
            // Two nodes taking the same client key at once: one waits for the other and
            // then finds its send.
            tx.execute(
                &tx.prepare_cached("SELECT pg_advisory_xact_lock(hashtext($1 || ':' || $2))")
                    .await?,
                &[&send.instance, key],
            )
            .await?;
            if let Some(id) = claimed_key(&tx, &send.instance, key, now).await? {
                let item = rows::load_reply(&tx, id).await?;
                tx.commit().await?;
                self.committed();
                return Ok(SendQueued {
                    item,
                    existing: true,
                });
            }
        }
        let message_id = match &send.reply_to {
            Some(external_id) => Some(quoted(&tx, &send, external_id).await?),
            None => None,
        };
        // The key embeds the row id, so the id is drawn from the sequence first.
        let row = tx
            .query_one(
                &tx.prepare_cached(
                    "WITH next AS (SELECT nextval(pg_get_serial_sequence('replies', 'id')) AS id)
                     INSERT INTO replies (id, instance, conversation_id, message_id, text,
                         idempotency_key, next_attempt_at_ms, created_at_ms, thread_id, api_key)
                     SELECT next.id, $1, $2, $3, $4, 'sb-' || $1 || '-send-' || next.id, $5, $5,
                         $6, $7
                     FROM next
                     RETURNING id",
                )
                .await?,
                &[
                    &send.instance,
                    &send.conversation_id,
                    &message_id,
                    &send.text,
                    &now,
                    &send.thread_id,
                    &send.api_key,
                ],
            )
            .await?;
        let id: i64 = row.try_get(0)?;
        insert_attachments(&tx, id, &send.attachments).await?;
        let item = rows::load_reply(&tx, id).await?;
        tx.commit().await?;
        self.committed();
        Ok(SendQueued {
            item,
            existing: false,
        })
    }

    pub(crate) async fn send_status(&self, id: i64) -> Result<Option<OutboxItem>, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(concat!(
                "SELECT ",
                reply_columns!(),
                ", ",
                message_columns!(),
                " FROM replies r LEFT JOIN messages m ON m.id = r.message_id
                  WHERE r.id = $1 AND r.idempotency_key = 'sb-' || r.instance || '-send-' || r.id"
            ))
            .await?;
        let Some(row) = client.query_opt(&stmt, &[&id]).await? else {
            return Ok(None);
        };
        let item = rows::reply(&row)?;
        let mut items = rows::with_attachments(&client, vec![item]).await?;
        Ok(items.pop())
    }
}

/// The send that holds `key` for `instance`, if it was queued within the key's
/// lifetime. An older holder gives the key up here, so the new send can take it (the
/// unique index allows one holder per instance).
async fn claimed_key(
    client: &impl GenericClient,
    instance: &str,
    key: &str,
    now: i64,
) -> Result<Option<i64>, StoreError> {
    let release = client
        .prepare_cached(
            "UPDATE replies SET api_key = NULL
             WHERE instance = $1 AND api_key = $2 AND created_at_ms <= $3",
        )
        .await?;
    client
        .execute(&release, &[&instance, &key, &(now - API_KEY_TTL_MS)])
        .await?;
    let find = client
        .prepare_cached("SELECT id FROM replies WHERE instance = $1 AND api_key = $2")
        .await?;
    match client.query_opt(&find, &[&instance, &key]).await? {
        Some(row) => Ok(Some(row.try_get(0)?)),
        None => Ok(None),
    }
}

/// The id of the stored message `external_id` of the send's conversation.
async fn quoted(
    client: &impl GenericClient,
    send: &NewSend,
    external_id: &str,
) -> Result<i64, StoreError> {
    let stmt = client
        .prepare_cached(
            "SELECT id FROM messages
             WHERE instance = $1 AND external_id = $2 AND conversation_id = $3",
        )
        .await?;
    match client
        .query_opt(
            &stmt,
            &[&send.instance, &external_id, &send.conversation_id],
        )
        .await?
    {
        Some(row) => Ok(row.try_get(0)?),
        None => Err(StoreError::UnknownMessage {
            instance: send.instance.clone(),
            conversation_id: send.conversation_id.clone(),
            external_id: external_id.to_owned(),
        }),
    }
}

/// Inserts the attachments of reply `reply_id` inside the caller's transaction.
pub(crate) async fn insert_attachments(
    client: &impl GenericClient,
    reply_id: i64,
    attachments: &[OutboundAttachment],
) -> Result<(), StoreError> {
    if attachments.is_empty() {
        return Ok(());
    }
    let stmt = client
        .prepare_cached(
            "INSERT INTO reply_attachments (reply_id, position, kind, mime_type, size,
                 file_name, caption, sha256)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .await?;
    for (position, a) in attachments.iter().enumerate() {
        let position = i64::try_from(position).unwrap_or(i64::MAX);
        client
            .execute(
                &stmt,
                &[
                    &reply_id,
                    &position,
                    &a.kind.as_str(),
                    &a.mime_type,
                    &a.size.cast_signed(),
                    &a.file_name,
                    &a.caption,
                    &a.blob,
                ],
            )
            .await?;
    }
    Ok(())
}
