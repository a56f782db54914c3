//! The wasmtime sandbox that runs channel components.
//!
//! This is the only crate that names `wasmtime`. It owns the engine configuration
//! (pooling allocator, epoch interruption, async calls), the bindings of the
//! `switchboard:channel` WIT package, the host imports, and every per-call limit.
//! Callers see plain `switchboard-types` values and reach the outside world only
//! through [`InstanceServices`], which the daemon implements.
//!
//! | Threat | Mitigation |
//! |---|---|
//! | guest spins forever | epoch deadline (ticker every [`EPOCH_TICK`]) plus an async timeout around host calls |
//! | guest grows memory or tables | `StoreLimits` per call, trap on grow failure; pool slot maximum |
//! | guest floods `emit` or `log` | per-call caps on messages, bytes and log output; limit → trap |
//! | guest reads files, env, sockets | WASI context with no preopens, no env, no network |
//! | guest reads secrets | secrets live in the daemon's egress policy; the guest only writes placeholders |
//! | guest state leaks across requests | a fresh instance per call |
//! | component built for another WIT | version checked from its exports before linking |

mod bindings;
mod cache;
mod channel;
mod component;
mod convert;
mod engine;
mod error;
mod guest_text;
mod imports;
mod limits;
mod multipart;
mod services;
mod shim;
mod state;
mod version;

pub use channel::Channel;
pub use component::{ChannelComponent, Framed, HandledRequest, Polled, Received, WebhookResponse};
pub use engine::{
    EPOCH_TICK, MAX_CORE_INSTANCES_PER_COMPONENT, MAX_MEMORIES_PER_COMPONENT,
    MAX_TABLES_PER_COMPONENT, Runtime, RuntimeConfig,
};
pub use error::{CallError, LoadError};
pub use guest_text::{MAX_GUEST_ERROR_BYTES, MAX_GUEST_LOG_LINE_BYTES, guest_text};
pub use limits::{
    CallLimits, MAX_EXTERNAL_ID_BYTES, MAX_STATE_KEY_BYTES, MAX_STATE_VALUE_BYTES, POLL_DEADLINE,
};
pub use multipart::BodySegment;
pub use services::InstanceServices;
pub use state::GuestCounters;
pub use switchboard_types::WebhookRequest;
pub use version::{ComponentInfo, SUPPORTED_WIT, inspect, is_supported, supported_range};
