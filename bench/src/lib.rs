//! The Switchboard benchmark: how close the sandboxed pipeline gets to the
//! physical limits of the machine it runs on.
//!
//! One run measures, on the same machine and build:
//!
//! | name | what | module |
//! |---|---|---|
//! | T0 | hyper reading the body and answering 200: the HTTP ceiling | [`targets::raw`] |
//! | T2 | `switchboard serve` with the WhatsApp channel's code compiled natively in place of the component | [`targets::native`] |
//! | T3 | `switchboard serve` with the real WhatsApp component | [`daemon`] |
//! | S0 | the store's group-commit writer alone, plus an fsync probe | [`store_bench`] |
//! | cold start | exec to first 2xx, with and without the compiled-code cache | [`coldstart`] |
//! | memory | resident memory per request in flight | [`memory`] |
//! | plugin languages | the webhook example channel in Rust, Python and JavaScript: size, cold start, CPU and latency per call, memory | [`languages`] |
//!
//! Load comes from [`loadgen`], written for this job: open loop, pre-signed
//! requests with unique message ids, latency from the intended send time, HDR
//! histograms. [`sweep`] finds each target's maximum sustainable rate and
//! measures latency at half of it; [`run`] puts it all together and [`report`]
//! writes `report.json` and the table. `BENCHMARKS.md` at the repository root
//! explains the method and records a run.
//!
//! This crate owns measuring. It does not own the code it measures: T2 runs the
//! daemon (through `switchboard-cli`) with the channel crate's own functions, T3
//! runs the released binary.

pub mod coldstart;
pub mod daemon;
mod error;
pub mod languages;
pub mod loadgen;
pub mod machine;
pub mod memory;
pub mod mock;
pub mod payload;
pub mod postgres;
pub mod process;
pub mod procstat;
pub mod report;
pub mod run;
pub mod server;
pub mod store_bench;
pub mod sweep;
pub mod targets;

pub use error::BenchError;
