//! Background tasks that are not queues: pruning old messages and picking up
//! installs.

pub(crate) mod prune;
pub(crate) mod reload;

use tokio::sync::watch;

/// Resolves when the daemon shuts down.
pub(crate) type Stop = watch::Receiver<bool>;
