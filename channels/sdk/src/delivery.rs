//! Turning the outcome of an outbound call into the host's retry decision.

use crate::headers::header;

/// Longest slice of an error response body kept in a failure message; API error
/// bodies are short, and the message ends up in logs and dead letters.
const BODY_SNIPPET_CHARS: usize = 300;

/// Why a reply could not be delivered, field for field the WIT `delivery-error`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct DeliveryFailure {
    /// A human-readable reason, kept with the dead letter.
    pub message: String,
    /// True when trying again later may succeed.
    pub retryable: bool,
    /// A delay the platform asked for.
    pub retry_after_secs: Option<u32>,
}

impl DeliveryFailure {
    /// A failure worth retrying (network trouble, 5xx, rate limits).
    pub fn retryable(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            retryable: true,
            retry_after_secs: None,
        }
    }

    /// A failure that will recur on every attempt (bad request, unknown recipient).
    pub fn permanent(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            retryable: false,
            retry_after_secs: None,
        }
    }

    /// Prefixes the message with what was being attempted, e.g. `"send reply"`.
    #[must_use]
    pub fn context(mut self, what: &str) -> Self {
        self.message = format!("{what}: {}", self.message);
        self
    }
}

/// Why `host.http-fetch` produced no response, variant for variant the WIT
/// `fetch-error`, so channels share one retry policy for it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchFailure {
    /// The host refused the request (not granted, unknown secret, limit reached).
    #[error("request denied by the host: {0}")]
    Denied(String),
    /// No complete answer within the timeout.
    #[error("request timed out")]
    Timeout,
    /// Connection, DNS or TLS failure.
    #[error("network error: {0}")]
    Network(String),
    /// The response exceeded the host's response limit.
    #[error("response too large")]
    TooLarge,
    /// The request was malformed.
    #[error("invalid request: {0}")]
    Invalid(String),
}

impl From<FetchFailure> for DeliveryFailure {
    /// Timeouts and network errors are transient. A denial or a malformed request
    /// repeats identically on every retry until the operator changes the grants or
    /// the channel is fixed. An oversized response means the platform did answer,
    /// so the request may already have taken effect and resending could duplicate it.
    fn from(failure: FetchFailure) -> Self {
        let message = failure.to_string();
        match failure {
            FetchFailure::Timeout | FetchFailure::Network(_) => Self::retryable(message),
            FetchFailure::Denied(_) | FetchFailure::TooLarge | FetchFailure::Invalid(_) => {
                Self::permanent(message)
            }
        }
    }
}

/// Accepts a 2xx answer and classifies anything else.
///
/// 408, 429 and 5xx are retryable, with the delay of a `Retry-After` header when
/// present; every other status (other 4xx, and 1xx/3xx, which the host does not
/// follow) is permanent. The message holds the status and the start of the body,
/// which is where platforms put their error description.
pub fn check_response(
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<(), DeliveryFailure> {
    if (200..300).contains(&status) {
        return Ok(());
    }
    let message = format!("http {status}: {}", snippet(body));
    let mut failure = if status == 408 || status == 429 || (500..600).contains(&status) {
        DeliveryFailure::retryable(message)
    } else {
        DeliveryFailure::permanent(message)
    };
    if failure.retryable {
        failure.retry_after_secs = header(headers, "retry-after").and_then(retry_after_secs);
    }
    Err(failure)
}

/// Parses a `Retry-After` value given in seconds; values beyond `u32` saturate.
///
/// The HTTP-date form yields `None` (the host's backoff applies instead): the
/// platforms we talk to send seconds, and a date would need the host clock.
pub fn retry_after_secs(value: &str) -> Option<u32> {
    let value = value.trim();
    if value.is_empty() || !value.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    Some(value.parse::<u32>().unwrap_or(u32::MAX))
}

fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    match text.char_indices().nth(BODY_SNIPPET_CHARS) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn retry_after(value: &str) -> Vec<(String, String)> {
        vec![("Retry-After".to_owned(), value.to_owned())]
    }

    #[test]
    fn success_statuses_pass() {
        for status in [200, 201, 204, 299] {
            assert_eq!(check_response(status, &[], b""), Ok(()));
        }
    }

    #[test]
    fn rate_limit_is_retryable_with_delay() {
        let failure = check_response(429, &retry_after("17"), b"{\"error\":\"slow down\"}")
            .expect_err("429 fails");
        assert!(failure.retryable);
        assert_eq!(failure.retry_after_secs, Some(17));
        assert_eq!(failure.message, "http 429: {\"error\":\"slow down\"}");
    }

    #[test]
    fn server_errors_and_timeouts_are_retryable() {
        for status in [408, 500, 502, 503, 599] {
            let failure = check_response(status, &[], b"").expect_err("fails");
            assert!(failure.retryable, "{status}");
            assert_eq!(failure.retry_after_secs, None);
        }
    }

    #[test]
    fn client_errors_and_redirects_are_permanent() {
        for status in [301, 400, 401, 403, 404, 413, 422] {
            let failure = check_response(status, &retry_after("5"), b"bad").expect_err("fails");
            assert!(!failure.retryable, "{status}");
            assert_eq!(failure.retry_after_secs, None, "{status}");
        }
    }

    #[test]
    fn retry_after_accepts_only_seconds() {
        assert_eq!(retry_after_secs(" 120 "), Some(120));
        assert_eq!(retry_after_secs("0"), Some(0));
        assert_eq!(retry_after_secs("99999999999"), Some(u32::MAX));
        assert_eq!(retry_after_secs("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(retry_after_secs("-1"), None);
        assert_eq!(retry_after_secs(""), None);
    }

    #[test]
    fn long_bodies_are_cut_on_a_char_boundary() {
        let body = "é".repeat(1000);
        let failure = check_response(400, &[], body.as_bytes()).expect_err("fails");
        assert!(failure.message.ends_with("..."));
        assert_eq!(
            failure.message.chars().filter(|&c| c == 'é').count(),
            BODY_SNIPPET_CHARS
        );
    }

    #[test]
    fn fetch_failures_map_to_the_retry_policy() {
        let cases = [
            (FetchFailure::Timeout, true),
            (FetchFailure::Network("dns".to_owned()), true),
            (FetchFailure::Denied("origin not granted".to_owned()), false),
            (FetchFailure::Invalid("bad url".to_owned()), false),
            (FetchFailure::TooLarge, false),
        ];
        for (fetch, retryable) in cases {
            let failure = DeliveryFailure::from(fetch.clone());
            assert_eq!(failure.retryable, retryable, "{fetch:?}");
            assert_eq!(failure.message, fetch.to_string());
        }
    }

    #[test]
    fn context_prefixes_the_message() {
        let failure = DeliveryFailure::permanent("http 400: x").context("send reply");
        assert_eq!(failure.to_string(), "send reply: http 400: x");
    }
}
