//! End-to-end tests: operations.
