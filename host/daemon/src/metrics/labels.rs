//! The fixed label words of the metrics: one enum per label, so a label value is
//! checked at compile time and counted by index without allocating.

use switchboard_runtime::CallError;
use switchboard_types::NoTurn;

/// A channel export, as the `export` label names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Export {
    HttpRequest,
    Respond,
    MessagePersisted,
    AgentWorking,
    DownloadRequest,
    Poll,
    Session,
}

impl Export {
    pub(super) const ALL: [Export; 7] = [
        Export::HttpRequest,
        Export::Respond,
        Export::MessagePersisted,
        Export::AgentWorking,
        Export::DownloadRequest,
        Export::Poll,
        Export::Session,
    ];

    pub(super) fn label(self) -> &'static str {
        match self {
            Export::HttpRequest => "on_http_request",
            Export::Respond => "on_respond",
            Export::MessagePersisted => "on_message_persisted",
            Export::AgentWorking => "on_agent_working",
            Export::DownloadRequest => "download_request",
            Export::Poll => "poll",
            Export::Session => "session",
        }
    }
}

/// An access decision, as the `outcome` label names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// The agent was asked.
    Turn,
    /// No turn, for this reason.
    Denied(NoTurn),
    /// An unknown sender got no pairing code: as many are pending as allowed.
    PairingFull,
}

/// Outcomes counted: a turn, the pending codes being full, and every reason.
pub(super) const ACCESS_OUTCOMES: usize = 2 + NoTurn::ALL.len();

impl Access {
    pub(super) fn index(self) -> usize {
        match self {
            Access::Turn => 0,
            Access::PairingFull => 1,
            Access::Denied(reason) => {
                2 + NoTurn::ALL
                    .iter()
                    .position(|r| *r == reason)
                    .unwrap_or_default()
            }
        }
    }

    pub(super) fn label(index: usize) -> &'static str {
        match index {
            0 => "turn",
            1 => "pairing-full",
            n => NoTurn::ALL.get(n - 2).map_or("unknown", |r| r.as_str()),
        }
    }
}

/// What a dead letter holds, as the `kind` label names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DeadLetter {
    Delivery,
    Reply,
    Hook,
    Agent,
    Attachment,
}

impl DeadLetter {
    pub(super) const ALL: [DeadLetter; 5] = [
        DeadLetter::Delivery,
        DeadLetter::Reply,
        DeadLetter::Hook,
        DeadLetter::Agent,
        DeadLetter::Attachment,
    ];

    pub(super) fn label(self) -> &'static str {
        match self {
            DeadLetter::Delivery => "delivery",
            DeadLetter::Reply => "reply",
            DeadLetter::Hook => "hook",
            DeadLetter::Agent => "agent",
            DeadLetter::Attachment => "attachment",
        }
    }
}

/// A queue whose outcomes are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Work {
    Hooks,
    Turns,
    Replies,
    Downloads,
}

/// How one piece of queued work ended, as the `outcome` label names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Done,
    Skipped,
    Sent,
    Retry,
    Failed,
    Dead,
}

impl Outcome {
    pub(super) const ALL: [Outcome; 6] = [
        Outcome::Done,
        Outcome::Skipped,
        Outcome::Sent,
        Outcome::Retry,
        Outcome::Failed,
        Outcome::Dead,
    ];

    pub(super) fn label(self) -> &'static str {
        match self {
            Outcome::Done => "done",
            Outcome::Skipped => "skipped",
            Outcome::Sent => "sent",
            Outcome::Retry => "retry",
            Outcome::Failed => "failed",
            Outcome::Dead => "dead",
        }
    }
}

/// How one poll of a polling instance ended, as the `outcome` label names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Poll {
    Messages,
    Empty,
    PlatformError,
    CallFailed,
    StoreFailed,
}

impl Poll {
    pub(super) const ALL: [Poll; 5] = [
        Poll::Messages,
        Poll::Empty,
        Poll::PlatformError,
        Poll::CallFailed,
        Poll::StoreFailed,
    ];

    pub(super) fn label(self) -> &'static str {
        match self {
            Poll::Messages => "messages",
            Poll::Empty => "empty",
            Poll::PlatformError => "platform_error",
            Poll::CallFailed => "call_failed",
            Poll::StoreFailed => "store_failed",
        }
    }
}

/// What happened to a session, as the `event` label names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SessionEvent {
    Connected,
    Frame,
    ReconnectAsked,
    Dropped,
    Refused,
    Failed,
}

impl SessionEvent {
    pub(super) const ALL: [SessionEvent; 6] = [
        SessionEvent::Connected,
        SessionEvent::Frame,
        SessionEvent::ReconnectAsked,
        SessionEvent::Dropped,
        SessionEvent::Refused,
        SessionEvent::Failed,
    ];

    pub(super) fn label(self) -> &'static str {
        match self {
            SessionEvent::Connected => "connected",
            SessionEvent::Frame => "frame",
            SessionEvent::ReconnectAsked => "reconnect_asked",
            SessionEvent::Dropped => "dropped",
            SessionEvent::Refused => "refused",
            SessionEvent::Failed => "failed",
        }
    }
}

/// The `outcome` label of a guest call: `ok` or the error's label.
pub(super) const CALL_OUTCOMES: [&str; 6] =
    ["ok", "deadline", "limit", "trap", "busy", "not_exported"];

pub(super) fn call_outcome(error: Option<&CallError>) -> usize {
    let label = error.map_or("ok", CallError::label);
    CALL_OUTCOMES
        .iter()
        .position(|known| *known == label)
        .unwrap_or(0)
}
