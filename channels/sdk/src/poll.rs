//! What a polling channel returns from one poll (the WIT `polling` export, 0.2.2).

/// An update the channel received but cannot map, field for field the WIT
/// `polling.unmapped`: the host keeps it as a dead letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmapped {
    /// Why it could not be mapped.
    pub reason: String,
    /// The update exactly as the platform would have posted it to a webhook, so a
    /// replay through `on-http-request` handles it once the channel is fixed.
    pub payload: Vec<u8>,
}

/// The outcome of one poll, field for field the WIT `poll-outcome`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PollOutcome {
    /// The cursor for the next poll; `None` keeps the one the host has. The host
    /// commits it together with the messages emitted during the poll.
    pub next_cursor: Option<String>,
    /// Updates to keep as dead letters.
    pub unmapped: Vec<Unmapped>,
}
