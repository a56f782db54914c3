//! The agent layer: turns stored messages into replies.
