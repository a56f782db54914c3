//! The default agent: says back what it heard. Useful to check that a channel works end
//! to end before a real agent is plugged in.

use crate::agent::{Agent, Reply, Turn};
use crate::error::AgentError;

/// Replies with exactly the received text; a message without text (an image, a
/// reaction) gets no reply.
#[derive(Debug, Clone, Copy, Default)]
pub struct EchoAgent;

#[async_trait::async_trait]
impl Agent for EchoAgent {
    async fn respond(&self, turn: &Turn) -> Result<Vec<Reply>, AgentError> {
        let text = turn.message.message.text_for_agent().unwrap_or_default();
        Ok(Reply::from_text(text).into_iter().collect())
    }

    fn kind(&self) -> &'static str {
        "echo"
    }
}
