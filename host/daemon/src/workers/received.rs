//! What arrives by polling or over a session is stored the same way: the messages,
//! the updates the channel could not map and the new cursor in one commit.

use std::sync::Arc;

use switchboard_runtime::InstanceServices as _;
use switchboard_store::{DeadLetterKind, NewDeadLetter};
use switchboard_types::{InboundMessage, Unmapped, WebhookRequest};

use crate::instance::Instance;
use crate::metrics::DeadLetter;
use crate::pipeline::{count_outcomes, error_chain, hand_over};
use crate::shared::Shared;

/// Commits the messages, unmapped updates and cursor of one poll or session frame
/// together, and hands the new messages to the queues. `Ok(true)` when anything was
/// stored; the error says why nothing was.
pub(crate) async fn commit(
    shared: &Shared,
    instance: &Arc<Instance>,
    messages: Vec<InboundMessage>,
    unmapped: Vec<Unmapped>,
    cursor: Option<String>,
) -> Result<bool, String> {
    let name = &instance.name;
    let emitted = messages.len();
    let unmapped: Vec<NewDeadLetter> = unmapped
        .into_iter()
        .map(|u| NewDeadLetter {
            kind: DeadLetterKind::Delivery,
            instance: name.clone(),
            error: format!(
                "the channel could not map it: {}",
                instance.services.redact(&u.reason)
            ),
            payload: as_delivery(u.payload),
        })
        .collect();
    let stored = tokio::time::timeout(
        shared.server.persist_timeout,
        shared
            .store
            .persist_received(name, messages, unmapped, cursor, hand_over(shared)),
    )
    .await
    .map_err(|_| format!("not durable within {:?}", shared.server.persist_timeout))?
    .map_err(|e| error_chain(&e))?;
    let (new, duplicates, edited) = count_outcomes(instance, &stored.outcomes);
    for id in &stored.dead_letters {
        instance.metrics.dead_letter(DeadLetter::Delivery);
        tracing::warn!(instance = %name, dead_letter = id, "the channel could not map an update; kept as a dead letter");
    }
    if emitted > 0 {
        tracing::info!(instance = %name, emitted, stored = new, duplicates, edited, "received and stored");
    }
    Ok(emitted > 0 || !stored.dead_letters.is_empty())
}

/// An unmapped update kept the way a webhook delivery is, so `switchboard replay`
/// runs it through `on-http-request` once a fixed channel is installed.
fn as_delivery(payload: Vec<u8>) -> Vec<u8> {
    let request = WebhookRequest {
        method: "POST".to_owned(),
        path: String::new(),
        query: String::new(),
        headers: vec![("content-type".to_owned(), "application/json".to_owned())],
        body: payload.into(),
    };
    // Serialising plain strings and bytes cannot fail.
    serde_json::to_vec(&request).unwrap_or_default()
}
