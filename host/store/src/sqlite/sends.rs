//! Messages the agent sends first (`POST /v1/messages`, `switchboard send`): rows of
//! the outbox that answer no message, delivered by the reply queue like any reply, in
//! order with the other replies of their conversation.

use rusqlite::{Connection, OptionalExtension, params};
use switchboard_types::OutboundAttachment;

use super::Sqlite;
use super::now_ms;
use super::rows::{self, message_columns, next_id, reply_columns};
use crate::{API_KEY_TTL_MS, NewSend, OutboxItem, SendQueued, StoreError};

impl Sqlite {
    pub(crate) async fn queue_send(&self, send: NewSend) -> Result<SendQueued, StoreError> {
        self.write(move |conn| {
            let now = now_ms();
            if let Some(key) = &send.api_key
                && let Some(id) = claimed_key(conn, &send.instance, key, now)?
            {
                return Ok(SendQueued {
                    item: rows::load_reply(conn, id)?,
                    existing: true,
                });
            }
            let message_id = match &send.reply_to {
                Some(external_id) => Some(quoted(conn, &send, external_id)?),
                None => None,
            };
            // The key embeds the row id, which exists only after the insert; a random
            // placeholder satisfies the UNIQUE constraint until then.
            conn.prepare_cached(concat!(
                "INSERT INTO replies (id, instance, conversation_id, message_id, text,
                     idempotency_key, next_attempt_at_ms, created_at_ms, thread_id, api_key)
                 VALUES (",
                next_id!("replies"),
                ", ?1, ?2, ?3, ?4, 'placeholder-' || hex(randomblob(16)), ?5, ?5, ?6, ?7)"
            ))?
            .execute(params![
                send.instance,
                send.conversation_id,
                message_id,
                send.text,
                now,
                send.thread_id,
                send.api_key,
            ])?;
            let id = conn.last_insert_rowid();
            conn.prepare_cached("UPDATE replies SET idempotency_key = ?2 WHERE id = ?1")?
                .execute(params![id, send_key(&send.instance, id)])?;
            insert_attachments(conn, id, &send.attachments)?;
            Ok(SendQueued {
                item: rows::load_reply(conn, id)?,
                existing: false,
            })
        })
        .await
    }

    pub(crate) async fn send_status(&self, id: i64) -> Result<Option<OutboxItem>, StoreError> {
        self.read(move |conn| {
            let item = conn
                .prepare_cached(concat!(
                    "SELECT ",
                    reply_columns!(),
                    ", ",
                    message_columns!(),
                    " FROM replies r LEFT JOIN messages m ON m.id = r.message_id
                      WHERE r.id = ?1 AND r.idempotency_key = 'sb-' || r.instance || '-send-' || r.id"
                ))?
                .query_row([id], rows::reply)
                .optional()?;
            item.map(|item| rows::one_with_attachments(conn, item))
                .transpose()
        })
        .await
    }
}

/// The idempotency key a send carries to the channel.
fn send_key(instance: &str, id: i64) -> String {
    format!("sb-{instance}-send-{id}")
}

/// The send that holds `key` for `instance`, if it was queued within the key's
/// lifetime. An older holder gives the key up here, so the new send can take it
/// (the unique index allows one holder per instance).
fn claimed_key(
    conn: &Connection,
    instance: &str,
    key: &str,
    now: i64,
) -> Result<Option<i64>, StoreError> {
    conn.prepare_cached(
        "UPDATE replies SET api_key = NULL
         WHERE instance = ?1 AND api_key = ?2 AND created_at_ms <= ?3",
    )?
    .execute(params![instance, key, now - API_KEY_TTL_MS])?;
    Ok(conn
        .prepare_cached("SELECT id FROM replies WHERE instance = ?1 AND api_key = ?2")?
        .query_row(params![instance, key], |row| row.get(0))
        .optional()?)
}

/// The id of the stored message `external_id` of the send's conversation.
fn quoted(conn: &Connection, send: &NewSend, external_id: &str) -> Result<i64, StoreError> {
    conn.prepare_cached(
        "SELECT id FROM messages
         WHERE instance = ?1 AND external_id = ?2 AND conversation_id = ?3",
    )?
    .query_row(
        params![send.instance, external_id, send.conversation_id],
        |row| row.get(0),
    )
    .optional()?
    .ok_or_else(|| StoreError::UnknownMessage {
        instance: send.instance.clone(),
        conversation_id: send.conversation_id.clone(),
        external_id: external_id.to_owned(),
    })
}

/// Writes the attachments of reply `reply_id`, in order.
pub(crate) fn insert_attachments(
    conn: &Connection,
    reply_id: i64,
    attachments: &[OutboundAttachment],
) -> Result<(), StoreError> {
    if attachments.is_empty() {
        return Ok(());
    }
    let mut stmt = conn.prepare_cached(
        "INSERT INTO reply_attachments (reply_id, position, kind, mime_type, size, file_name,
             caption, sha256)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for (position, a) in attachments.iter().enumerate() {
        stmt.execute(params![
            reply_id,
            position,
            a.kind.as_str(),
            a.mime_type,
            a.size.cast_signed(),
            a.file_name,
            a.caption,
            a.blob,
        ])?;
    }
    Ok(())
}
