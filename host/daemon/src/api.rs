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
use http::{HeaderValue, Request, Response, StatusCode, header};
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
    let route = Route::parse(&path);
    match serve(shared, route, request).await {
        Ok(response) => response,
        Err(error) => error.into_response(route.name()),
    }
}

/// What a path under `/v1/` asks for, parsed once for the handler and the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route<'a> {
    Messages,
    Message(&'a str),
    Blob(&'a str),
    Unknown,
}

impl<'a> Route<'a> {
    fn parse(path: &'a str) -> Route<'a> {
        let rest = path.strip_prefix("/v1/").unwrap_or_default();
        match rest.split_once('/') {
            None if rest == "messages" => Route::Messages,
            Some(("messages", id)) => Route::Message(id),
            Some(("blobs", sha256)) => Route::Blob(sha256),
            _ => Route::Unknown,
        }
    }

    /// The route with ids left out, for the log.
    fn name(self) -> &'static str {
        match self {
            Route::Messages => "/v1/messages",
            Route::Message(_) => "/v1/messages/ID",
            Route::Blob(_) => "/v1/blobs/SHA256",
            Route::Unknown => "/v1/?",
        }
    }
}

async fn serve(
    shared: &Shared,
    route: Route<'_>,
    request: Request<Incoming>,
) -> Result<Response<Body>, ApiError> {
    let Some(token) = &shared.api else {
        return Err(ApiError::Off);
    };
    // Before anything else, so that nobody without the token learns which routes exist.
    token
        .check(request.headers())
        .map_err(ApiError::Unauthorized)?;
    let allow = match route {
        Route::Messages => "POST",
        Route::Message(_) | Route::Blob(_) => "GET",
        Route::Unknown => return Err(ApiError::NoRoute),
    };
    if request.method().as_str() != allow {
        return Err(ApiError::MethodNotAllowed { allow });
    }
    match route {
        Route::Messages => {
            let (parts, incoming) = request.into_parts();
            messages::post(shared, &parts.headers, incoming).await
        }
        Route::Message(id) => messages::get(shared, id).await,
        Route::Blob(sha256) => blobs::get(shared, sha256).await,
        Route::Unknown => Err(ApiError::NoRoute),
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
        let route_name = |path: &str| Route::parse(path).name();
        assert_eq!(route_name("/v1/messages"), "/v1/messages");
        assert_eq!(route_name("/v1/messages/42"), "/v1/messages/ID");
        assert_eq!(
            route_name(&format!("/v1/blobs/{}", "a".repeat(64))),
            "/v1/blobs/SHA256"
        );
        assert_eq!(route_name("/v1/whatever/else"), "/v1/?");
    }
}
