//! The HTTP API under `/v1/`, on the admin listener only: an agent (or anything the
//! operator trusts) sends a message first, follows it, and reads stored attachments.
//!
//! - `POST /v1/messages`: a send, queued in the outbox and delivered by the reply
//!   queue with its retries and dead letters, in order with the conversation's
//!   replies.
//! - `GET /v1/messages/ID`: where a send stands.
//! - `GET /v1/blobs/SHA256`: a blob from the blob store.
//!
//! Every request needs `Authorization: Bearer <[api] token>`; without a token
//! configured the API does not exist (404, with a log line saying why).

pub(crate) mod auth;
mod blobs;
mod error;
mod input;
mod messages;

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use hyper::body::Incoming;
use serde::Serialize;

use crate::ingress::response::{Body, full};
use crate::shared::Shared;

pub(crate) use auth::ApiToken;

use error::ApiError;

/// Says at start whether the API is served, and if not, why.
pub(crate) fn announce(shared: &Shared, admin_listener: bool) {
    match (&shared.api, admin_listener) {
        (Some(_), true) => {
            tracing::info!("the HTTP API is served on the admin listener under /v1/");
        }
        (Some(_), false) => tracing::warn!(
            "the HTTP API is not served: it lives on server.admin_listen, which is not set"
        ),
        (None, _) => tracing::info!(
            "the HTTP API (/v1/) is off: no [api] token is configured; its routes answer 404"
        ),
    }
}

/// Answers one request under `/v1/` on the admin listener. Never fails: every outcome
/// is a response, and every refusal is logged with its reason.
pub(crate) async fn handle(shared: &Shared, request: Request<Incoming>) -> Response<Body> {
    let path = request.uri().path().to_owned();
    match route(shared, &path, request).await {
        Ok(response) => response,
        Err(error) => error.into_response(&route_name(&path)),
    }
}

async fn route(
    shared: &Shared,
    path: &str,
    request: Request<Incoming>,
) -> Result<Response<Body>, ApiError> {
    let Some(token) = &shared.api else {
        return Err(ApiError::Off);
    };
    // Before anything else, so that nobody without the token learns which routes exist.
    token
        .check(request.headers())
        .map_err(ApiError::Unauthorized)?;
    let method = request.method().clone();
    let rest = path.strip_prefix("/v1/").unwrap_or_default();
    match rest.split_once('/') {
        None if rest == "messages" => {
            if method != Method::POST {
                return Err(ApiError::MethodNotAllowed { allow: "POST" });
            }
            let (parts, incoming) = request.into_parts();
            messages::post(shared, &parts.headers, incoming).await
        }
        Some(("messages", id)) => {
            if method != Method::GET {
                return Err(ApiError::MethodNotAllowed { allow: "GET" });
            }
            messages::get(shared, id).await
        }
        Some(("blobs", sha256)) => {
            if method != Method::GET {
                return Err(ApiError::MethodNotAllowed { allow: "GET" });
            }
            blobs::get(shared, sha256).await
        }
        _ => Err(ApiError::NoRoute),
    }
}

/// The route a path asked for, with ids left out, for the log.
fn route_name(path: &str) -> String {
    let rest = path.strip_prefix("/v1/").unwrap_or_default();
    match rest.split_once('/') {
        None if rest == "messages" => "/v1/messages".to_owned(),
        Some(("messages", _)) => "/v1/messages/ID".to_owned(),
        Some(("blobs", _)) => "/v1/blobs/SHA256".to_owned(),
        _ => "/v1/?".to_owned(),
    }
}

/// A JSON response.
pub(crate) fn json(status: StatusCode, value: &impl Serialize) -> Response<Body> {
    // Maps of strings and numbers: serialising cannot fail.
    let body = serde_json::to_vec(value).unwrap_or_default();
    let mut response = Response::new(full(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_name_the_route_not_the_ids_in_it() {
        assert_eq!(route_name("/v1/messages"), "/v1/messages");
        assert_eq!(route_name("/v1/messages/42"), "/v1/messages/ID");
        assert_eq!(
            route_name(&format!("/v1/blobs/{}", "a".repeat(64))),
            "/v1/blobs/SHA256"
        );
        assert_eq!(route_name("/v1/whatever/else"), "/v1/?");
    }
}
