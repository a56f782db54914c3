//! The servers the benchmark runs in its own processes: T0, the HTTP ceiling, and
//! T2, the daemon with a native channel in place of the sandbox. T3 is the real
//! `switchboard serve` and lives in [`crate::daemon`].

pub mod native;
pub mod native_channel;
pub mod raw;
