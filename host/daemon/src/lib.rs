//! The running Switchboard daemon: the HTTP ingress, the webhook pipeline and the
//! background workers, wired from a validated [`DaemonConfig`].
//!
//! One webhook: route → body limit → verify (host code, before any guest code) →
//! fresh guest instance `on-http-request` → durable store (group commit) → answer.
//! After the answer, from the database: `on-message-persisted` (hook worker), the
//! agent's turn (turn worker), replies through `on-respond` (outbox worker).
//!
//! This crate does not read config files, environment variables or signals; the
//! CLI does that and hands over values.

mod config;
mod daemon;
mod ingress;
mod instance;
mod metrics;
mod pipeline;
mod raw;
mod replay;
mod services;
mod shared;
mod workers;

pub use config::{ComponentRef, DaemonConfig, InstanceConfig, ServerLimits, WorkerConfig};
pub use daemon::{Daemon, database_path};
pub use replay::{ReplayReport, replay_dead_letters};
