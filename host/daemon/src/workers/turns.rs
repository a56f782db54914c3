//! Gives every stored message its agent turn, in order within a conversation and
//! concurrently across conversations. Driven by the database, so messages stored
//! before a crash get their turn after the restart.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt as _;
use switchboard_agent::Turn;
use switchboard_types::StoredMessage;

use crate::pipeline::{error_chain, now_ms};
use crate::shared::Shared;
use crate::workers::{Stop, backoff, idle};

pub(crate) async fn run(shared: Arc<Shared>, mut stop: Stop) {
    loop {
        let pending = match shared.store.pending_turns(now_ms(), 512).await {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = %e, "agent worker: cannot read pending turns");
                Vec::new()
            }
        };
        let mut conversations: BTreeMap<(String, String), Vec<StoredMessage>> = BTreeMap::new();
        for m in pending {
            conversations
                .entry((m.instance.clone(), m.message.conversation_id.clone()))
                .or_default()
                .push(m);
        }
        let progressed = futures::stream::iter(conversations.into_values())
            .map(|messages| {
                let shared = shared.clone();
                async move {
                    let mut done = 0usize;
                    for one in messages {
                        if !take_turn(&shared, one).await {
                            // Later ones of the conversation wait, to keep its order.
                            break;
                        }
                        done += 1;
                    }
                    done
                }
            })
            .buffer_unordered(shared.workers.concurrency)
            .fold(0usize, |sum, n| std::future::ready(sum + n))
            .await;
        // Go straight back for more only when this batch moved something.
        if progressed > 0 {
            continue;
        }
        if idle(&shared.wake_turns, &mut stop, Duration::from_secs(1)).await {
            return;
        }
    }
}

/// Returns whether the conversation may move on to its next message.
async fn take_turn(shared: &Shared, message: StoredMessage) -> bool {
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
            tracing::warn!(%instance, message = id, error = %e, "cannot read conversation history");
            return false;
        }
    };
    let turn = Turn { message, history };
    match shared.agent.respond(&turn).await {
        Ok(replies) => {
            let texts: Vec<String> = replies
                .into_iter()
                .map(|r| r.text)
                .filter(|t| !t.is_empty())
                .collect();
            let count = texts.len();
            match shared.store.complete_turn(id, texts).await {
                Ok(_) => {
                    shared
                        .metrics
                        .outcome("switchboard_agent_turns_total", &instance, "done");
                    tracing::debug!(%instance, message = id, replies = count, "agent turn done");
                    if count > 0 {
                        shared.wake_outbox.notify_one();
                    }
                    true
                }
                Err(e) => {
                    tracing::warn!(%instance, message = id, error = %e, "cannot store the agent's replies; the turn will run again");
                    false
                }
            }
        }
        Err(error) => {
            let attempts = match shared.store.message_status(id).await {
                Ok(s) => s.agent_attempts + 1,
                Err(_) => 1,
            };
            let text = error_chain(&error);
            let result = if error.is_retryable() && attempts < shared.workers.agent_max_attempts {
                let wait = backoff::delay(
                    attempts,
                    shared.workers.retry_base,
                    shared.workers.retry_max,
                    error.retry_after(),
                );
                tracing::warn!(%instance, message = id, attempt = attempts, retry_in = ?wait, error = %text, "agent failed; will retry");
                shared
                    .metrics
                    .outcome("switchboard_agent_turns_total", &instance, "retry");
                shared
                    .store
                    .retry_turn(
                        id,
                        now_ms() + i64::try_from(wait.as_millis()).unwrap_or(i64::MAX),
                        text,
                    )
                    .await
            } else {
                tracing::warn!(%instance, message = id, attempt = attempts, error = %text, "agent failed for good; message dead-lettered");
                shared
                    .metrics
                    .outcome("switchboard_agent_turns_total", &instance, "failed");
                shared.metrics.dead_letter(&instance, "agent");
                shared.store.fail_turn(id, text).await
            };
            if let Err(e) = result {
                tracing::warn!(%instance, message = id, error = %e, "cannot record the agent failure");
            }
            // A permanently failed message no longer blocks its conversation.
            false
        }
    }
}
