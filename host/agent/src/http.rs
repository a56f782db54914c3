//! The `http` agent: POSTs each turn as JSON to an operator's URL and sends back the
//! replies in the answer. The wire format is documented on [`HttpAgent`].

use std::fmt;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde::{Deserialize, Serialize};
use switchboard_types::{HistoryEntry, StoredMessage};
use url::Url;

use crate::agent::{Agent, Reply, Turn, role_name};
use crate::error::{AgentConfigError, AgentError};
use crate::rfc3339::format_unix_ms;
use crate::transport::Endpoint;

/// How to reach an operator's HTTP agent.
#[derive(Clone)]
pub struct HttpAgentConfig {
    /// The endpoint each turn is POSTed to; `http` or `https`. Redirects are not followed.
    pub url: Url,
    /// Extra headers sent with every request, as (name, value), typically credentials
    /// such as `("Authorization", "Bearer ...")`. Values never appear in logs or `Debug`.
    pub headers: Vec<(String, String)>,
    /// How long one call may take, from connecting to the last byte of the answer.
    pub timeout: Duration,
    /// How many of the newest history entries to send; 0 sends none.
    pub max_history: usize,
}

impl fmt::Debug for HttpAgentConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("HttpAgentConfig")
            .field("url", &crate::transport::redact(&self.url).as_str())
            .field("headers", &names)
            .field("timeout", &self.timeout)
            .field("max_history", &self.max_history)
            .finish()
    }
}

/// Hands every turn to an operator's HTTP endpoint.
///
/// Request (`POST`, `Content-Type: application/json`, plus the configured headers):
///
/// ```json
/// {"message": {"instance": "telegram", "external_id": "42:7", "conversation_id": "42",
///              "sender_id": "1001", "sender_name": "Ada", "text": "hi", "kind": "text",
///              "received_at": "2024-02-29T12:34:56.789Z"},
///  "history": [{"role": "user", "text": "hello", "at": "2024-02-29T12:30:00.000Z",
///               "sender_name": "Ada"}]}
/// ```
///
/// `sender_name` and `text` may be `null`; `history` is oldest first and holds at most
/// `max_history` entries. Messages without text are sent too, so the endpoint can react
/// to the `kind`.
///
/// Response: a 2xx with `{"replies": [{"text": "..."}]}`. Unknown fields are ignored, an
/// empty list (or a `204 No Content`) means no reply, and replies whose text is empty or
/// missing are skipped.
pub struct HttpAgent {
    endpoint: Endpoint,
    max_history: usize,
}

impl HttpAgent {
    /// Validates the configuration and builds the client every call reuses.
    pub fn new(config: HttpAgentConfig) -> Result<Self, AgentConfigError> {
        let mut headers = HeaderMap::with_capacity(config.headers.len());
        for (name, value) in config.headers {
            let header_name = HeaderName::try_from(name.as_str()).map_err(|source| {
                AgentConfigError::InvalidHeaderName {
                    name: name.clone(),
                    source,
                }
            })?;
            let header_value = HeaderValue::try_from(value)
                .map_err(|source| AgentConfigError::InvalidHeaderValue { name, source })?;
            headers.append(header_name, header_value);
        }
        Ok(HttpAgent {
            endpoint: Endpoint::new(config.url, headers, config.timeout)?,
            max_history: config.max_history,
        })
    }
}

impl fmt::Debug for HttpAgent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpAgent")
            .field("url", &self.endpoint.shown_url().as_str())
            .field("headers", &self.endpoint.header_names())
            .field("timeout", &self.endpoint.timeout())
            .field("max_history", &self.max_history)
            .finish()
    }
}

#[async_trait::async_trait]
impl Agent for HttpAgent {
    async fn respond(&self, turn: &Turn) -> Result<Vec<Reply>, AgentError> {
        let request = WireRequest {
            message: WireMessage::new(&turn.message),
            history: turn
                .recent_history(self.max_history)
                .iter()
                .map(WireHistory::new)
                .collect(),
        };
        let answer = self.endpoint.post_json(&request).await?;
        if answer.status == StatusCode::NO_CONTENT {
            return Ok(Vec::new());
        }
        let parsed: WireResponse = self.endpoint.parse(&answer.body)?;
        let replies: Vec<Reply> = parsed
            .replies
            .into_iter()
            .filter_map(|reply| reply.text.and_then(Reply::from_text))
            .collect();
        tracing::debug!(
            url = %self.endpoint.shown_url(),
            replies = replies.len(),
            "http agent answered"
        );
        Ok(replies)
    }

    fn kind(&self) -> &'static str {
        "http"
    }
}

#[derive(Serialize)]
struct WireRequest<'a> {
    message: WireMessage<'a>,
    history: Vec<WireHistory<'a>>,
}

#[derive(Serialize)]
struct WireMessage<'a> {
    instance: &'a str,
    external_id: &'a str,
    conversation_id: &'a str,
    sender_id: &'a str,
    sender_name: Option<&'a str>,
    text: Option<&'a str>,
    kind: &'static str,
    /// A button press: what the person tapped.
    #[serde(skip_serializing_if = "Option::is_none")]
    button: Option<&'a switchboard_types::ButtonPress>,
    received_at: String,
}

impl<'a> WireMessage<'a> {
    fn new(stored: &'a StoredMessage) -> Self {
        let message = &stored.message;
        WireMessage {
            instance: &stored.instance,
            external_id: &message.external_id,
            conversation_id: &message.conversation_id,
            sender_id: &message.sender_id,
            sender_name: message.sender_name.as_deref(),
            text: message.text.as_deref(),
            kind: message.kind.as_str(),
            button: message.button.as_ref(),
            received_at: format_unix_ms(stored.received_at_ms),
        }
    }
}

#[derive(Serialize)]
struct WireHistory<'a> {
    role: &'static str,
    text: &'a str,
    at: String,
    sender_name: Option<&'a str>,
}

impl<'a> WireHistory<'a> {
    fn new(entry: &'a HistoryEntry) -> Self {
        WireHistory {
            role: role_name(entry.role),
            text: &entry.text,
            at: format_unix_ms(entry.at_ms),
            sender_name: entry.sender_name.as_deref(),
        }
    }
}

#[derive(Deserialize)]
struct WireResponse {
    replies: Vec<WireReply>,
}

#[derive(Deserialize)]
struct WireReply {
    #[serde(default)]
    text: Option<String>,
}
