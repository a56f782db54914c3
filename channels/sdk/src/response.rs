//! HTTP responses: the one a channel returns from `on-http-request`, and the ones
//! `host.http-fetch` hands back.

use serde_json::Value;

use crate::headers::Headers;

/// An HTTP response, field for field both the WIT `http-response` (what the
/// platform receives from a webhook) and the WIT `incoming-response` (what an
/// outbound call returned).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// Response headers.
    pub headers: Headers,
    /// Response body.
    pub body: Vec<u8>,
}

impl Response {
    /// A response with no headers and an empty body; `Response::empty(200)` is the
    /// usual acknowledgement of a delivery.
    pub fn empty(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A `text/plain` response, e.g. the echo of a subscription challenge.
    pub fn text(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            headers: vec![("content-type".to_owned(), "text/plain".to_owned())],
            body: body.into().into_bytes(),
        }
    }

    /// An `application/json` response carrying `value`.
    pub fn json(status: u16, value: &Value) -> Self {
        Self {
            status,
            headers: vec![("content-type".to_owned(), "application/json".to_owned())],
            // `Display` for `Value` cannot fail, unlike the generic serializer.
            body: value.to_string().into_bytes(),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::headers::header;

    #[test]
    fn text_echoes_the_body_unchanged() {
        let response = Response::text(200, "1158201444");
        assert_eq!(response.status, 200);
        assert_eq!(response.body, b"1158201444");
        assert_eq!(
            header(&response.headers, "content-type"),
            Some("text/plain")
        );
    }

    #[test]
    fn json_round_trips() {
        let value = json!({ "challenge": "3eZbrw1aB", "n": [1, 2] });
        let response = Response::json(200, &value);
        assert_eq!(
            header(&response.headers, "content-type"),
            Some("application/json")
        );
        let parsed: Value = serde_json::from_slice(&response.body).expect("valid json");
        assert_eq!(parsed, value);
    }

    #[test]
    fn empty_has_nothing_but_a_status() {
        assert_eq!(
            Response::empty(400),
            Response {
                status: 400,
                headers: vec![],
                body: vec![]
            }
        );
    }
}
