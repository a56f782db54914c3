//! End-to-end tests: reliability.
