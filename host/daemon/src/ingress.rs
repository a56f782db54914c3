//! The HTTP edge: routing, body limits, and the mapping of failures to statuses.

pub(crate) mod body;
pub(crate) mod budget;
pub(crate) mod request;
pub(crate) mod response;
pub(crate) mod routes;
pub(crate) mod server;
pub(crate) mod write_timeout;
