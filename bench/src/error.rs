//! What can stop a benchmark run.

use std::path::PathBuf;

/// A benchmark step that could not be carried out (as opposed to a slow result,
/// which is data).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BenchError {
    /// The signing key could not be prepared.
    #[error("cannot prepare the request signer")]
    Signer {
        /// Why.
        #[source]
        source: switchboard_verify::ConfigError,
    },
    /// A signature header was not a valid HTTP header.
    #[error("signature is not a valid header")]
    Header {
        /// Why.
        #[source]
        source: http::Error,
    },
    /// Connecting to a target failed.
    #[error("cannot connect to {addr}")]
    Connect {
        /// The target.
        addr: std::net::SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The HTTP handshake with a target failed.
    #[error("http handshake with {addr} failed")]
    Handshake {
        /// The target.
        addr: std::net::SocketAddr,
        /// Why.
        #[source]
        source: hyper::Error,
    },
    /// A file or directory the run needs could not be read or written.
    #[error("{action} {}", path.display())]
    Io {
        /// What was being done, e.g. "cannot write".
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A child process could not be started.
    #[error("cannot start {program}")]
    Spawn {
        /// The program.
        program: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A child process did not become ready in time or exited early.
    #[error("{what} did not start: {detail}")]
    NotReady {
        /// The process.
        what: String,
        /// What happened, with the end of its log when there is one.
        detail: String,
    },
    /// A part of the run produced something it should not have.
    #[error("{what} failed: {detail}")]
    Failed {
        /// The part.
        what: String,
        /// What went wrong.
        detail: String,
    },
    /// A command the run depends on failed.
    #[error("`{command}` failed: {detail}")]
    Command {
        /// The command line.
        command: String,
        /// Its exit status and error output.
        detail: String,
    },
    /// The store could not be opened or written.
    #[error("store benchmark failed")]
    Store {
        /// Why.
        #[source]
        source: switchboard_store::StoreError,
    },
    /// The async runtime could not be built.
    #[error("cannot start the async runtime")]
    Runtime {
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A latency histogram could not be created.
    #[error("cannot create a latency histogram")]
    Histogram {
        /// Why.
        #[source]
        source: hdrhistogram::CreationError,
    },
    /// A child's JSON result could not be read.
    #[error("cannot read the result of {what}")]
    Json {
        /// Whose result.
        what: String,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
}
