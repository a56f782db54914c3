//! Integration tests of the store's public API: on real files in temporary directories,
//! and, for the tests written with `on_both!`, on a fresh PostgreSQL database as well.

mod support;

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
mod turns;
