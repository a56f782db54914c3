//! The one place where failures become HTTP statuses, and where each rejection is
//! logged with its reason. Clients get a short generic body; the log gets the detail.

use crate::pipeline::PipelineError;
use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt as _, Full};

/// Every response body: most are whole, a blob is streamed from its file.
pub(crate) type Body = UnsyncBoxBody<Bytes, std::io::Error>;

/// A body of `bytes`, whole.
pub(crate) fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// Seconds a client is asked to wait after a 503.
const RETRY_AFTER_SECS: &str = "5";

/// Why a request was not handed to (or not answered by) a channel.
#[derive(Debug)]
pub(crate) enum Rejection {
    NotFound,
    /// `/readyz` or `/metrics` asked of the public listener.
    AdminOnly(String),
    UnknownInstance(String),
    /// The pipeline refused or could not store the delivery.
    Pipeline {
        instance: String,
        error: PipelineError,
    },
    BodyTooLarge {
        instance: String,
        limit: u64,
    },
    BodyTimeout {
        instance: String,
    },
    BodyUnreadable {
        instance: String,
        error: String,
    },
}

impl Rejection {
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            Rejection::NotFound | Rejection::AdminOnly(_) | Rejection::UnknownInstance(_) => {
                StatusCode::NOT_FOUND
            }
            Rejection::Pipeline { error, .. } => match error {
                PipelineError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
                PipelineError::NoWebhook => StatusCode::NOT_FOUND,
                PipelineError::BadSignature(_) => StatusCode::UNAUTHORIZED,
                PipelineError::HandshakeFailed(_) => StatusCode::FORBIDDEN,
                PipelineError::Overloaded(_) | PipelineError::StoreUnavailable(_) => {
                    StatusCode::SERVICE_UNAVAILABLE
                }
            },
            Rejection::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Rejection::BodyTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
            Rejection::BodyUnreadable { .. } => StatusCode::BAD_REQUEST,
        }
    }

    /// A low-cardinality reason label, for logs and metrics.
    pub(crate) fn reason(&self) -> &'static str {
        match self {
            Rejection::NotFound => "not_found",
            Rejection::AdminOnly(_) => "admin_only",
            Rejection::UnknownInstance(_) => "unknown_instance",
            Rejection::Pipeline { error, .. } => match error {
                PipelineError::MethodNotAllowed(_) => "method_not_allowed",
                PipelineError::NoWebhook => "not_a_webhook_instance",
                PipelineError::BadSignature(error) => error.reason_label(),
                PipelineError::HandshakeFailed(_) => "bad_handshake",
                PipelineError::Overloaded(_) => "overloaded",
                PipelineError::StoreUnavailable(_) => "store_unavailable",
            },
            Rejection::BodyTooLarge { .. } => "body_too_large",
            Rejection::BodyTimeout { .. } => "body_timeout",
            Rejection::BodyUnreadable { .. } => "body_unreadable",
        }
    }

    pub(crate) fn instance(&self) -> Option<&str> {
        match self {
            Rejection::NotFound | Rejection::AdminOnly(_) => None,
            Rejection::UnknownInstance(i)
            | Rejection::Pipeline { instance: i, .. }
            | Rejection::BodyTooLarge { instance: i, .. }
            | Rejection::BodyTimeout { instance: i }
            | Rejection::BodyUnreadable { instance: i, .. } => Some(i),
        }
    }

    fn detail(&self) -> String {
        match self {
            Rejection::NotFound => "no such route".to_owned(),
            Rejection::AdminOnly(path) => {
                format!("{path} is served only on the admin listener; set server.admin_listen")
            }
            Rejection::UnknownInstance(i) => format!("no channel instance named {i:?}"),
            // With its causes: "malformed signature in header x: 130 hex digits,
            // expected 128" says more than the first line alone.
            Rejection::Pipeline { error, .. } => crate::pipeline::error_chain(error),
            Rejection::BodyTooLarge { limit, .. } => {
                format!("body exceeds the limit of {limit} bytes")
            }
            Rejection::BodyTimeout { .. } => "client did not send the body in time".to_owned(),
            Rejection::BodyUnreadable { error, .. } => format!("cannot read body: {error}"),
        }
    }

    /// Logs the rejection once and builds the response.
    pub(crate) fn into_response(self) -> Response<Body> {
        let status = self.status();
        let instance = self.instance().unwrap_or("-");
        let detail = self.detail();
        let reason = self.reason();
        if status.is_server_error() {
            tracing::warn!(instance, status = status.as_u16(), reason, "{detail}");
        } else {
            tracing::info!(instance, status = status.as_u16(), reason, "{detail}");
        }
        let body = match status {
            StatusCode::UNAUTHORIZED => "unauthorized\n",
            StatusCode::FORBIDDEN => "forbidden\n",
            StatusCode::NOT_FOUND => "not found\n",
            StatusCode::METHOD_NOT_ALLOWED => "method not allowed\n",
            StatusCode::PAYLOAD_TOO_LARGE => "payload too large\n",
            StatusCode::REQUEST_TIMEOUT => "request timeout\n",
            StatusCode::SERVICE_UNAVAILABLE => "service unavailable, retry later\n",
            _ => "bad request\n",
        };
        let mut response = text(status, body);
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from_static(RETRY_AFTER_SECS),
            );
        }
        if matches!(
            self,
            Rejection::BodyTooLarge { .. } | Rejection::BodyTimeout { .. }
        ) {
            // The rest of the body was not read; the connection cannot be reused.
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}

/// A plain-text response.
pub(crate) fn text(status: StatusCode, body: &'static str) -> Response<Body> {
    let mut response = Response::new(full(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}
