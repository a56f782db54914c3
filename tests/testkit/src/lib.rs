//! Test support for Switchboard's own tests.
//!
//! [`MockServer`] is the one loopback HTTP server the tests use in place of a platform
//! API, an agent endpoint, a registry or a hostile upstream: every request is recorded,
//! and a handler written by the test computes each answer, which may be delayed or
//! held until the test releases it. [`SocketServer`] is its WebSocket counterpart: the
//! platform's side of a session (Slack Socket Mode), scripted per connection.

mod server;
mod socket;

pub use server::{Answer, MockServer, Recorded};
pub use socket::{Received, SocketConn, SocketServer};
