//! Why an agent could not be built, and why a turn produced no answer.
//!
//! Messages are written for the operator's log. They never contain a header value, an
//! API key or a URL password; URLs are shown with their password and query removed
//! (see [`crate::transport`]), because operators put tokens in either.

use std::sync::Arc;
use std::time::Duration;

use url::Url;

/// An agent configuration that can never work; reported once, at startup.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AgentConfigError {
    /// Only `http` and `https` endpoints can be called.
    #[error("agent url {url} must use http or https, not {scheme}")]
    UnsupportedScheme {
        /// The configured URL, redacted.
        url: Url,
        /// The scheme it uses instead.
        scheme: String,
    },
    /// A zero timeout would fail every call before it starts.
    #[error("agent timeout must be greater than zero")]
    ZeroTimeout,
    /// An OpenAI-compatible server needs to know which model to run.
    #[error("openai agent model must not be empty")]
    EmptyModel,
    /// A temperature that is not a finite, non-negative number.
    #[error("openai agent temperature must be a finite number of at least 0, not {value}")]
    InvalidTemperature {
        /// The configured value.
        value: f32,
    },
    /// An extra header whose name HTTP does not allow.
    #[error("invalid agent header name {name:?}")]
    InvalidHeaderName {
        /// The name as configured.
        name: String,
        /// Why it was rejected.
        #[source]
        source: reqwest::header::InvalidHeaderName,
    },
    /// An extra header whose value cannot be sent (control characters, for example).
    /// The value itself is not shown because headers often carry credentials.
    #[error("the value of agent header {name:?} cannot be sent as an http header value")]
    InvalidHeaderValue {
        /// The header's name.
        name: String,
        /// Why the value was rejected.
        #[source]
        source: reqwest::header::InvalidHeaderValue,
    },
    /// The API key cannot be sent in an `Authorization` header.
    #[error("the openai api key cannot be sent as an http header value")]
    InvalidApiKey {
        /// Why the value was rejected.
        #[source]
        source: reqwest::header::InvalidHeaderValue,
    },
    /// The HTTP client could not be built (for example, no TLS roots could be loaded).
    #[error("could not build the agent http client")]
    Client {
        /// The client builder's error.
        #[source]
        source: reqwest::Error,
    },
}

/// Why an agent produced no replies for a turn.
///
/// URLs are shared with the agent (`Arc`) so that building an error never copies one.
/// [`AgentError::is_retryable`] tells the caller whether the same turn may succeed
/// later; [`AgentError::retry_after`] passes on the server's own hint.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AgentError {
    /// No complete response arrived within the configured timeout.
    #[error("agent request to {url} timed out after {after:?}")]
    Timeout {
        /// The endpoint, redacted.
        url: Arc<Url>,
        /// The configured timeout.
        after: Duration,
    },
    /// The endpoint answered with a status other than 2xx.
    #[error("agent at {url} answered {status}: {body_excerpt}")]
    Status {
        /// The endpoint, redacted.
        url: Arc<Url>,
        /// The HTTP status code.
        status: u16,
        /// The start of the response body, lossily decoded, for the log.
        body_excerpt: String,
        /// The `Retry-After` delay, when the server sent one in seconds.
        retry_after: Option<Duration>,
    },
    /// The request could not be sent or the response could not be read.
    #[error("agent request to {url} failed")]
    Network {
        /// The endpoint, redacted.
        url: Arc<Url>,
        /// The client's error, with its URL removed.
        #[source]
        source: reqwest::Error,
    },
    /// The endpoint answered 2xx with a body that is not what the agent expects.
    #[error("agent at {url} sent an unusable response")]
    BadResponse {
        /// The endpoint, redacted.
        url: Arc<Url>,
        /// What was wrong with it.
        #[source]
        reason: BadResponseReason,
    },
    /// The request body could not be encoded.
    #[error("could not encode the agent request for {url}")]
    Encode {
        /// The endpoint, redacted.
        url: Arc<Url>,
        /// The encoder's error.
        #[source]
        source: serde_json::Error,
    },
}

impl AgentError {
    /// Whether the same turn may succeed if tried again later.
    ///
    /// Timeouts, network errors, 429 and 5xx are retryable: they describe the endpoint's
    /// state, not the request. Everything else (other 4xx, 3xx since redirects are not
    /// followed, and unusable bodies) would fail the same way again.
    pub fn is_retryable(&self) -> bool {
        match self {
            AgentError::Timeout { .. } | AgentError::Network { .. } => true,
            AgentError::Status { status, .. } => *status == 429 || (500..600).contains(status),
            AgentError::BadResponse { .. } | AgentError::Encode { .. } => false,
        }
    }

    /// How long the server asked the caller to wait before trying again, if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            AgentError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// What was wrong with a 2xx response body.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BadResponseReason {
    /// The body is not JSON of the expected shape.
    #[error("the body is not the expected json")]
    InvalidJson(#[source] serde_json::Error),
    /// The body is larger than the agent is willing to read.
    #[error("the body exceeds {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// A chat completion with an empty `choices` list.
    #[error("the completion has no choices")]
    NoChoices,
    /// An attachment in the answer is unusable; the message names the field.
    #[error("{0}")]
    Attachment(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: u16) -> AgentError {
        AgentError::Status {
            url: Arc::new(Url::parse("http://127.0.0.1/").expect("valid url")),
            status: code,
            body_excerpt: String::new(),
            retry_after: None,
        }
    }

    #[test]
    fn rate_limits_and_server_errors_are_retryable() {
        for code in [429, 500, 502, 503, 504, 599] {
            assert!(status(code).is_retryable(), "{code} should be retryable");
        }
    }

    #[test]
    fn client_errors_and_redirects_are_not_retryable() {
        for code in [300, 301, 308, 400, 401, 403, 404, 413, 422] {
            assert!(
                !status(code).is_retryable(),
                "{code} should not be retryable"
            );
        }
    }
}
