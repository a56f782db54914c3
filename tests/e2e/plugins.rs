//! End-to-end tests: third-party plugins and WIT versions.
