//! Webhook signature verification.
//!
//! Pure and synchronous: takes headers, query, body, a secret and the current time,
//! and says whether the request is authentic. No I/O, no async, no wasmtime, no
//! hyper. All secret comparisons are constant-time.

mod scheme;

pub use scheme::{DEFAULT_TOLERANCE_SECS, Handshake, Scheme, Verification};
