//! Durable SQLite storage with a group-commit writer.
