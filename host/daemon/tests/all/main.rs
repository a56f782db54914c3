//! The daemon driven in-process: real pipeline, real SQLite file, a fake channel and
//! agent, and a clock the tests move. Queue rounds run on demand, so order, retries,
//! backoff, dead letters and unrecorded outcomes are checked in milliseconds.

mod pipeline;
mod polling;
mod queues;
mod support;
