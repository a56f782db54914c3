//! The `http` agent: POSTs each turn as JSON to an operator's URL and sends back the
//! replies in the answer. The wire format is documented on [`HttpAgent`].

use std::fmt;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde::{Deserialize, Serialize};
use switchboard_types::{AttachmentKind, HistoryEntry, StoredMessage};
use url::Url;

use crate::agent::{Agent, Reply, ReplyAttachment, Turn, TurnAttachment, role_name};
use crate::error::{AgentConfigError, AgentError, BadResponseReason};
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
            attachments: turn.attachments.iter().map(WireAttachment::new).collect(),
            history: turn
                .recent_history(self.max_history)
                .iter()
                .map(WireHistory::new)
                .collect(),
        };
        let answer = self.endpoint.post_json(&request).await?;
        // 202: the agent took the turn and will post its answers later
        // (`POST /v1/messages`).
        if answer.status == StatusCode::NO_CONTENT
            || (answer.status == StatusCode::ACCEPTED && answer.body.trim_ascii().is_empty())
        {
            return Ok(Vec::new());
        }
        let parsed: WireResponse = self.endpoint.parse(&answer.body)?;
        let mut replies = Vec::with_capacity(parsed.replies.len());
        for reply in parsed.replies {
            let mut attachments = Vec::with_capacity(reply.attachments.len());
            for (i, a) in reply.attachments.into_iter().enumerate() {
                attachments.push(a.resolve(i, &self.endpoint).await?);
            }
            let text = reply.text.unwrap_or_default();
            if text.trim().is_empty() && attachments.is_empty() {
                continue;
            }
            replies.push(Reply { text, attachments });
        }
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
    /// Left out when the message has none, so the documented request is unchanged.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attachments: Vec<WireAttachment<'a>>,
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
    #[serde(default)]
    attachments: Vec<WireReplyAttachment>,
}

#[derive(Serialize)]
struct WireAttachment<'a> {
    kind: &'static str,
    mime_type: Option<&'a str>,
    size: Option<u64>,
    file_name: Option<&'a str>,
    caption: Option<&'a str>,
    sha256: Option<&'a str>,
    state: &'static str,
    url: Option<&'a str>,
}

impl<'a> WireAttachment<'a> {
    fn new(a: &'a TurnAttachment) -> Self {
        let stored = &a.stored;
        WireAttachment {
            kind: stored.attachment.kind.as_str(),
            mime_type: stored.attachment.mime_type.as_deref(),
            size: stored.stored_size.or(stored.attachment.size),
            file_name: stored.attachment.file_name.as_deref(),
            caption: stored.attachment.caption.as_deref(),
            sha256: stored.sha256.as_deref(),
            state: stored.state.as_str(),
            url: a.url.as_deref(),
        }
    }
}

/// A file in an agent's answer: its content inline (base64), or a URL on the agent's
/// own origin to fetch it from.
#[derive(Deserialize)]
struct WireReplyAttachment {
    kind: String,
    mime_type: String,
    #[serde(default)]
    file_name: Option<String>,
    #[serde(default)]
    caption: Option<String>,
    #[serde(default)]
    data_base64: Option<String>,
    #[serde(default)]
    url: Option<String>,
}

impl WireReplyAttachment {
    async fn resolve(
        self,
        index: usize,
        endpoint: &Endpoint,
    ) -> Result<ReplyAttachment, AgentError> {
        use base64::Engine as _;
        let bad = |why: String| endpoint.bad_response(BadResponseReason::Attachment(why));
        let kind = AttachmentKind::parse(&self.kind).ok_or_else(|| {
            bad(format!(
                "attachments[{index}].kind {:?} is not one of image, audio, voice, video, document, sticker, other",
                self.kind
            ))
        })?;
        let content = match (self.data_base64, self.url) {
            (Some(data), None) => base64::engine::general_purpose::STANDARD
                .decode(data.as_bytes())
                .map_err(|e| {
                    bad(format!(
                        "attachments[{index}].data_base64 is not base64: {e}"
                    ))
                })?,
            (None, Some(url)) => endpoint.get_file(&url).await?.ok_or_else(|| {
                bad(format!(
                    "attachments[{index}].url is not on the agent's own origin"
                ))
            })?,
            _ => {
                return Err(bad(format!(
                    "attachments[{index}] needs exactly one of data_base64 and url"
                )));
            }
        };
        Ok(ReplyAttachment {
            kind,
            mime_type: self.mime_type,
            file_name: self.file_name,
            caption: self.caption,
            content,
        })
    }
}
