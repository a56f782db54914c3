//! T2: the daemon's pipeline with a native handler in place of the component.
//!
//! Same HTTP stack, same checks in the same order, same store and options as
//! `switchboard serve`: route, `Content-Length` check, body collected under the
//! limit, signature verified with `switchboard-verify`, in-flight bound, the
//! channel's parser (natively), `Store::persist` under the persist timeout, and
//! the 200 only after the commit. What it leaves out is exactly the sandbox:
//! instantiating the component and copying the request in and messages out.
//!
//! It also runs none of the daemon's background work (hooks, agent turns, the
//! outbox); see `BENCHMARKS.md` for what that means for the comparison.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming;
use switchboard_store::{Store, StoreOptions};
use switchboard_verify::Verifier;
use tokio::sync::Semaphore;

use crate::error::BenchError;
use crate::payload::{APP_SECRET, WEBHOOK_PATH, unix_now, whatsapp_scheme};
use crate::server::{empty, serve_until_stdin_closes};
use crate::targets::whatsapp::messages_of;

/// The instance name the messages are stored under, as in the daemon's config.
const INSTANCE: &str = "wa";
/// The WhatsApp manifest's `limits.max_body_bytes`.
const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;
/// The daemon's default `server.body_timeout_ms`.
const BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// The daemon's default `server.persist_timeout_ms`.
const PERSIST_TIMEOUT: Duration = Duration::from_secs(2);
/// The daemon's default `server.max_in_flight`.
const MAX_IN_FLIGHT: usize = 256;

struct Pipeline {
    verifier: Verifier,
    store: Store,
    in_flight: Arc<Semaphore>,
}

/// Serves the native pipeline with its database in `data_dir`, until stdin closes.
pub fn serve(listen: SocketAddr, data_dir: &Path) -> Result<(), BenchError> {
    let verifier = Verifier::new(&whatsapp_scheme(), APP_SECRET.as_bytes())
        .map_err(|source| BenchError::Signer { source })?;
    let store = Store::open(&data_dir.join("switchboard.db"), StoreOptions::default())
        .map_err(|source| BenchError::Store { source })?;
    let pipeline = Arc::new(Pipeline {
        verifier,
        store,
        in_flight: Arc::new(Semaphore::new(MAX_IN_FLIGHT)),
    });
    serve_until_stdin_closes(listen, move |request| {
        let pipeline = pipeline.clone();
        async move { handle(&pipeline, request).await }
    })
}

async fn handle(pipeline: &Pipeline, request: Request<Incoming>) -> Response<Full<Bytes>> {
    if request.uri().path() != WEBHOOK_PATH {
        return empty(StatusCode::NOT_FOUND);
    }
    if request.method() != Method::POST {
        return empty(StatusCode::METHOD_NOT_ALLOWED);
    }
    let (parts, incoming) = request.into_parts();
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok());
    if declared.is_some_and(|length| length > MAX_BODY_BYTES) {
        return empty(StatusCode::PAYLOAD_TOO_LARGE);
    }
    let collected = tokio::time::timeout(
        BODY_TIMEOUT,
        Limited::new(incoming, MAX_BODY_BYTES).collect(),
    )
    .await;
    let body = match collected {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(_)) => return empty(StatusCode::PAYLOAD_TOO_LARGE),
        Err(_) => return empty(StatusCode::REQUEST_TIMEOUT),
    };
    if pipeline
        .verifier
        .verify(&parts.headers, &body, unix_now())
        .is_err()
    {
        return empty(StatusCode::UNAUTHORIZED);
    }
    let Ok(_permit) = pipeline.in_flight.try_acquire() else {
        return empty(StatusCode::SERVICE_UNAVAILABLE);
    };
    let Ok(messages) = messages_of(&body) else {
        return empty(StatusCode::BAD_REQUEST);
    };
    if !messages.is_empty() {
        let persisted =
            tokio::time::timeout(PERSIST_TIMEOUT, pipeline.store.persist(INSTANCE, messages)).await;
        if !matches!(persisted, Ok(Ok(_))) {
            return empty(StatusCode::SERVICE_UNAVAILABLE);
        }
    }
    empty(StatusCode::OK)
}
