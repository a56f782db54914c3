//! The two work queues on stored messages: the on-message-persisted hook and the agent
//! turn. Both are columns of `messages`, so persisting a message queues its work in the
//! same commit.

use deadpool_postgres::GenericClient;
use switchboard_types::NoTurn;

use super::dead_letters::insert_dead_letter;
use super::rows::{self, expect_one, message_columns, standing};
use super::{Postgres, attachments, sends};
use crate::columns::now_ms;
use crate::{DeadLetterKind, DueMessage, HookOutcome, NewReply, OutboxItem, Standing, StoreError};

impl Postgres {
    pub(crate) async fn due_hooks(
        &self,
        now_ms: i64,
        limit: usize,
    ) -> Result<Vec<DueMessage>, StoreError> {
        self.due(DUE_HOOKS, now_ms, limit).await
    }

    pub(crate) async fn finish_hook(
        &self,
        message_id: i64,
        outcome: HookOutcome,
    ) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let changed = match &outcome {
            HookOutcome::Done => {
                tx.execute(
                    "UPDATE messages SET hook_state = 'done',
                         hook_attempts = hook_attempts + 1, hook_error = NULL
                     WHERE id = $1",
                    &[&message_id],
                )
                .await?
            }
            HookOutcome::Skipped => {
                tx.execute(
                    "UPDATE messages SET hook_state = 'skipped' WHERE id = $1",
                    &[&message_id],
                )
                .await?
            }
            HookOutcome::Retry { at_ms, error } => {
                tx.execute(
                    "UPDATE messages SET hook_attempts = hook_attempts + 1,
                         hook_next_at_ms = $2, hook_error = $3
                     WHERE id = $1",
                    &[&message_id, at_ms, error],
                )
                .await?
            }
            HookOutcome::Failed { error } => {
                tx.execute(
                    "UPDATE messages SET hook_state = 'failed',
                         hook_attempts = hook_attempts + 1, hook_error = $2
                     WHERE id = $1",
                    &[&message_id, error],
                )
                .await?
            }
        };
        expect_one(changed, "messages", message_id)?;
        if let HookOutcome::Failed { error } = &outcome {
            dead_letter_for_message(&tx, message_id, DeadLetterKind::Hook, error).await?;
        }
        tx.commit().await?;
        self.committed();
        Ok(())
    }

    pub(crate) async fn pending_turns(
        &self,
        now_ms: i64,
        limit: usize,
    ) -> Result<Vec<DueMessage>, StoreError> {
        self.due(PENDING_TURNS, now_ms, limit).await
    }

    pub(crate) async fn turn_standing(&self, message_id: i64) -> Result<Standing, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "SELECT m.agent_state = 'pending', m.agent_attempts, EXISTS (
                     SELECT 1 FROM messages e
                     WHERE e.instance = m.instance AND e.conversation_id = m.conversation_id
                       AND e.agent_state = 'pending' AND e.id < m.id)
                 FROM messages m WHERE m.id = $1",
            )
            .await?;
        let Some(row) = client.query_opt(&stmt, &[&message_id]).await? else {
            return Err(StoreError::NotFound {
                table: "messages",
                id: message_id,
            });
        };
        standing(&row)
    }

    pub(crate) async fn complete_turn(
        &self,
        message_id: i64,
        replies: Vec<NewReply>,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let (instance, conversation_id) = conversation_of(&tx, message_id).await?;
        tx.execute(
            "UPDATE messages SET agent_state = 'done',
                 agent_attempts = agent_attempts + 1, agent_error = NULL
             WHERE id = $1 AND agent_state != 'done'",
            &[&message_id],
        )
        .await?;
        let now = now_ms();
        let mut ids = Vec::with_capacity(replies.len());
        for (n, reply) in replies.iter().enumerate() {
            let key = format!("sb-{instance}-{message_id}-{n}");
            ids.push(
                queue_turn_reply(
                    &tx,
                    &instance,
                    &conversation_id,
                    message_id,
                    reply,
                    &key,
                    now,
                )
                .await?,
            );
        }
        let mut items = Vec::with_capacity(ids.len());
        for id in ids {
            items.push(rows::load_reply(&tx, id).await?);
        }
        tx.commit().await?;
        self.committed();
        Ok(items)
    }

    pub(crate) async fn skip_turn(
        &self,
        message_id: i64,
        reason: NoTurn,
        notice: Option<String>,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let (instance, conversation_id) = conversation_of(&tx, message_id).await?;
        tx.execute(
            "UPDATE messages SET agent_state = 'done', no_turn = $2, agent_error = NULL
             WHERE id = $1 AND agent_state != 'done'",
            &[&message_id, &reason.as_str()],
        )
        .await?;
        attachments::drop_held(&tx, message_id, reason).await?;
        let items = match notice {
            None => Vec::new(),
            Some(text) => {
                let key = format!("sb-{instance}-{message_id}-notice");
                let id = queue_turn_reply(
                    &tx,
                    &instance,
                    &conversation_id,
                    message_id,
                    &NewReply::text(text),
                    &key,
                    now_ms(),
                )
                .await?;
                vec![rows::load_reply(&tx, id).await?]
            }
        };
        tx.commit().await?;
        self.committed();
        Ok(items)
    }

    pub(crate) async fn retry_turn(
        &self,
        message_id: i64,
        at_ms: i64,
        error: String,
    ) -> Result<(), StoreError> {
        let changed = self
            .execute(
                "UPDATE messages SET agent_attempts = agent_attempts + 1,
                     agent_next_at_ms = $2, agent_error = $3
                 WHERE id = $1",
                &[&message_id, &at_ms, &error],
            )
            .await?;
        expect_one(changed, "messages", message_id)
    }

    pub(crate) async fn fail_turn(&self, message_id: i64, error: String) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let changed = tx
            .execute(
                "UPDATE messages SET agent_state = 'failed',
                     agent_attempts = agent_attempts + 1, agent_error = $2
                 WHERE id = $1",
                &[&message_id, &error],
            )
            .await?;
        expect_one(changed, "messages", message_id)?;
        dead_letter_for_message(&tx, message_id, DeadLetterKind::Agent, &error).await?;
        tx.commit().await?;
        self.committed();
        Ok(())
    }

    /// Runs one of the due-work queries below.
    async fn due(
        &self,
        query: &str,
        now_ms: i64,
        limit: usize,
    ) -> Result<Vec<DueMessage>, StoreError> {
        let client = self.client().await?;
        let stmt = client.prepare_cached(query).await?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        client
            .query(&stmt, &[&now_ms, &limit])
            .await?
            .iter()
            .map(rows::due_message)
            .collect()
    }
}

/// Pending agent turns due at `$1` and not held back, oldest first, at most `$2`: the
/// window carries the latest retry time among the earlier pending turns of the same
/// conversation, and a turn behind one that is not due yet is held back.
const PENDING_TURNS: &str = concat!(
    "SELECT ",
    message_columns!(),
    ", m.agent_attempts
     FROM (SELECT id, agent_next_at_ms AS next_at,
               max(agent_next_at_ms) OVER (
                   PARTITION BY instance, conversation_id ORDER BY id
                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS held_until
           FROM messages
           WHERE agent_state = 'pending') q
     JOIN messages m ON m.id = q.id
     WHERE q.next_at <= $1 AND (q.held_until IS NULL OR q.held_until <= $1)
     ORDER BY q.id LIMIT $2"
);

/// Pending hooks due at `$1`, oldest first, at most `$2`.
const DUE_HOOKS: &str = concat!(
    "SELECT ",
    message_columns!(),
    ", m.hook_attempts
     FROM messages m
     WHERE m.hook_state = 'pending' AND m.hook_next_at_ms <= $1
     ORDER BY m.id LIMIT $2"
);

/// The instance and conversation of message `message_id`, whose replies go there.
async fn conversation_of(
    client: &impl GenericClient,
    message_id: i64,
) -> Result<(String, String), StoreError> {
    let stmt = client
        .prepare_cached("SELECT instance, conversation_id FROM messages WHERE id = $1")
        .await?;
    match client.query_opt(&stmt, &[&message_id]).await? {
        Some(row) => Ok((row.try_get(0)?, row.try_get(1)?)),
        None => Err(StoreError::NotFound {
            table: "messages",
            id: message_id,
        }),
    }
}

/// Queues one reply to `message_id` under `key`, or finds the one queued under it
/// before (whose attachments were written then).
async fn queue_turn_reply(
    client: &impl GenericClient,
    instance: &str,
    conversation_id: &str,
    message_id: i64,
    reply: &NewReply,
    key: &str,
    now: i64,
) -> Result<i64, StoreError> {
    let stmt = client
        .prepare_cached(
            "INSERT INTO replies (instance, conversation_id, message_id, text,
                 idempotency_key, next_attempt_at_ms, created_at_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $6)
             ON CONFLICT (idempotency_key) DO NOTHING
             RETURNING id",
        )
        .await?;
    let inserted = client
        .query_opt(
            &stmt,
            &[
                &instance,
                &conversation_id,
                &message_id,
                &reply.text,
                &key,
                &now,
            ],
        )
        .await?;
    if let Some(row) = inserted {
        let id: i64 = row.try_get(0)?;
        sends::insert_attachments(client, id, &reply.attachments).await?;
        return Ok(id);
    }
    let stmt = client
        .prepare_cached("SELECT id FROM replies WHERE idempotency_key = $1")
        .await?;
    Ok(client.query_one(&stmt, &[&key]).await?.try_get(0)?)
}

async fn dead_letter_for_message(
    client: &impl GenericClient,
    message_id: i64,
    kind: DeadLetterKind,
    error: &str,
) -> Result<i64, StoreError> {
    let message = rows::load_message(client, message_id).await?;
    let payload = serde_json::to_vec(&message)?;
    insert_dead_letter(
        client,
        kind,
        &message.instance,
        Some(message_id),
        None,
        error,
        &payload,
    )
    .await
}
