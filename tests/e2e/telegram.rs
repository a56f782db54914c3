//! End-to-end tests: telegram.
