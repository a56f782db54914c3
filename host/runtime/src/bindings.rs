//! The one place `bindgen!` runs: once per supported release line.
//!
//! [`v0_2`] binds `switchboard:channel@0.2.2`, the newest version (it also runs
//! `0.2.0` and `0.2.1` components, which lack only optional exports: `media`, `polling`); the host's logic is
//! written against the plain types of `switchboard-types` and both bindings convert
//! at their edge (`convert.rs` for 0.2, `shim.rs` for 0.1), so it is written once.
//! [`v0_1`] binds `0.1.1`, which also runs components built against the frozen
//! `0.1.0`: within one release line a newer version only adds interfaces, and wasmtime
//! resolves names semver-aware in both directions (a `host@0.1.0` import is satisfied
//! by the linker's `host@0.1.1`, an export `channel@0.1.0` is found when looking for
//! `channel@0.1.1`), and types are structural.
//!
//! Bindings are generated for the world with every optional export (0.2: `all`, 0.1:
//! `full`); each optional export interface is probed separately on the `InstancePre`,
//! so a component built against `minimal` loads with the same bindings.

pub(crate) mod v0_2 {
    mod generated {
        wasmtime::component::bindgen!({
            world: "all",
            path: "../../wit/channel@0.2.2",
            imports: { default: async | trappable },
            exports: { default: async },
        });
    }

    pub(crate) use generated::All;
    pub(crate) use generated::exports::switchboard::channel::channel::GuestIndices as ChannelIndices;
    pub(crate) use generated::exports::switchboard::channel::media::GuestIndices as MediaIndices;
    pub(crate) use generated::exports::switchboard::channel::persistence::GuestIndices as PersistenceIndices;
    pub(crate) use generated::exports::switchboard::channel::polling as wit_polling;
    pub(crate) use generated::exports::switchboard::channel::polling::GuestIndices as PollingIndices;
    pub(crate) use generated::exports::switchboard::channel::presence::GuestIndices as PresenceIndices;
    pub(crate) use generated::exports::switchboard::channel::session as wit_session;
    pub(crate) use generated::exports::switchboard::channel::session::GuestIndices as SessionIndices;
    pub(crate) use generated::switchboard::channel::context::Host as ContextHost;
    pub(crate) use generated::switchboard::channel::host::Host;
    pub(crate) use generated::switchboard::channel::types as wit;
}

pub(crate) mod v0_1 {
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
}
