//! Column lists and row decoding shared by the queries.

use rusqlite::types::Type;
use rusqlite::{Connection, OptionalExtension, Row};
use switchboard_types::{
    AttachmentKind, ChatType, InboundMessage, MessageKind, NoTurn, OutboundAttachment, SenderKind,
    StoredMessage,
};

use crate::columns::Details;
use crate::{DueMessage, MessageStatus, OutboxItem, ReplyStatus, Standing, StoreError, WorkState};

/// The columns [`message`] decodes, from a `messages` table aliased `m`. A macro so
/// that queries can be built with `concat!` and stay `&'static str` for the cache.
macro_rules! message_columns {
    () => {
        "m.id, m.instance, m.external_id, m.conversation_id, m.sender_id, m.sender_name, \
         m.text, m.timestamp, m.reply_to, m.kind, m.is_edit, m.metadata, m.received_at_ms, \
         m.edited_at_ms, m.sender_kind, m.chat_type, m.mentions_bot, m.thread_id, \
         m.platform_edited_at_ms, m.details, m.no_turn"
    };
}
pub(crate) use message_columns;

/// The id for a new row of `$table`: one above the highest id, and never below the
/// table's floor in `id_floor`, which remembers the ids of pruned rows (see migration
/// 0002). A macro so that the inserts stay `&'static str` for the statement cache.
macro_rules! next_id {
    ($table:literal) => {
        concat!(
            "(SELECT max(coalesce((SELECT max(id) FROM ",
            $table,
            "), 0) + 1, next_id) FROM id_floor WHERE name = '",
            $table,
            "')"
        )
    };
}
pub(crate) use next_id;

/// How many columns `message_columns!()` yields.
pub(crate) const MESSAGE_COLUMNS: usize = 21;

/// The columns [`reply`] decodes, from a `replies` table aliased `r`, to be followed by
/// `message_columns!()` of a `LEFT JOIN messages m ON m.id = r.message_id`. The
/// attachments are not among them: [`with_attachments`] adds them.
macro_rules! reply_columns {
    () => {
        "r.id, r.instance, r.conversation_id, r.text, r.idempotency_key, r.status, \
         r.attempts, r.next_attempt_at_ms, r.last_error, r.receipt_external_id, \
         r.created_at_ms, r.sent_at_ms, r.thread_id"
    };
}
pub(crate) use reply_columns;

const REPLY_COLUMNS: usize = 13;

/// A stored text column held a value this build does not know.
#[derive(Debug, thiserror::Error)]
#[error("unknown stored value {value:?}")]
pub(crate) struct UnknownValue {
    value: String,
}

/// Decodes a text column through `parse`, failing on a value this build does not know.
pub(crate) fn parsed<T>(
    row: &Row<'_>,
    index: usize,
    parse: impl FnOnce(&str) -> Option<T>,
) -> rusqlite::Result<T> {
    let value: String = row.get(index)?;
    parse(&value).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            index,
            Type::Text,
            Box::new(UnknownValue { value }),
        )
    })
}

/// Decodes a [`Standing`] from its three columns: pending, attempts, earlier pending.
pub(crate) fn standing(row: &Row<'_>) -> rusqlite::Result<Standing> {
    Ok(Standing {
        pending: row.get(0)?,
        attempts: row.get(1)?,
        earlier_pending: row.get(2)?,
    })
}

/// Decodes `message_columns!()` starting at column `at`.
pub(crate) fn message(row: &Row<'_>, at: usize) -> rusqlite::Result<StoredMessage> {
    let timestamp: i64 = row.get(at + 7)?;
    let details: Option<String> = row.get(at + 19)?;
    let details = match details {
        None => Details::default(),
        Some(text) => serde_json::from_str(&text).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(at + 19, Type::Text, Box::new(e))
        })?,
    };
    let no_turn: Option<String> = row.get(at + 20)?;
    let platform_edited_at_ms: Option<i64> = row.get(at + 18)?;
    Ok(StoredMessage {
        id: row.get(at)?,
        instance: row.get(at + 1)?,
        received_at_ms: row.get(at + 12)?,
        edited_at_ms: row.get(at + 13)?,
        no_turn: match no_turn {
            None => None,
            Some(_) => Some(parsed(row, at + 20, NoTurn::parse)?),
        },
        message: InboundMessage {
            external_id: row.get(at + 2)?,
            conversation_id: row.get(at + 3)?,
            sender_id: row.get(at + 4)?,
            sender_name: row.get(at + 5)?,
            text: row.get(at + 6)?,
            // Stored bit for bit (see the migration), so this is the platform's value.
            timestamp: timestamp.cast_unsigned(),
            reply_to: row.get(at + 8)?,
            kind: parsed(row, at + 9, MessageKind::parse)?,
            is_edit: row.get(at + 10)?,
            metadata: row.get(at + 11)?,
            sender_kind: parsed(row, at + 14, SenderKind::parse)?,
            chat_type: parsed(row, at + 15, ChatType::parse)?,
            mentions_bot: row.get(at + 16)?,
            thread_id: row.get(at + 17)?,
            platform_edited_at_ms: platform_edited_at_ms.map(i64::cast_unsigned),
            attachments: details.attachments,
            reaction: details.reaction,
            button: details.button,
        },
    })
}

/// Decodes `message_columns!()` followed by an attempts column, starting at column 0.
pub(crate) fn due_message(row: &Row<'_>) -> rusqlite::Result<DueMessage> {
    Ok(DueMessage {
        message: message(row, 0)?,
        attempts: row.get(MESSAGE_COLUMNS)?,
    })
}

/// Decodes `reply_columns!(), message_columns!()` starting at column 0, without its
/// attachments (see [`with_attachments`]).
pub(crate) fn reply(row: &Row<'_>) -> rusqlite::Result<OutboxItem> {
    let answered: Option<i64> = row.get(REPLY_COLUMNS)?;
    let in_reply_to = match answered {
        Some(_) => Some(message(row, REPLY_COLUMNS)?),
        None => None,
    };
    let thread_id: Option<String> = row.get(12)?;
    Ok(OutboxItem {
        id: row.get(0)?,
        instance: row.get(1)?,
        conversation_id: row.get(2)?,
        text: row.get(3)?,
        idempotency_key: row.get(4)?,
        status: parsed(row, 5, ReplyStatus::parse)?,
        attempts: row.get(6)?,
        next_attempt_at_ms: row.get(7)?,
        last_error: row.get(8)?,
        receipt_external_id: row.get(9)?,
        created_at_ms: row.get(10)?,
        sent_at_ms: row.get(11)?,
        // A reply goes into the thread of the message it answers unless it was queued
        // for another one.
        thread_id: thread_id.or_else(|| {
            in_reply_to
                .as_ref()
                .and_then(|m| m.message.thread_id.clone())
        }),
        in_reply_to,
        attachments: Vec::new(),
    })
}

/// Fills in the attachments of replies decoded by [`reply`]: one probe of
/// `reply_attachments`' primary key per reply, so the outbox queries keep to their
/// indexes.
pub(crate) fn with_attachments(
    conn: &Connection,
    mut items: Vec<OutboxItem>,
) -> Result<Vec<OutboxItem>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT kind, mime_type, size, file_name, caption, sha256
         FROM reply_attachments WHERE reply_id = ?1 ORDER BY position",
    )?;
    for item in &mut items {
        let rows = stmt.query_map([item.id], |row| {
            Ok(OutboundAttachment {
                kind: parsed(row, 0, AttachmentKind::parse)?,
                mime_type: row.get(1)?,
                size: row.get::<_, i64>(2)?.cast_unsigned(),
                file_name: row.get(3)?,
                caption: row.get(4)?,
                blob: row.get(5)?,
            })
        })?;
        item.attachments = rows.collect::<Result<_, _>>()?;
    }
    Ok(items)
}

/// One message by id.
pub(crate) fn load_message(conn: &Connection, id: i64) -> Result<StoredMessage, StoreError> {
    conn.prepare_cached(concat!(
        "SELECT ",
        message_columns!(),
        " FROM messages m WHERE m.id = ?1"
    ))?
    .query_row([id], |row| message(row, 0))
    .optional()?
    .ok_or(StoreError::NotFound {
        table: "messages",
        id,
    })
}

/// One message with its hook and agent bookkeeping.
pub(crate) fn load_status(conn: &Connection, id: i64) -> Result<MessageStatus, StoreError> {
    conn.prepare_cached(concat!(
        "SELECT ",
        message_columns!(),
        ", m.hook_state, m.hook_attempts, m.hook_next_at_ms, m.hook_error, \
         m.agent_state, m.agent_attempts, m.agent_next_at_ms, m.agent_error \
         FROM messages m WHERE m.id = ?1"
    ))?
    .query_row([id], |row| {
        let at = MESSAGE_COLUMNS;
        Ok(MessageStatus {
            message: message(row, 0)?,
            hook_state: parsed(row, at, WorkState::parse)?,
            hook_attempts: row.get(at + 1)?,
            hook_next_at_ms: row.get(at + 2)?,
            hook_error: row.get(at + 3)?,
            agent_state: parsed(row, at + 4, WorkState::parse)?,
            agent_attempts: row.get(at + 5)?,
            agent_next_at_ms: row.get(at + 6)?,
            agent_error: row.get(at + 7)?,
        })
    })
    .optional()?
    .ok_or(StoreError::NotFound {
        table: "messages",
        id,
    })
}

/// One reply by id, with the message it answers.
pub(crate) fn load_reply(conn: &Connection, id: i64) -> Result<OutboxItem, StoreError> {
    conn.prepare_cached(concat!(
        "SELECT ",
        reply_columns!(),
        ", ",
        message_columns!(),
        " FROM replies r LEFT JOIN messages m ON m.id = r.message_id WHERE r.id = ?1"
    ))?
    .query_row([id], reply)
    .optional()?
    .ok_or(StoreError::NotFound {
        table: "replies",
        id,
    })
    .and_then(|item| one_with_attachments(conn, item))
}

/// [`with_attachments`] of one reply.
pub(crate) fn one_with_attachments(
    conn: &Connection,
    item: OutboxItem,
) -> Result<OutboxItem, StoreError> {
    let mut items = with_attachments(conn, vec![item])?;
    Ok(items.remove(0))
}

/// Maps "no row changed" to [`StoreError::NotFound`].
pub(crate) fn expect_one(changed: usize, table: &'static str, id: i64) -> Result<(), StoreError> {
    if changed == 0 {
        Err(StoreError::NotFound { table, id })
    } else {
        Ok(())
    }
}
