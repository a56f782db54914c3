//! The running daemon: ingress, pipeline and background workers.
