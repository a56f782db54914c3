//! Outbound requests for `host.http-fetch`, with credentials as secret placeholders.

use serde_json::Value;

use crate::headers::Headers;

/// An outbound HTTP request, field for field the WIT `outgoing-request`.
///
/// The host checks it against the operator's grants and replaces every
/// `{{secret:NAME}}` in the URL and header values before sending, so credentials
/// are written with [`secret`] or [`bearer`] and never appear in the guest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Upper-case method.
    pub method: String,
    /// Absolute URL, optionally with secret placeholders.
    pub url: String,
    /// Request headers; values may hold secret placeholders.
    pub headers: Headers,
    /// Request body.
    pub body: Body,
    /// Timeout for the whole exchange; the host caps it at its own maximum.
    pub timeout_ms: Option<u32>,
}

impl Request {
    /// A request with no headers, no body and the host's default timeout.
    pub fn new(method: impl Into<String>, url: impl Into<String>) -> Self {
        Self {
            method: method.into(),
            url: url.into(),
            headers: Vec::new(),
            body: Body::Bytes(Vec::new()),
            timeout_ms: None,
        }
    }

    /// A `POST` of `body` as JSON with `content-type: application/json`.
    pub fn post_json(url: impl Into<String>, body: &Value) -> Self {
        Self {
            headers: vec![("content-type".to_owned(), "application/json".to_owned())],
            // `Display` for `Value` cannot fail, unlike the generic serializer.
            body: Body::Bytes(body.to_string().into_bytes()),
            ..Self::new("POST", url)
        }
    }

    /// A `POST` of a `multipart/form-data` body; the host picks the boundary and
    /// sets the `content-type`.
    pub fn post_multipart(url: impl Into<String>, parts: Vec<FormPart>) -> Self {
        Self {
            body: Body::Multipart(parts),
            ..Self::new("POST", url)
        }
    }

    /// Adds a header (names are conventionally lower-case).
    #[must_use]
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the timeout of the whole exchange.
    #[must_use]
    pub fn timeout_ms(mut self, timeout_ms: u32) -> Self {
        self.timeout_ms = Some(timeout_ms);
        self
    }
}

/// The body of an outbound request; mirrors the WIT `request-body`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// These bytes, as they are.
    Bytes(Vec<u8>),
    /// The content of a stored blob (lower-case hex sha256), streamed by the host.
    Blob(String),
    /// A `multipart/form-data` body assembled by the host.
    Multipart(Vec<FormPart>),
}

impl Body {
    /// The bytes of a [`Body::Bytes`] body; `None` for the kinds the host assembles.
    pub fn bytes(&self) -> Option<&[u8]> {
        match self {
            Body::Bytes(bytes) => Some(bytes),
            Body::Blob(_) | Body::Multipart(_) => None,
        }
    }
}

/// One part of a multipart body; mirrors the WIT `form-part`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormPart {
    /// The form field name.
    pub name: String,
    /// The file name, for a file part.
    pub file_name: Option<String>,
    /// The part's content type.
    pub content_type: Option<String>,
    pub content: PartContent,
}

impl FormPart {
    /// A text field.
    pub fn text(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            file_name: None,
            content_type: None,
            content: PartContent::Text(value.into()),
        }
    }

    /// A file part whose content is a stored blob.
    pub fn blob(
        name: impl Into<String>,
        blob: impl Into<String>,
        file_name: Option<String>,
        content_type: Option<String>,
    ) -> Self {
        Self {
            name: name.into(),
            file_name,
            content_type,
            content: PartContent::Blob(blob.into()),
        }
    }
}

/// The content of one form part; mirrors the WIT `part-content`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartContent {
    Text(String),
    Bytes(Vec<u8>),
    /// A stored blob (lower-case hex sha256).
    Blob(String),
}

/// The placeholder the host replaces with the instance secret `name`:
/// `{{secret:NAME}}`.
pub fn secret(name: &str) -> String {
    format!("{{{{secret:{name}}}}}")
}

/// An `authorization` header value carrying the secret `secret_name` as a bearer
/// token: `Bearer {{secret:NAME}}`.
pub fn bearer(secret_name: &str) -> String {
    format!("Bearer {}", secret(secret_name))
}

/// Joins an API base (a setting such as `https://graph.facebook.com/v23.0`) and a
/// path with exactly one `/` between them, whatever slashes either side carries.
///
/// Operators write bases with and without a trailing slash; a doubled slash would
/// change the path the host's capability check sees.
pub fn join_url(base: &str, path: &str) -> String {
    let base = base.trim_end_matches('/');
    let path = path.trim_start_matches('/');
    if path.is_empty() {
        base.to_owned()
    } else {
        format!("{base}/{path}")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::headers::header;

    #[test]
    fn secret_placeholders_have_the_host_syntax() {
        assert_eq!(secret("bot_token"), "{{secret:bot_token}}");
        assert_eq!(bearer("access_token"), "Bearer {{secret:access_token}}");
    }

    #[test]
    fn post_json_sets_method_content_type_and_body() {
        let body = json!({ "messaging_product": "whatsapp", "text": "héllo" });
        let request = Request::post_json("https://api.example/x", &body)
            .header("authorization", bearer("t"))
            .timeout_ms(5_000);
        assert_eq!(request.method, "POST");
        assert_eq!(request.url, "https://api.example/x");
        assert_eq!(
            header(&request.headers, "content-type"),
            Some("application/json")
        );
        assert_eq!(
            header(&request.headers, "authorization"),
            Some("Bearer {{secret:t}}")
        );
        assert_eq!(request.timeout_ms, Some(5_000));
        let sent: Value =
            serde_json::from_slice(request.body.bytes().expect("bytes")).expect("valid json");
        assert_eq!(sent, body);
    }

    #[test]
    fn join_url_normalises_slashes() {
        let expected = "https://graph.facebook.com/v23.0/123/messages";
        for (base, path) in [
            ("https://graph.facebook.com/v23.0", "123/messages"),
            ("https://graph.facebook.com/v23.0/", "/123/messages"),
            ("https://graph.facebook.com/v23.0//", "123/messages"),
            ("https://graph.facebook.com/v23.0", "/123/messages"),
        ] {
            assert_eq!(join_url(base, path), expected, "{base} + {path}");
        }
        assert_eq!(join_url("https://a.example/", ""), "https://a.example");
    }
}
