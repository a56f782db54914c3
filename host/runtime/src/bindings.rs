//! The one place `bindgen!` runs for `switchboard:channel@0.1.0`.
//!
//! Bindings are generated for the `full` world (every optional export); each optional
//! export interface is probed separately on the `InstancePre`, so a component built
//! against the `minimal` world loads with the same bindings.

mod generated {
    wasmtime::component::bindgen!({
        world: "full",
        path: "../../wit/channel@0.1.0",
        imports: { default: async | trappable },
        exports: { default: async },
    });
}

pub(crate) use generated::Full;
pub(crate) use generated::exports::switchboard::channel::channel::GuestIndices as ChannelIndices;
pub(crate) use generated::exports::switchboard::channel::persistence::GuestIndices as PersistenceIndices;
pub(crate) use generated::switchboard::channel::host::Host;
pub(crate) use generated::switchboard::channel::types as wit;
