use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode, header};
use http_body_util::Full;
use hyper::body::Incoming;

use crate::ingress::body::{self, BodyError};
use crate::ingress::request::webhook_request;
use crate::ingress::response::{Body, Rejection, text};
use crate::metrics::Scraped;
use crate::pipeline::{self, Delivery};
use crate::shared::Shared;

/// Which routes a listener serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Surface {
    /// Webhooks and the admin endpoints on one listener.
    All,
    /// Only `/webhooks/...` (the admin endpoints have their own listener).
    Webhooks,
    /// Only `/healthz`, `/readyz` and `/metrics`.
    Admin,
}

/// Routes one request. Never fails: every outcome is a response.
pub(crate) async fn route(
    shared: Arc<Shared>,
    surface: Surface,
    request: Request<Incoming>,
) -> Response<Body> {
    let path = request.uri().path().to_owned();
    let admin = surface != Surface::Webhooks;
    let webhooks = surface != Surface::Admin;
    match path.as_str() {
        "/healthz" if admin => text(StatusCode::OK, "ok\n"),
        "/readyz" if admin => readyz(&shared).await,
        "/metrics" if admin => metrics(&shared).await,
        _ => match path.strip_prefix("/webhooks/") {
            Some(rest) if webhooks => webhook(&shared, rest, request).await,
            _ => Rejection::NotFound.into_response(),
        },
    }
}

async fn webhook(shared: &Shared, rest: &str, request: Request<Incoming>) -> Response<Body> {
    let started = Instant::now();
    let (name, sub) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let Some(instance) = shared.instance(name) else {
        return reject(shared, Rejection::UnknownInstance(name.to_owned()));
    };
    let (parts, incoming) = request.into_parts();
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > instance.max_body_bytes) {
        return reject(
            shared,
            Rejection::BodyTooLarge {
                instance: name.to_owned(),
                limit: instance.max_body_bytes,
            },
        );
    }
    let body = match body::collect(
        incoming,
        instance.max_body_bytes,
        shared.server.body_timeout,
    )
    .await
    {
        Ok(body) => body,
        Err(BodyError::TooLarge) => {
            return reject(
                shared,
                Rejection::BodyTooLarge {
                    instance: name.to_owned(),
                    limit: instance.max_body_bytes,
                },
            );
        }
        Err(BodyError::Timeout) => {
            return reject(
                shared,
                Rejection::BodyTimeout {
                    instance: name.to_owned(),
                },
            );
        }
        Err(BodyError::Read(error)) => {
            return reject(
                shared,
                Rejection::BodyUnreadable {
                    instance: name.to_owned(),
                    error,
                },
            );
        }
    };
    let request = webhook_request(
        &parts.method,
        sub,
        parts.uri.query().unwrap_or(""),
        &parts.headers,
        body,
    );
    let delivery = Delivery {
        headers: parts.headers,
        request,
    };
    match pipeline::handle(shared, &instance, delivery).await {
        Ok(answer) => {
            instance.metrics.ack(answer.status, started.elapsed());
            guest_response(answer)
        }
        Err(error) => reject(
            shared,
            Rejection::Pipeline {
                instance: name.to_owned(),
                error,
            },
        ),
    }
}

fn reject(shared: &Shared, rejection: Rejection) -> Response<Body> {
    if let Some(instance) = rejection.instance() {
        shared.metrics.rejected(instance, rejection.reason());
    }
    rejection.into_response()
}

fn guest_response(answer: switchboard_runtime::WebhookResponse) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::from(answer.body)));
    *response.status_mut() = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    for (name, value) in answer.headers {
        // Hop-by-hop and framing headers stay under the host's control.
        if matches!(
            name.to_ascii_lowercase().as_str(),
            "content-length" | "transfer-encoding" | "connection"
        ) {
            continue;
        }
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            response.headers_mut().append(name, value);
        }
    }
    response
}

async fn readyz(shared: &Shared) -> Response<Body> {
    if shared.instances().is_empty() {
        return text(
            StatusCode::SERVICE_UNAVAILABLE,
            "no channel instances loaded\n",
        );
    }
    match shared.store.ping_write().await {
        Ok(()) => text(StatusCode::OK, "ready\n"),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check: store is not writable");
            text(StatusCode::SERVICE_UNAVAILABLE, "store not writable\n")
        }
    }
}

async fn metrics(shared: &Shared) -> Response<Body> {
    // Values kept by the store, the runtime and the writer thread, read now.
    let counts = match shared.store.counts().await {
        Ok(counts) => Some(counts),
        Err(e) => {
            tracing::warn!(error = %e, "metrics: cannot read the queue depths from the store");
            None
        }
    };
    let writer = shared.store.stats();
    let mut log_bytes_dropped: Vec<(String, u64)> = shared
        .instances()
        .iter()
        .map(|(name, instance)| (name.clone(), instance.channel.log_bytes_dropped()))
        .collect();
    log_bytes_dropped.sort();
    let scraped = Scraped {
        outbox_pending: counts.as_ref().map(|c| c.replies_pending),
        turns_pending: counts.as_ref().map(|c| c.pending_turns),
        dead_letters: counts.as_ref().map(|c| c.dead_letters),
        hooks_pending: counts.as_ref().map(|c| c.pending_hooks),
        queue_items: vec![
            ("hooks", shared.feeds.hooks.in_memory()),
            ("turns", shared.feeds.turns.in_memory()),
            ("replies", shared.feeds.replies.in_memory()),
        ],
        store_commits: writer.commits,
        store_commands: writer.commands,
        log_bytes_dropped,
    };
    let mut response = Response::new(Full::new(Bytes::from(shared.metrics.render(&scraped))));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}
