use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode, header};
use http_body_util::Full;
use hyper::body::Incoming;

use crate::ingress::body::{self, BodyError};
use crate::ingress::response::{Body, Rejection, text};
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
    let delivery = Delivery {
        method: parts.method,
        rest: sub.to_owned(),
        query: parts.uri.query().unwrap_or("").to_owned(),
        headers: parts.headers,
        body,
    };
    match pipeline::handle(shared, &instance, delivery).await {
        Ok(answer) => {
            shared.metrics.ack(name, answer.status, started.elapsed());
            guest_response(answer)
        }
        Err(rejection) => reject(shared, rejection),
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
    if let Ok(counts) = shared.store.counts().await {
        shared
            .metrics
            .set_gauge("switchboard_outbox_pending", counts.replies_pending as i64);
        shared
            .metrics
            .set_gauge("switchboard_turns_pending", counts.pending_turns as i64);
        shared
            .metrics
            .set_gauge("switchboard_dead_letters", counts.dead_letters as i64);
    }
    // Counters kept by the runtime and the writer thread; copied in at scrape time.
    for (name, instance) in shared.instances().iter() {
        let dropped = instance.channel.log_bytes_dropped();
        shared
            .metrics
            .set_for_instance("switchboard_guest_log_bytes_dropped_total", name, dropped);
    }
    let writer = shared.store.stats();
    shared.metrics.set_gauge(
        "switchboard_store_commits_total",
        i64::try_from(writer.commits).unwrap_or(i64::MAX),
    );
    shared.metrics.set_gauge(
        "switchboard_store_commands_total",
        i64::try_from(writer.commands).unwrap_or(i64::MAX),
    );
    let mut response = Response::new(Full::new(Bytes::from(shared.metrics.render())));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}
