use serde::{Deserialize, Serialize};

/// An update a polling channel received but could not map (mirrors the WIT
/// `polling.unmapped`): kept as a dead letter, replayable as a webhook delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unmapped {
    pub reason: String,
    /// The update as the platform would have posted it to a webhook.
    pub payload: Vec<u8>,
}

/// What one `polling.poll` call returned (mirrors the WIT `poll-outcome`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PollOutcome {
    /// The cursor for the next poll; `None` keeps the stored one.
    pub next_cursor: Option<String>,
    pub unmapped: Vec<Unmapped>,
}
