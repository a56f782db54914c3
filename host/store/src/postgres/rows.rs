//! Column lists and row decoding shared by the queries; the same column order as the
//! SQLite backend's, so the two stay easy to compare.

use deadpool_postgres::GenericClient;
use switchboard_types::{
    AttachmentKind, ChatType, InboundMessage, MessageKind, NoTurn, OutboundAttachment, SenderKind,
    StoredMessage,
};
use tokio_postgres::Row;

use crate::columns::Details;
use crate::{DueMessage, MessageStatus, OutboxItem, ReplyStatus, Standing, StoreError, WorkState};

/// The columns [`message`] decodes, from a `messages` table aliased `m`.
macro_rules! message_columns {
    () => {
        "m.id, m.instance, m.external_id, m.conversation_id, m.sender_id, m.sender_name, \
         m.text, m.timestamp, m.reply_to, m.kind, m.is_edit, m.metadata, m.received_at_ms, \
         m.edited_at_ms, m.sender_kind, m.chat_type, m.mentions_bot, m.thread_id, \
         m.platform_edited_at_ms, m.details, m.no_turn"
    };
}
pub(crate) use message_columns;

/// How many columns `message_columns!()` yields.
pub(crate) const MESSAGE_COLUMNS: usize = 21;

/// The columns [`reply`] decodes, from a `replies` table aliased `r`, to be followed by
/// `message_columns!()` of a `LEFT JOIN messages m ON m.id = r.message_id`.
macro_rules! reply_columns {
    () => {
        "r.id, r.instance, r.conversation_id, r.text, r.idempotency_key, r.status, \
         r.attempts, r.next_attempt_at_ms, r.last_error, r.receipt_external_id, \
         r.created_at_ms, r.sent_at_ms, r.thread_id"
    };
}
pub(crate) use reply_columns;

const REPLY_COLUMNS: usize = 13;

/// Decodes a text column through `parse`, failing on a value this build does not know.
pub(crate) fn parsed<T>(
    row: &Row,
    index: usize,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<T, StoreError> {
    let value: String = row.try_get(index)?;
    parse(&value).ok_or_else(|| StoreError::Decode {
        column: row.columns()[index].name().to_owned(),
        reason: format!("unknown stored value {value:?}"),
    })
}

/// A counter column (attempts), never negative in practice.
pub(crate) fn count(row: &Row, index: usize) -> Result<u32, StoreError> {
    let value: i64 = row.try_get(index)?;
    u32::try_from(value).map_err(|_| StoreError::Decode {
        column: row.columns()[index].name().to_owned(),
        reason: format!("{value} is not a count"),
    })
}

/// Decodes a [`Standing`] from its three columns: pending, attempts, earlier pending.
pub(crate) fn standing(row: &Row) -> Result<Standing, StoreError> {
    Ok(Standing {
        pending: row.try_get(0)?,
        attempts: count(row, 1)?,
        earlier_pending: row.try_get(2)?,
    })
}

/// Decodes `message_columns!()` starting at column `at`.
pub(crate) fn message(row: &Row, at: usize) -> Result<StoredMessage, StoreError> {
    let timestamp: i64 = row.try_get(at + 7)?;
    let details: Option<String> = row.try_get(at + 19)?;
    let details = match details {
        None => Details::default(),
        Some(text) => serde_json::from_str(&text).map_err(|e| StoreError::Decode {
            column: "details".to_owned(),
            reason: e.to_string(),
        })?,
    };
    let no_turn: Option<String> = row.try_get(at + 20)?;
    let platform_edited_at_ms: Option<i64> = row.try_get(at + 18)?;
    Ok(StoredMessage {
        id: row.try_get(at)?,
        instance: row.try_get(at + 1)?,
        received_at_ms: row.try_get(at + 12)?,
        edited_at_ms: row.try_get(at + 13)?,
        no_turn: match no_turn {
            None => None,
            Some(_) => Some(parsed(row, at + 20, NoTurn::parse)?),
        },
        message: InboundMessage {
            external_id: row.try_get(at + 2)?,
            conversation_id: row.try_get(at + 3)?,
            sender_id: row.try_get(at + 4)?,
            sender_name: row.try_get(at + 5)?,
            text: row.try_get(at + 6)?,
            // Stored bit for bit, so this is the platform's value.
            timestamp: timestamp.cast_unsigned(),
            reply_to: row.try_get(at + 8)?,
            kind: parsed(row, at + 9, MessageKind::parse)?,
            is_edit: row.try_get(at + 10)?,
            metadata: row.try_get(at + 11)?,
            sender_kind: parsed(row, at + 14, SenderKind::parse)?,
            chat_type: parsed(row, at + 15, ChatType::parse)?,
            mentions_bot: row.try_get(at + 16)?,
            thread_id: row.try_get(at + 17)?,
            platform_edited_at_ms: platform_edited_at_ms.map(i64::cast_unsigned),
            attachments: details.attachments,
            reaction: details.reaction,
            button: details.button,
        },
    })
}

/// Decodes `message_columns!()` followed by an attempts column, starting at column 0.
pub(crate) fn due_message(row: &Row) -> Result<DueMessage, StoreError> {
    Ok(DueMessage {
        message: message(row, 0)?,
        attempts: count(row, MESSAGE_COLUMNS)?,
    })
}

/// Decodes `reply_columns!(), message_columns!()` starting at column 0, without its
/// attachments (see [`with_attachments`]).
pub(crate) fn reply(row: &Row) -> Result<OutboxItem, StoreError> {
    let answered: Option<i64> = row.try_get(REPLY_COLUMNS)?;
    let in_reply_to = match answered {
        Some(_) => Some(message(row, REPLY_COLUMNS)?),
        None => None,
    };
    let thread_id: Option<String> = row.try_get(12)?;
    Ok(OutboxItem {
        id: row.try_get(0)?,
        instance: row.try_get(1)?,
        conversation_id: row.try_get(2)?,
        text: row.try_get(3)?,
        idempotency_key: row.try_get(4)?,
        status: parsed(row, 5, ReplyStatus::parse)?,
        attempts: count(row, 6)?,
        next_attempt_at_ms: row.try_get(7)?,
        last_error: row.try_get(8)?,
        receipt_external_id: row.try_get(9)?,
        created_at_ms: row.try_get(10)?,
        sent_at_ms: row.try_get(11)?,
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

/// Fills in the attachments of replies decoded by [`reply`], in one query.
pub(crate) async fn with_attachments(
    client: &impl GenericClient,
    mut items: Vec<OutboxItem>,
) -> Result<Vec<OutboxItem>, StoreError> {
    if items.is_empty() {
        return Ok(items);
    }
    let ids: Vec<i64> = items.iter().map(|item| item.id).collect();
    let stmt = client
        .prepare_cached(
            "SELECT reply_id, kind, mime_type, size, file_name, caption, sha256
             FROM reply_attachments WHERE reply_id = ANY($1) ORDER BY reply_id, position",
        )
        .await?;
    for row in client.query(&stmt, &[&ids]).await? {
        let reply_id: i64 = row.try_get(0)?;
        let attachment = OutboundAttachment {
            kind: parsed(&row, 1, AttachmentKind::parse)?,
            mime_type: row.try_get(2)?,
            size: row.try_get::<_, i64>(3)?.cast_unsigned(),
            file_name: row.try_get(4)?,
            caption: row.try_get(5)?,
            blob: row.try_get(6)?,
        };
        if let Some(item) = items.iter_mut().find(|item| item.id == reply_id) {
            item.attachments.push(attachment);
        }
    }
    Ok(items)
}

/// One message by id.
pub(crate) async fn load_message(
    client: &impl GenericClient,
    id: i64,
) -> Result<StoredMessage, StoreError> {
    let stmt = client
        .prepare_cached(concat!(
            "SELECT ",
            message_columns!(),
            " FROM messages m WHERE m.id = $1"
        ))
        .await?;
    match client.query_opt(&stmt, &[&id]).await? {
        Some(row) => message(&row, 0),
        None => Err(StoreError::NotFound {
            table: "messages",
            id,
        }),
    }
}

/// One message with its hook and agent bookkeeping.
pub(crate) async fn load_status(
    client: &impl GenericClient,
    id: i64,
) -> Result<MessageStatus, StoreError> {
    let stmt = client
        .prepare_cached(concat!(
            "SELECT ",
            message_columns!(),
            ", m.hook_state, m.hook_attempts, m.hook_next_at_ms, m.hook_error, \
             m.agent_state, m.agent_attempts, m.agent_next_at_ms, m.agent_error \
             FROM messages m WHERE m.id = $1"
        ))
        .await?;
    let Some(row) = client.query_opt(&stmt, &[&id]).await? else {
        return Err(StoreError::NotFound {
            table: "messages",
            id,
        });
    };
    let at = MESSAGE_COLUMNS;
    Ok(MessageStatus {
        message: message(&row, 0)?,
        hook_state: parsed(&row, at, WorkState::parse)?,
        hook_attempts: count(&row, at + 1)?,
        hook_next_at_ms: row.try_get(at + 2)?,
        hook_error: row.try_get(at + 3)?,
        agent_state: parsed(&row, at + 4, WorkState::parse)?,
        agent_attempts: count(&row, at + 5)?,
        agent_next_at_ms: row.try_get(at + 6)?,
        agent_error: row.try_get(at + 7)?,
    })
}

/// One reply by id, with the message it answers and its attachments.
pub(crate) async fn load_reply(
    client: &impl GenericClient,
    id: i64,
) -> Result<OutboxItem, StoreError> {
    let stmt = client
        .prepare_cached(concat!(
            "SELECT ",
            reply_columns!(),
            ", ",
            message_columns!(),
            " FROM replies r LEFT JOIN messages m ON m.id = r.message_id WHERE r.id = $1"
        ))
        .await?;
    let Some(row) = client.query_opt(&stmt, &[&id]).await? else {
        return Err(StoreError::NotFound {
            table: "replies",
            id,
        });
    };
    let item = reply(&row)?;
    let mut items = with_attachments(client, vec![item]).await?;
    Ok(items.remove(0))
}

/// Maps "no row changed" to [`StoreError::NotFound`].
pub(crate) fn expect_one(changed: u64, table: &'static str, id: i64) -> Result<(), StoreError> {
    if changed == 0 {
        Err(StoreError::NotFound { table, id })
    } else {
        Ok(())
    }
}
