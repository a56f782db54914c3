use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, header};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use tokio::sync::OwnedSemaphorePermit;

use crate::ingress::budget::BodyBudget;

/// Why a body could not be collected.
pub(crate) enum BodyError {
    TooLarge,
    /// The bodies in memory are at `server.body_budget_mb`.
    OverBudget,
    Timeout,
    Read(String),
}

/// The `Content-Length` a request declares, when it parses.
pub(crate) fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
}

/// Reads a body of at most `limit` bytes. Its share of `budget` (the declared length,
/// or the most it may grow to) is taken before a byte is read and handed back with
/// the body: the caller holds it until its answer is sent.
pub(crate) async fn read(
    budget: &BodyBudget,
    headers: &HeaderMap,
    body: Incoming,
    limit: u64,
    timeout: Duration,
) -> Result<(OwnedSemaphorePermit, Bytes), BodyError> {
    let declared = declared_length(headers);
    if declared.is_some_and(|len| len > limit) {
        return Err(BodyError::TooLarge);
    }
    let share = budget
        .take(declared.unwrap_or(limit))
        .ok_or(BodyError::OverBudget)?;
    let body = collect(body, limit, timeout).await?;
    Ok((share, body))
}

/// Collects a request body, refusing more than `limit` bytes without buffering
/// them (the `Content-Length` check happens before this; `Limited` catches chunked
/// bodies that lie or have no length).
pub(crate) async fn collect(
    body: Incoming,
    limit: u64,
    timeout: Duration,
) -> Result<Bytes, BodyError> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let collected = tokio::time::timeout(timeout, Limited::new(body, limit).collect()).await;
    match collected {
        Err(_) => Err(BodyError::Timeout),
        Ok(Ok(c)) => Ok(c.to_bytes()),
        Ok(Err(e)) => {
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                Err(BodyError::TooLarge)
            } else {
                Err(BodyError::Read(e.to_string()))
            }
        }
    }
}
