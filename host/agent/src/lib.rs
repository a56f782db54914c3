//! The agent layer: turns a stored message, with its conversation history, into zero or
//! more replies.
//!
//! This crate owns the [`Agent`] trait and the three built-in agents:
//!
//! - [`EchoAgent`] (`echo`) replies with the received text; the default, for checking
//!   that a channel works end to end.
//! - [`HttpAgent`] (`http`) POSTs each turn as JSON to an operator's URL and relays the
//!   replies in the answer.
//! - [`OpenAiAgent`] (`openai`) asks an OpenAI-compatible chat-completions endpoint,
//!   hosted or local, for one reply.
//!
//! It does not own when agents run, retries, the outbox or delivery: the daemon calls
//! [`Agent::respond`] after a message is durable, keeps each conversation in order,
//! and uses [`AgentError::is_retryable`] to decide whether to ask again. It depends on
//! `switchboard-types` only, never on the store, runtime or daemon.
//!
//! Each HTTP agent builds one `reqwest::Client` in its constructor and reuses it, so
//! connections are pooled across turns. Configuration errors ([`AgentConfigError`])
//! surface from the constructors, before the daemon starts serving.
//!
//! ```no_run
//! use std::time::Duration;
//! use switchboard_agent::{Agent, OpenAiAgent, OpenAiConfig, Turn};
//!
//! # async fn example(turn: Turn) -> Result<(), Box<dyn std::error::Error>> {
//! let agent = OpenAiAgent::new(OpenAiConfig {
//!     base_url: "http://127.0.0.1:8000/v1".parse()?,
//!     model: "local-model".to_owned(),
//!     api_key: None,
//!     system_prompt: Some("Answer briefly.".to_owned()),
//!     max_history: 20,
//!     timeout: Duration::from_secs(60),
//!     temperature: None,
//!     vision: false,
//! })?;
//! for reply in agent.respond(&turn).await? {
//!     println!("{}", reply.text);
//! }
//! # Ok(())
//! # }
//! ```

mod agent;
mod echo;
mod error;
mod http;
mod openai;
mod rfc3339;
mod transport;

pub use agent::{Agent, Reply, ReplyAttachment, Turn, TurnAttachment};
pub use echo::EchoAgent;
pub use error::{AgentConfigError, AgentError, BadResponseReason};
pub use http::{HttpAgent, HttpAgentConfig};
pub use openai::{OpenAiAgent, OpenAiConfig};
pub use rfc3339::format_unix_ms;
