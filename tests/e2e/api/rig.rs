//! A daemon serving one WhatsApp instance against a mock Graph API, with the API
//! token in its environment, and a client for `/v1/`.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::harness::{TestDaemon, eventually};
use crate::mock::{MockApi, Recorded, Rule};

pub(crate) const TOKEN: &str = "api-token-6b1f9e0c2d7a4e58";
pub(crate) const PHONE_NUMBER_ID: &str = "106540352242922";
/// A conversation as the WhatsApp channel names it: `<phone number id>:<wa id>`.
pub(crate) const CONVERSATION: &str = "106540352242922:16505551234";

/// Whether the config has an `[api]` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Api {
    On,
    Off,
}

pub(crate) struct Rig {
    pub(crate) daemon: TestDaemon,
    pub(crate) graph: MockApi,
    pub(crate) http: reqwest::Client,
}

/// A successful Graph API send, with the message id the channel reports.
pub(crate) fn sent(id: &str) -> Rule {
    Rule {
        path: "/messages".to_owned(),
        status: 200,
        body: json!({
            "messaging_product": "whatsapp",
            "contacts": [{ "input": "16505551234", "wa_id": "16505551234" }],
            "messages": [{ "id": id }],
        })
        .to_string(),
        headers: Vec::new(),
        times: None,
    }
}

impl Rig {
    /// Installs the WhatsApp channel and writes the config; `rules` script the Graph
    /// API (first match wins). The daemon is not started.
    pub(crate) async fn new(api: Api, rules: Vec<Rule>) -> Rig {
        let graph = MockApi::start().await;
        for rule in rules {
            graph.rule(rule);
        }
        let origin = &graph.origin;
        let api_table = match api {
            Api::On => "[api]\ntoken = { env = \"SB_TEST_API_TOKEN\" }\n",
            Api::Off => "",
        };
        let config = format!(
            r#"
[server]
listen = "127.0.0.1:0"
data_dir = "data"

[delivery]
retry_base_ms = 20
retry_max_ms = 200

{api_table}
[channels.wa]
component = "whatsapp"
secrets = {{ app_secret = "api-test-app-secret", verify_token = "vt", access_token = "token-7f3a" }}
settings = {{ api_base = "{origin}/v23.0" }}
allow = ["{origin}"]
"#
        );
        let daemon = TestDaemon::new(&config).env("SB_TEST_API_TOKEN", TOKEN);
        daemon.install("whatsapp");
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client");
        Rig {
            daemon,
            graph,
            http,
        }
    }

    /// [`Rig::new`], started.
    pub(crate) async fn start(api: Api, rules: Vec<Rule>) -> Rig {
        let mut rig = Rig::new(api, rules).await;
        rig.daemon.start();
        rig
    }

    /// A URL on the admin listener.
    pub(crate) fn admin_url(&self, path: &str) -> String {
        let admin = self.daemon.admin.as_ref().expect("an admin listener");
        format!("http://{admin}{path}")
    }

    /// `POST /v1/messages` with the token and `extra` headers; (status, JSON body).
    pub(crate) async fn post(&self, body: &Value, extra: &[(&str, &str)]) -> (u16, Value) {
        let mut request = self
            .http
            .post(self.admin_url("/v1/messages"))
            .bearer_auth(TOKEN)
            .json(body);
        for (name, value) in extra {
            request = request.header(*name, *value);
        }
        answer(request.send().await.expect("post")).await
    }

    /// `GET` on the admin listener with the token; (status, JSON body).
    pub(crate) async fn get(&self, path: &str) -> (u16, Value) {
        let response = self
            .http
            .get(self.admin_url(path))
            .bearer_auth(TOKEN)
            .send()
            .await
            .expect("get");
        answer(response).await
    }

    /// Waits until `GET /v1/messages/ID` says `state`, and returns it.
    pub(crate) async fn wait_state(&self, id: i64, state: &str) -> Value {
        let path = format!("/v1/messages/{id}");
        let mut last = Value::Null;
        for _ in 0..400 {
            let (status, body) = self.get(&path).await;
            assert_eq!(status, 200, "{body}");
            if body["state"] == state {
                return body;
            }
            last = body;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "message {id} never became {state}: {last}\nlog:\n{}",
            self.daemon.log()
        );
    }

    /// Text messages the Graph API was asked to send, with the status it answered.
    pub(crate) fn texts(&self) -> Vec<(Recorded, Value)> {
        self.graph
            .requests_to("/messages")
            .into_iter()
            .filter_map(|r| {
                let body = r.json();
                (body["type"] == "text").then_some((r, body))
            })
            .collect()
    }

    /// Waits until the Graph API got `n` text sends.
    pub(crate) async fn wait_texts(&self, n: usize) -> Vec<Value> {
        let found = eventually(Duration::from_secs(20), || {
            let texts = self.texts();
            (texts.len() >= n).then_some(texts)
        })
        .await;
        match found {
            Some(texts) => texts.into_iter().map(|(_, body)| body).collect(),
            None => panic!(
                "the Graph API did not get {n} sends; log:\n{}",
                self.daemon.log()
            ),
        }
    }
}

async fn answer(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}

/// Writes `request` on a fresh connection to `addr` and reads the answer until the
/// server closes the connection (or 10 s pass).
pub(crate) async fn raw_exchange(addr: &str, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request).await.expect("write request");
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    // silent-ok: a timeout leaves what was read, which the caller checks.
    let _ = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    String::from_utf8_lossy(&received).into_owned()
}
