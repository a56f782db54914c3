//! Background tasks that are not queues: pruning old messages, picking up installs,
//! and the poll loops of instances that receive by polling.

pub(crate) mod poll;
pub(crate) mod prune;
pub(crate) mod reload;

use tokio::sync::watch;

/// Resolves when the daemon shuts down.
pub(crate) type Stop = watch::Receiver<bool>;
