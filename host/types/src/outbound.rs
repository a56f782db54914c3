use std::fmt;

/// Header fields as (lower-case name, value) pairs, in order.
pub type Headers = Vec<(String, String)>;

/// An outbound HTTP request a channel asked the host to perform. URL and header
/// values may still contain `{{secret:NAME}}` placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingRequest {
    pub method: String,
    pub url: String,
    pub headers: Headers,
    pub body: Vec<u8>,
    pub timeout_ms: Option<u32>,
}

/// The answer to an [`OutgoingRequest`], with any secret value already redacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingResponse {
    pub status: u16,
    pub headers: Headers,
    pub body: Vec<u8>,
}

/// Why an outbound request produced no response (mirrors the WIT `fetch-error`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchError {
    /// Refused by policy; the text says which rule.
    Denied(String),
    Timeout,
    Network(String),
    TooLarge,
    Invalid(String),
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetchError::Denied(why) => write!(f, "denied: {why}"),
            FetchError::Timeout => f.write_str("timed out"),
            FetchError::Network(why) => write!(f, "network error: {why}"),
            FetchError::TooLarge => f.write_str("response too large"),
            FetchError::Invalid(why) => write!(f, "invalid request: {why}"),
        }
    }
}

impl std::error::Error for FetchError {}
