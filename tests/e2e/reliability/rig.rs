//! A daemon serving one WhatsApp instance against the mock Graph API, with helpers
//! to post signed deliveries (one message each), fire bursts, and read back what
//! the operator sees: stored messages, replies, dead letters and the log.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinSet;

use super::api::GraphApi;
use crate::harness::{TestDaemon, eventually};

const APP_SECRET: &str = "reliability-app-secret-5c1d";
pub(crate) const PHONE_NUMBER_ID: &str = "106540352242922";

/// The parts of `switchboard.toml` a test varies.
pub(crate) struct Config {
    /// Extra `[server]` keys.
    pub(crate) server: String,
    /// The `[agent]` table's body.
    pub(crate) agent: String,
    /// The `[delivery]` table's body.
    pub(crate) delivery: String,
    /// A `[store]` table; none means the SQLite file in the data directory.
    pub(crate) store: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            server: String::new(),
            agent: r#"kind = "echo""#.to_owned(),
            // Retries in tens of milliseconds, so a test sees several within a second.
            delivery: "retry_base_ms = 20\nretry_max_ms = 200\nreply_max_attempts = 5\n\
                       hook_max_attempts = 5\nagent_max_attempts = 5"
                .to_owned(),
            store: None,
        }
    }
}

impl Config {
    pub(crate) fn agent(mut self, agent: &str) -> Config {
        self.agent = agent.to_owned();
        self
    }

    pub(crate) fn delivery(mut self, extra: &str) -> Config {
        self.delivery = format!("{}\n{extra}", self.delivery);
        self
    }

    /// Keeps everything in a fresh PostgreSQL database on the test cluster, reached
    /// at `url` (its own URL, or a proxy's in front of it).
    pub(crate) fn postgres(mut self, url: &str) -> Config {
        self.store = Some(format!("[store]\nkind = \"postgres\"\nurl = \"{url}\"\n"));
        self
    }

    /// Adds keys to the `[store]` table set by [`Config::postgres`].
    pub(crate) fn store_extra(mut self, extra: &str) -> Config {
        if let Some(store) = &mut self.store {
            store.push_str(extra);
            store.push('\n');
        }
        self
    }

    pub(crate) fn server(mut self, extra: &str) -> Config {
        self.server = extra.to_owned();
        self
    }

    fn toml(&self, origin: &str) -> String {
        // Later keys of the same name would be a TOML error, so overrides replace.
        let mut delivery = BTreeMap::new();
        for line in self.delivery.lines().filter(|l| !l.trim().is_empty()) {
            let key = line.split('=').next().unwrap_or_default().trim().to_owned();
            delivery.insert(key, line.trim().to_owned());
        }
        let delivery: Vec<String> = delivery.into_values().collect();
        format!(
            r#"
[server]
listen = "127.0.0.1:0"
data_dir = "data"
{server}

[agent]
{agent}

[delivery]
{delivery}

{store}
[channels.wa]
component = "whatsapp"
secrets = {{ app_secret = "{APP_SECRET}", verify_token = "vt", access_token = "token-7f3a" }}
settings = {{ api_base = "{origin}/v23.0" }}
allow = ["{origin}"]
"#,
            server = self.server,
            agent = self.agent,
            delivery = delivery.join("\n"),
            store = self.store.as_deref().unwrap_or_default(),
        )
    }
}

/// The running daemon, its Graph API, and a client.
pub(crate) struct Rig {
    pub(crate) daemon: TestDaemon,
    pub(crate) api: GraphApi,
    pub(crate) http: reqwest::Client,
}

impl Rig {
    /// Installs the WhatsApp channel and starts the daemon.
    pub(crate) async fn start(config: Config) -> Rig {
        let api = GraphApi::start().await;
        let mut daemon = TestDaemon::new(&config.toml(&api.server.origin));
        daemon.install("whatsapp");
        if config.store.is_some() {
            let (ok, out, err) = daemon.cli(&["migrate"]);
            assert!(ok, "switchboard migrate failed: {out}{err}");
        }
        daemon.start();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client");
        Rig { daemon, api, http }
    }

    /// A second daemon, not started, with `config` and the same WhatsApp API as `other`
    /// (another node of the same deployment).
    pub(crate) fn config_daemon(config: Config, other: &Rig) -> TestDaemon {
        let daemon = TestDaemon::new(&config.toml(&other.api.server.origin));
        daemon.install("whatsapp");
        daemon
    }

    /// Replaces `switchboard.toml`; takes effect at the next start (or CLI command).
    pub(crate) fn reconfigure(&self, config: Config) {
        self.daemon
            .reconfigure(&config.toml(&self.api.server.origin));
    }

    /// Restarts a daemon that was stopped or killed.
    pub(crate) fn restart(&mut self) {
        self.daemon.start();
    }

    /// Posts one signed delivery holding one text message.
    pub(crate) async fn post(
        &self,
        id: &str,
        from: &str,
        text: &str,
    ) -> reqwest::Result<reqwest::Response> {
        post(
            &self.http,
            &self.daemon.url("/webhooks/wa"),
            &body(id, from, text),
        )
        .await
    }

    /// Posts and expects 200.
    pub(crate) async fn post_ok(&self, id: &str, from: &str, text: &str) {
        let status = self
            .post(id, from, text)
            .await
            .expect("post")
            .status()
            .as_u16();
        assert_eq!(status, 200, "delivery {id}; log:\n{}", self.log());
    }

    /// Rows per external id, from `switchboard messages --json`.
    pub(crate) fn stored(&self) -> BTreeMap<String, usize> {
        let mut rows = BTreeMap::new();
        for m in self.daemon.messages() {
            let id = m["external_id"].as_str().expect("external_id").to_owned();
            *rows.entry(id).or_insert(0) += 1;
        }
        rows
    }

    /// `switchboard dead-letters list --json` (unreplayed only).
    pub(crate) fn dead_letters(&self) -> Vec<Value> {
        self.daemon.json_lines(&["dead-letters", "list", "--json"])
    }

    /// The daemon's log without terminal colours.
    pub(crate) fn log(&self) -> String {
        strip_ansi(&self.daemon.log())
    }

    /// Waits up to 20 s for `check`; fails with the log otherwise.
    pub(crate) async fn wait<T>(&self, what: &str, check: impl FnMut() -> Option<T>) -> T {
        match eventually(Duration::from_secs(20), check).await {
            Some(v) => v,
            None => panic!("timed out waiting for {what}; log:\n{}", self.log()),
        }
    }

    /// Waits until every reply in the outbox is sent and there are `count` of them.
    pub(crate) async fn wait_replies_sent(&self, count: usize) -> Vec<Value> {
        self.wait(&format!("{count} sent replies"), || {
            let replies = self.daemon.replies();
            (replies.len() == count && replies.iter().all(|r| r["status"] == "sent"))
                .then_some(replies)
        })
        .await
    }
}

/// The URL of a fresh, empty database on the test cluster.
pub(crate) async fn fresh_postgres_url() -> String {
    switchboard_store::testing::empty_postgres_database()
        .await
        .url
}

/// A WhatsApp delivery with one text message; the conversation is the sender.
pub(crate) fn body(id: &str, from: &str, text: &str) -> Vec<u8> {
    let value = json!({
        "object": "whatsapp_business_account",
        "entry": [{
            "id": "102290129340398",
            "changes": [{ "field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": { "display_phone_number": "15550783881", "phone_number_id": PHONE_NUMBER_ID },
                "contacts": [{ "profile": { "name": "Reliability Test" }, "wa_id": from }],
                "messages": [{
                    "from": from, "id": id, "timestamp": "1749416383", "type": "text",
                    "text": { "body": text }
                }],
            }}],
        }],
    });
    serde_json::to_vec(&value).expect("json")
}

fn sign(body: &[u8]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, APP_SECRET.as_bytes());
    format!(
        "sha256={}",
        hex::encode(ring::hmac::sign(&key, body).as_ref())
    )
}

async fn post(
    http: &reqwest::Client,
    url: &str,
    body: &[u8],
) -> reqwest::Result<reqwest::Response> {
    http.post(url)
        .header("content-type", "application/json")
        .header("x-hub-signature-256", sign(body))
        .body(body.to_vec())
        .send()
        .await
}

fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI sequences end with a letter.
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// What the sender saw for one delivery of a burst.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seen {
    Status(u16),
    /// No answer: refused, reset or closed.
    NoAnswer,
}

/// Deliveries posted concurrently in the background.
pub(crate) struct Burst {
    acked: Arc<AtomicUsize>,
    reached: Arc<Notify>,
    tasks: JoinSet<(String, Seen)>,
}

impl Burst {
    /// Posts one delivery per `(id, from, text)`, `concurrency` at a time. `threshold`
    /// 200s in, [`Burst::reached`] returns.
    pub(crate) fn start(
        rig: &Rig,
        messages: Vec<(String, String, String)>,
        concurrency: usize,
        threshold: usize,
    ) -> Burst {
        let url = rig.daemon.url("/webhooks/wa");
        Burst::start_at(&rig.http, &url, messages, concurrency, threshold)
    }

    /// Like [`Burst::start`], to the webhook at `url` (another node, a proxy).
    pub(crate) fn start_at(
        http: &reqwest::Client,
        url: &str,
        messages: Vec<(String, String, String)>,
        concurrency: usize,
        threshold: usize,
    ) -> Burst {
        let acked = Arc::new(AtomicUsize::new(0));
        let reached = Arc::new(Notify::new());
        let permits = Arc::new(Semaphore::new(concurrency));
        let mut tasks = JoinSet::new();
        for (id, from, text) in messages {
            let (acked, reached, permits) = (acked.clone(), reached.clone(), permits.clone());
            let (http, url) = (http.clone(), url.to_owned());
            tasks.spawn(async move {
                let _permit = permits.acquire_owned().await.expect("semaphore");
                let seen = match post(&http, &url, &body(&id, &from, &text)).await {
                    Ok(resp) => Seen::Status(resp.status().as_u16()),
                    Err(_) => Seen::NoAnswer,
                };
                if seen == Seen::Status(200)
                    && acked.fetch_add(1, Ordering::SeqCst) + 1 == threshold
                {
                    reached.notify_one();
                }
                (id, seen)
            });
        }
        Burst {
            acked,
            reached,
            tasks,
        }
    }

    /// Returns once `threshold` deliveries were acknowledged.
    pub(crate) async fn reached(&self) {
        self.reached.notified().await;
    }

    pub(crate) fn acked(&self) -> usize {
        self.acked.load(Ordering::SeqCst)
    }

    /// Waits for every delivery and returns what each sender saw.
    pub(crate) async fn finish(mut self) -> Vec<(String, Seen)> {
        let mut seen = Vec::new();
        while let Some(result) = self.tasks.join_next().await {
            seen.push(result.expect("burst task"));
        }
        seen
    }
}

/// Posts every delivery until each is acknowledged, as a platform does: a delivery
/// refused with 503 (the store was not durable in time, or unreachable) is sent again
/// after a short pause, standing in for `Retry-After`. Any answer other than 200 or 503
/// fails the test: a delivery is either stored or refused, never half of it. Returns
/// how many posts were refused on the way.
pub(crate) async fn deliver_until_acknowledged(
    http: &reqwest::Client,
    url: &str,
    messages: Vec<(String, String, String)>,
    concurrency: usize,
) -> usize {
    let mut pending = messages;
    let mut refused = 0;
    for _ in 0..40 {
        if pending.is_empty() {
            return refused;
        }
        let seen = Burst::start_at(http, url, pending.clone(), concurrency, 1)
            .finish()
            .await;
        for (id, s) in &seen {
            assert!(
                matches!(s, Seen::Status(200 | 503)),
                "{id}: {s:?}; only 200 or 503, never an acknowledgement of nothing"
            );
        }
        let again: Vec<&String> = seen
            .iter()
            .filter(|(_, s)| *s == Seen::Status(503))
            .map(|(id, _)| id)
            .collect();
        refused += again.len();
        pending.retain(|(id, _, _)| again.contains(&id));
        if !pending.is_empty() {
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
    assert!(
        pending.is_empty(),
        "{} deliveries were never acknowledged",
        pending.len()
    );
    refused
}

/// `n` messages spread over `senders` conversations, ids prefixed with `tag`.
pub(crate) fn messages(tag: &str, n: usize, senders: usize) -> Vec<(String, String, String)> {
    (0..n)
        .map(|i| {
            (
                format!("wamid.{tag}-{i:04}"),
                format!("1650555{:04}", i % senders),
                format!("{tag} message {i}"),
            )
        })
        .collect()
}

/// A pseudo-random number in `lo..hi`, different from run to run, so each run
/// interrupts the daemon at another moment.
pub(crate) fn somewhere_in(lo: usize, hi: usize) -> usize {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as usize)
        .unwrap_or(0);
    lo + nanos % (hi - lo)
}
