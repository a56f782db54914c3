//! Telegram by long polling (`mode = "polling"`): no webhook, no public URL. A mock
//! Bot API serves `getUpdates` as Telegram documents it (updates from the offset on,
//! an empty answer after a wait when there are none, 429 with `retry_after`, 409 while
//! a webhook is set), and the daemon must store every update once, answer it once, and
//! keep its cursor across a crash.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use switchboard_testkit::{Answer, MockServer, Recorded};

use super::BOT_TOKEN;
use crate::harness::TestDaemon;

/// How long the mock holds an empty `getUpdates` before answering, as Telegram holds
/// a long poll until its timeout.
const EMPTY_POLL_HOLD: Duration = Duration::from_millis(300);

/// A Bot API that serves `getUpdates` from a list of updates.
#[derive(Clone)]
struct BotApi {
    server: MockServer,
    /// Every update the "platform" has, in `update_id` order.
    updates: Arc<Mutex<Vec<Value>>>,
    /// Answers given to the next `getUpdates` calls before the list is served.
    script: Arc<Mutex<VecDeque<Answer>>>,
    /// When set, the next `getUpdates` ignores its offset and sends every update
    /// again, as a platform that lost the confirmation would.
    resend_all_once: Arc<AtomicBool>,
    /// When each `getUpdates` arrived.
    polled_at: Arc<Mutex<Vec<Instant>>>,
}

impl BotApi {
    async fn start() -> BotApi {
        let updates: Arc<Mutex<Vec<Value>>> = Arc::default();
        let script: Arc<Mutex<VecDeque<Answer>>> = Arc::default();
        let resend_all_once = Arc::new(AtomicBool::new(false));
        let polled_at: Arc<Mutex<Vec<Instant>>> = Arc::default();
        let (u, s, r, p) = (
            updates.clone(),
            script.clone(),
            resend_all_once.clone(),
            polled_at.clone(),
        );
        let server = MockServer::start(move |request, _| {
            if request.path.contains("/getUpdates") {
                p.lock().unwrap().push(Instant::now());
                if let Some(answer) = s.lock().unwrap().pop_front() {
                    return answer;
                }
                let offset = request.json()["offset"].as_i64();
                let offset = if r.swap(false, Ordering::SeqCst) {
                    None
                } else {
                    offset
                };
                let pending: Vec<Value> = u
                    .lock()
                    .unwrap()
                    .iter()
                    .filter(|up| offset.is_none_or(|o| up["update_id"].as_i64() >= Some(o)))
                    .cloned()
                    .collect();
                let body = json!({"ok": true, "result": pending}).to_string();
                return if pending.is_empty() {
                    Answer::ok(&body).delayed(EMPTY_POLL_HOLD)
                } else {
                    Answer::ok(&body)
                };
            }
            if request.path.contains("/sendMessage") {
                let chat = request.json()["chat_id"].clone();
                return Answer::ok(
                    &json!({"ok": true, "result": {"message_id": 9001, "date": 1, "chat": {"id": chat}}})
                        .to_string(),
                );
            }
            Answer::ok(r#"{"ok":true,"result":true}"#)
        })
        .await;
        BotApi {
            server,
            updates,
            script,
            resend_all_once,
            polled_at,
        }
    }

    fn push(&self, update_id: i64, chat: i64, text: &str) {
        self.updates.lock().unwrap().push(json!({
            "update_id": update_id,
            "message": {
                "message_id": update_id - 10_000,
                "date": 1_700_000_000,
                "chat": {"id": chat, "type": "private", "first_name": "Ada"},
                "from": {"id": chat, "is_bot": false, "first_name": "Ada"},
                "text": text,
            }
        }));
    }

    fn polls(&self) -> Vec<Recorded> {
        self.server.requests_to("/getUpdates")
    }

    fn sent(&self) -> Vec<Value> {
        self.server
            .requests_to("/sendMessage")
            .iter()
            .map(Recorded::json)
            .collect()
    }
}

fn config(api: &BotApi, delivery: &str) -> String {
    let origin = &api.server.origin;
    format!(
        r#"
[server]
listen = "127.0.0.1:0"
data_dir = "data"

[agent]
kind = "echo"
{delivery}
[channels.tg]
component = "telegram"
secrets = {{ bot_token = {{ file = "bot-token.txt" }} }}
settings = {{ api_base = "{origin}", mode = "polling", poll_timeout_secs = "1" }}
allow = ["{origin}"]
"#
    )
}

fn daemon(api: &BotApi, delivery: &str) -> TestDaemon {
    let daemon = TestDaemon::new(&config(api, delivery));
    daemon.write("bot-token.txt", &format!("{BOT_TOKEN}\n"));
    daemon.install("telegram");
    daemon
}

fn texts_to(sent: &[Value], chat: i64) -> Vec<String> {
    sent.iter()
        .filter(|s| s["chat_id"] == json!(chat) || s["chat_id"] == json!(chat.to_string()))
        .map(|s| s["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn a_polling_instance_stores_each_update_once_and_answers_it_without_a_webhook() {
    let api = BotApi::start().await;
    api.push(10_001, 111, "one");
    api.push(10_002, 111, "two");
    api.push(10_003, 222, "three");
    let mut daemon = daemon(&api, "");
    daemon.start();

    daemon.wait_for_messages(3).await;
    // More news while the daemon polls: it keeps polling from its cursor.
    api.push(10_004, 111, "four");
    daemon.wait_for_messages(4).await;
    daemon.wait_idle().await;

    let messages = daemon.messages();
    assert_eq!(messages.len(), 4, "{messages:?}");
    let sent = api.sent();
    assert_eq!(sent.len(), 4, "one answer per update: {sent:?}");
    let to_111 = texts_to(&sent, 111);
    assert_eq!(to_111.len(), 3, "{sent:?}");
    assert!(
        to_111[0].contains("one") && to_111[1].contains("two") && to_111[2].contains("four"),
        "answers in the order of the updates: {to_111:?}"
    );

    // The first poll has no cursor; later ones confirm what was stored.
    let polls = api.polls();
    assert_eq!(polls[0].json().get("offset"), None, "{:?}", polls[0].json());
    let offsets: Vec<i64> = polls
        .iter()
        .filter_map(|p| p.json()["offset"].as_i64())
        .collect();
    assert!(offsets.contains(&10_004), "{offsets:?}");
    assert!(offsets.contains(&10_005), "{offsets:?}");
    assert!(
        offsets.windows(2).all(|w| w[0] <= w[1]),
        "the cursor never goes back: {offsets:?}"
    );
    // The token goes only into the Bot API path, filled in by the host.
    assert!(
        polls[0]
            .path
            .contains(&format!("/bot{BOT_TOKEN}/getUpdates"))
    );
    assert!(!daemon.log().contains(BOT_TOKEN), "token in the log");

    // No webhook: a post to the instance's webhook URL is refused, with the reason.
    let status = reqwest::Client::new()
        .post(daemon.public_url("/webhooks/tg"))
        .body("{}")
        .send()
        .await
        .expect("post")
        .status()
        .as_u16();
    assert_eq!(status, 404);
    assert!(daemon.log_shows("receives by polling").await);

    let polled = daemon
        .metric(r#"switchboard_polls_total{instance="tg",outcome="messages"}"#)
        .await;
    assert!(polled >= 2.0, "polls that stored something: {polled}");
    daemon.stop();
}

#[tokio::test]
async fn rate_limits_and_a_webhook_conflict_back_off_and_polling_resumes() {
    let api = BotApi::start().await;
    {
        let mut script = api.script.lock().unwrap();
        script.push_back(Answer::status(
            429,
            r#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 1","parameters":{"retry_after":1}}"#,
        ));
        script.push_back(Answer::status(
            409,
            r#"{"ok":false,"error_code":409,"description":"Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"}"#,
        ));
    }
    api.push(10_001, 111, "after the conflict");
    // Backoff capped at 1 s, so the test sees the conflict retried.
    let mut daemon = daemon(
        &api,
        "\n[delivery]\nretry_base_ms = 50\nretry_max_ms = 1000\n",
    );
    daemon.start();

    daemon.wait_for_messages(1).await;
    daemon.wait_idle().await;
    assert_eq!(api.sent().len(), 1);

    let at = api.polled_at.lock().unwrap().clone();
    assert!(at.len() >= 3, "{at:?}");
    assert!(
        at[1] - at[0] >= Duration::from_millis(950),
        "the 429's retry_after (1 s) is honoured: polled again after {:?}",
        at[1] - at[0]
    );
    assert!(
        at[2] - at[1] >= Duration::from_millis(750),
        "a conflict waits the longest backoff (1 s, jittered): polled again after {:?}",
        at[2] - at[1]
    );
    let log = daemon.log();
    assert!(log.contains("poll failed; retrying with backoff"), "{log}");
    assert!(
        log.contains("poll refused; this needs the operator") && log.contains("deleteWebhook"),
        "the conflict is logged with what to do: {log}"
    );
    daemon.stop();
}

#[tokio::test]
async fn after_a_crash_polling_resumes_from_the_committed_cursor_and_a_resent_batch_is_stored_and_answered_once()
 {
    let api = BotApi::start().await;
    api.push(10_001, 111, "one");
    api.push(10_002, 111, "two");
    let mut daemon = daemon(&api, "");
    daemon.start();
    daemon.wait_for_messages(2).await;
    daemon.wait_idle().await;
    assert_eq!(api.sent().len(), 2);

    daemon.kill9();
    let before_restart = api.polls().len();
    // The platform sends everything again once (as it would had the cursor not been
    // committed), and there is one new update.
    api.resend_all_once.store(true, Ordering::SeqCst);
    api.push(10_003, 111, "three");
    daemon.start();
    daemon.wait_for_messages(3).await;
    daemon.wait_idle().await;

    let first_after = &api.polls()[before_restart];
    assert_eq!(
        first_after.json()["offset"].as_i64(),
        Some(10_003),
        "the cursor survived kill -9"
    );
    assert_eq!(daemon.messages().len(), 3);
    let sent = api.sent();
    assert_eq!(
        texts_to(&sent, 111).len(),
        3,
        "every update answered once: {sent:?}"
    );
    daemon.stop();
}

#[tokio::test]
async fn check_names_a_mode_the_host_does_not_run_and_shows_a_polling_instance() {
    let api = BotApi::start().await;
    let daemon = daemon(&api, "");
    let (ok, out, err) = daemon.cli(&["check"]);
    assert!(ok, "{out}\n{err}");
    assert!(
        out.contains("tg (polling) -> telegram"),
        "no webhook URL for a polling instance: {out}"
    );

    let bad = config(&api, "").replace(r#"mode = "polling""#, r#"mode = "sometimes""#);
    daemon.reconfigure(&bad);
    let (ok, out, err) = daemon.cli(&["check"]);
    assert!(!ok, "{out}");
    assert!(
        err.contains("channels.tg.settings.mode") && err.contains("\"sometimes\""),
        "{err}"
    );
}
