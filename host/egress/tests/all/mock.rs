//! A small HTTP/1 server on 127.0.0.1:0 that records what reaches it.
//!
//! Routes: `/slow` never answers in time, `/big` sends a 4 KiB body with a length,
//! `/big-stream` sends 16 KiB in chunks without one, `/redirect?to=URL` answers 302,
//! `/reflect?name=N&body=B` answers with a header named `N` and the body `B`,
//! and anything else echoes the request line, `authorization` and body back (in the
//! body and in an `x-echo-authorization` header).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// One request as the mock saw it.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    pub(crate) method: String,
    pub(crate) path_and_query: String,
    pub(crate) authorization: Option<String>,
    pub(crate) body: Vec<u8>,
}

pub(crate) struct Mock {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: JoinHandle<()>,
}

impl Mock {
    pub(crate) async fn start() -> Mock {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let log = Arc::clone(&log);
                tokio::spawn(async move {
                    let service = service_fn(move |req| handle(Arc::clone(&log), req));
                    // A client that gives up mid-response is expected in these tests.
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Mock { addr, seen, task }
    }

    pub(crate) fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `http://127.0.0.1:PORT` followed by `path`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub(crate) fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("mock log").clone()
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        self.task.abort();
    }
}

type Body = BoxBody<Bytes, Infallible>;

async fn handle(
    log: Arc<Mutex<Vec<Seen>>>,
    req: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    let (parts, body) = req.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes().to_vec(),
        Err(_) => Vec::new(),
    };
    let authorization = parts
        .headers
        .get("authorization")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let path_and_query = parts
        .uri
        .path_and_query()
        .map(|pq| pq.as_str().to_owned())
        .unwrap_or_default();
    let seen = Seen {
        method: parts.method.to_string(),
        path_and_query: path_and_query.clone(),
        authorization: authorization.clone(),
        body: body.clone(),
    };
    log.lock().expect("mock log").push(seen);

    let response = match parts.uri.path() {
        "/slow" => {
            tokio::time::sleep(Duration::from_secs(60)).await;
            Response::new(full("late"))
        }
        "/big" => Response::new(full(vec![b'x'; 4096])),
        "/big-stream" => {
            let chunks = (0..64).map(|_| Ok(Frame::data(Bytes::from(vec![b'y'; 256]))));
            Response::new(StreamBody::new(futures::stream::iter(chunks)).boxed())
        }
        "/reflect" => {
            // A server that hands text back in a header name and the body, the way a
            // careless API reflects what it was sent.
            let query = parts.uri.query().unwrap_or_default();
            let param = |key: &str| {
                query
                    .split('&')
                    .find_map(|pair| pair.strip_prefix(key)?.strip_prefix('='))
                    .unwrap_or_default()
                    .to_owned()
            };
            let mut response = Response::new(full(param("body")));
            let name = http::HeaderName::from_bytes(param("name").as_bytes()).expect("header name");
            response
                .headers_mut()
                .insert(name, "reflected".parse().expect("value"));
            response
        }
        "/redirect" => {
            let to = parts
                .uri
                .query()
                .and_then(|q| q.strip_prefix("to="))
                .unwrap_or("/");
            let mut response = Response::new(full("moved"));
            *response.status_mut() = StatusCode::FOUND;
            response
                .headers_mut()
                .insert("location", to.parse().expect("location header"));
            response
        }
        _ => {
            let text = format!(
                "{} {path_and_query}\nauthorization: {}\nbody: {}",
                parts.method,
                authorization.as_deref().unwrap_or("-"),
                String::from_utf8_lossy(&body)
            );
            let mut response = Response::new(full(text));
            if let Some(auth) = authorization {
                response
                    .headers_mut()
                    .insert("x-echo-authorization", auth.parse().expect("header value"));
            }
            response
        }
    };
    Ok(response)
}

fn full(body: impl Into<Bytes>) -> Body {
    Full::new(body.into()).boxed()
}
