//! The host imports a channel's logic calls, as a trait: the component implements
//! it over the real imports ([`channel_glue!`](crate::channel_glue)), native unit
//! tests over a fake, and a host without the sandbox over its own services.

use crate::delivery::FetchFailure;
use crate::message::Inbound;
use crate::request::Request;
use crate::response::Response;

/// Log levels a channel uses; mirrors part of the WIT `log-level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Routine detail: ignored parts of a payload.
    Debug,
    /// Something the operator may need to look at; the call still succeeds.
    Warn,
    /// The call lost something (a message the host rejected).
    Error,
}

/// The `switchboard:channel/host` imports, in plain Rust types.
pub trait Host {
    /// `host.log`.
    fn log(&self, level: Level, message: &str);
    /// `host.emit`; the error says why the host rejected the message.
    fn emit(&self, message: Inbound) -> Result<(), String>;
    /// `host.dead-letter`: keeps the delivery being handled for replay, with the
    /// reason, when it carries a person's message the channel cannot map.
    fn dead_letter(&self, reason: &str) -> Result<(), String>;
    /// `host.http-fetch`.
    fn fetch(&self, request: Request) -> Result<Response, FetchFailure>;
    /// `host.setting`.
    fn setting(&self, name: &str) -> Option<String>;
    /// `host.state-get`.
    fn state_get(&self, key: &str) -> Option<Vec<u8>>;
    /// `host.state-set`.
    fn state_set(&self, key: &str, value: &[u8]) -> Result<(), String>;
    /// `host.state-delete`.
    fn state_delete(&self, key: &str);
}
