//! What a session channel works with (the WIT `session` export, 0.2.2).

use crate::Unmapped;

/// Where to connect, field for field the WIT `session-target`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionTarget {
    /// A `wss://` URL; may hold secret placeholders where the manifest places them.
    pub url: String,
    /// Headers of the opening handshake.
    pub headers: Vec<(String, String)>,
}

/// What the host keeps for the session, field for field the WIT `session-context`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionContext {
    /// The durable cursor, committed with messages; survives restarts.
    pub cursor: Option<String>,
    /// The channel's memo, kept in the host's memory across reconnects.
    pub memo: Option<String>,
}

/// What to do after a frame or a tick, field for field the WIT `frame-outcome`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FrameOutcome {
    /// Frames to send now.
    pub send: Vec<String>,
    /// Frames to send once this call's messages and cursor are committed (acks).
    pub send_after_commit: Vec<String>,
    /// The new durable cursor; `None` keeps it.
    pub cursor: Option<String>,
    /// The new memo; `None` keeps it.
    pub memo: Option<String>,
    /// Tick every this many milliseconds; `Some(0)` stops; `None` keeps.
    pub tick_ms: Option<u32>,
    /// Close and open a new connection.
    pub reconnect: bool,
    /// Updates to keep as dead letters.
    pub unmapped: Vec<Unmapped>,
}
