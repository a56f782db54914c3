//! A stand-in for the WhatsApp Graph API on loopback, so the daemon's outbound
//! work (read receipts, replies) really happens during T3 without leaving the
//! machine. Every request gets 200 and a send-message answer; only the count is
//! kept.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::error::BenchError;

/// What the Graph API answers to a sent message (and, harmlessly, to a read receipt).
const ANSWER: &str = r#"{"messaging_product":"whatsapp","contacts":[{"input":"15550000000","wa_id":"15550000000"}],"messages":[{"id":"wamid.bench.outbound"}],"success":true}"#;

/// The running mock; stops when dropped.
#[derive(Debug)]
pub struct MockApi {
    /// `http://127.0.0.1:PORT`.
    pub origin: String,
    requests: Arc<AtomicU64>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl MockApi {
    /// Starts the mock on its own thread and loopback port.
    pub fn start() -> Result<MockApi, BenchError> {
        let listener =
            std::net::TcpListener::bind("127.0.0.1:0").map_err(|source| BenchError::Connect {
                addr: SocketAddr::from(([127, 0, 0, 1], 0)),
                source,
            })?;
        let addr = listener
            .local_addr()
            .map_err(|source| BenchError::Connect {
                addr: SocketAddr::from(([127, 0, 0, 1], 0)),
                source,
            })?;
        listener
            .set_nonblocking(true)
            .map_err(|source| BenchError::Connect { addr, source })?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|source| BenchError::Runtime { source })?;
        let requests = Arc::new(AtomicU64::new(0));
        let counter = requests.clone();
        let (stop, stopped) = oneshot::channel();
        let thread = std::thread::spawn(move || {
            runtime.block_on(async move {
                let Ok(listener) = TcpListener::from_std(listener) else {
                    return;
                };
                tokio::select! {
                    () = accept(listener, counter) => {}
                    _ = stopped => {}
                }
            });
        });
        Ok(MockApi {
            origin: format!("http://{addr}"),
            requests,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Requests answered so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
}

impl Drop for MockApi {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            // silent-ok: the thread may have ended on its own.
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            // silent-ok: a panicked mock thread has nothing left to clean up.
            let _ = thread.join();
        }
    }
}

async fn accept(listener: TcpListener, requests: Arc<AtomicU64>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Typically EMFILE; back off instead of spinning.
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            continue;
        };
        // silent-ok: NODELAY only affects latency.
        let _ = stream.set_nodelay(true);
        let requests = requests.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                let requests = requests.clone();
                async move {
                    // silent-ok: the body is not looked at, only drained.
                    let _ = request.into_body().collect().await;
                    requests.fetch_add(1, Ordering::Relaxed);
                    let mut response =
                        hyper::Response::new(Full::new(Bytes::from_static(ANSWER.as_bytes())));
                    response.headers_mut().insert(
                        http::header::CONTENT_TYPE,
                        http::HeaderValue::from_static("application/json"),
                    );
                    Ok::<_, Infallible>(response)
                }
            });
            // silent-ok: the daemon closing a pooled connection is normal.
            let _ = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
