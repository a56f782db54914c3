use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode, header};
use hyper::body::Incoming;

use crate::api;
use crate::ingress::body::{self, BodyError};
use crate::ingress::request::webhook_request;
use crate::ingress::response::{Body, Rejection, full, text};
use crate::metrics::Scraped;
use crate::pipeline::{self, Delivery, PipelineError};
use crate::shared::Shared;

/// Which routes a listener serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Surface {
    /// Only `/webhooks/...`: the admin endpoints have their own listener.
    Webhooks,
    /// `/webhooks/...` and `/healthz`, when there is no admin listener. `/readyz` and
    /// `/metrics` read the store and tell about the deployment, so the public listener
    /// never serves them.
    WebhooksAndHealth,
    /// `/healthz`, `/readyz`, `/metrics` and the HTTP API (`/v1/`), on
    /// `server.admin_listen`.
    Admin,
}

/// Routes one request. Never fails: every outcome is a response.
pub(crate) async fn route(
    shared: Arc<Shared>,
    surface: Surface,
    request: Request<Incoming>,
) -> Response<Body> {
    let path = request.uri().path().to_owned();
    let admin = surface == Surface::Admin;
    match path.as_str() {
        "/healthz" if surface != Surface::Webhooks => text(StatusCode::OK, "ok\n"),
        "/readyz" if admin => readyz(&shared).await,
        "/metrics" if admin => metrics(&shared).await,
        "/readyz" | "/metrics" if surface == Surface::WebhooksAndHealth => {
            Rejection::AdminOnly(path).into_response()
        }
        _ if path.starts_with("/v1/") => match surface {
            Surface::Admin => api::handle(&shared, request).await,
            // The API sends messages as the operator: never on the public listener.
            Surface::WebhooksAndHealth => Rejection::AdminOnly(path).into_response(),
            Surface::Webhooks => Rejection::NotFound.into_response(),
        },
        _ => match path.strip_prefix("/webhooks/") {
            Some(rest) if !admin => webhook(&shared, rest, request).await,
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
    let query = parts.uri.query().unwrap_or("");
    let refused = |error| {
        reject(
            shared,
            Rejection::Pipeline {
                instance: name.to_owned(),
                error,
            },
        )
    };
    // Method, handshake and header-only verification first: a request that can never
    // verify costs no body read and no memory.
    if let Err(error) =
        pipeline::check_before_body(shared, &instance, &parts.method, query, &parts.headers)
    {
        return refused(error);
    }
    if body::declared_length(&parts.headers).is_some_and(|len| len > instance.max_body_bytes) {
        return reject(
            shared,
            Rejection::BodyTooLarge {
                instance: name.to_owned(),
                limit: instance.max_body_bytes,
            },
        );
    }
    // The body's share of the memory budget is held until the answer.
    let (_budget, body) = if parts.method == http::Method::GET {
        // A handshake carries nothing in a body; it is not read.
        (None, Bytes::new())
    } else {
        let read = body::read(
            &shared.body_budget,
            &parts.headers,
            incoming,
            instance.max_body_bytes,
            shared.server.body_timeout,
        )
        .await;
        let instance_name = name.to_owned();
        match read {
            Ok((share, body)) => (Some(share), body),
            Err(BodyError::OverBudget) => {
                return refused(PipelineError::Overloaded(
                    "request bodies in memory are at server.body_budget_mb",
                ));
            }
            Err(BodyError::TooLarge) => {
                return reject(
                    shared,
                    Rejection::BodyTooLarge {
                        instance: instance_name,
                        limit: instance.max_body_bytes,
                    },
                );
            }
            Err(BodyError::Timeout) => {
                return reject(
                    shared,
                    Rejection::BodyTimeout {
                        instance: instance_name,
                    },
                );
            }
            Err(BodyError::Read(error)) => {
                return reject(
                    shared,
                    Rejection::BodyUnreadable {
                        instance: instance_name,
                        error,
                    },
                );
            }
        }
    };
    let request = webhook_request(&parts.method, sub, query, &parts.headers, body);
    let delivery = Delivery {
        headers: parts.headers,
        request,
    };
    match pipeline::handle(shared, &instance, delivery).await {
        Ok(answer) => {
            let response = guest_response(name, answer);
            instance
                .metrics
                .ack(response.status().as_u16(), started.elapsed());
            response
        }
        Err(error) => refused(error),
    }
}

fn reject(shared: &Shared, rejection: Rejection) -> Response<Body> {
    if let Some(instance) = rejection.instance() {
        shared.metrics.rejected(instance, rejection.reason());
    }
    rejection.into_response()
}

/// Headers that describe one hop of a connection, not the answer; hyper and the
/// host own them. `connection` may name more (RFC 9110, 7.6.1).
const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// The guest's answer as an HTTP response. The host keeps the connection's framing:
/// hop-by-hop headers (and those `connection` names) and `content-length` are
/// dropped, and a status outside 200–599 (a `101` would hand the socket over) becomes
/// 500, with a log line.
fn guest_response(instance: &str, answer: switchboard_runtime::WebhookResponse) -> Response<Body> {
    let mut response = Response::new(full(Bytes::from(answer.body)));
    *response.status_mut() = match StatusCode::from_u16(answer.status) {
        Ok(status) if (200..=599).contains(&status.as_u16()) => status,
        _ => {
            tracing::warn!(
                instance,
                status = answer.status,
                "the channel answered with a status outside 200-599; sending 500"
            );
            StatusCode::INTERNAL_SERVER_ERROR
        }
    };
    let headers = &answer.headers;
    let named_by_connection = |name: &str| {
        headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("connection"))
            .flat_map(|(_, value)| value.split(','))
            .any(|token| token.trim().eq_ignore_ascii_case(name))
    };
    for (name, value) in headers {
        let hop = name.eq_ignore_ascii_case("content-length")
            || HOP_BY_HOP.iter().any(|h| name.eq_ignore_ascii_case(h))
            || named_by_connection(name);
        if hop {
            tracing::debug!(instance, header = %name, "dropped a hop-by-hop header from the channel's answer");
            continue;
        }
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
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
    let counts = match shared.store.queue_depths().await {
        Ok(counts) => Some(counts),
        Err(e) => {
            tracing::warn!(error = %e, "metrics: cannot read the queue depths from the store");
            None
        }
    };
    let state = match shared.store.state_usage().await {
        Ok(usage) => Some(
            usage
                .into_iter()
                .map(|(name, usage)| (name, usage.keys, usage.bytes))
                .collect(),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "metrics: cannot read the state usage from the store");
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
            ("downloads", shared.feeds.downloads.in_memory()),
        ],
        store_commits: writer.commits,
        body_bytes_in_use: shared.body_budget.in_use(),
        store_commands: writer.commands,
        log_bytes_dropped,
        state,
    };
    let mut response = Response::new(full(Bytes::from(shared.metrics.render(&scraped))));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}
