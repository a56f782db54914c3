//! `POST /v1/messages` (a send, queued in the outbox) and `GET /v1/messages/ID` (where
//! it stands).

use bytes::Bytes;
use http::{HeaderMap, Response, StatusCode};
use hyper::body::Incoming;
use serde_json::json;
use switchboard_store::{NewSend, OutboxItem, StoreError};
use switchboard_types::OutboundAttachment;
use tokio::sync::OwnedSemaphorePermit;

use crate::api::error::ApiError;
use crate::api::input::{self, AttachmentInput};
use crate::api::json;
use crate::ingress::body::{self, BodyError};
use crate::ingress::response::Body;
use crate::shared::Shared;

/// The largest request body `POST /v1/messages` reads: attachments come inside it,
/// base64-encoded (about 24 MiB of files).
pub(crate) const MAX_SEND_BODY_BYTES: u64 = 32 << 20;

/// The header a client names its send with, so that a retry of the request sends
/// nothing twice.
const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// The longest idempotency key taken.
const MAX_KEY_LEN: usize = 255;

/// Queues a send. 202 for a new one; 200 for a repeat of an idempotency key seen
/// within a day, with the first send's id and state.
pub(crate) async fn post(
    shared: &Shared,
    headers: &HeaderMap,
    incoming: Incoming,
) -> Result<Response<Body>, ApiError> {
    let api_key = idempotency_key(headers)?;
    let (share, body) = read_body(shared, headers, incoming).await?;
    let send = input::parse_send(&body)?;
    // The raw body leaves memory, and its share of the budget with it; what is kept
    // goes to the blob store.
    drop(body);
    drop(share);
    if shared.instance(&send.instance).is_none() {
        return Err(ApiError::UnknownInstance(send.instance));
    }
    let attachments = store_attachments(shared, send.attachments).await?;
    let count = attachments.len();
    let queued = shared
        .store
        .queue_send(NewSend {
            instance: send.instance,
            conversation_id: send.conversation_id,
            thread_id: send.thread_id,
            text: send.text,
            attachments,
            reply_to: send.reply_to,
            api_key,
        })
        .await
        .map_err(|e| match e {
            StoreError::UnknownMessage { .. } => ApiError::field(
                "reply_to",
                "no stored message with this id in the conversation",
            ),
            e => ApiError::Store(e),
        })?;
    let item = queued.item;
    if queued.existing {
        tracing::info!(instance = %item.instance, reply = item.id, "api: send repeated with the same Idempotency-Key; nothing new queued");
        return Ok(json(StatusCode::OK, &accepted(&item)));
    }
    tracing::info!(instance = %item.instance, reply = item.id, attachments = count, "api: send queued");
    let answer = json(StatusCode::ACCEPTED, &accepted(&item));
    // Committed: the reply queue may take it now, as it takes a turn's replies.
    shared.feeds.replies.push(item);
    Ok(answer)
}

/// Where send `id` stands.
pub(crate) async fn get(shared: &Shared, id: &str) -> Result<Response<Body>, ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::UnknownSend)?;
    let item = shared
        .store
        .send_status(id)
        .await?
        .ok_or(ApiError::UnknownSend)?;
    Ok(json(
        StatusCode::OK,
        &json!({
            "id": item.id,
            "instance": item.instance,
            "conversation_id": item.conversation_id,
            "state": item.status.as_str(),
            "attempts": item.attempts,
            "last_error": item.last_error,
            "platform_id": item.receipt_external_id,
        }),
    ))
}

fn accepted(item: &OutboxItem) -> serde_json::Value {
    json!({ "id": item.id, "state": item.status.as_str() })
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let mut values = headers.get_all(IDEMPOTENCY_KEY).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    let refuse = |why| ApiError::field("Idempotency-Key", why);
    if values.next().is_some() {
        return Err(refuse("give it once"));
    }
    let key = value.as_bytes();
    if key.is_empty() || key.len() > MAX_KEY_LEN || !key.iter().all(u8::is_ascii_graphic) {
        return Err(refuse("1 to 255 visible ASCII characters"));
    }
    Ok(Some(String::from_utf8_lossy(key).into_owned()))
}

/// The body, under [`MAX_SEND_BODY_BYTES`], with its share of the body budget.
async fn read_body(
    shared: &Shared,
    headers: &HeaderMap,
    incoming: Incoming,
) -> Result<(OwnedSemaphorePermit, Bytes), ApiError> {
    let read = body::read(
        &shared.body_budget,
        headers,
        incoming,
        MAX_SEND_BODY_BYTES,
        shared.server.body_timeout,
    )
    .await;
    match read {
        Ok(read) => Ok(read),
        Err(BodyError::OverBudget) => Err(ApiError::Overloaded(
            "request bodies in memory are at server.body_budget_mb",
        )),
        Err(BodyError::TooLarge) => Err(ApiError::BodyTooLarge {
            limit: MAX_SEND_BODY_BYTES,
        }),
        Err(BodyError::Timeout) => Err(ApiError::BodyTimeout),
        Err(BodyError::Read(error)) => {
            Err(ApiError::BadBody(format!("cannot read the body: {error}")))
        }
    }
}

/// Writes each attachment to the blob store and records it, so a prune keeps it.
async fn store_attachments(
    shared: &Shared,
    attachments: Vec<AttachmentInput>,
) -> Result<Vec<OutboundAttachment>, ApiError> {
    let mut stored = Vec::with_capacity(attachments.len());
    for attachment in attachments {
        let blob = shared.blobs.put(&attachment.data).await?;
        shared
            .store
            .record_blob(blob.sha256.clone(), blob.size)
            .await?;
        stored.push(OutboundAttachment {
            kind: attachment.kind,
            mime_type: attachment.mime_type,
            size: blob.size,
            file_name: attachment.file_name,
            caption: attachment.caption,
            blob: blob.sha256,
        });
    }
    Ok(stored)
}
