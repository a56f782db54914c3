//! The telegram channel.
