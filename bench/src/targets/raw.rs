//! T0: hyper reading the body and answering 200, the most any handler behind
//! this HTTP stack could reach on the core.

use std::net::SocketAddr;

use http::StatusCode;
use http_body_util::BodyExt as _;

use crate::error::BenchError;
use crate::server::{empty, serve_until_stdin_closes};

/// Serves 200 to every request after reading its body, until stdin closes.
pub fn serve(listen: SocketAddr) -> Result<(), BenchError> {
    serve_until_stdin_closes(listen, |request| async move {
        match request.into_body().collect().await {
            Ok(_) => empty(StatusCode::OK),
            Err(_) => empty(StatusCode::BAD_REQUEST),
        }
    })
}
