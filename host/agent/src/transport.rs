//! The HTTP plumbing the `http` and `openai` agents share: one client per agent, a JSON
//! POST with a bounded response, and the mapping of failures onto [`AgentError`].

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Client, Response, StatusCode};
use serde::Serialize;
use url::Url;

use crate::error::{AgentConfigError, AgentError, BadResponseReason};

/// The most response body an agent reads. Reply texts are a few kilobytes (Telegram
/// and WhatsApp cap them at 4,096 characters); what makes an answer large is files
/// sent inline as base64, so this allows about 24 MiB of them and no more.
const MAX_RESPONSE_BYTES: usize = 32 * 1024 * 1024;

/// How much of an error body is kept for the log.
const BODY_EXCERPT_BYTES: usize = 512;

/// A JSON endpoint and the client that calls it, built once per agent.
pub(crate) struct Endpoint {
    client: Client,
    url: Url,
    /// `url` with its credentials removed, for errors and logs.
    shown: Arc<Url>,
    headers: HeaderMap,
    timeout: Duration,
}

/// A 2xx response body, read in full.
pub(crate) struct Success {
    pub(crate) status: StatusCode,
    pub(crate) body: Vec<u8>,
}

impl Endpoint {
    /// Checks the URL and timeout and builds the client. `headers` go on every request
    /// after `Content-Type`, so an operator can override it.
    pub(crate) fn new(
        url: Url,
        mut headers: HeaderMap,
        timeout: Duration,
    ) -> Result<Self, AgentConfigError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(AgentConfigError::UnsupportedScheme {
                scheme: url.scheme().to_owned(),
                url: redact(&url),
            });
        }
        if timeout.is_zero() {
            return Err(AgentConfigError::ZeroTimeout);
        }
        for value in headers.values_mut() {
            // Keeps the values out of reqwest's own `Debug` output.
            value.set_sensitive(true);
        }
        let client = Client::builder()
            .timeout(timeout)
            // A redirected POST silently becomes a GET for 301-303; an agent endpoint that
            // moved should be reconfigured, so a 3xx is reported as an error instead.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("switchboard/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|source| AgentConfigError::Client { source })?;
        Ok(Endpoint {
            client,
            shown: Arc::new(redact(&url)),
            url,
            headers,
            timeout,
        })
    }

    /// The URL requests go to, with its credentials removed.
    pub(crate) fn shown_url(&self) -> &Url {
        &self.shown
    }

    /// The names of the extra headers, for `Debug` output that must not show values.
    pub(crate) fn header_names(&self) -> Vec<&str> {
        self.headers.keys().map(|name| name.as_str()).collect()
    }

    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// POSTs `body` as JSON and returns the 2xx response body; every other outcome is an
    /// [`AgentError`] with the right retryability.
    pub(crate) async fn post_json<T: Serialize>(&self, body: &T) -> Result<Success, AgentError> {
        let encoded = serde_json::to_vec(body).map_err(|source| AgentError::Encode {
            url: self.shown.clone(),
            source,
        })?;
        let response = self
            .client
            .post(self.url.clone())
            .header(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )
            .header(header::ACCEPT, HeaderValue::from_static("application/json"))
            .headers(self.headers.clone())
            .body(encoded)
            .send()
            .await
            .map_err(|error| self.client_error(error))?;
        let status = response.status();
        if !status.is_success() {
            return Err(self.status_error(response).await);
        }
        let (body, complete) = read_limited(response, MAX_RESPONSE_BYTES)
            .await
            .map_err(|error| self.client_error(error))?;
        if !complete {
            return Err(self.bad_response(BadResponseReason::TooLarge {
                limit: MAX_RESPONSE_BYTES,
            }));
        }
        Ok(Success { status, body })
    }

    /// GETs a file the endpoint serves (a reply's attachment given by URL), with the
    /// endpoint's headers. Only URLs on the endpoint's own origin are fetched: the
    /// daemon does not follow an agent's answer anywhere else. `Ok(None)` for a URL
    /// on another origin.
    pub(crate) async fn get_file(&self, url: &str) -> Result<Option<Vec<u8>>, AgentError> {
        let Ok(url) = self.url.join(url) else {
            return Ok(None);
        };
        if url.origin() != self.url.origin() {
            return Ok(None);
        }
        let response = self
            .client
            .get(url)
            .headers(self.headers.clone())
            .send()
            .await
            .map_err(|error| self.client_error(error))?;
        if !response.status().is_success() {
            return Err(self.status_error(response).await);
        }
        let (body, complete) = read_limited(response, MAX_RESPONSE_BYTES)
            .await
            .map_err(|error| self.client_error(error))?;
        if !complete {
            return Err(self.bad_response(BadResponseReason::TooLarge {
                limit: MAX_RESPONSE_BYTES,
            }));
        }
        Ok(Some(body))
    }

    /// Parses a 2xx body, mapping a mismatch to a non-retryable error.
    pub(crate) fn parse<T: serde::de::DeserializeOwned>(
        &self,
        body: &[u8],
    ) -> Result<T, AgentError> {
        serde_json::from_slice(body)
            .map_err(|source| self.bad_response(BadResponseReason::InvalidJson(source)))
    }

    pub(crate) fn bad_response(&self, reason: BadResponseReason) -> AgentError {
        AgentError::BadResponse {
            url: self.shown.clone(),
            reason,
        }
    }

    fn client_error(&self, error: reqwest::Error) -> AgentError {
        if error.is_timeout() {
            AgentError::Timeout {
                url: self.shown.clone(),
                after: self.timeout,
            }
        } else {
            AgentError::Network {
                url: self.shown.clone(),
                // reqwest would print the full URL, password and query included.
                source: error.without_url(),
            }
        }
    }

    async fn status_error(&self, response: Response) -> AgentError {
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        // The status is the error being reported; a body that cannot be read only
        // shortens the excerpt, so its own error is deliberately dropped.
        let body = match read_limited(response, BODY_EXCERPT_BYTES).await {
            Ok((body, _)) => body,
            Err(_) => Vec::new(),
        };
        AgentError::Status {
            url: self.shown.clone(),
            status,
            body_excerpt: excerpt(&body, BODY_EXCERPT_BYTES),
            retry_after,
        }
    }
}

/// Reads at most `limit` bytes of the body; the flag says whether the body ended
/// within the limit. Stops reading as soon as the limit is passed so that a huge body
/// costs no more than `limit` bytes of memory.
async fn read_limited(
    mut response: Response,
    limit: usize,
) -> Result<(Vec<u8>, bool), reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = limit - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            return Ok((body, false));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body, true))
}

/// The start of a body as text for a log line: lossy UTF-8, cut at `limit` bytes on a
/// character boundary, whitespace collapsed so a multi-line body stays on one line.
fn excerpt(body: &[u8], limit: usize) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(limit)]);
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// The URL without its password and query, both of which operators use for tokens.
pub(crate) fn redact(url: &Url) -> Url {
    let mut shown = url.clone();
    // Fails only for URLs that cannot have credentials, which then have none to hide.
    let _ = shown.set_password(None);
    shown.set_query(None);
    shown.set_fragment(None);
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_removes_password_and_query_but_keeps_the_rest() {
        let url =
            Url::parse("https://bot:s3cret@agent.example:8443/hook?token=abc#x").expect("url");
        assert_eq!(redact(&url).as_str(), "https://bot@agent.example:8443/hook");
    }

    #[test]
    fn excerpt_is_bounded_single_line_and_valid_utf8() {
        assert_eq!(
            excerpt(b"{\n  \"error\": \"bad\"\n}", 512),
            "{ \"error\": \"bad\" }"
        );
        // "é" is two bytes; cutting after the first must not produce invalid text.
        assert_eq!(excerpt("aé".as_bytes(), 2), "a\u{fffd}");
    }
}
