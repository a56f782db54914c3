//! Gives every stored message its agent turn, in order within a conversation and
//! concurrently across conversations. Driven by the database, so messages stored
//! before a crash get their turn after the restart.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use switchboard_agent::{AgentError, Turn};
use switchboard_types::StoredMessage;

use crate::pipeline::{error_chain, now_ms};
use crate::shared::Shared;
use crate::workers::{Step, Stop, backoff, by_conversation, idle};

/// What a turn came to.
#[derive(Debug, Clone)]
enum Decided {
    /// The agent answered.
    Replies(Vec<String>),
    /// The agent failed; ask again at `at_ms`.
    Retry { at_ms: i64, error: String },
    /// The agent failed for good.
    Failed { error: String },
}

/// Turns decided but not recorded (the store refused the write), by message id.
/// They are recorded again before the agent would be asked again, so a storage
/// fault neither repeats agent calls nor changes an answer; a crash forgets them,
/// and the agent is asked again after the restart.
type Unrecorded = Mutex<HashMap<i64, Decided>>;

pub(crate) async fn run(shared: Arc<Shared>, mut stop: Stop) {
    let unrecorded = Unrecorded::default();
    loop {
        let pending = match shared.store.pending_turns(now_ms(), 512).await {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = %error_chain(&e), "agent worker: cannot read pending turns");
                Vec::new()
            }
        };
        // Group by conversation, keeping arrival order inside each group.
        let progressed = by_conversation(
            pending,
            |item| (item.instance.clone(), item.message.conversation_id.clone()),
            shared.workers.concurrency,
            |item| take_turn(&shared, item, &unrecorded),
        )
        .await;
        if *stop.borrow() {
            return;
        }
        // Straight back for more only when this round recorded something.
        if progressed > 0 {
            continue;
        }
        if idle(&shared.wake_turns, &mut stop, Duration::from_secs(1)).await {
            return;
        }
    }
}

async fn take_turn(shared: &Shared, message: StoredMessage, unrecorded: &Unrecorded) -> Step {
    let id = message.id;
    let instance = message.instance.clone();
    let remembered = lock(unrecorded).remove(&id);
    let decided = match remembered {
        Some(decided) => decided,
        None => match ask(shared, message).await {
            Some(decided) => decided,
            None => return Step::Stalled,
        },
    };
    let recorded = match decided.clone() {
        Decided::Replies(texts) => {
            let count = texts.len();
            shared.store.complete_turn(id, texts).await.map(|_| {
                shared
                    .metrics
                    .outcome("switchboard_agent_turns_total", &instance, "done");
                tracing::debug!(%instance, message = id, replies = count, "agent turn done");
                if count > 0 {
                    shared.wake_outbox.notify_one();
                }
                Step::Next
            })
        }
        Decided::Retry { at_ms, error } => shared
            .store
            .retry_turn(id, at_ms, error)
            .await
            .map(|()| Step::Wait),
        // A permanently failed message no longer blocks its conversation.
        Decided::Failed { error } => shared.store.fail_turn(id, error).await.map(|()| Step::Wait),
    };
    recorded.unwrap_or_else(|e| {
        tracing::warn!(%instance, message = id, error = %error_chain(&e), "cannot record the agent turn; will record it again");
        lock(unrecorded).insert(id, decided);
        Step::Stalled
    })
}

/// Asks the agent; `None` when the turn could not even be prepared.
async fn ask(shared: &Shared, message: StoredMessage) -> Option<Decided> {
    let id = message.id;
    let instance = message.instance.clone();
    let history = match shared
        .store
        .history(
            &instance,
            &message.message.conversation_id,
            id,
            shared.workers.max_history,
        )
        .await
    {
        Ok(h) => h,
        Err(e) => {
            tracing::warn!(%instance, message = id, error = %error_chain(&e), "cannot read conversation history");
            return None;
        }
    };
    let turn = Turn { message, history };
    match shared.agent.respond(&turn).await {
        Ok(replies) => Some(Decided::Replies(
            replies
                .into_iter()
                .map(|r| r.text)
                .filter(|t| !t.is_empty())
                .collect(),
        )),
        Err(error) => Some(failed(shared, id, &instance, &error).await),
    }
}

async fn failed(shared: &Shared, id: i64, instance: &str, error: &AgentError) -> Decided {
    let attempts = match shared.store.message_status(id).await {
        Ok(s) => s.agent_attempts + 1,
        Err(_) => 1,
    };
    let text = error_chain(error);
    if error.is_retryable() && attempts < shared.workers.agent_max_attempts {
        let wait = backoff::delay(
            attempts,
            shared.workers.retry_base,
            shared.workers.retry_max,
            error.retry_after(),
        );
        tracing::warn!(%instance, message = id, attempt = attempts, retry_in = ?wait, error = %text, "agent failed; will retry");
        shared
            .metrics
            .outcome("switchboard_agent_turns_total", instance, "retry");
        Decided::Retry {
            at_ms: now_ms() + i64::try_from(wait.as_millis()).unwrap_or(i64::MAX),
            error: text,
        }
    } else {
        tracing::warn!(%instance, message = id, attempt = attempts, error = %text, "agent failed for good; message dead-lettered");
        shared
            .metrics
            .outcome("switchboard_agent_turns_total", instance, "failed");
        shared.metrics.dead_letter(instance, "agent");
        Decided::Failed { error: text }
    }
}

fn lock(unrecorded: &Unrecorded) -> std::sync::MutexGuard<'_, HashMap<i64, Decided>> {
    // The map holds plain values; a panic elsewhere cannot leave it half-written.
    unrecorded
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
