//! The slack channel.
