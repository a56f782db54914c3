//! One verified webhook: guest → durable store → answer.

use std::sync::Arc;

use http::HeaderMap;
use switchboard_runtime::{CallError, InstanceServices as _, WebhookRequest, WebhookResponse};
use switchboard_store::{DeadLetterKind, DueMessage, NewDeadLetter, PersistOutcome};
use switchboard_verify::VerifyError;

use crate::instance::Instance;
use crate::mask;
use crate::metrics::{DeadLetter, Export};
use crate::shared::Shared;

/// A request routed to an instance, with its body collected: the request as the
/// channel will see it, and the header map the verifier reads.
pub(crate) struct Delivery {
    pub(crate) headers: HeaderMap,
    pub(crate) request: WebhookRequest,
}

/// Why the pipeline did not answer a delivery with the guest's response. The ingress
/// turns it into an HTTP status (`ingress::response`); replay reports it as text.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PipelineError {
    #[error("method {0} not accepted here")]
    MethodNotAllowed(String),
    /// The instance receives by polling or over a session and has no webhook.
    #[error(
        "this instance receives by polling or over a session (settings.mode) and has no webhook: its verification secret is not configured"
    )]
    NoWebhook,
    #[error("verification failed: {0}")]
    BadSignature(#[source] VerifyError),
    #[error("handshake failed: {0}")]
    HandshakeFailed(#[source] VerifyError),
    /// Too much in progress; nothing was stored, the sender should retry.
    #[error("overloaded: {0}")]
    Overloaded(&'static str),
    /// Nothing is known to be stored; the sender should retry.
    #[error("cannot make the delivery durable: {0}")]
    StoreUnavailable(String),
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

/// What can be decided before the body is read: the method, the handshake (a GET is
/// checked on its query alone) and whatever the verification scheme can tell from the
/// headers. A request refused here never has its body read.
pub(crate) fn check_before_body(
    shared: &Shared,
    instance: &Instance,
    method: &http::Method,
    query: &str,
    headers: &HeaderMap,
) -> Result<(), PipelineError> {
    instance.metrics.received();
    let Some(webhook) = &instance.webhook else {
        return Err(PipelineError::NoWebhook);
    };
    match *method {
        http::Method::GET => {
            let Some(handshake) = &webhook.handshake else {
                return Err(PipelineError::MethodNotAllowed(method.to_string()));
            };
            handshake
                .verify(query)
                .map_err(PipelineError::HandshakeFailed)
        }
        http::Method::POST => webhook
            .verifier
            .check_headers(headers, shared.clock.now_secs())
            .map_err(PipelineError::BadSignature),
        _ => Err(PipelineError::MethodNotAllowed(method.to_string())),
    }
}

/// Finishes verification with the body, runs the guest, makes its messages durable,
/// and returns the guest's response. The delivery must have passed
/// [`check_before_body`]. No guest code runs before verification succeeds.
pub(crate) async fn handle(
    shared: &Shared,
    instance: &Arc<Instance>,
    delivery: Delivery,
) -> Result<WebhookResponse, PipelineError> {
    let Delivery {
        headers,
        mut request,
    } = delivery;
    let Some(webhook) = &instance.webhook else {
        return Err(PipelineError::NoWebhook);
    };
    if request.method == "GET" {
        // The handshake was the whole check and carries nothing in a body; a body on
        // a GET is nobody's business, so the guest never sees one.
        request.body = bytes::Bytes::new();
    } else if webhook.verifier.reads_body() {
        webhook
            .verifier
            .verify(&headers, &request.body, shared.clock.now_secs())
            .map_err(PipelineError::BadSignature)?;
    }
    instance.metrics.verified();

    // Verification tokens (header or query) have done their job; nothing after this
    // point (guest, dead letters, replay) needs them. This is the only place they are
    // masked. The body is kept exact.
    request.query = mask::query(&request.query, |text| instance.services.redact(text));
    for (_, value) in &mut request.headers {
        *value = instance.services.redact(value);
    }
    match process(shared, instance, &request).await {
        Ok(response) => Ok(response),
        Err(Failure::Refused(error)) => Err(error),
        Err(Failure::Guest(error)) => dead_letter_delivery(shared, instance, request, &error).await,
    }
}

/// How processing a verified delivery failed.
pub(crate) enum Failure {
    /// Nothing was stored; the sender should retry.
    Refused(PipelineError),
    /// The guest could not process it; retrying would fail the same way.
    Guest(CallError),
}

/// Runs a verified delivery through the guest and the store. Also used to replay
/// dead letters, which were verified when they arrived.
pub(crate) async fn process(
    shared: &Shared,
    instance: &Arc<Instance>,
    request: &WebhookRequest,
) -> Result<WebhookResponse, Failure> {
    let name = &instance.name;
    // A per-instance share first, so one misbehaving channel (say, one that spins
    // to its deadline on every call) cannot hold every slot and starve the others.
    let Ok(_instance_permit) = instance.in_flight.clone().try_acquire_owned() else {
        return Err(Failure::Refused(PipelineError::Overloaded(
            "too many requests for this instance in progress",
        )));
    };
    let Ok(_permit) = shared.in_flight.clone().try_acquire_owned() else {
        return Err(Failure::Refused(PipelineError::Overloaded(
            "too many webhook requests in progress",
        )));
    };
    let started = std::time::Instant::now();
    let handled = instance
        .channel
        .on_http_request(instance.services.clone(), &instance.limits, request)
        .await;
    instance.metrics.guest_call(
        Export::HttpRequest,
        started.elapsed(),
        handled.as_ref().err(),
    );
    let handled = match handled {
        Ok(handled) => handled,
        Err(CallError::Busy) => {
            return Err(Failure::Refused(PipelineError::Overloaded(
                "no free sandbox slot",
            )));
        }
        Err(error) => return Err(Failure::Guest(error)),
    };

    if !handled.messages.is_empty() {
        let count = handled.messages.len();
        let persisted = tokio::time::timeout(
            shared.server.persist_timeout,
            shared
                .store
                .persist_then(name, handled.messages, hand_over(shared)),
        )
        .await;
        let outcomes = match persisted {
            Err(_) => {
                return Err(Failure::Refused(PipelineError::StoreUnavailable(format!(
                    "not durable within {:?}",
                    shared.server.persist_timeout
                ))));
            }
            Ok(Err(e)) => {
                return Err(Failure::Refused(PipelineError::StoreUnavailable(
                    error_chain(&e),
                )));
            }
            Ok(Ok(outcomes)) => outcomes,
        };
        let (stored, duplicates, edited) = count_outcomes(instance, &outcomes);
        tracing::info!(instance = %name, emitted = count, stored, duplicates, edited, "delivery stored");
    } else if handled.dead_letter.is_none() {
        tracing::debug!(instance = %name, status = handled.response.status, "delivery handled, nothing emitted");
    }
    if let Some(reason) = handled.dead_letter {
        keep_for_replay(shared, instance, request, reason).await?;
    }
    Ok(handled.response)
}

/// What hands freshly stored messages to the hook and turn queues in memory, right
/// after the commit and in commit order: a message is never handed over before it is
/// durable, and a conversation's messages arrive in the order they were stored.
pub(crate) fn hand_over(shared: &Shared) -> impl FnOnce(&[PersistOutcome]) + Send + 'static {
    let (hooks, turns) = (shared.feeds.hooks.clone(), shared.feeds.turns.clone());
    move |outcomes: &[PersistOutcome]| {
        for outcome in outcomes {
            // The store queued exactly this work: a hook for every new message that
            // is not an edit, a turn for those with no reason against one.
            if let PersistOutcome::Stored(message) = outcome {
                if !message.message.is_edit {
                    hooks.push(DueMessage {
                        message: message.clone(),
                        attempts: 0,
                    });
                }
                if message.no_turn.is_none() {
                    turns.push(DueMessage {
                        message: message.clone(),
                        attempts: 0,
                    });
                }
            }
        }
    }
}

/// Counts stored, duplicate and edited messages into the instance's metrics and
/// returns the three counts.
pub(crate) fn count_outcomes(instance: &Instance, outcomes: &[PersistOutcome]) -> (u64, u64, u64) {
    let (mut stored, mut duplicates, mut edited) = (0, 0, 0);
    for outcome in outcomes {
        match outcome {
            PersistOutcome::Stored(_) => stored += 1,
            PersistOutcome::Duplicate { .. } => duplicates += 1,
            PersistOutcome::Edited(_) => edited += 1,
        }
    }
    instance.metrics.persisted(stored, duplicates, edited);
    (stored, duplicates, edited)
}

/// The channel asked (`host.dead-letter`) for the delivery to be kept: it carries a
/// person's message the channel cannot map. Durable before the platform is answered,
/// like the messages of the same delivery.
async fn keep_for_replay(
    shared: &Shared,
    instance: &Instance,
    request: &WebhookRequest,
    reason: String,
) -> Result<(), Failure> {
    let error = format!("the channel could not map it: {reason}");
    match keep_delivery(shared, instance, request, error).await {
        Ok(id) => {
            tracing::warn!(instance = %instance.name, dead_letter = id, %reason, "the channel could not map a delivery; kept as a dead letter");
            Ok(())
        }
        Err(why) => Err(Failure::Refused(PipelineError::StoreUnavailable(format!(
            "the dead letter the channel asked for {why}"
        )))),
    }
}

/// Stores `request` as a delivery dead letter with `error`, within the persist
/// timeout; the id, or what went wrong (to follow "the dead letter ...").
async fn keep_delivery(
    shared: &Shared,
    instance: &Instance,
    request: &WebhookRequest,
    error: String,
) -> Result<i64, String> {
    let letter = NewDeadLetter {
        kind: DeadLetterKind::Delivery,
        instance: instance.name.clone(),
        error,
        // Serialising plain strings and bytes cannot fail.
        payload: serde_json::to_vec(request).unwrap_or_default(),
    };
    let stored = tokio::time::timeout(
        shared.server.persist_timeout,
        shared.store.dead_letter(letter),
    )
    .await;
    match stored {
        Ok(Ok(id)) => {
            instance.metrics.dead_letter(DeadLetter::Delivery);
            Ok(id)
        }
        Ok(Err(e)) => Err(format!("could not be stored: {}", error_chain(&e))),
        Err(_) => Err("was not durable in time".to_owned()),
    }
}

/// A verified delivery the guest could not process is kept with its error and
/// acknowledged: retrying it would fail the same way, and it can be replayed once
/// the component is fixed.
async fn dead_letter_delivery(
    shared: &Shared,
    instance: &Instance,
    request: WebhookRequest,
    error: &CallError,
) -> Result<WebhookResponse, PipelineError> {
    match keep_delivery(shared, instance, &request, error.to_string()).await {
        Ok(id) => {
            tracing::warn!(instance = %instance.name, dead_letter = id, reason = error.label(), error = %error, "guest failed; delivery kept as a dead letter and acknowledged");
            Ok(WebhookResponse {
                status: 200,
                headers: Vec::new(),
                body: Vec::new(),
            })
        }
        Err(why) => Err(PipelineError::StoreUnavailable(format!(
            "guest failed ({error}) and the dead letter {why}"
        ))),
    }
}
