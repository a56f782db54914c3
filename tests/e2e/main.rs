//! End-to-end tests: the real `switchboard` binary, real components built for
//! wasm32-wasip2, a real SQLite file, and a local mock of each platform API.
//! `just test` builds the components and the registry index first.

mod harness;
mod mock;

mod access;
mod agents;
mod api;
mod conformance;
mod discord;
mod operations;
mod plugins;
mod registry;
mod reliability;
mod sandbox;
mod slack;
mod telegram;
mod whatsapp;
