use serde::{Deserialize, Serialize};

/// Who said something in a conversation, from the agent's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A message received from the platform.
    User,
    /// A reply the agent produced.
    Assistant,
}

/// One earlier turn of a conversation, as the agent sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub role: Role,
    pub text: String,
    /// Unix milliseconds: when the message was stored or the reply was produced.
    pub at_ms: i64,
    pub sender_name: Option<String>,
}
