//! Who may talk to the agent, through the real daemon with the Telegram channel and
//! a mock Bot API: pairing end to end, allowlists, groups and mentions, rate and
//! daily limits with one notice, and a reply loop paused.

mod limits;

use serde_json::{Value, json};

use crate::harness::{TestDaemon, sample};
use crate::mock::{MockApi, Recorded, Rule};

const WEBHOOK_SECRET: &str = "e2e-access-secret";
const BOT_TOKEN: &str = "7012345678:AAE2e-access-token";
const BOT_USERNAME: &str = "e2e_access_bot";

pub(crate) struct Tg {
    pub(crate) daemon: TestDaemon,
    pub(crate) mock: MockApi,
    http: reqwest::Client,
    next_update: std::sync::atomic::AtomicI64,
}

/// A daemon with one Telegram instance `tg` whose access table is `access`.
pub(crate) async fn telegram(access: &str) -> Tg {
    telegram_on(access, "").await
}

/// Like [`telegram`], with `store` as the config's `[store]` table (empty: SQLite).
async fn telegram_on(access: &str, store: &str) -> Tg {
    let mock = MockApi::start().await;
    mock.rule(Rule {
        path: "/sendMessage".to_owned(),
        status: 200,
        body: json!({"ok": true, "result": {"message_id": 1, "date": 1, "chat": {"id": 1}}})
            .to_string(),
        headers: Vec::new(),
        times: None,
    });
    let origin = mock.origin.clone();
    let config = format!(
        r#"
[server]
listen = "127.0.0.1:0"
data_dir = "data"

[agent]
kind = "echo"

{store}

[channels.tg]
component = "telegram"
secrets = {{ webhook_secret = {{ env = "E2E_ACCESS_SECRET" }}, bot_token = "{BOT_TOKEN}" }}
settings = {{ api_base = "{origin}", bot_username = "{BOT_USERNAME}" }}
allow = ["{origin}"]

[channels.tg.access]
{access}
"#
    );
    let mut daemon = TestDaemon::new(&config).env("E2E_ACCESS_SECRET", WEBHOOK_SECRET);
    daemon.install("telegram");
    if !store.is_empty() {
        let (ok, out, err) = daemon.cli(&["migrate"]);
        assert!(ok, "switchboard migrate failed: {out}{err}");
    }
    daemon.start();
    Tg {
        daemon,
        mock,
        http: reqwest::Client::new(),
        next_update: std::sync::atomic::AtomicI64::new(1),
    }
}

impl Tg {
    /// Delivers a text message from `sender` in `chat` (a user id for a direct
    /// chat, a negative id for a group).
    pub(crate) async fn say(&self, sender: i64, chat: i64, text: &str) {
        let n = self
            .next_update
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let chat = if chat < 0 {
            json!({"id": chat, "type": "supergroup", "title": "Team"})
        } else {
            json!({"id": chat, "type": "private", "first_name": format!("User {sender}")})
        };
        let mut message = json!({
            "message_id": n,
            "date": 1_700_000_000,
            "chat": chat,
            "from": {"id": sender, "is_bot": false, "first_name": format!("User {sender}")},
            "text": text,
        });
        let mention = format!("@{BOT_USERNAME}");
        if let Some(at) = text.find(&mention) {
            message["entities"] =
                json!([{"type": "mention", "offset": at, "length": mention.len()}]);
        }
        let update = json!({"update_id": n, "message": message});
        let status = self
            .http
            .post(self.daemon.url("/webhooks/tg"))
            .header("x-telegram-bot-api-secret-token", WEBHOOK_SECRET)
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&update).expect("json"))
            .send()
            .await
            .expect("post")
            .status()
            .as_u16();
        assert_eq!(status, 200, "log:\n{}", self.daemon.log());
    }

    /// Texts sent with sendMessage, with their chat ids, in order.
    pub(crate) fn sent(&self) -> Vec<(i64, String)> {
        self.mock
            .requests_to("/sendMessage")
            .iter()
            .map(Recorded::json)
            .map(|b| {
                (
                    b["chat_id"].as_i64().unwrap_or_default(),
                    b["text"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }

    /// Waits until every stored message has been decided and every reply sent.
    pub(crate) async fn settle(&self) {
        self.daemon.wait_idle().await;
    }

    /// The `no_turn` of each stored message, by text.
    pub(crate) fn reasons(&self) -> Vec<(String, Value)> {
        let mut messages = self.daemon.messages();
        messages.reverse();
        messages
            .into_iter()
            .map(|m| {
                (
                    m["text"].as_str().unwrap_or_default().to_owned(),
                    m["no_turn"].clone(),
                )
            })
            .collect()
    }

    pub(crate) async fn metric(&self, outcome: &str) -> f64 {
        let metrics = reqwest::get(self.daemon.url("/metrics"))
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text");
        sample(
            &metrics,
            &format!("switchboard_access_total{{instance=\"tg\",outcome=\"{outcome}\"}}"),
        )
        .unwrap_or_default()
    }
}

/// The pairing code in a notice.
fn code_in(text: &str) -> String {
    text.split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_ascii_alphanumeric()))
        .find(|w| {
            w.len() == 8
                && w.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        })
        .unwrap_or_else(|| panic!("no code in {text:?}"))
        .to_owned()
}

#[tokio::test]
async fn a_stranger_is_paired_approved_while_serving_and_answered_from_the_next_message() {
    paired_approved_answered_revoked(telegram("").await).await;
}

#[tokio::test]
async fn on_postgres_pairing_approve_answer_and_revoke_work_through_the_cli() {
    let url = switchboard_store::testing::empty_postgres_database()
        .await
        .url;
    let store = format!("[store]\nkind = \"postgres\"\nurl = \"{url}\"");
    paired_approved_answered_revoked(telegram_on("", &store).await).await;
}

async fn paired_approved_answered_revoked(s: Tg) {
    s.say(1111, 1111, "hello?").await;
    s.settle().await;

    // One notice with the code, and no agent turn (echo would have said "hello?").
    let sent = s.sent();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].0, 1111);
    let code = code_in(&sent[0].1);
    assert!(sent[0].1.contains("operator"), "{}", sent[0].1);
    assert!(
        !s.daemon.log().contains(&code),
        "the log never holds the code"
    );

    let listed = s.daemon.json_lines(&["pairing", "list", "--json"]);
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["instance"], "tg");
    assert_eq!(listed[0]["sender_id"], "1111");
    assert_eq!(listed[0]["sender_name"], "User 1111");
    assert_eq!(listed[0]["code"], code.as_str());
    assert!(
        listed[0]["expires_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );

    // Before the approval: no second code, no answer.
    s.say(1111, 1111, "anyone there?").await;
    s.settle().await;
    assert_eq!(s.sent().len(), 1);

    // Approved while the daemon serves; a mistyped code is refused by name.
    let (ok, _, err) = s.daemon.cli(&["pairing", "approve", "tg", "ZZZZZZZZ"]);
    assert!(
        !ok && err.contains("no pending pairing code ZZZZZZZZ"),
        "{err}"
    );
    let spaced = format!("{} {}", &code[..4], code[4..].to_lowercase());
    let (ok, out, err) = s.daemon.cli(&["pairing", "approve", "tg", &spaced]);
    assert!(ok, "{out}\n{err}");
    assert!(
        s.daemon
            .json_lines(&["pairing", "list", "--json"])
            .is_empty()
    );

    s.say(1111, 1111, "now?").await;
    s.settle().await;
    let sent = s.sent();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(
        sent[1],
        (1111, "now?".to_owned()),
        "the next message is answered"
    );
    // Nothing was lost, and the old messages were not replayed by the approval.
    assert_eq!(
        s.reasons(),
        [
            ("hello?".to_owned(), json!("pairing-pending")),
            ("anyone there?".to_owned(), json!("pairing-pending")),
            ("now?".to_owned(), Value::Null),
        ]
    );

    // The operator may still have the first message answered, now that its sender
    // is approved; a message that got its turn is not asked twice.
    let first = s
        .daemon
        .messages()
        .into_iter()
        .find(|m| m["text"] == "hello?")
        .expect("stored");
    let id = first["id"].to_string();
    let (ok, out, err) = s.daemon.cli(&["answer", &id]);
    assert!(ok, "{out}\n{err}");
    let answered = crate::harness::eventually(std::time::Duration::from_secs(20), || {
        s.sent()
            .iter()
            .any(|(_, text)| text == "hello?")
            .then_some(())
    })
    .await;
    assert!(answered.is_some(), "{:?}\n{}", s.sent(), s.daemon.log());
    let (ok, _, _) = s.daemon.cli(&["answer", &id]);
    assert!(!ok, "a message is answered once");
    s.settle().await;

    // Revoked: back to pairing (a new code, since the old one was used).
    let (ok, _, err) = s.daemon.cli(&["pairing", "revoke", "tg", "1111"]);
    assert!(ok, "{err}");
    s.say(1111, 1111, "still me").await;
    s.settle().await;
    let sent = s.sent();
    assert_eq!(sent.len(), 4, "{sent:?}");
    assert_ne!(code_in(&sent[3].1), code);
}

#[tokio::test]
async fn a_denied_code_gets_no_new_one_and_allow_from_needs_no_pairing() {
    let s = telegram("allow_from = [\"2222\"]").await;
    s.say(2222, 2222, "known").await;
    s.say(3333, 3333, "unknown").await;
    s.settle().await;
    let sent = s.sent();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(sent.contains(&(2222, "known".to_owned())));
    let code = code_in(&sent.iter().find(|(to, _)| *to == 3333).expect("a code").1);
    let (ok, _, err) = s.daemon.cli(&["pairing", "deny", "tg", &code]);
    assert!(ok, "{err}");
    s.say(3333, 3333, "again").await;
    s.settle().await;
    assert_eq!(s.sent().len(), 2, "no new code for a denied sender");
}

#[tokio::test]
async fn a_flood_of_strangers_gets_at_most_max_pending_codes_and_the_daemon_stays_healthy() {
    let s = telegram("max_pending = 10").await;
    for sender in 0..1_000 {
        s.say(10_000 + sender, 10_000 + sender, "hi").await;
    }
    s.settle().await;
    assert_eq!(s.sent().len(), 10, "bounded replies");
    assert_eq!(
        s.daemon.json_lines(&["pairing", "list", "--json"]).len(),
        10
    );
    assert_eq!(s.daemon.messages().len(), 1_000, "every message is stored");
    assert_eq!(s.metric("pairing-full").await, 990.0);
    let health = reqwest::get(s.daemon.url("/healthz"))
        .await
        .expect("healthz");
    assert_eq!(health.status().as_u16(), 200);
}

#[tokio::test]
async fn allowlist_and_disabled_direct_messages_get_no_turn_and_no_reply() {
    let s = telegram("dm = \"allowlist\"\nallow_from = [\"4444\"]").await;
    s.say(4444, 4444, "listed").await;
    s.say(5555, 5555, "not listed").await;
    s.settle().await;
    assert_eq!(s.sent(), [(4444, "listed".to_owned())]);
    assert_eq!(
        s.reasons(),
        [
            ("listed".to_owned(), Value::Null),
            ("not listed".to_owned(), json!("not-allowed")),
        ]
    );
    assert!(
        s.daemon
            .json_lines(&["pairing", "list", "--json"])
            .is_empty()
    );

    let off = telegram("dm = \"disabled\"\nallow_from = [\"4444\"]").await;
    off.say(4444, 4444, "even me?").await;
    off.settle().await;
    assert!(off.sent().is_empty());
    assert_eq!(off.reasons()[0].1, json!("not-allowed"));
}

#[tokio::test]
async fn in_an_allowed_group_only_messages_that_mention_the_bot_are_answered() {
    let s = telegram("groups = \"allowlist\"\nallow_groups = [\"-100123\"]").await;
    s.say(6666, -100_123, "talking among ourselves").await;
    s.say(6666, -100_123, &format!("@{BOT_USERNAME} what time is it?"))
        .await;
    s.say(6666, -100_999, &format!("@{BOT_USERNAME} and here?"))
        .await;
    s.settle().await;
    assert_eq!(
        s.sent(),
        [(-100_123, format!("@{BOT_USERNAME} what time is it?"))]
    );
    assert_eq!(
        s.reasons(),
        [
            ("talking among ourselves".to_owned(), json!("no-mention")),
            (format!("@{BOT_USERNAME} what time is it?"), Value::Null),
            (format!("@{BOT_USERNAME} and here?"), json!("not-allowed")),
        ]
    );
    let stored = s.daemon.messages();
    assert!(
        stored.iter().all(|m| m["chat_type"] == "group"),
        "{stored:?}"
    );
}

#[tokio::test]
async fn a_bots_messages_never_get_a_turn_even_where_everyone_is_answered() {
    let s = telegram("dm = \"open\"\ngroups = \"open\"\nrequire_mention = false").await;
    let bots = crate::harness::fixture_json("telegram/constructed-bot-senders.json");
    for update in bots.as_array().expect("updates") {
        let status = s
            .http
            .post(s.daemon.url("/webhooks/tg"))
            .header("x-telegram-bot-api-secret-token", WEBHOOK_SECRET)
            .header("content-type", "application/json")
            .body(serde_json::to_vec(update).expect("json"))
            .send()
            .await
            .expect("post")
            .status()
            .as_u16();
        assert_eq!(status, 200);
    }
    s.say(9999, -1_001_000_000_001, "and a person").await;
    s.settle().await;
    assert_eq!(s.sent(), [(-1_001_000_000_001, "and a person".to_owned())]);
    let reasons: Vec<Value> = s.reasons().into_iter().map(|(_, r)| r).collect();
    assert_eq!(reasons[0], json!("from-bot"));
    assert_eq!(reasons[2], Value::Null);
}
