//! Integration tests of the store's public API, on real files in temporary directories.

mod access;
mod cursors;
mod dead_letters;
mod durability;
mod faults;
mod history;
mod media;
mod messages;
mod migration;
mod outbox;
mod pages;
mod prune;
mod sends;
mod state;
mod support;
mod turns;
