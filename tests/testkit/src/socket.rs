//! The programmable loopback WebSocket server: a platform's side of a session.

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures::{SinkExt as _, StreamExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{
    Callback, ErrorResponse, Request, Response,
};

/// What [`SocketConn::recv`] got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    Text(String),
    /// Nothing within the time given.
    Nothing,
    /// The client closed the connection or is gone.
    Closed,
}

/// One accepted connection, handed to the test's script.
pub struct SocketConn {
    /// 0 for the first connection, then 1, 2, ...
    pub index: usize,
    /// The request line's path and query of the opening handshake.
    pub path: String,
    socket: WebSocketStream<TcpStream>,
    log: Arc<Mutex<Vec<(usize, String)>>>,
}

impl SocketConn {
    /// Sends a text frame; false once the client is gone.
    pub async fn send(&mut self, text: &str) -> bool {
        self.socket.send(Message::text(text)).await.is_ok()
    }

    /// The next text frame from the client within `limit` (pings and pongs skipped).
    /// Every text frame is also logged.
    pub async fn recv(&mut self, limit: Duration) -> Received {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let next = tokio::time::timeout_at(deadline, self.socket.next()).await;
            match next {
                Ok(Some(Ok(Message::Text(text)))) => {
                    let text = text.as_str().to_owned();
                    lock(&self.log).push((self.index, text.clone()));
                    return Received::Text(text);
                }
                Ok(Some(Ok(Message::Close(_)) | Err(_)) | None) => return Received::Closed,
                Ok(Some(Ok(_))) => {}
                Err(_) => return Received::Nothing,
            }
        }
    }

    /// Waits until the client closes the connection (or `limit` passes); true if it did.
    pub async fn closed_by_client(&mut self, limit: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            match tokio::time::timeout_at(deadline, self.socket.next()).await {
                Ok(None | Some(Err(_) | Ok(Message::Close(_)))) => return true,
                Ok(Some(Ok(Message::Text(text)))) => {
                    lock(&self.log).push((self.index, text.as_str().to_owned()));
                }
                Ok(Some(Ok(_))) => {}
                Err(_) => return false,
            }
        }
    }

    /// Ends the connection with a close frame.
    pub async fn close(mut self) {
        // silent-ok: the client may already be gone.
        let _ = self.socket.close(None).await;
    }

    /// Drops the TCP connection without a close frame, as a network failure does.
    pub fn drop_abruptly(self) {
        drop(self.socket);
    }
}

/// A loopback WebSocket server: each accepted connection runs `script` (given the
/// connection and its index); runs until the test's runtime ends.
#[derive(Clone)]
pub struct SocketServer {
    /// `ws://127.0.0.1:PORT`.
    pub url: String,
    /// `http://127.0.0.1:PORT`, the origin an operator grants for it.
    pub origin: String,
    log: Arc<Mutex<Vec<(usize, String)>>>,
    accepted: Arc<Mutex<usize>>,
}

impl SocketServer {
    /// Starts on a fresh loopback port.
    pub async fn start<F, Fut>(script: F) -> SocketServer
    where
        F: Fn(SocketConn) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        let log: Arc<Mutex<Vec<(usize, String)>>> = Arc::default();
        let accepted: Arc<Mutex<usize>> = Arc::default();
        let script = Arc::new(script);
        let (shared_log, shared_accepted) = (log.clone(), accepted.clone());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let path = Arc::new(Mutex::new(String::new()));
                let callback = RecordPath(path.clone());
                let Ok(socket) = tokio_tungstenite::accept_hdr_async(stream, callback).await else {
                    continue;
                };
                let index = {
                    let mut accepted = lock(&shared_accepted);
                    *accepted += 1;
                    *accepted - 1
                };
                let conn = SocketConn {
                    index,
                    path: lock(&path).clone(),
                    socket,
                    log: shared_log.clone(),
                };
                tokio::spawn(script(conn));
            }
        });
        SocketServer {
            url: format!("ws://{addr}"),
            origin: format!("http://{addr}"),
            log,
            accepted,
        }
    }

    /// Every text frame the clients sent, with the index of its connection.
    pub fn received(&self) -> Vec<(usize, String)> {
        lock(&self.log).clone()
    }

    /// How many connections were accepted.
    pub fn connections(&self) -> usize {
        *lock(&self.accepted)
    }
}

/// Keeps the path and query of the opening handshake.
struct RecordPath(Arc<Mutex<String>>);

impl Callback for RecordPath {
    fn on_request(self, request: &Request, response: Response) -> Result<Response, ErrorResponse> {
        if let Some(pq) = request.uri().path_and_query() {
            *lock(&self.0) = pq.to_string();
        }
        Ok(response)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
