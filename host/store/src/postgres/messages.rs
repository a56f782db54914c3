//! Inbound messages: deduplicating persist, inspection and pruning.

use deadpool_postgres::GenericClient;
use switchboard_types::{InboundMessage, StoredMessage};

use super::rows::{self, message_columns};
use super::{Postgres, attachments};
use crate::columns::{Details, now_ms};
use crate::{MessageStatus, PersistOutcome, StoreError};

impl Postgres {
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
        // Deliveries commit concurrently (the server groups their flushes). The
        // conversation locks order each conversation's ids by commit; hand-overs of
        // different commits may still cross, which the queue engine's claim re-check
        // (`earlier_*_pending`) puts right.
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        lock_conversations(&tx, instance, &messages).await?;
        let now = now_ms();
        let mut outcomes = Vec::with_capacity(messages.len());
        for message in messages {
            outcomes.push(persist_one(&tx, instance, message, now).await?);
        }
        tx.commit().await?;
        self.committed();
        after(&outcomes);
        Ok(outcomes)
    }

    pub(crate) async fn messages(
        &self,
        instance: Option<&str>,
        limit: usize,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(concat!(
                "SELECT ",
                message_columns!(),
                " FROM messages m WHERE $1::text IS NULL OR m.instance = $1
                  ORDER BY m.id DESC LIMIT $2"
            ))
            .await?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        client
            .query(&stmt, &[&instance, &limit])
            .await?
            .iter()
            .map(|row| rows::message(row, 0))
            .collect()
    }

    pub(crate) async fn message_status(
        &self,
        message_id: i64,
    ) -> Result<MessageStatus, StoreError> {
        let client = self.client().await?;
        rows::load_status(&client, message_id).await
    }

    pub(crate) async fn prune(&self, older_than_ms: i64) -> Result<usize, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let removed = tx
            .execute(
                "DELETE FROM messages
                 WHERE received_at_ms < $1
                   AND hook_state != 'pending'
                   AND agent_state != 'pending'
                   AND NOT EXISTS (SELECT 1 FROM replies r
                                   WHERE r.message_id = messages.id AND r.status = 'pending')
                   AND NOT EXISTS (SELECT 1 FROM dead_letters d
                                   WHERE d.message_id = messages.id
                                     AND d.replayed_at_ms IS NULL)",
                &[&older_than_ms],
            )
            .await?;
        // Messages the agent sent first belong to no message; they go once delivered
        // (or dead and replayed), like the replies of pruned messages.
        tx.execute(
            "DELETE FROM replies
             WHERE message_id IS NULL
               AND created_at_ms < $1
               AND status != 'pending'
               AND NOT EXISTS (SELECT 1 FROM dead_letters d
                               WHERE d.reply_id = replies.id
                                 AND d.replayed_at_ms IS NULL)",
            &[&older_than_ms],
        )
        .await?;
        tx.commit().await?;
        self.committed();
        Ok(usize::try_from(removed).unwrap_or(usize::MAX))
    }
}

/// Takes the transaction-scoped lock of each conversation the messages belong to, in
/// sorted order (so two nodes never wait on each other in a cycle). A conversation's
/// messages then get their ids in the order they commit, on whichever node: the
/// order its turns and replies are worked in.
pub(crate) async fn lock_conversations(
    client: &impl GenericClient,
    instance: &str,
    messages: &[InboundMessage],
) -> Result<(), StoreError> {
    let conversations: Vec<&str> = messages
        .iter()
        .map(|m| m.conversation_id.as_str())
        .collect();
    // One statement, locks taken in the order of their keys: two deliveries that share
    // conversations (or whose names share a hash) always lock in the same order.
    let stmt = client
        .prepare_cached(
            "SELECT count(pg_advisory_xact_lock(hashtext($1), key))
             FROM (SELECT DISTINCT hashtext(c) AS key FROM unnest($2::text[]) AS c
                   ORDER BY key) AS keys",
        )
        .await?;
    client
        .query_one(&stmt, &[&instance, &conversations])
        .await?;
    Ok(())
}

const SELECT_ID: &str = "SELECT id FROM messages WHERE instance = $1 AND external_id = $2";

/// Stores one message inside the caller's transaction: new, a duplicate (the unique
/// key settles races between nodes), or an edit of a stored one.
pub(crate) async fn persist_one(
    client: &impl GenericClient,
    instance: &str,
    message: InboundMessage,
    now: i64,
) -> Result<PersistOutcome, StoreError> {
    if message.is_edit
        && let Some(id) = existing_id(client, instance, &message.external_id).await?
    {
        return apply_edit(client, id, &message, now).await;
    }
    let no_turn = message.intrinsic_no_turn();
    let details = Details::column(&message);
    let stmt = client
        .prepare_cached(
            "INSERT INTO messages (instance, external_id, conversation_id, sender_id,
                 sender_name, text, timestamp, reply_to, kind, is_edit, metadata, received_at_ms,
                 sender_kind, chat_type, mentions_bot, thread_id, platform_edited_at_ms, details,
                 no_turn, agent_state, hook_state)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                 $18, $19::text, CASE WHEN $19::text IS NULL THEN 'pending' ELSE 'done' END,
                 CASE WHEN $10 THEN 'skipped' ELSE 'pending' END)
             ON CONFLICT (instance, external_id) DO NOTHING
             RETURNING id",
        )
        .await?;
    let inserted = client
        .query_opt(
            &stmt,
            &[
                &instance,
                &message.external_id,
                &message.conversation_id,
                &message.sender_id,
                &message.sender_name,
                &message.text,
                // Bit for bit: platform values above i64::MAX survive the round trip.
                &message.timestamp.cast_signed(),
                &message.reply_to,
                &message.kind.as_str(),
                &message.is_edit,
                &message.metadata,
                &now,
                &message.sender_kind.as_str(),
                &message.chat_type.as_str(),
                &message.mentions_bot,
                &message.thread_id,
                &message.platform_edited_at_ms.map(u64::cast_signed),
                &details,
                &no_turn.map(|reason| reason.as_str()),
            ],
        )
        .await?;
    let Some(row) = inserted else {
        // The conflict that skipped the insert was on this very key, so the row exists
        // (committed by this or another node: the insert waited for it).
        let stmt = client.prepare_cached(SELECT_ID).await?;
        let id: i64 = client
            .query_one(&stmt, &[&instance, &message.external_id])
            .await?
            .try_get(0)?;
        return Ok(PersistOutcome::Duplicate { id });
    };
    let id: i64 = row.try_get(0)?;
    if !message.is_edit {
        attachments::insert_for(client, id, &message, no_turn).await?;
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

/// Applies an edit to stored row `id` unless the stored version is at least as new
/// (platforms redeliver independently, so an older edit can arrive after a newer one).
async fn apply_edit(
    client: &impl GenericClient,
    id: i64,
    message: &InboundMessage,
    now: i64,
) -> Result<PersistOutcome, StoreError> {
    let stmt = client
        .prepare_cached(
            "UPDATE messages SET text = $2, kind = $3, metadata = $4, is_edit = true,
                 edited_at_ms = $5, platform_edited_at_ms = $6, details = $7
             WHERE id = $1
               AND ($6::bigint IS NULL OR platform_edited_at_ms IS NULL
                    OR platform_edited_at_ms < $6)",
        )
        .await?;
    let changed = client
        .execute(
            &stmt,
            &[
                &id,
                &message.text,
                &message.kind.as_str(),
                &message.metadata,
                &now,
                &message.platform_edited_at_ms.map(u64::cast_signed),
                &Details::column(message),
            ],
        )
        .await?;
    if changed == 0 {
        return Ok(PersistOutcome::Duplicate { id });
    }
    Ok(PersistOutcome::Edited(
        rows::load_message(client, id).await?,
    ))
}

async fn existing_id(
    client: &impl GenericClient,
    instance: &str,
    external_id: &str,
) -> Result<Option<i64>, StoreError> {
    let stmt = client.prepare_cached(SELECT_ID).await?;
    match client.query_opt(&stmt, &[&instance, &external_id]).await? {
        Some(row) => Ok(Some(row.try_get(0)?)),
        None => Ok(None),
    }
}
