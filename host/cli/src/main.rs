//! The switchboard command: serve, install, inspect and operate.

fn main() {}
