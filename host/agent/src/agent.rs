//! The seam between the daemon and whatever answers messages.

use switchboard_types::{AttachmentKind, HistoryEntry, Role, StoredAttachment, StoredMessage};

use crate::error::AgentError;

/// Something that answers messages: given a stored message and its conversation history,
/// it produces zero or more replies.
///
/// The daemon holds agents as `Arc<dyn Agent>` and calls them after a message is
/// durable. It never calls [`Agent::respond`] concurrently for two messages of the same
/// conversation, so an agent sees each conversation in order; different conversations
/// run concurrently.
#[async_trait::async_trait]
pub trait Agent: Send + Sync + std::fmt::Debug {
    /// Produces the replies to `turn.message`. Never called concurrently for two
    /// messages of the same conversation.
    ///
    /// An empty list means "nothing to say" and is not an error. On error the caller
    /// decides, from [`AgentError::is_retryable`], whether to ask again later.
    async fn respond(&self, turn: &Turn) -> Result<Vec<Reply>, AgentError>;

    /// A short name for logs and metrics ("echo", "http", "openai").
    fn kind(&self) -> &'static str;
}

/// One message to answer, with what came before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Turn {
    /// The message to answer.
    pub message: StoredMessage,
    /// Earlier messages and replies of the same conversation, oldest first, not
    /// including `message`.
    pub history: Vec<HistoryEntry>,
    /// The message's attachments as they stand when the turn starts (the turn waits,
    /// bounded, for their downloads), each with where its content can be read.
    pub attachments: Vec<TurnAttachment>,
}

/// An attachment of the message being answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnAttachment {
    pub stored: StoredAttachment,
    /// Where an agent outside the daemon can fetch the content during the turn
    /// (`GET /v1/blobs/<sha256>` on the admin listener, with the API token); `None`
    /// when it is not stored or there is no admin listener.
    pub url: Option<String>,
    /// The blob's file, for an agent inside the daemon; `None` when not stored.
    pub path: Option<std::path::PathBuf>,
}

impl Turn {
    /// The newest `max` history entries, oldest first.
    pub fn recent_history(&self, max: usize) -> &[HistoryEntry] {
        let start = self.history.len().saturating_sub(max);
        &self.history[start..]
    }
}

/// One reply to send back into the conversation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reply {
    /// The text to send; empty only when the reply carries attachments.
    pub text: String,
    /// Files to send with it.
    pub attachments: Vec<ReplyAttachment>,
}

/// A file an agent sends, with its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyAttachment {
    pub kind: AttachmentKind,
    pub mime_type: String,
    pub file_name: Option<String>,
    pub caption: Option<String>,
    pub content: Vec<u8>,
}

impl Reply {
    /// A reply with `text`, or `None` when the text is empty or only whitespace, which no
    /// platform would send.
    pub fn from_text(text: impl Into<String>) -> Option<Reply> {
        let text = text.into();
        (!text.trim().is_empty()).then_some(Reply {
            text,
            attachments: Vec::new(),
        })
    }
}

/// `image/jpeg, 2048 bytes, stored`: what is known of an attachment, for agents that
/// describe it in text.
pub(crate) fn attachment_facts(a: &StoredAttachment) -> String {
    let mut facts = Vec::new();
    if let Some(mime) = &a.attachment.mime_type {
        facts.push(mime.clone());
    }
    if let Some(size) = a.stored_size.or(a.attachment.size) {
        facts.push(format!("{size} bytes"));
    }
    facts.push(a.state.as_str().replace('_', " "));
    facts.join(", ")
}

/// The role names both HTTP agents put on the wire. Spelled out here rather than taken
/// from `Role`'s serde form so the documented JSON cannot change by accident.
pub(crate) fn role_name(role: Role) -> &'static str {
    match role {
        Role::User => "user",
        Role::Assistant => "assistant",
    }
}

#[cfg(test)]
mod tests {
    use switchboard_types::{InboundMessage, MessageKind};

    use super::*;

    fn turn_with_history(count: usize) -> Turn {
        let history = (0..count)
            .map(|i| HistoryEntry {
                role: Role::User,
                text: format!("m{i}"),
                at_ms: i as i64,
                sender_name: None,
            })
            .collect();
        Turn {
            message: StoredMessage {
                id: 1,
                instance: "test".to_owned(),
                received_at_ms: 0,
                edited_at_ms: None,
                no_turn: None,
                message: InboundMessage {
                    external_id: "x".to_owned(),
                    conversation_id: "c".to_owned(),
                    sender_id: "s".to_owned(),
                    sender_name: None,
                    text: None,
                    timestamp: 0,
                    reply_to: None,
                    kind: MessageKind::Text,
                    is_edit: false,
                    metadata: "{}".to_owned(),
                    ..InboundMessage::default()
                },
            },
            history,
            attachments: Vec::new(),
        }
    }

    fn texts(entries: &[HistoryEntry]) -> Vec<&str> {
        entries.iter().map(|e| e.text.as_str()).collect()
    }

    #[test]
    fn recent_history_keeps_the_newest_entries_oldest_first() {
        let turn = turn_with_history(5);
        assert_eq!(texts(turn.recent_history(2)), ["m3", "m4"]);
        assert_eq!(texts(turn.recent_history(10)).len(), 5);
        assert!(turn.recent_history(0).is_empty());
    }

    #[test]
    fn blank_text_makes_no_reply() {
        assert_eq!(Reply::from_text(""), None);
        assert_eq!(Reply::from_text(" \n\t"), None);
        assert_eq!(
            Reply::from_text(" hi "),
            Some(Reply {
                text: " hi ".to_owned(),
                attachments: Vec::new(),
            })
        );
    }
}
