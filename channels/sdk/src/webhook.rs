//! The webhook request a channel answers.

/// A verified webhook request, field for field the WIT `http-request`.
///
/// It borrows from the request the host handed over, so passing it to the
/// channel's logic copies nothing, not even a large body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Webhook<'a> {
    /// Upper-case method, e.g. `GET` or `POST`.
    pub method: &'a str,
    /// The path below `/webhooks/<instance>`: empty for the webhook URL itself.
    pub path: &'a str,
    /// The raw query string without the leading `?`, still percent-encoded.
    pub query: &'a str,
    /// The request headers, names lower-case, in the order received.
    pub headers: &'a [(String, String)],
    /// The raw body, exactly as received.
    pub body: &'a [u8],
}
