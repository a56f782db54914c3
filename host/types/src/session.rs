use serde::{Deserialize, Serialize};

use crate::{Headers, Unmapped};

/// Where a session connects (mirrors the WIT `session.session-target`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionTarget {
    pub url: String,
    pub headers: Headers,
}

/// What the host keeps for a session (mirrors the WIT `session.session-context`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionContext {
    /// The durable cursor, committed with messages.
    pub cursor: Option<String>,
    /// The channel's memo, kept in memory across reconnects.
    pub memo: Option<String>,
}

/// What to do after a frame or a tick (mirrors the WIT `session.frame-outcome`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameOutcome {
    pub send: Vec<String>,
    pub send_after_commit: Vec<String>,
    pub cursor: Option<String>,
    pub memo: Option<String>,
    pub tick_ms: Option<u32>,
    pub reconnect: bool,
    pub unmapped: Vec<Unmapped>,
}
