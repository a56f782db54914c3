//! A one-route HTTP server on 127.0.0.1:0 that records every request and answers
//! each with the same canned response.

use std::convert::Infallible;
use std::sync::Arc;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{HeaderMap, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use url::Url;

/// What the server answers.
#[derive(Clone)]
pub(crate) enum Answer {
    /// A status, extra headers and a body.
    Reply {
        status: u16,
        headers: Vec<(&'static str, &'static str)>,
        body: Vec<u8>,
    },
    /// Never answers, to exercise timeouts.
    Hang,
}

impl Answer {
    pub(crate) fn json(status: u16, body: serde_json::Value) -> Answer {
        Answer::Reply {
            status,
            headers: vec![("content-type", "application/json")],
            body: body.to_string().into_bytes(),
        }
    }

    pub(crate) fn raw(status: u16, body: &str) -> Answer {
        Answer::Reply {
            status,
            headers: Vec::new(),
            body: body.as_bytes().to_vec(),
        }
    }
}

/// A request as the server saw it.
pub(crate) struct Recorded {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
}

impl Recorded {
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("the request body is json")
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(name)
            .map(|value| value.to_str().expect("header value is text"))
    }
}

pub(crate) struct MockServer {
    /// `http://127.0.0.1:<port>/`.
    url: Url,
    requests: mpsc::UnboundedReceiver<Recorded>,
}

impl MockServer {
    pub(crate) async fn start(answer: Answer) -> MockServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let port = listener.local_addr().expect("local addr").port();
        let (sender, requests) = mpsc::unbounded_channel();
        let answer = Arc::new(answer);
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let sender = sender.clone();
                let answer = Arc::clone(&answer);
                tokio::spawn(async move {
                    let service = service_fn(move |request| {
                        handle(request, sender.clone(), Arc::clone(&answer))
                    });
                    // A client that gives up mid-request (the timeout test) ends the
                    // connection with an error, which is expected here.
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        MockServer {
            url: Url::parse(&format!("http://127.0.0.1:{port}/")).expect("valid url"),
            requests,
        }
    }

    /// The URL of `path` on this server.
    pub(crate) fn at(&self, path: &str) -> Url {
        self.url.join(path).expect("valid path")
    }

    /// The next request the server received.
    pub(crate) async fn next_request(&mut self) -> Recorded {
        self.requests
            .recv()
            .await
            .expect("the server recorded a request")
    }

    /// Whether no request has arrived (yet). Only meaningful after the agent call that
    /// would have sent one has returned.
    pub(crate) fn saw_no_request(&mut self) -> bool {
        self.requests.try_recv().is_err()
    }
}

async fn handle(
    request: Request<Incoming>,
    sender: mpsc::UnboundedSender<Recorded>,
    answer: Arc<Answer>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .expect("request body")
        .to_bytes()
        .to_vec();
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let _ = sender.send(Recorded {
        method: parts.method.to_string(),
        path,
        headers: parts.headers,
        body,
    });
    match &*answer {
        Answer::Hang => std::future::pending().await,
        Answer::Reply {
            status,
            headers,
            body,
        } => {
            let mut response = Response::new(Full::new(Bytes::from(body.clone())));
            *response.status_mut() = StatusCode::from_u16(*status).expect("valid status");
            for (name, value) in headers {
                response
                    .headers_mut()
                    .insert(*name, value.parse().expect("valid header value"));
            }
            Ok(response)
        }
    }
}
