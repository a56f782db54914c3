//! Every way an API request can be refused, its status, and its log line. Clients
//! get `{"error": "...", "field": "..."}` (the field when one input is at fault);
//! the log gets the reason. Neither repeats message text or conversation ids.

use http::{HeaderValue, Response, StatusCode, header};
use serde_json::json;
use switchboard_store::{BlobError, StoreError};

use crate::api::auth::Refused;
use crate::api::json;
use crate::ingress::response::Body;
use crate::pipeline::error_chain;

/// Seconds a client is asked to wait after a 503.
const RETRY_AFTER_SECS: &str = "5";

#[derive(Debug)]
pub(crate) enum ApiError {
    /// No `[api] token` is configured: the API does not exist.
    Off,
    Unauthorized(Refused),
    /// No such route.
    NoRoute,
    MethodNotAllowed {
        allow: &'static str,
    },
    UnknownInstance(String),
    /// No send with this id.
    UnknownSend,
    UnknownBlob,
    /// One input is wrong; `field` names it.
    BadField {
        field: String,
        error: String,
    },
    /// The body is not what the route takes (not JSON, not an object).
    BadBody(String),
    BodyTooLarge {
        limit: u64,
    },
    BodyTimeout,
    Overloaded(&'static str),
    Store(StoreError),
    Blob(BlobError),
}

impl ApiError {
    pub(crate) fn field(field: impl Into<String>, error: impl Into<String>) -> ApiError {
        ApiError::BadField {
            field: field.into(),
            error: error.into(),
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            ApiError::Off
            | ApiError::NoRoute
            | ApiError::UnknownInstance(_)
            | ApiError::UnknownSend
            | ApiError::UnknownBlob => StatusCode::NOT_FOUND,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::BadField { .. } | ApiError::BadBody(_) => StatusCode::BAD_REQUEST,
            ApiError::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::Overloaded(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Store(e) if e.is_transient() => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Store(_) | ApiError::Blob(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A low-cardinality reason word, for the log.
    fn reason(&self) -> &'static str {
        match self {
            ApiError::Off => "api_off",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::NoRoute => "not_found",
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::UnknownInstance(_) => "unknown_instance",
            ApiError::UnknownSend => "unknown_message",
            ApiError::UnknownBlob => "unknown_blob",
            ApiError::BadField { .. } => "bad_field",
            ApiError::BadBody(_) => "bad_body",
            ApiError::BodyTooLarge { .. } => "body_too_large",
            ApiError::BodyTimeout => "body_timeout",
            ApiError::Overloaded(_) => "overloaded",
            ApiError::Store(_) => "store",
            ApiError::Blob(_) => "blob_store",
        }
    }

    /// What the client is told.
    fn message(&self) -> String {
        match self {
            ApiError::Off | ApiError::NoRoute => "not found".to_owned(),
            ApiError::Unauthorized(_) => "a valid bearer token is required".to_owned(),
            ApiError::MethodNotAllowed { allow } => format!("method not allowed; use {allow}"),
            ApiError::UnknownInstance(name) => format!("no channel instance named {name:?}"),
            ApiError::UnknownSend => "no such message".to_owned(),
            ApiError::UnknownBlob => "no such blob".to_owned(),
            ApiError::BadField { field, error } => format!("{field}: {error}"),
            ApiError::BadBody(error) => error.clone(),
            ApiError::BodyTooLarge { limit } => format!("the body exceeds {limit} bytes"),
            ApiError::BodyTimeout => "the body did not arrive in time".to_owned(),
            ApiError::Overloaded(_) => "temporarily unavailable, retry later".to_owned(),
            ApiError::Store(e) if e.is_transient() => {
                "temporarily unavailable, retry later".to_owned()
            }
            ApiError::Store(_) | ApiError::Blob(_) => "internal error".to_owned(),
        }
    }

    /// What the log is told, which may say more than the client hears.
    fn detail(&self) -> String {
        match self {
            ApiError::Off => "the HTTP API is off: no [api] token is configured".to_owned(),
            ApiError::Unauthorized(refused) => refused.reason().to_owned(),
            ApiError::Overloaded(why) => (*why).to_owned(),
            ApiError::Store(e) => format!("store: {}", error_chain(e)),
            ApiError::Blob(e) => format!("blob store: {}", error_chain(e)),
            _ => self.message(),
        }
    }

    /// Logs the refusal once and builds the response.
    pub(crate) fn into_response(self, route: &str) -> Response<Body> {
        let status = self.status();
        let (reason, detail) = (self.reason(), self.detail());
        if status.is_server_error() {
            tracing::warn!(route, status = status.as_u16(), reason, "api: {detail}");
        } else {
            tracing::info!(route, status = status.as_u16(), reason, "api: {detail}");
        }
        let mut body = json!({ "error": self.message() });
        if let ApiError::BadField { field, .. } = &self {
            body["field"] = json!(field);
        }
        let mut response = json(status, &body);
        let headers = response.headers_mut();
        match &self {
            ApiError::Unauthorized(_) => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"switchboard\""),
                );
            }
            ApiError::MethodNotAllowed { allow } => {
                headers.insert(header::ALLOW, HeaderValue::from_static(allow));
            }
            ApiError::BodyTooLarge { .. } | ApiError::BodyTimeout => {
                // The rest of the body was not read; the connection cannot be reused.
                headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            _ => {}
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            headers.insert(
                header::RETRY_AFTER,
                HeaderValue::from_static(RETRY_AFTER_SECS),
            );
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        ApiError::Store(e)
    }
}

impl From<BlobError> for ApiError {
    fn from(e: BlobError) -> ApiError {
        ApiError::Blob(e)
    }
}
