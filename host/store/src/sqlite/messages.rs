//! Inbound messages: deduplicating persist, inspection and pruning.

use rusqlite::{Connection, OptionalExtension, params};
use switchboard_types::{InboundMessage, StoredMessage};

use super::Sqlite;
use super::attachments;
use super::rows::{self, message_columns, next_id};
use super::{now_ms, sql_limit};
use crate::columns::Details;
use crate::{MessageStatus, PersistOutcome, StoreError};

impl Sqlite {
    pub(crate) async fn persist(
        &self,
        instance: &str,
        messages: Vec<InboundMessage>,
    ) -> Result<Vec<PersistOutcome>, StoreError> {
        self.persist_then(instance, messages, |_| {}).await
    }

    pub(crate) async fn persist_then(
        &self,
        instance: &str,
        messages: Vec<InboundMessage>,
        after: impl FnOnce(&[PersistOutcome]) + Send + 'static,
    ) -> Result<Vec<PersistOutcome>, StoreError> {
        let instance = instance.to_owned();
        self.write_then(
            move |conn| {
                let now = now_ms();
                messages
                    .into_iter()
                    .map(|message| persist_one(conn, &instance, message, now))
                    .collect()
            },
            Box::new(move |outcomes: &Vec<PersistOutcome>| after(outcomes)),
        )
        .await
    }

    pub(crate) async fn messages(
        &self,
        instance: Option<&str>,
        limit: usize,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        let instance = instance.map(str::to_owned);
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(concat!(
                "SELECT ",
                message_columns!(),
                " FROM messages m WHERE ?1 IS NULL OR m.instance = ?1 ORDER BY m.id DESC LIMIT ?2"
            ))?;
            let rows = stmt.query_map(params![instance, sql_limit(limit)], |row| {
                rows::message(row, 0)
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    pub(crate) async fn message_status(
        &self,
        message_id: i64,
    ) -> Result<MessageStatus, StoreError> {
        self.read(move |conn| rows::load_status(conn, message_id))
            .await
    }

    pub(crate) async fn prune(&self, older_than_ms: i64) -> Result<usize, StoreError> {
        self.write_background(move |conn| {
            let removed = conn
                .prepare_cached(
                    "DELETE FROM messages
                     WHERE received_at_ms < ?1
                       AND hook_state != 'pending'
                       AND agent_state != 'pending'
                       AND NOT EXISTS (SELECT 1 FROM replies r
                                       WHERE r.message_id = messages.id AND r.status = 'pending')
                       AND NOT EXISTS (SELECT 1 FROM dead_letters d
                                       WHERE d.message_id = messages.id
                                         AND d.replayed_at_ms IS NULL)",
                )?
                .execute([older_than_ms])?;
            // Messages the agent sent first belong to no message; they go once
            // delivered (or dead and replayed), like the replies of pruned messages.
            conn.prepare_cached(
                "DELETE FROM replies
                 WHERE message_id IS NULL
                   AND created_at_ms < ?1
                   AND status != 'pending'
                   AND NOT EXISTS (SELECT 1 FROM dead_letters d
                                   WHERE d.reply_id = replies.id
                                     AND d.replayed_at_ms IS NULL)",
            )?
            .execute([older_than_ms])?;
            Ok(removed)
        })
        .await
    }
}

const SELECT_ID: &str = "SELECT id FROM messages WHERE instance = ?1 AND external_id = ?2";

pub(crate) fn persist_one(
    conn: &Connection,
    instance: &str,
    message: InboundMessage,
    now: i64,
) -> Result<PersistOutcome, StoreError> {
    if message.is_edit
        && let Some(id) = existing_id(conn, instance, &message.external_id)?
    {
        return apply_edit(conn, id, &message, now);
    }
    let no_turn = message.intrinsic_no_turn();
    let details = Details::column(&message);
    let inserted = conn
        .prepare_cached(concat!(
            "INSERT INTO messages (id, instance, external_id, conversation_id, sender_id,
                 sender_name, text, timestamp, reply_to, kind, is_edit, metadata, received_at_ms,
                 sender_kind, chat_type, mentions_bot, thread_id, platform_edited_at_ms, details,
                 no_turn, agent_state, hook_state)
             VALUES (",
            next_id!("messages"),
            ", ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
                 ?19, CASE WHEN ?19 IS NULL THEN 'pending' ELSE 'done' END,
                 CASE WHEN ?10 THEN 'skipped' ELSE 'pending' END)
             ON CONFLICT (instance, external_id) DO NOTHING"
        ))?
        .execute(params![
            instance,
            message.external_id,
            message.conversation_id,
            message.sender_id,
            message.sender_name,
            message.text,
            // Bit for bit: platform values above i64::MAX survive the round trip.
            message.timestamp.cast_signed(),
            message.reply_to,
            message.kind.as_str(),
            message.is_edit,
            message.metadata,
            now,
            message.sender_kind.as_str(),
            message.chat_type.as_str(),
            message.mentions_bot,
            message.thread_id,
            message.platform_edited_at_ms.map(u64::cast_signed),
            details,
            no_turn.map(|reason| reason.as_str()),
        ])?;
    if inserted == 0 {
        // The conflict that skipped the insert was on this very key, so the row exists.
        let id = conn
            .prepare_cached(SELECT_ID)?
            .query_row([instance, &message.external_id], |row| row.get(0))?;
        return Ok(PersistOutcome::Duplicate { id });
    }
    let id = conn.last_insert_rowid();
    if !message.is_edit {
        attachments::insert_for(conn, id, &message, no_turn)?;
    }
    Ok(PersistOutcome::Stored(StoredMessage {
        id,
        instance: instance.to_owned(),
        received_at_ms: now,
        edited_at_ms: None,
        no_turn,
        message,
    }))
}

/// Applies an edit to stored row `id` unless the stored version is at least as new.
///
/// Platforms redeliver independently, so an older edit can arrive after a newer one;
/// with the platform's edit time on both sides the newer one stays. Without a time on
/// the incoming edit, the latest arrival wins.
fn apply_edit(
    conn: &Connection,
    id: i64,
    message: &InboundMessage,
    now: i64,
) -> Result<PersistOutcome, StoreError> {
    let changed = conn
        .prepare_cached(
            "UPDATE messages SET text = ?2, kind = ?3, metadata = ?4, is_edit = 1,
                 edited_at_ms = ?5, platform_edited_at_ms = ?6, details = ?7
             WHERE id = ?1
               AND (?6 IS NULL OR platform_edited_at_ms IS NULL OR platform_edited_at_ms < ?6)",
        )?
        .execute(params![
            id,
            message.text,
            message.kind.as_str(),
            message.metadata,
            now,
            message.platform_edited_at_ms.map(u64::cast_signed),
            Details::column(message),
        ])?;
    if changed == 0 {
        return Ok(PersistOutcome::Duplicate { id });
    }
    Ok(PersistOutcome::Edited(rows::load_message(conn, id)?))
}

fn existing_id(
    conn: &Connection,
    instance: &str,
    external_id: &str,
) -> Result<Option<i64>, StoreError> {
    Ok(conn
        .prepare_cached(SELECT_ID)?
        .query_row([instance, external_id], |row| row.get(0))
        .optional()?)
}
