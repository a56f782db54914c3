//! The running Switchboard daemon: the HTTP ingress, the webhook pipeline and the
//! background workers, wired from a validated [`DaemonConfig`].
//!
//! One webhook: route → body limit → verify (host code, before any guest code) →
//! fresh guest instance `on-http-request` → durable store (group commit) → answer.
//! After the answer, handed over in memory and recorded in the database, three
//! queues run by one engine: `on-message-persisted` (hooks), the agent's turn
//! (turns), replies through `on-respond` (replies).
//!
//! On the admin listener, the HTTP API (`/v1/`) lets an agent send first: its sends
//! are outbox rows, delivered by the reply queue.
//!
//! This crate does not read config files, environment variables or signals; the
//! CLI does that and hands over values.

mod access;
mod api;
mod clock;
mod config;
mod daemon;
mod ingress;
mod instance;
mod loader;
mod mask;
mod metrics;
mod mode;
mod pipeline;
mod queue;
mod replay;
mod services;
mod shared;
#[cfg(feature = "test-support")]
pub mod testing;
mod workers;

pub use access::{AccessPolicy, DmPolicy, GroupPolicy, Rate, RateError};
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{
    ApiConfig, ComponentRef, DEFAULT_LEASE, DEFAULT_MAX_ATTACHMENT_BYTES, DaemonConfig,
    InstanceConfig, ServerLimits, StoreConfig, WorkerConfig, host_name, installed_summary,
};
pub use daemon::{Daemon, database_path, open_store};
pub use loader::{ChannelLoader, LoadedChannel, WasmLoader};
pub use mode::Mode as ReceiveMode;
pub use replay::{ReplayReport, replay_dead_letters};
