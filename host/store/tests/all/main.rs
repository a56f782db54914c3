//! Integration tests of the store's public API, on real files in temporary directories.

mod access;
mod dead_letters;
mod durability;
mod faults;
mod history;
mod messages;
mod migration;
mod outbox;
mod pages;
mod prune;
mod state;
mod support;
mod turns;
