//! The two work queues on stored messages: the on-message-persisted hook and the agent
//! turn. Both are columns of `messages`, so persisting a message queues its work in the
//! same commit.

use rusqlite::{Connection, OptionalExtension, params};
use switchboard_types::NoTurn;

use super::Sqlite;
use super::attachments;
use super::dead_letters::insert_dead_letter;
use super::rows::{self, expect_one, message_columns, next_id, standing};
use super::sends;
use super::{now_ms, sql_limit};
use crate::{DeadLetterKind, DueMessage, HookOutcome, NewReply, OutboxItem, Standing, StoreError};

impl Sqlite {
    pub(crate) async fn due_hooks(
        &self,
        now_ms: i64,
        limit: usize,
    ) -> Result<Vec<DueMessage>, StoreError> {
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(DUE_HOOKS)?;
            let rows = stmt.query_map(params![now_ms, sql_limit(limit)], rows::due_message)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    pub(crate) async fn finish_hook(
        &self,
        message_id: i64,
        outcome: HookOutcome,
    ) -> Result<(), StoreError> {
        self.write_background(move |conn| {
            let changed = match &outcome {
                HookOutcome::Done => conn
                    .prepare_cached(
                        "UPDATE messages SET hook_state = 'done',
                             hook_attempts = hook_attempts + 1, hook_error = NULL
                         WHERE id = ?1",
                    )?
                    .execute([message_id])?,
                HookOutcome::Skipped => conn
                    .prepare_cached("UPDATE messages SET hook_state = 'skipped' WHERE id = ?1")?
                    .execute([message_id])?,
                HookOutcome::Retry { at_ms, error } => conn
                    .prepare_cached(
                        "UPDATE messages SET hook_attempts = hook_attempts + 1,
                             hook_next_at_ms = ?2, hook_error = ?3
                         WHERE id = ?1",
                    )?
                    .execute(params![message_id, at_ms, error])?,
                HookOutcome::Failed { error } => conn
                    .prepare_cached(
                        "UPDATE messages SET hook_state = 'failed',
                             hook_attempts = hook_attempts + 1, hook_error = ?2
                         WHERE id = ?1",
                    )?
                    .execute(params![message_id, error])?,
            };
            expect_one(changed, "messages", message_id)?;
            if let HookOutcome::Failed { error } = &outcome {
                dead_letter_for_message(conn, message_id, DeadLetterKind::Hook, error)?;
            }
            Ok(())
        })
        .await
    }

    pub(crate) async fn pending_turns(
        &self,
        now_ms: i64,
        limit: usize,
    ) -> Result<Vec<DueMessage>, StoreError> {
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(PENDING_TURNS)?;
            let rows = stmt.query_map(params![now_ms, sql_limit(limit)], rows::due_message)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    pub(crate) async fn turn_standing(&self, message_id: i64) -> Result<Standing, StoreError> {
        self.read(move |conn| {
            conn.prepare_cached(TURN_STANDING)?
                .query_row([message_id], standing)
                .optional()?
                .ok_or(StoreError::NotFound {
                    table: "messages",
                    id: message_id,
                })
        })
        .await
    }

    pub(crate) async fn complete_turn(
        &self,
        message_id: i64,
        replies: Vec<NewReply>,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        self.write_background(move |conn| {
            let (instance, conversation_id) = conversation_of(conn, message_id)?;
            conn.prepare_cached(
                "UPDATE messages SET agent_state = 'done',
                     agent_attempts = agent_attempts + 1, agent_error = NULL
                 WHERE id = ?1 AND agent_state != 'done'",
            )?
            .execute([message_id])?;
            let now = now_ms();
            let mut ids = Vec::with_capacity(replies.len());
            for (n, reply) in replies.iter().enumerate() {
                let key = format!("sb-{instance}-{message_id}-{n}");
                ids.push(queue_turn_reply(
                    conn,
                    &instance,
                    &conversation_id,
                    message_id,
                    reply,
                    &key,
                    now,
                )?);
            }
            ids.into_iter()
                .map(|id| rows::load_reply(conn, id))
                .collect()
        })
        .await
    }

    pub(crate) async fn skip_turn(
        &self,
        message_id: i64,
        reason: NoTurn,
        notice: Option<String>,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        self.write_background(move |conn| {
            let (instance, conversation_id) = conversation_of(conn, message_id)?;
            conn.prepare_cached(
                "UPDATE messages SET agent_state = 'done', no_turn = ?2, agent_error = NULL
                 WHERE id = ?1 AND agent_state != 'done'",
            )?
            .execute(params![message_id, reason.as_str()])?;
            attachments::drop_held(conn, message_id, reason)?;
            let Some(text) = notice else {
                return Ok(Vec::new());
            };
            let key = format!("sb-{instance}-{message_id}-notice");
            let id = queue_turn_reply(
                conn,
                &instance,
                &conversation_id,
                message_id,
                &NewReply::text(text),
                &key,
                now_ms(),
            )?;
            Ok(vec![rows::load_reply(conn, id)?])
        })
        .await
    }

    pub(crate) async fn retry_turn(
        &self,
        message_id: i64,
        at_ms: i64,
        error: String,
    ) -> Result<(), StoreError> {
        self.write_background(move |conn| {
            let changed = conn
                .prepare_cached(
                    "UPDATE messages SET agent_attempts = agent_attempts + 1,
                         agent_next_at_ms = ?2, agent_error = ?3
                     WHERE id = ?1",
                )?
                .execute(params![message_id, at_ms, error])?;
            expect_one(changed, "messages", message_id)
        })
        .await
    }

    pub(crate) async fn fail_turn(&self, message_id: i64, error: String) -> Result<(), StoreError> {
        self.write_background(move |conn| {
            let changed = conn
                .prepare_cached(
                    "UPDATE messages SET agent_state = 'failed',
                         agent_attempts = agent_attempts + 1, agent_error = ?2
                     WHERE id = ?1",
                )?
                .execute(params![message_id, error])?;
            expect_one(changed, "messages", message_id)?;
            dead_letter_for_message(conn, message_id, DeadLetterKind::Agent, &error)?;
            Ok(())
        })
        .await
    }
}

/// Pending agent turns due at `?1` and not held back, oldest first, at most `?2`.
///
/// One pass over the pending queue in its index order (conversation, then id): the
/// window carries the latest retry time among the earlier pending turns of the same
/// conversation, and a turn behind one that is not due yet is held back. A correlated
/// `NOT EXISTS` over the same index would walk a conversation's earlier turns once per
/// turn, which is quadratic in a busy conversation. Naming the index keeps the planner
/// off the whole table, which it may pick without statistics.
pub(crate) const PENDING_TURNS: &str = concat!(
    "SELECT ",
    message_columns!(),
    ", m.agent_attempts
     FROM (SELECT id, agent_next_at_ms AS next_at,
               max(agent_next_at_ms) OVER (
                   PARTITION BY instance, conversation_id ORDER BY id
                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS held_until
           FROM messages INDEXED BY messages_agent_queue
           WHERE agent_state = 'pending') q
     CROSS JOIN messages m ON m.id = q.id
     WHERE q.next_at <= ?1 AND (q.held_until IS NULL OR q.held_until <= ?1)
     ORDER BY q.id LIMIT ?2"
);

/// Where the turn of message `?1` stands, and whether an older message of its
/// conversation still waits for its turn.
const TURN_STANDING: &str = "SELECT m.agent_state = 'pending', m.agent_attempts, EXISTS (
     SELECT 1 FROM messages e
     WHERE e.instance = m.instance AND e.conversation_id = m.conversation_id
       AND e.agent_state = 'pending' AND e.id < m.id)
 FROM messages m WHERE m.id = ?1";

/// Pending hooks due at `?1`, oldest first, at most `?2`. Hooks need no per-conversation
/// order, so the queue index is in id order and the scan stops at the limit.
pub(crate) const DUE_HOOKS: &str = concat!(
    "SELECT ",
    message_columns!(),
    ", m.hook_attempts
     FROM messages m INDEXED BY messages_hook_queue
     WHERE m.hook_state = 'pending' AND m.hook_next_at_ms <= ?1
     ORDER BY m.id LIMIT ?2"
);

/// The instance and conversation of message `message_id`, whose replies go there.
fn conversation_of(conn: &Connection, message_id: i64) -> Result<(String, String), StoreError> {
    conn.prepare_cached("SELECT instance, conversation_id FROM messages WHERE id = ?1")?
        .query_row([message_id], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?
        .ok_or(StoreError::NotFound {
            table: "messages",
            id: message_id,
        })
}

/// Queues one reply to `message_id` under `key`, or finds the one queued under it
/// before (whose attachments were written then).
fn queue_turn_reply(
    conn: &Connection,
    instance: &str,
    conversation_id: &str,
    message_id: i64,
    reply: &NewReply,
    key: &str,
    now: i64,
) -> Result<i64, StoreError> {
    let inserted = conn
        .prepare_cached(concat!(
            "INSERT INTO replies (id, instance, conversation_id, message_id, text,
                 idempotency_key, next_attempt_at_ms, created_at_ms)
             VALUES (",
            next_id!("replies"),
            ", ?1, ?2, ?3, ?4, ?5, ?6, ?6)
             ON CONFLICT (idempotency_key) DO NOTHING"
        ))?
        .execute(params![
            instance,
            conversation_id,
            message_id,
            reply.text,
            key,
            now
        ])?;
    if inserted == 1 {
        let id = conn.last_insert_rowid();
        sends::insert_attachments(conn, id, &reply.attachments)?;
        return Ok(id);
    }
    Ok(conn
        .prepare_cached("SELECT id FROM replies WHERE idempotency_key = ?1")?
        .query_row([key], |row| row.get(0))?)
}

fn dead_letter_for_message(
    conn: &Connection,
    message_id: i64,
    kind: DeadLetterKind,
    error: &str,
) -> Result<i64, StoreError> {
    let message = rows::load_message(conn, message_id)?;
    let payload = serde_json::to_vec(&message)?;
    insert_dead_letter(
        conn,
        kind,
        &message.instance,
        Some(message_id),
        None,
        error,
        &payload,
    )
}
