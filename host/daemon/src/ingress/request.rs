//! Builds the channel's view of a request, once, from the parsed HTTP request.

use bytes::Bytes;
use http::HeaderMap;
use switchboard_runtime::WebhookRequest;

/// The request as a channel sees it. The body is shared with the received one, not
/// copied; header values that are not UTF-8 are passed lossily (platforms send
/// ASCII), and the ingress keeps the exact header map for verification.
pub(crate) fn webhook_request(
    method: &http::Method,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    body: Bytes,
) -> WebhookRequest {
    WebhookRequest {
        method: method.as_str().to_owned(),
        path: path.to_owned(),
        query: query.to_owned(),
        headers: headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body,
    }
}
