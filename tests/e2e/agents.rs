//! Agents through the real daemon: the `http` contract (request, history, replies,
//! retries, dead letters), the `openai` chat-completions agent, and config errors.
//! Messages come in through the Telegram channel, whose replies are visible at a
//! mock Bot API.

mod http;
mod openai;
pub(crate) mod scripted;

use std::time::Duration;

use serde_json::{Value, json};

use crate::harness::{TestDaemon, cli, eventually};
use crate::mock::{MockApi, Recorded, Rule};

const WEBHOOK_SECRET: &str = "agents-e2e-secret";
const BOT_TOKEN: &str = "5550001111:AAagents-e2e-bot-token";
const CHAT: i64 = 4242;

/// A daemon with one Telegram instance `tg` at a mock Bot API and `agent` as its
/// `[agent]` table.
struct Setup {
    daemon: TestDaemon,
    bot_api: MockApi,
    http: reqwest::Client,
}

fn config(agent: &str, bot_api: &str) -> String {
    format!(
        r#"
[server]
listen = "127.0.0.1:0"
data_dir = "data"

{agent}

[channels.tg]
component = "telegram"
secrets = {{ webhook_secret = "{WEBHOOK_SECRET}", bot_token = "{BOT_TOKEN}" }}
settings = {{ api_base = "{bot_api}" }}
allow = ["{bot_api}"]
"#
    )
}

async fn setup(agent: &str, envs: &[(&str, &str)]) -> Setup {
    let bot_api = MockApi::start().await;
    bot_api.rule(Rule {
        path: "/sendMessage".to_owned(),
        status: 200,
        body: json!({"ok": true, "result": {"message_id": 1, "date": 1, "chat": {"id": CHAT}}})
            .to_string(),
        headers: Vec::new(),
        times: None,
    });
    let mut daemon = TestDaemon::new(&config(agent, &bot_api.origin));
    for (key, value) in envs {
        daemon = daemon.env(key, value);
    }
    daemon.install("telegram");
    daemon.start();
    Setup {
        daemon,
        bot_api,
        http: reqwest::Client::new(),
    }
}

impl Setup {
    /// Delivers a text message `message_id` of the test chat.
    async fn say(&self, message_id: i64, text: &str) {
        let update = json!({
            "update_id": message_id,
            "message": {
                "message_id": message_id,
                "date": 1_700_000_000 + message_id,
                "chat": {"id": CHAT, "type": "private", "first_name": "Ada"},
                "from": {"id": CHAT, "is_bot": false, "first_name": "Ada", "last_name": "Lovelace"},
                "text": text,
            }
        });
        self.deliver(&update).await;
    }

    async fn deliver(&self, update: &Value) {
        let status = self
            .http
            .post(self.daemon.url("/webhooks/tg"))
            .header("x-telegram-bot-api-secret-token", WEBHOOK_SECRET)
            .header("content-type", "application/json")
            .body(update.to_string())
            .send()
            .await
            .expect("post")
            .status();
        assert_eq!(status, 200, "log:\n{}", self.daemon.log());
    }

    /// The texts sent to the chat so far, in order.
    fn sent(&self) -> Vec<String> {
        self.bot_api
            .requests_to("/sendMessage")
            .iter()
            .map(|r| r.json()["text"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// Waits until `count` texts were sent and returns them.
    async fn wait_sent(&self, count: usize) -> Vec<String> {
        let sent = eventually(Duration::from_secs(20), || {
            let sent = self.sent();
            (sent.len() >= count).then_some(sent)
        })
        .await;
        sent.unwrap_or_else(|| {
            panic!(
                "expected {count} replies, got {:?}\nlog:\n{}",
                self.sent(),
                self.daemon.log()
            )
        })
    }
}

/// Waits until `requests` returns at least `count` agent requests and returns them.
async fn wait_requests(
    daemon: &TestDaemon,
    count: usize,
    requests: impl Fn() -> Vec<Recorded>,
) -> Vec<Recorded> {
    let seen = eventually(Duration::from_secs(20), || {
        let seen = requests();
        (seen.len() >= count).then_some(seen)
    })
    .await;
    seen.unwrap_or_else(|| {
        panic!(
            "expected {count} agent requests, got {:?}\nlog:\n{}",
            requests().iter().map(Recorded::json).collect::<Vec<_>>(),
            daemon.log()
        )
    })
}

fn replies(texts: &[&str]) -> String {
    let replies: Vec<Value> = texts.iter().map(|t| json!({ "text": t })).collect();
    json!({ "replies": replies }).to_string()
}

/// `(role, text)` of each history entry.
fn history(request: &Recorded) -> Vec<(String, String)> {
    request.json()["history"]
        .as_array()
        .expect("history is a list")
        .iter()
        .map(|e| {
            (
                e["role"].as_str().expect("role").to_owned(),
                e["text"].as_str().expect("text").to_owned(),
            )
        })
        .collect()
}

fn turn(role: &str, text: &str) -> (String, String) {
    (role.to_owned(), text.to_owned())
}

/// An RFC 3339 UTC timestamp with milliseconds, e.g. `2024-02-29T12:34:56.789Z`.
fn is_rfc3339_ms(value: &Value) -> bool {
    let Some(s) = value.as_str() else {
        return false;
    };
    let b = s.as_bytes();
    b.len() == 24
        && b[4] == b'-'
        && b[10] == b'T'
        && b[19] == b'.'
        && b[23] == b'Z'
        && s.starts_with("20")
}

#[tokio::test]
async fn bad_agent_config_fails_check_naming_the_key() {
    // One installation; each case is its own config file next to it.
    let base = TestDaemon::new(&config("[agent]\nkind = \"echo\"", "http://127.0.0.1:9"));
    base.install("telegram");
    let (ok, out, err) = base.cli(&["check"]);
    assert!(ok, "the base config is good:\n{out}\n{err}");

    let cases = [
        ("[agent]\nkind = \"nope\"", "agent.kind"),
        ("[agent]\nkind = \"http\"", "agent.url"),
        ("[agent]\nkind = \"http\"\nurl = \"not a url\"", "agent.url"),
        (
            "[agent]\nkind = \"http\"\nurl = \"http://127.0.0.1:9/\"\ntimeout_secs = 0",
            "agent.timeout_secs",
        ),
        (
            "[agent]\nkind = \"openai\"\nbase_url = \"http://127.0.0.1:9/v1\"",
            "agent.model",
        ),
        (
            "[agent]\nkind = \"openai\"\nmodel = \"m\"",
            "agent.base_url",
        ),
        (
            "[agent]\nkind = \"openai\"\nbase_url = \"http://127.0.0.1:9/v1\"\nmodel = \"m\"\napi_key = { env = \"E2E_UNSET_OPENAI_KEY\" }",
            "agent.api_key",
        ),
        (
            "[agent]\nkind = \"echo\"\nurl = \"http://127.0.0.1:9/\"",
            "agent.url",
        ),
        (
            "[agent]\nkind = \"http\"\nuri = \"http://127.0.0.1:9/\"",
            "unknown field `uri`",
        ),
    ];
    for (n, (agent, key)) in cases.iter().enumerate() {
        let name = format!("bad-{n}.toml");
        base.write(&name, &config(agent, "http://127.0.0.1:9"));
        let path = base.dir.path().join(&name).display().to_string();
        let (ok, out, err) = cli(&["check", "--config", &path], &[]);
        assert!(!ok, "{agent:?} must be refused:\n{out}");
        assert!(
            err.contains(key),
            "the error for {agent:?} names {key}:\n{err}"
        );
    }
}
