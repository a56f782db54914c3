//! The accept loop the in-crate targets share, set up the way the daemon's
//! ingress sets up its own: HTTP/1.1 keep-alive, a header-read timeout,
//! `TCP_NODELAY`, and a bound on open connections.
//!
//! A target process prints `listening on ADDR` once bound (like `switchboard
//! serve`) and exits when its standard input closes, so a target never outlives
//! the run that started it.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::io::Read as _;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::error::BenchError;

/// The daemon's default `server.max_connections`.
const MAX_CONNECTIONS: usize = 1024;
/// The daemon's default `server.header_timeout_ms`.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves `handler` on `listen` until standard input closes.
///
/// Builds the same runtime as `switchboard serve` (multi-threaded, one worker per
/// core the process may run on), so a target pinned to one core gets one worker.
pub fn serve_until_stdin_closes<H, F>(listen: SocketAddr, handler: H) -> Result<(), BenchError>
where
    H: Fn(Request<Incoming>) -> F + Send + Sync + 'static,
    F: Future<Output = Response<Full<Bytes>>> + Send + 'static,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| BenchError::Runtime { source })?;
    runtime.block_on(async move {
        let listener = TcpListener::bind(listen)
            .await
            .map_err(|source| BenchError::Connect {
                addr: listen,
                source,
            })?;
        let local = listener
            .local_addr()
            .map_err(|source| BenchError::Connect {
                addr: listen,
                source,
            })?;
        println!("listening on {local}");
        tokio::select! {
            () = accept_loop(listener, Arc::new(handler)) => {}
            () = stdin_closed() => {}
        }
        Ok(())
    })
}

async fn stdin_closed() {
    let (closed, wait) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin();
        let mut buffer = [0u8; 64];
        // Anything written is ignored; only the end of the stream matters.
        while let Ok(read) = stdin.read(&mut buffer) {
            if read == 0 {
                break;
            }
        }
        drop(closed);
    });
    // Resolves (with an error) once the sender is dropped.
    let _ = wait.await;
}

async fn accept_loop<H, F>(listener: TcpListener, handler: Arc<H>)
where
    H: Fn(Request<Incoming>) -> F + Send + Sync + 'static,
    F: Future<Output = Response<Full<Bytes>>> + Send + 'static,
{
    let connections = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .keep_alive(true);
    loop {
        let Ok(permit) = connections.clone().acquire_owned().await else {
            return;
        };
        let Ok((stream, _)) = listener.accept().await else {
            // Typically EMFILE; back off instead of spinning.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        // silent-ok: NODELAY only affects latency.
        let _ = stream.set_nodelay(true);
        let handler = handler.clone();
        let service = service_fn(move |request| {
            let answer = handler(request);
            async move { Ok::<_, Infallible>(answer.await) }
        });
        let connection = http.serve_connection(TokioIo::new(stream), service);
        tokio::spawn(async move {
            // A client hanging up mid-request is not the benchmark's concern.
            let _ = connection.await;
            drop(permit);
        });
    }
}

/// An empty response with `status`.
pub fn empty(status: http::StatusCode) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = status;
    response
}
