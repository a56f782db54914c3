//! One verified webhook: guest → durable store → answer.

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, Method};
use switchboard_runtime::{CallError, InstanceServices as _, WebhookRequest, WebhookResponse};
use switchboard_store::{DeadLetterKind, DueMessage, NewDeadLetter, PersistOutcome};

use crate::ingress::response::Rejection;
use crate::instance::Instance;
use crate::raw::RawDelivery;
use crate::shared::Shared;

/// A request routed to an instance, with its body collected.
pub(crate) struct Delivery {
    pub(crate) method: Method,
    /// Path below `/webhooks/<instance>`.
    pub(crate) rest: String,
    pub(crate) query: String,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

/// The error with its causes, so a log line says e.g. "sqlite error: database or
/// disk is full" and not only "sqlite error".
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Verifies, runs the guest, makes its messages durable, and returns the guest's
/// response. No guest code runs before verification succeeds.
pub(crate) async fn handle(
    shared: &Shared,
    instance: &Arc<Instance>,
    delivery: Delivery,
) -> Result<WebhookResponse, Rejection> {
    let name = &instance.name;
    shared.metrics.received(name);
    if delivery.method == Method::GET {
        let Some(handshake) = &instance.handshake else {
            return Err(Rejection::MethodNotAllowed {
                instance: name.clone(),
                method: delivery.method.to_string(),
            });
        };
        handshake
            .verify(&delivery.query)
            .map_err(|error| Rejection::HandshakeFailed {
                instance: name.clone(),
                error,
            })?;
    } else if delivery.method == Method::POST {
        instance
            .verifier
            .verify(&delivery.headers, &delivery.body, shared.clock.now_secs())
            .map_err(|error| Rejection::BadSignature {
                instance: name.clone(),
                error,
            })?;
    } else {
        return Err(Rejection::MethodNotAllowed {
            instance: name.clone(),
            method: delivery.method.to_string(),
        });
    }
    shared.metrics.verified(name);

    let mut raw = RawDelivery::from_parts(
        delivery.method.as_str(),
        &delivery.rest,
        &delivery.query,
        &delivery.headers,
        &delivery.body,
    );
    // Verification tokens (header or query) have done their job; nothing after this
    // point (guest, dead letters, replay) needs them. The body is kept exact.
    raw.redact(|text| instance.services.redact(text));
    match process(shared, instance, &raw).await {
        Ok(response) => Ok(response),
        Err(Failure::Rejected(rejection)) => Err(rejection),
        Err(Failure::Guest(error)) => dead_letter_delivery(shared, instance, raw, &error).await,
    }
}

/// How processing a verified delivery failed.
pub(crate) enum Failure {
    /// Nothing was stored; the sender should retry.
    Rejected(Rejection),
    /// The guest could not process it; retrying would fail the same way.
    Guest(CallError),
}

/// Runs a verified delivery through the guest and the store. Also used to replay
/// dead letters, which were verified when they arrived.
pub(crate) async fn process(
    shared: &Shared,
    instance: &Arc<Instance>,
    raw: &RawDelivery,
) -> Result<WebhookResponse, Failure> {
    let name = &instance.name;
    // A per-instance share first, so one misbehaving channel (say, one that spins
    // to its deadline on every call) cannot hold every slot and starve the others.
    let Ok(_instance_permit) = instance.in_flight.clone().try_acquire_owned() else {
        return Err(Failure::Rejected(Rejection::Overloaded {
            instance: name.clone(),
            what: "too many requests for this instance in progress",
        }));
    };
    let Ok(_permit) = shared.in_flight.clone().try_acquire_owned() else {
        return Err(Failure::Rejected(Rejection::Overloaded {
            instance: name.clone(),
            what: "too many webhook requests in progress",
        }));
    };
    let request = WebhookRequest {
        method: raw.method.clone(),
        path: raw.path.clone(),
        query: raw.query.clone(),
        headers: raw.headers.clone(),
        body: raw.body.to_vec(),
    };
    let started = std::time::Instant::now();
    let handled = instance
        .channel
        .on_http_request(instance.services.clone(), &instance.limits, request)
        .await;
    shared.metrics.guest_call(
        name,
        "on_http_request",
        started.elapsed(),
        handled.as_ref().err(),
    );
    let handled = match handled {
        Ok(handled) => handled,
        Err(CallError::Busy) => {
            return Err(Failure::Rejected(Rejection::Overloaded {
                instance: name.clone(),
                what: "no free sandbox slot",
            }));
        }
        Err(error) => return Err(Failure::Guest(error)),
    };

    if !handled.messages.is_empty() {
        let count = handled.messages.len();
        // New messages go to the hook and turn queues in memory, right after the
        // commit and in commit order; a message is never handed over before it is
        // durable, and a conversation's messages arrive in the order they were stored.
        let (hooks, turns) = (shared.feeds.hooks.clone(), shared.feeds.turns.clone());
        let hand_over = move |outcomes: &[PersistOutcome]| {
            for outcome in outcomes {
                if let PersistOutcome::Stored(message) = outcome {
                    hooks.push(DueMessage {
                        message: message.clone(),
                        attempts: 0,
                    });
                    turns.push(DueMessage {
                        message: message.clone(),
                        attempts: 0,
                    });
                }
            }
        };
        let persisted = tokio::time::timeout(
            shared.server.persist_timeout,
            shared.store.persist_then(name, handled.messages, hand_over),
        )
        .await;
        let outcomes = match persisted {
            Err(_) => {
                return Err(Failure::Rejected(Rejection::StoreUnavailable {
                    instance: name.clone(),
                    error: format!("not durable within {:?}", shared.server.persist_timeout),
                }));
            }
            Ok(Err(e)) => {
                return Err(Failure::Rejected(Rejection::StoreUnavailable {
                    instance: name.clone(),
                    error: error_chain(&e),
                }));
            }
            Ok(Ok(outcomes)) => outcomes,
        };
        let (mut stored, mut duplicates, mut edited) = (0, 0, 0);
        for outcome in &outcomes {
            match outcome {
                PersistOutcome::Stored(_) => stored += 1,
                PersistOutcome::Duplicate { .. } => duplicates += 1,
                PersistOutcome::Edited(_) => edited += 1,
            }
        }
        shared.metrics.persisted(name, stored, duplicates, edited);
        tracing::info!(instance = %name, emitted = count, stored, duplicates, edited, "delivery stored");
    } else {
        tracing::debug!(instance = %name, status = handled.response.status, "delivery handled, nothing emitted");
    }
    Ok(handled.response)
}

/// A verified delivery the guest could not process is kept with its error and
/// acknowledged: retrying it would fail the same way, and it can be replayed once
/// the component is fixed.
async fn dead_letter_delivery(
    shared: &Shared,
    instance: &Instance,
    raw: RawDelivery,
    error: &CallError,
) -> Result<WebhookResponse, Rejection> {
    let name = &instance.name;
    let letter = NewDeadLetter {
        kind: DeadLetterKind::Delivery,
        instance: name.clone(),
        error: error.to_string(),
        payload: raw.to_json(),
    };
    let stored = tokio::time::timeout(
        shared.server.persist_timeout,
        shared.store.dead_letter(letter),
    )
    .await;
    match stored {
        Ok(Ok(id)) => {
            shared.metrics.dead_letter(name, "delivery");
            tracing::warn!(instance = %name, dead_letter = id, reason = error.label(), error = %error, "guest failed; delivery kept as a dead letter and acknowledged");
            Ok(WebhookResponse {
                status: 200,
                headers: Vec::new(),
                body: Vec::new(),
            })
        }
        Ok(Err(e)) => Err(Rejection::StoreUnavailable {
            instance: name.clone(),
            error: format!(
                "guest failed ({error}) and the dead letter could not be stored: {}",
                error_chain(&e)
            ),
        }),
        Err(_) => Err(Rejection::StoreUnavailable {
            instance: name.clone(),
            error: format!("guest failed ({error}) and the dead letter was not durable in time"),
        }),
    }
}
