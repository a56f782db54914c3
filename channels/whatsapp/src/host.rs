//! The host imports the channel logic needs, as a trait so the logic runs natively
//! in tests against a fake and in the component against `host.*`.

use switchboard_channel_sdk::{FetchFailure, Request, Response};

use crate::message::Inbound;

/// Log levels the channel uses; mirrors part of the WIT `log-level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Debug,
    Warn,
    Error,
}

/// The `switchboard:channel/host` imports, in plain Rust types.
pub trait Host {
    /// `host.log`.
    fn log(&self, level: Level, message: &str);
    /// `host.emit`; the error says why the host rejected the message.
    fn emit(&self, message: Inbound) -> Result<(), String>;
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
