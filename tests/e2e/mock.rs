//! A local stand-in for a platform API: records every request and answers from a
//! scripted list (first matching path substring wins; default 200 `{"ok":true}`).

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;

/// One request the mock received.
#[derive(Debug, Clone)]
pub(crate) struct Recorded {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Recorded {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A scripted answer: for paths containing `path`, answer `status` + `body`,
/// `times` times (then fall through to later rules).
#[derive(Debug, Clone)]
pub(crate) struct Rule {
    pub(crate) path: String,
    pub(crate) status: u16,
    pub(crate) body: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) times: Option<usize>,
}

#[derive(Default)]
struct State {
    requests: Vec<Recorded>,
    rules: Vec<Rule>,
}

/// The running mock.
#[derive(Clone)]
pub(crate) struct MockApi {
    pub(crate) origin: String,
    state: Arc<Mutex<State>>,
}

impl MockApi {
    pub(crate) async fn start() -> MockApi {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind mock");
        let origin = format!("http://{}", listener.local_addr().expect("addr"));
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let state = shared.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                        let state = state.clone();
                        async move { Ok::<_, Infallible>(answer(&state, req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        MockApi { origin, state }
    }

    /// Adds a scripted answer.
    pub(crate) fn rule(&self, rule: Rule) {
        self.state.lock().expect("mock state").rules.push(rule);
    }

    /// Every request so far.
    pub(crate) fn requests(&self) -> Vec<Recorded> {
        self.state.lock().expect("mock state").requests.clone()
    }

    /// Requests whose path contains `part`.
    pub(crate) fn requests_to(&self, part: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.path.contains(part))
            .collect()
    }
}

async fn answer(
    state: &Mutex<State>,
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
    let mut st = state.lock().expect("mock state");
    st.requests.push(Recorded {
        method,
        path: path.clone(),
        headers,
        body,
    });
    let mut chosen = None;
    for rule in st.rules.iter_mut() {
        if path.contains(&rule.path) && rule.times != Some(0) {
            if let Some(t) = rule.times.as_mut() {
                *t -= 1;
            }
            chosen = Some(rule.clone());
            break;
        }
    }
    let (status, body, extra) = match chosen {
        Some(r) => (r.status, r.body, r.headers),
        None => (200, r#"{"ok":true,"success":true}"#.to_owned(), Vec::new()),
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = hyper::StatusCode::from_u16(status).expect("status");
    response
        .headers_mut()
        .insert("content-type", "application/json".parse().expect("header"));
    for (k, v) in extra {
        response.headers_mut().insert(
            hyper::header::HeaderName::from_bytes(k.as_bytes()).expect("name"),
            v.parse().expect("value"),
        );
    }
    response
}
