use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::ingress::routes::{Surface, route};
use crate::ingress::write_timeout::{STALLED, WriteTimeout, is_stalled};
use crate::shared::Shared;

/// Accepts connections until `shutdown` resolves, then stops accepting and waits
/// (up to the configured grace period) for requests in flight to finish.
pub(crate) async fn serve(
    listener: TcpListener,
    surface: Surface,
    shared: Arc<Shared>,
    shutdown: impl Future<Output = ()>,
) {
    let graceful = GracefulShutdown::new();
    let connections = Arc::new(Semaphore::new(shared.server.max_connections));
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        // Slow clients cannot hold a connection open without sending headers; the same
        // timer runs while a kept-alive connection waits for its next request.
        .header_read_timeout(shared.server.header_timeout)
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = connections.clone().acquire_owned() => permit,
            () = &mut shutdown => break,
        };
        let Ok(permit) = permit else { break };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                // Typically EMFILE; back off briefly instead of spinning.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let stream = WriteTimeout::new(stream, shared.server.write_timeout);
        let shared = shared.clone();
        let service = service_fn(move |request| {
            let shared = shared.clone();
            async move { Ok::<_, Infallible>(route(shared, surface, request).await) }
        });
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                if is_stalled(&e) {
                    tracing::info!(%peer, "closed a connection: {STALLED} (server.write_timeout_ms)");
                } else {
                    tracing::debug!(%peer, error = %e, "connection ended with an error");
                }
            }
            drop(permit);
        });
    }
    drop(listener);
    tracing::info!("no longer accepting connections; finishing requests in flight");
    tokio::select! {
        () = graceful.shutdown() => tracing::info!("all connections closed"),
        () = tokio::time::sleep(shared.server.shutdown_grace) => {
            tracing::warn!(grace = ?shared.server.shutdown_grace, "requests still in flight after the grace period; closing");
        }
    }
}
