//! The default agent: says back what it heard. Useful to check that a channel works end
//! to end before a real agent is plugged in.

use switchboard_types::StoredAttachment;

use crate::agent::{Agent, Reply, Turn, attachment_facts};
use crate::error::AgentError;

/// Replies with exactly the received text. A message with attachments and no text
/// gets a line per attachment saying what arrived (kind, type, size, whether it was
/// stored), so the media path can be tried by hand; a message with neither (a
/// reaction) gets no reply.
#[derive(Debug, Clone, Copy, Default)]
pub struct EchoAgent;

#[async_trait::async_trait]
impl Agent for EchoAgent {
    async fn respond(&self, turn: &Turn) -> Result<Vec<Reply>, AgentError> {
        let mut text = turn
            .message
            .message
            .text_for_agent()
            .unwrap_or_default()
            .to_owned();
        if text.trim().is_empty() {
            text = turn
                .attachments
                .iter()
                .map(|a| describe(&a.stored))
                .collect::<Vec<_>>()
                .join("\n");
        }
        Ok(Reply::from_text(text).into_iter().collect())
    }

    fn kind(&self) -> &'static str {
        "echo"
    }
}

/// `received image (image/jpeg, 2048 bytes, stored)`.
fn describe(a: &StoredAttachment) -> String {
    format!(
        "received {} ({})",
        a.attachment.kind.as_str(),
        attachment_facts(a)
    )
}
