//! A local HTTP server whose answers are computed per request and can be held back:
//! an agent endpoint that answers each turn differently, or a platform API that
//! takes its time. Every request is recorded in the shape of [`Recorded`].

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::mock::Recorded;

/// Computes the answer (status, JSON body) to the request numbered `n` (0-based).
type Answer = dyn Fn(&Recorded, usize) -> (u16, String) + Send + Sync;

/// The running server.
#[derive(Clone)]
pub(crate) struct ScriptedServer {
    pub(crate) origin: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
    held: Arc<watch::Sender<bool>>,
}

impl ScriptedServer {
    /// Starts answering on a fresh loopback port.
    pub(crate) async fn start(
        answer: impl Fn(&Recorded, usize) -> (u16, String) + Send + Sync + 'static,
    ) -> ScriptedServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let origin = format!("http://{}", listener.local_addr().expect("addr"));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (held, _) = watch::channel(false);
        let held = Arc::new(held);
        let answer: Arc<Answer> = Arc::new(answer);
        let (shared_requests, shared_held) = (requests.clone(), held.clone());
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (requests, held, answer) =
                    (shared_requests.clone(), shared_held.clone(), answer.clone());
                tokio::spawn(async move {
                    let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                        let (requests, held, answer) =
                            (requests.clone(), held.clone(), answer.clone());
                        async move {
                            Ok::<_, Infallible>(respond(&requests, &held, &*answer, req).await)
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        ScriptedServer {
            origin,
            requests,
            held,
        }
    }

    /// From now on, requests are recorded at once but answered only after
    /// [`ScriptedServer::release`].
    pub(crate) fn hold(&self) {
        self.held.send_replace(true);
    }

    /// Answers every held request and stops holding.
    pub(crate) fn release(&self) {
        self.held.send_replace(false);
    }

    /// Every request so far, answered or not.
    pub(crate) fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().expect("requests").clone()
    }

    /// Requests whose path contains `part`.
    pub(crate) fn requests_to(&self, part: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.path.contains(part))
            .collect()
    }
}

async fn respond(
    requests: &Mutex<Vec<Recorded>>,
    held: &watch::Sender<bool>,
    answer: &Answer,
    req: Request<hyper::body::Incoming>,
) -> Response<Full<Bytes>> {
    let method = req.method().to_string();
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.to_string())
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
    let n = {
        let mut all = requests.lock().expect("requests");
        all.push(recorded.clone());
        all.len() - 1
    };
    let mut gate = held.subscribe();
    // The sender lives as long as the server task, so this cannot fail early.
    let _ = gate.wait_for(|held| !*held).await;
    let (status, body) = answer(&recorded, n);
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = hyper::StatusCode::from_u16(status).expect("status");
    response
        .headers_mut()
        .insert("content-type", "application/json".parse().expect("header"));
    response
}
