//! The one place `bindgen!` runs, for `switchboard:channel@0.1.1`, the newest version.
//!
//! Bindings are generated for the `full` world (every optional export); each optional
//! export interface is probed separately on the `InstancePre`, so a component built
//! against the `minimal` world loads with the same bindings.
//!
//! Older versions of the same release line need no bindings of their own: 0.1.1 only
//! adds an interface, and wasmtime resolves names semver-aware in both directions.
//! A component's `switchboard:channel/host@0.1.0` import is satisfied by the linker's
//! `host@0.1.1` definition, and `ChannelIndices` finds an export named
//! `channel@0.1.0` when it asks for `channel@0.1.1` (both are on the `@0.1` track).
//! Types are structural, so the unchanged records and functions type-check. A
//! breaking version would get a second `bindgen!` module here and a shim onto this
//! one (see `wit/README.md`).

mod generated {
    wasmtime::component::bindgen!({
        world: "full",
        path: "../../wit/channel@0.1.1",
        imports: { default: async | trappable },
        exports: { default: async },
    });
}

pub(crate) use generated::Full;
pub(crate) use generated::exports::switchboard::channel::channel::GuestIndices as ChannelIndices;
pub(crate) use generated::exports::switchboard::channel::persistence::GuestIndices as PersistenceIndices;
pub(crate) use generated::switchboard::channel::context::Host as ContextHost;
pub(crate) use generated::switchboard::channel::host::Host;
pub(crate) use generated::switchboard::channel::types as wit;
