//! End-to-end tests: slack.
