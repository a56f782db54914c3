//! The programmable loopback server.

use std::convert::Infallible;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// One request as the server received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub method: String,
    /// Path and query.
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Recorded {
    /// The body as JSON, or `Null` when it is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// The first header of that name, case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the server answers to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    /// Sent after `content-type: application/json`, which a header of the same name
    /// replaces.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Held this long before answering (a slow or hung upstream).
    pub delay: Duration,
}

impl Answer {
    /// `status` with a JSON (or any text) body.
    pub fn status(status: u16, body: &str) -> Answer {
        Answer {
            status,
            headers: Vec::new(),
            body: body.as_bytes().to_vec(),
            delay: Duration::ZERO,
        }
    }

    /// 200 with `body`.
    pub fn ok(body: &str) -> Answer {
        Answer::status(200, body)
    }

    /// Adds a response header.
    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> Answer {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Answers only after `delay`.
    #[must_use]
    pub fn delayed(mut self, delay: Duration) -> Answer {
        self.delay = delay;
        self
    }
}

type Handler = dyn Fn(&Recorded, usize) -> Answer + Send + Sync;

#[derive(Debug, Default)]
struct Log {
    /// Every request, as it arrived, answered or not.
    arrived: Vec<Recorded>,
    /// Requests that got their answer, with its status.
    answered: Vec<(Recorded, u16)>,
}

/// A loopback HTTP/1.1 server answering through a handler; runs until the test's
/// runtime ends.
#[derive(Clone)]
pub struct MockServer {
    /// `http://127.0.0.1:PORT`.
    pub origin: String,
    log: Arc<Mutex<Log>>,
    held: Arc<watch::Sender<bool>>,
}

impl std::fmt::Debug for MockServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockServer")
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

impl MockServer {
    /// Starts on a fresh loopback port. `handler` gets each request and its number
    /// (0-based, in arrival order) and returns the answer.
    pub async fn start(
        handler: impl Fn(&Recorded, usize) -> Answer + Send + Sync + 'static,
    ) -> MockServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let origin = format!("http://{}", listener.local_addr().expect("local address"));
        let log: Arc<Mutex<Log>> = Arc::default();
        let (held, _) = watch::channel(false);
        let held = Arc::new(held);
        let handler: Arc<Handler> = Arc::new(handler);
        let (shared_log, shared_held) = (log.clone(), held.clone());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (log, held, handler) =
                    (shared_log.clone(), shared_held.clone(), handler.clone());
                tokio::spawn(async move {
                    let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                        let (log, held, handler) = (log.clone(), held.clone(), handler.clone());
                        async move { Ok::<_, Infallible>(serve(req, &log, &held, &*handler).await) }
                    });
                    // silent-ok: a client that hangs up mid-request is the test's business.
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        MockServer { origin, log, held }
    }

    /// Every request so far, answered or not, in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.log).arrived.clone()
    }

    /// Requests whose path contains `part`.
    pub fn requests_to(&self, part: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.path.contains(part))
            .collect()
    }

    /// How many requests have arrived, answered or not.
    pub fn arrived(&self) -> usize {
        lock(&self.log).arrived.len()
    }

    /// Every request that got its answer, with the status it got.
    pub fn answered(&self) -> Vec<(Recorded, u16)> {
        lock(&self.log).answered.clone()
    }

    /// From now on, requests are recorded at once but answered only after
    /// [`MockServer::release`].
    pub fn hold(&self) {
        self.held.send_replace(true);
    }

    /// Answers every held request and stops holding.
    pub fn release(&self) {
        self.held.send_replace(false);
    }
}

fn lock(log: &Mutex<Log>) -> std::sync::MutexGuard<'_, Log> {
    log.lock().unwrap_or_else(PoisonError::into_inner)
}

async fn serve(
    req: Request<hyper::body::Incoming>,
    log: &Mutex<Log>,
    held: &watch::Sender<bool>,
    handler: &Handler,
) -> Response<Full<Bytes>> {
    let method = req.method().to_string();
    let path = req
        .uri()
        .path_and_query()
        .map(ToString::to_string)
        .unwrap_or_default();
    let headers = req
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes().to_vec())
        .unwrap_or_default();
    let recorded = Recorded {
        method,
        path,
        headers,
        body,
    };
    let number = {
        let mut log = lock(log);
        log.arrived.push(recorded.clone());
        log.arrived.len() - 1
    };
    let mut released = held.subscribe();
    // silent-ok: the sender lives as long as the server.
    let _ = released.wait_for(|held| !*held).await;
    let answer = handler(&recorded, number);
    if !answer.delay.is_zero() {
        tokio::time::sleep(answer.delay).await;
    }
    lock(log).answered.push((recorded, answer.status));
    let mut response = Response::new(Full::new(Bytes::from(answer.body)));
    *response.status_mut() =
        hyper::StatusCode::from_u16(answer.status).expect("a valid status code");
    response
        .headers_mut()
        .insert("content-type", "application/json".parse().expect("header"));
    for (name, value) in answer.headers {
        let name = hyper::header::HeaderName::from_bytes(name.as_bytes()).expect("header name");
        let value = value.parse().expect("header value");
        if name == hyper::header::CONTENT_TYPE {
            response.headers_mut().insert(name, value);
        } else {
            response.headers_mut().append(name, value);
        }
    }
    response
}
