//! Background tasks that are not queues: pruning old messages, picking up installs,
//! and the loops of instances that receive by polling or over a WebSocket session.

pub(crate) mod lease;
pub(crate) mod poll;
pub(crate) mod prune;
pub(crate) mod received;
pub(crate) mod reload;
pub(crate) mod session;

use tokio::sync::watch;

/// Resolves when the daemon shuts down.
pub(crate) type Stop = watch::Receiver<bool>;
