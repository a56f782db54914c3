use std::path::PathBuf;

/// Why a component could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The engine could not be configured (pool sizes, platform limits).
    #[error("cannot configure the wasm engine")]
    Engine(#[source] wasmtime::Error),
    /// The bytes are not a valid component, or compilation failed.
    #[error("{name}: not a valid wasm component")]
    Compile {
        name: String,
        #[source]
        source: wasmtime::Error,
    },
    /// The component does not export the channel interface of any version.
    #[error(
        "{name}: not a switchboard channel (it exports none of switchboard:channel/channel@*; exports: {exports})"
    )]
    NotAChannel { name: String, exports: String },
    /// The component targets a WIT version this host does not run.
    #[error(
        "{name}: targets switchboard:channel@{found}; this host supports switchboard:channel@{supported}"
    )]
    UnsupportedWit {
        name: String,
        found: String,
        supported: String,
    },
    /// Imports the host does not provide (for example WASI filesystem access beyond
    /// what the sandbox offers, or an interface from a newer WIT version).
    #[error("{name}: cannot link the component: {source}")]
    Link {
        name: String,
        #[source]
        source: wasmtime::Error,
    },
    /// Reading the component or its cache entry failed.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Why a guest call failed as a whole (as opposed to the guest returning an error
/// value such as a `delivery-error`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CallError {
    /// The call ran past its deadline (CPU in the guest or waiting in host calls).
    #[error("deadline of {deadline_ms} ms exceeded")]
    Deadline { deadline_ms: u64 },
    /// A per-call limit was hit (emitted messages, bytes, memory, ...).
    #[error("limit exceeded: {0}")]
    Limit(String),
    /// The guest trapped (panic, unreachable, stack overflow, out of bounds, ...).
    #[error("guest trapped: {0}")]
    Trap(String),
    /// No free instance slot: too many calls in flight.
    #[error("no free sandbox slot (too many calls in flight)")]
    Busy,
    /// The hook is not exported by this component.
    #[error("the component does not export {0}")]
    NotExported(&'static str),
}

impl CallError {
    /// A short, low-cardinality label for metrics.
    pub fn label(&self) -> &'static str {
        match self {
            CallError::Deadline { .. } => "deadline",
            CallError::Limit(_) => "limit",
            CallError::Trap(_) => "trap",
            CallError::Busy => "busy",
            CallError::NotExported(_) => "not_exported",
        }
    }
}
