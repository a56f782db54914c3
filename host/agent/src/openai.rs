//! The `openai` agent: asks an OpenAI-compatible chat-completions endpoint (OpenAI, or a
//! local server such as llama.cpp, vLLM or Ollama) for one reply per message.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use reqwest::header::{self, HeaderMap, HeaderValue};
use serde::{Deserialize, Serialize};
use switchboard_types::{AttachmentKind, AttachmentState, HistoryEntry, StoredAttachment};
use url::Url;

use crate::agent::{Agent, Reply, Turn, TurnAttachment, attachment_facts, role_name};
use crate::error::{AgentConfigError, AgentError, BadResponseReason};
use crate::transport::{Endpoint, redact};

/// How to reach an OpenAI-compatible chat-completions API.
#[derive(Clone)]
pub struct OpenAiConfig {
    /// The API root up to and including its version, with or without a trailing slash:
    /// `https://api.openai.com/v1` or `http://127.0.0.1:8000/v1`. Requests go to
    /// `{base_url}/chat/completions`; a query string is kept.
    pub base_url: Url,
    /// The model name sent with every request, as the server knows it.
    pub model: String,
    /// Sent as `Authorization: Bearer <api_key>`; `None` or an empty key sends no
    /// `Authorization` header, as local servers usually need. Never logged.
    pub api_key: Option<String>,
    /// Instructions sent first, as a `system` message, on every request.
    pub system_prompt: Option<String>,
    /// How many of the newest non-empty history entries to send as earlier turns.
    pub max_history: usize,
    /// How long one call may take, from connecting to the last byte of the answer.
    /// Generation is slow, so this is typically tens of seconds.
    pub timeout: Duration,
    /// Sampling temperature; `None` leaves the server's default.
    pub temperature: Option<f32>,
    /// The model takes images: stored image attachments go to it as image parts
    /// (data URLs). Without it, and for other kinds, attachments are described in
    /// text.
    pub vision: bool,
}

impl fmt::Debug for OpenAiConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAiConfig")
            .field("base_url", &redact(&self.base_url).as_str())
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("system_prompt", &self.system_prompt)
            .field("max_history", &self.max_history)
            .field("timeout", &self.timeout)
            .field("temperature", &self.temperature)
            .finish()
    }
}

/// Answers each text message with one chat completion.
///
/// The request holds the system prompt (if any), then the recent history as `user` and
/// `assistant` turns, then the message as the last `user` turn. The reply is
/// `choices[0].message.content`; an empty or `null` content (a model that chose to call
/// a tool, say) means no reply. Attachments are described in text, or with `vision`
/// a stored image goes as an image part; a message with neither text nor attachments
/// is not sent at all.
pub struct OpenAiAgent {
    endpoint: Endpoint,
    model: String,
    system_prompt: Option<String>,
    max_history: usize,
    temperature: Option<f32>,
    vision: bool,
    has_api_key: bool,
}

impl OpenAiAgent {
    /// Validates the configuration and builds the client every call reuses.
    pub fn new(config: OpenAiConfig) -> Result<Self, AgentConfigError> {
        if config.model.trim().is_empty() {
            return Err(AgentConfigError::EmptyModel);
        }
        if let Some(value) = config.temperature
            && !(value.is_finite() && value >= 0.0)
        {
            return Err(AgentConfigError::InvalidTemperature { value });
        }
        let mut headers = HeaderMap::new();
        let api_key = config.api_key.filter(|key| !key.is_empty());
        if let Some(key) = &api_key {
            let value = HeaderValue::try_from(format!("Bearer {key}"))
                .map_err(|source| AgentConfigError::InvalidApiKey { source })?;
            headers.insert(header::AUTHORIZATION, value);
        }
        Ok(OpenAiAgent {
            endpoint: Endpoint::new(completions_url(config.base_url)?, headers, config.timeout)?,
            model: config.model,
            system_prompt: config.system_prompt.filter(|p| !p.trim().is_empty()),
            max_history: config.max_history,
            temperature: config.temperature,
            vision: config.vision,
            has_api_key: api_key.is_some(),
        })
    }
}

/// `{base_url}/chat/completions`, whether or not `base_url` ends with a slash.
/// `Url::join` would drop the last segment of `.../v1`, so segments are pushed instead.
fn completions_url(mut base_url: Url) -> Result<Url, AgentConfigError> {
    let unsupported = AgentConfigError::UnsupportedScheme {
        url: redact(&base_url),
        scheme: base_url.scheme().to_owned(),
    };
    // Only URLs such as `mailto:` have no path segments, and those are not http.
    let Ok(mut segments) = base_url.path_segments_mut() else {
        return Err(unsupported);
    };
    segments.pop_if_empty().extend(["chat", "completions"]);
    drop(segments);
    Ok(base_url)
}

impl fmt::Debug for OpenAiAgent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAiAgent")
            .field("url", &self.endpoint.shown_url().as_str())
            .field("model", &self.model)
            .field("api_key", &self.has_api_key.then_some("<redacted>"))
            .field("system_prompt", &self.system_prompt.is_some())
            .field("max_history", &self.max_history)
            .field("timeout", &self.endpoint.timeout())
            .field("temperature", &self.temperature)
            .finish()
    }
}

#[async_trait::async_trait]
impl Agent for OpenAiAgent {
    async fn respond(&self, turn: &Turn) -> Result<Vec<Reply>, AgentError> {
        let text = turn.message.message.text_for_agent().unwrap_or_default();
        let user = self.user_content(text, &turn.attachments).await;
        let Some(user) = user else {
            return Ok(Vec::new());
        };
        let request = ChatRequest {
            model: &self.model,
            messages: self.messages(&turn.history, user),
            temperature: self.temperature,
        };
        let answer = self.endpoint.post_json(&request).await?;
        let completion: ChatResponse = self.endpoint.parse(&answer.body)?;
        let Some(choice) = completion.choices.into_iter().next() else {
            return Err(self.endpoint.bad_response(BadResponseReason::NoChoices));
        };
        let replies: Vec<Reply> = choice
            .message
            .content
            .and_then(Reply::from_text)
            .into_iter()
            .collect();
        tracing::debug!(
            url = %self.endpoint.shown_url(),
            model = %self.model,
            replies = replies.len(),
            "openai agent answered"
        );
        Ok(replies)
    }

    fn kind(&self) -> &'static str {
        "openai"
    }
}

impl OpenAiAgent {
    /// What the person sent: the text, each attachment described in text, and with
    /// `vision` each stored image as an image part. `None` when there is nothing.
    async fn user_content<'a>(
        &self,
        text: &'a str,
        attachments: &[TurnAttachment],
    ) -> Option<Content<'a>> {
        let mut described = Vec::new();
        let mut images = Vec::new();
        for a in attachments {
            let stored = &a.stored;
            let image = self.vision
                && stored.attachment.kind == AttachmentKind::Image
                && stored.state == AttachmentState::Stored;
            if image
                && let Some(path) = &a.path
                && stored
                    .stored_size
                    .is_some_and(|size| size <= MAX_IMAGE_BYTES)
                && let Ok(bytes) = tokio::fs::read(path).await
            {
                use base64::Engine as _;
                let mime = stored
                    .attachment
                    .mime_type
                    .as_deref()
                    .unwrap_or("image/jpeg");
                images.push(Part::ImageUrl {
                    image_url: ImageUrl {
                        url: format!(
                            "data:{mime};base64,{}",
                            base64::engine::general_purpose::STANDARD.encode(bytes)
                        ),
                    },
                });
                continue;
            }
            described.push(describe(stored));
        }
        let mut body = text.trim().to_owned();
        for line in described {
            if !body.is_empty() {
                body.push('\n');
            }
            body.push_str(&line);
        }
        if images.is_empty() {
            if body.is_empty() {
                return None;
            }
            if body == text {
                return Some(Content::Text(Cow::Borrowed(text)));
            }
            return Some(Content::Text(Cow::Owned(body)));
        }
        let mut parts = Vec::with_capacity(images.len() + 1);
        if !body.is_empty() {
            parts.push(Part::Text { text: body });
        }
        parts.extend(images);
        Some(Content::Parts(parts))
    }

    fn messages<'a>(
        &'a self,
        history: &'a [HistoryEntry],
        user: Content<'a>,
    ) -> Vec<ChatMessage<'a>> {
        // Entries without text (an image, a sticker) would be empty turns, which some
        // servers reject, so they do not count against `max_history` either.
        let mut recent: Vec<&HistoryEntry> = history
            .iter()
            .rev()
            .filter(|entry| !entry.text.trim().is_empty())
            .take(self.max_history)
            .collect();
        recent.reverse();

        let mut messages = Vec::with_capacity(recent.len() + 2);
        if let Some(prompt) = &self.system_prompt {
            messages.push(ChatMessage {
                role: "system",
                content: Content::Text(Cow::Borrowed(prompt)),
            });
        }
        messages.extend(recent.into_iter().map(|entry| ChatMessage {
            role: role_name(entry.role),
            content: Content::Text(Cow::Borrowed(&entry.text)),
        }));
        messages.push(ChatMessage {
            role: "user",
            content: user,
        });
        messages
    }
}

#[derive(Serialize)]
struct ChatRequest<'a> {
    model: &'a str,
    messages: Vec<ChatMessage<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
}

#[derive(Serialize)]
struct ChatMessage<'a> {
    role: &'static str,
    content: Content<'a>,
}

/// A message's content: plain text, or parts (text and images) for vision models.
#[derive(Serialize)]
#[serde(untagged)]
enum Content<'a> {
    Text(Cow<'a, str>),
    Parts(Vec<Part>),
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Part {
    Text { text: String },
    ImageUrl { image_url: ImageUrl },
}

#[derive(Serialize)]
struct ImageUrl {
    url: String,
}

/// Images above this go to the model described in text: OpenAI's own limit per
/// image is 20 MB, and a data URL is a third larger again.
const MAX_IMAGE_BYTES: u64 = 20_000_000;

/// `[attachment: document "report.pdf" (application/pdf, 48213 bytes, stored)]`.
fn describe(a: &StoredAttachment) -> String {
    let name = a
        .attachment
        .file_name
        .as_deref()
        .map(|n| format!(" {n:?}"))
        .unwrap_or_default();
    format!(
        "[attachment: {}{name} ({})]",
        a.attachment.kind.as_str(),
        attachment_facts(a)
    )
}

#[derive(Deserialize)]
struct ChatResponse {
    choices: Vec<Choice>,
}

#[derive(Deserialize)]
struct Choice {
    message: ChoiceMessage,
}

#[derive(Deserialize)]
struct ChoiceMessage {
    #[serde(default)]
    content: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(base_url: &str) -> OpenAiConfig {
        OpenAiConfig {
            base_url: Url::parse(base_url).expect("valid url"),
            model: "m".to_owned(),
            api_key: Some("sk-very-secret".to_owned()),
            system_prompt: None,
            max_history: 4,
            timeout: Duration::from_secs(5),
            temperature: None,
            vision: false,
        }
    }

    #[test]
    fn completions_url_joins_with_and_without_trailing_slash() {
        for base in ["http://127.0.0.1:8000/v1", "http://127.0.0.1:8000/v1/"] {
            let url = completions_url(Url::parse(base).expect("url")).expect("joined");
            assert_eq!(url.as_str(), "http://127.0.0.1:8000/v1/chat/completions");
        }
        let root = completions_url(Url::parse("http://127.0.0.1:8000").expect("url"));
        assert_eq!(
            root.expect("joined").as_str(),
            "http://127.0.0.1:8000/chat/completions"
        );
        let query = completions_url(Url::parse("https://h.example/v1?api-version=2").expect("url"));
        assert_eq!(
            query.expect("joined").as_str(),
            "https://h.example/v1/chat/completions?api-version=2"
        );
    }

    #[test]
    fn debug_never_shows_the_api_key() {
        let config = config("http://127.0.0.1:8000/v1");
        assert!(!format!("{config:?}").contains("sk-very-secret"));
        let agent = OpenAiAgent::new(config).expect("valid config");
        let shown = format!("{agent:?}");
        assert!(!shown.contains("sk-very-secret"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
    }

    #[test]
    fn rejects_configs_that_cannot_work() {
        let mut empty_model = config("http://127.0.0.1:8000/v1");
        empty_model.model = " ".to_owned();
        assert!(matches!(
            OpenAiAgent::new(empty_model),
            Err(AgentConfigError::EmptyModel)
        ));

        let mut bad_temperature = config("http://127.0.0.1:8000/v1");
        bad_temperature.temperature = Some(f32::NAN);
        assert!(matches!(
            OpenAiAgent::new(bad_temperature),
            Err(AgentConfigError::InvalidTemperature { .. })
        ));

        let mut bad_key = config("http://127.0.0.1:8000/v1");
        bad_key.api_key = Some("line\nbreak".to_owned());
        let error = OpenAiAgent::new(bad_key).expect_err("newline in key");
        assert!(matches!(error, AgentConfigError::InvalidApiKey { .. }));
        assert!(!error.to_string().contains("line"));

        let ftp = config("ftp://127.0.0.1/v1");
        assert!(matches!(
            OpenAiAgent::new(ftp),
            Err(AgentConfigError::UnsupportedScheme { .. })
        ));

        let mut zero = config("http://127.0.0.1:8000/v1");
        zero.timeout = Duration::ZERO;
        assert!(matches!(
            OpenAiAgent::new(zero),
            Err(AgentConfigError::ZeroTimeout)
        ));
    }
}
