//! Telegram Bot API through the real daemon: the secret-token header, updates of
//! every kind, edits, 64-bit chat ids, and replies and "typing" at a mock Bot API
//! that must see the real token while the log never does; and the same by long
//! polling, with no webhook.

mod failures;
mod media;
mod polling;
mod traffic;

use std::time::Duration;

use serde_json::{Value, json};

use crate::harness::{TestDaemon, eventually, fixture_json};
use crate::mock::{MockApi, Recorded, Rule};

const WEBHOOK_SECRET: &str = "e2e-Webhook_Secret-91";
const BOT_TOKEN: &str = "7012345678:AAE2e-BotToken_secretPart-xyz";
/// The message id the mock Bot API gives every sent message.
const SENT_ID: i64 = 9001;

struct Setup {
    daemon: TestDaemon,
    mock: MockApi,
    http: reqwest::Client,
}

/// A daemon with one `tg` instance whose Bot API is `api_base` (the mock unless
/// a test needs another).
async fn setup_with(mock: MockApi, api_base: &str) -> Setup {
    mock.rule(Rule {
        path: "/sendMessage".to_owned(),
        status: 200,
        body: json!({"ok": true, "result": {"message_id": SENT_ID, "date": 1, "chat": {"id": 1}}})
            .to_string(),
        headers: Vec::new(),
        times: None,
    });
    let config = format!(
        r#"
[server]
listen = "127.0.0.1:0"
data_dir = "data"

[agent]
kind = "echo"

[channels.tg]
component = "telegram"
secrets = {{ webhook_secret = {{ env = "E2E_TG_WEBHOOK_SECRET" }}, bot_token = {{ file = "bot-token.txt" }} }}
settings = {{ api_base = "{api_base}" }}
allow = ["{api_base}"]
"#
    );
    let mut daemon = TestDaemon::new(&config).env("E2E_TG_WEBHOOK_SECRET", WEBHOOK_SECRET);
    daemon.write("bot-token.txt", &format!("{BOT_TOKEN}\n"));
    daemon.install("telegram");
    daemon.start();
    Setup {
        daemon,
        mock,
        http: reqwest::Client::new(),
    }
}

async fn setup() -> Setup {
    let mock = MockApi::start().await;
    let origin = mock.origin.clone();
    setup_with(mock, &origin).await
}

impl Setup {
    async fn post(&self, body: &Value, token: Option<&str>) -> u16 {
        let mut req = self
            .http
            .post(self.daemon.url("/webhooks/tg"))
            .header("content-type", "application/json")
            .body(serde_json::to_vec(body).expect("json"));
        if let Some(token) = token {
            req = req.header("x-telegram-bot-api-secret-token", token);
        }
        req.send().await.expect("post").status().as_u16()
    }

    async fn deliver(&self, body: &Value) {
        let status = self.post(body, Some(WEBHOOK_SECRET)).await;
        assert_eq!(status, 200, "log:\n{}", self.daemon.log());
    }

    fn calls(&self, method: &str) -> Vec<Recorded> {
        self.mock.requests_to(&format!("/{method}"))
    }

    fn sent(&self) -> Vec<Value> {
        self.calls("sendMessage")
            .iter()
            .map(Recorded::json)
            .collect()
    }

    fn typing(&self) -> Vec<Value> {
        self.calls("sendChatAction")
            .iter()
            .map(Recorded::json)
            .collect()
    }

    /// Waits for `typing` chat actions and `sends` replies, then a little longer,
    /// and checks that no more arrived.
    async fn expect_outbound(&self, typing: usize, sends: usize) {
        let arrived = eventually(Duration::from_secs(20), || {
            (self.typing().len() >= typing && self.sent().len() >= sends).then_some(())
        })
        .await;
        assert!(
            arrived.is_some(),
            "expected {typing} chat actions and {sends} replies; mock saw {:?}\nlog:\n{}",
            self.mock.requests(),
            self.daemon.log()
        );
        self.daemon.wait_idle().await;
        assert_eq!(
            self.typing().len(),
            typing,
            "chat actions: {:?}",
            self.typing()
        );
        assert_eq!(self.sent().len(), sends, "replies: {:?}", self.sent());
    }
}

/// An update carrying `message` (or another update type) from a private chat.
fn update(update_type: &str, chat: Value, message_id: i64, text: &str) -> Value {
    let mut update = json!({ "update_id": 500_000 + message_id });
    update[update_type] = json!({
        "message_id": message_id,
        "date": 1_700_000_000,
        "chat": chat,
        "from": {"id": 1111111, "is_bot": false, "first_name": "Ada"},
        "text": text,
    });
    update
}

fn private_chat() -> Value {
    json!({"id": 1111111, "type": "private", "first_name": "Ada"})
}

fn assert_no_secret_in_log(daemon: &TestDaemon) {
    let log = daemon.log();
    assert!(
        !log.contains(BOT_TOKEN),
        "the bot token reached the log:\n{log}"
    );
    // The part after the colon is the actual secret; the bot id before it is public.
    let secret_part = BOT_TOKEN.split_once(':').expect("token shape").1;
    assert!(
        !log.contains(secret_part),
        "the bot token reached the log:\n{log}"
    );
    assert!(
        !log.contains(WEBHOOK_SECRET),
        "the webhook secret reached the log"
    );
}

#[tokio::test]
async fn wrong_or_missing_secret_token_is_refused_and_nothing_runs() {
    let s = setup().await;
    let body = update("message", private_chat(), 1, "hi");
    assert_eq!(s.post(&body, None).await, 401);
    assert_eq!(s.post(&body, Some("e2e-Webhook_Secret-92")).await, 401);
    assert_eq!(s.post(&body, Some("")).await, 401);
    assert!(s.daemon.messages().is_empty());
    s.daemon.wait_idle().await;
    assert!(
        s.mock.requests().is_empty(),
        "no guest code may run for an unverified update"
    );
    let log = s.daemon.log();
    assert!(
        log.contains("x-telegram-bot-api-secret-token"),
        "the log names the missing header:\n{log}"
    );
    assert_no_secret_in_log(&s.daemon);

    assert_eq!(s.post(&body, Some(WEBHOOK_SECRET)).await, 200);
    assert_eq!(s.daemon.messages().len(), 1);
}

#[tokio::test]
async fn text_message_is_stored_shown_as_typing_and_answered_with_the_real_token() {
    let s = setup().await;
    s.deliver(&fixture_json("telegram/tgdocs-message-text.json"))
        .await;

    let messages = s.daemon.messages();
    assert_eq!(messages.len(), 1);
    let m = &messages[0];
    assert_eq!(m["instance"], "tg");
    assert_eq!(m["external_id"], "1111111:1365");
    assert_eq!(m["conversation_id"], "1111111");
    assert_eq!(m["sender_id"], "1111111");
    assert_eq!(m["sender_name"], "Test Firstname Test Lastname");
    assert_eq!(m["text"], "/start");
    assert_eq!(m["kind"], "text");
    assert_eq!(m["timestamp"], 1441645532);
    assert_eq!(m["is_edit"], false);

    s.expect_outbound(1, 1).await;
    assert_eq!(
        s.typing()[0],
        json!({"chat_id": 1111111, "action": "typing"})
    );
    let sent = &s.sent()[0];
    assert_eq!(sent["chat_id"], 1111111);
    assert_eq!(sent["text"], "/start");
    assert_eq!(sent["reply_parameters"]["message_id"], 1365);
    for call in s.mock.requests() {
        assert_eq!(call.method, "POST");
        assert!(
            call.path.starts_with(&format!("/bot{BOT_TOKEN}/")),
            "the host fills the token into the path: {}",
            call.path
        );
        assert!(
            !call.path.contains("{{"),
            "placeholder left in {}",
            call.path
        );
    }

    let replies = s.daemon.replies();
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0]["status"], "sent");
    assert_eq!(replies[0]["conversation_id"], "1111111");
    assert_eq!(
        replies[0]["receipt_external_id"],
        format!("1111111:{SENT_ID}")
    );
    assert_no_secret_in_log(&s.daemon);
}

#[tokio::test]
async fn edited_message_updates_the_stored_one_without_a_second_reply() {
    let s = setup().await;
    s.deliver(&fixture_json("telegram/tgdocs-message-text.json"))
        .await;
    s.expect_outbound(1, 1).await;
    s.deliver(&fixture_json("telegram/tgdocs-edited-message.json"))
        .await;

    let messages = s.daemon.messages();
    assert_eq!(
        messages.len(),
        1,
        "an edit is not a new message: {messages:?}"
    );
    let m = &messages[0];
    assert_eq!(m["external_id"], "1111111:1365");
    assert_eq!(m["text"], "Edited text");
    assert_eq!(m["is_edit"], true);
    assert!(m["edited_at_ms"].is_i64(), "edit time recorded: {m}");
    assert_eq!(m["metadata"]["update_type"], "edited_message");
    assert_eq!(m["metadata"]["edit_date"], 1441646600);

    // Neither a second "typing" nor a second answer.
    s.expect_outbound(1, 1).await;
    assert_eq!(s.sent()[0]["text"], "/start");
    assert_eq!(s.daemon.replies().len(), 1);
}

#[tokio::test]
async fn official_samples_sharing_one_message_id_are_one_message() {
    // Telegram's samples all reuse update 10000 and message 1365 of chat 1111111:
    // to the daemon they are redeliveries of the first, and the edit edits it.
    let s = setup().await;
    for name in [
        "tgdocs-message-text.json",
        "tgdocs-message-reply.json",
        "tgdocs-message-entities.json",
        "tgdocs-message-forwarded.json",
        "tgdocs-message-document.json",
        "tgdocs-edited-message.json",
    ] {
        s.deliver(&fixture_json(&format!("telegram/{name}"))).await;
    }
    let messages = s.daemon.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(messages[0]["external_id"], "1111111:1365");
    assert_eq!(messages[0]["text"], "Edited text");
    // Kind and details of the first delivery stay unless an edit changes them.
    assert_eq!(messages[0]["kind"], "text");
    // Answered once: the redeliveries and the edit ask nothing more.
    s.expect_outbound(1, 1).await;
    assert_eq!(s.sent()[0]["text"], "/start");
}

#[tokio::test]
async fn every_official_sample_is_stored_with_its_kind_and_details() {
    let s = setup().await;
    // Each sample gets its own message id so that deduplication hides none; the
    // edit keeps the id of the text sample, which it edits.
    let cases = [
        ("tgdocs-message-text.json", 1),
        ("tgdocs-message-reply.json", 2),
        ("tgdocs-message-entities.json", 3),
        ("tgdocs-message-forwarded.json", 4),
        ("tgdocs-message-document.json", 5),
        ("tgdocs-edited-message.json", 1),
    ];
    for (n, (name, message_id)) in cases.iter().enumerate() {
        let mut body = fixture_json(&format!("telegram/{name}"));
        body["update_id"] = json!(20_000 + n);
        let key = if name.contains("edited") {
            "edited_message"
        } else {
            "message"
        };
        body[key]["message_id"] = json!(message_id);
        s.deliver(&body).await;
    }
    let messages = s.daemon.messages();
    let by_id = |id: &str| -> Value {
        messages
            .iter()
            .find(|m| m["external_id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id} not stored among {messages:?}"))
    };
    assert_eq!(messages.len(), 5);

    let text = by_id("1111111:1");
    assert_eq!(text["text"], "Edited text");
    assert_eq!(text["is_edit"], true);

    let reply = by_id("1111111:2");
    assert_eq!(reply["text"], "/start");
    assert_eq!(reply["reply_to"], "1111111:1334");

    let entities = by_id("1111111:3");
    assert_eq!(entities["text"], "Bold and italics");
    assert_eq!(
        entities["metadata"]["entities"],
        json!([{"type":"italic","offset":9,"length":7},{"type":"bold","offset":0,"length":4}])
    );

    let forwarded = by_id("1111111:4");
    assert_eq!(forwarded["text"], "/start");
    assert_eq!(
        forwarded["metadata"]["forward"]["forward_from"]["id"],
        222222
    );
    assert_eq!(forwarded["metadata"]["forward"]["forward_date"], 1441645550);

    let document = by_id("1111111:5");
    assert_eq!(document["kind"], "document");
    assert!(document["text"].is_null());
    assert_eq!(document["metadata"]["content"]["file_name"], "Testfile.pdf");
    assert_eq!(
        document["metadata"]["content"]["file_id"],
        "AwADBAADbXXXXXXXXXXXGBdhD2l6_XX"
    );

    for m in &messages {
        assert_eq!(m["conversation_id"], "1111111");
        assert_eq!(m["sender_id"], "1111111");
    }
    // Every message shows "typing"; the echo agent answers the four with text and
    // describes the document (the edit does not count again). The mock Bot API
    // knows no such file, so the download failed and the agent is told so.
    s.expect_outbound(5, 5).await;
    let described = s.sent()[4]["text"].as_str().unwrap_or_default().to_owned();
    assert!(
        described.starts_with("received document (application/pdf, ")
            && described.ends_with("failed)"),
        "{described}"
    );
}

#[tokio::test]
async fn channel_posts_and_64_bit_chat_ids_are_stored_and_answered_exactly() {
    let s = setup().await;
    // Supergroup and channel ids exceed 32 bits (and JavaScript's 2^53 is the limit
    // Telegram promises); user ids exceed 32 bits too.
    let group_id: i64 = -1_001_987_654_321_098;
    let channel_id: i64 = -1_002_222_333_444_555;
    let user_id: i64 = 7_123_456_789;
    let mut group_message = update(
        "message",
        json!({"id": group_id, "type": "supergroup", "title": "Ops"}),
        77,
        "deploy?",
    );
    group_message["message"]["from"]["id"] = json!(user_id);
    s.deliver(&group_message).await;
    let mut post = update(
        "channel_post",
        json!({"id": channel_id, "type": "channel", "title": "News"}),
        88,
        "release notes",
    );
    post["channel_post"]
        .as_object_mut()
        .expect("post")
        .remove("from");
    post["channel_post"]["sender_chat"] =
        json!({"id": channel_id, "type": "channel", "title": "News"});
    s.deliver(&post).await;

    let messages = s.daemon.messages();
    assert_eq!(messages.len(), 2);
    let group = messages
        .iter()
        .find(|m| m["text"] == "deploy?")
        .expect("group message");
    assert_eq!(group["external_id"], format!("{group_id}:77"));
    assert_eq!(group["conversation_id"], group_id.to_string());
    assert_eq!(group["sender_id"], user_id.to_string());
    let channel = messages
        .iter()
        .find(|m| m["text"] == "release notes")
        .expect("channel post");
    assert_eq!(channel["external_id"], format!("{channel_id}:88"));
    assert_eq!(channel["conversation_id"], channel_id.to_string());
    assert_eq!(channel["sender_name"], "News");
    assert_eq!(channel["metadata"]["update_type"], "channel_post");

    // A bot cannot "type" in a channel: one chat action, two replies.
    s.expect_outbound(1, 2).await;
    assert_eq!(s.typing()[0]["chat_id"].as_i64(), Some(group_id));
    let to = |text: &str| -> Value {
        s.sent()
            .into_iter()
            .find(|b| b["text"] == text)
            .unwrap_or_else(|| panic!("no reply {text:?} in {:?}", s.sent()))
    };
    assert_eq!(to("deploy?")["chat_id"].as_i64(), Some(group_id));
    assert_eq!(to("deploy?")["reply_parameters"]["message_id"], 77);
    assert_eq!(to("release notes")["chat_id"].as_i64(), Some(channel_id));
    assert_eq!(to("release notes")["reply_parameters"]["message_id"], 88);
}

#[tokio::test]
async fn non_ascii_text_round_trips_exactly() {
    let s = setup().await;
    let text = "J'ai mangé des pâtes 🍝 — Привет, 世界 👩‍👩‍👧";
    s.deliver(&update("message", private_chat(), 5, text)).await;
    assert_eq!(s.daemon.messages()[0]["text"], text);
    s.expect_outbound(1, 1).await;
    assert_eq!(s.sent()[0]["text"], text);
}

#[tokio::test]
async fn updates_without_a_message_are_acknowledged_and_not_stored() {
    let s = setup().await;
    // Anonymous reaction counts and polls are not a person's message to the bot.
    s.deliver(&fixture_json(
        "telegram/teloxide-message-reaction-count.json",
    ))
    .await;
    let poll = json!({
        "update_id": 31,
        "poll": {"id": "5415", "question": "Lunch?", "options": [], "total_voter_count": 0,
                 "is_closed": false, "is_anonymous": true, "type": "regular",
                 "allows_multiple_answers": false}
    });
    s.deliver(&poll).await;
    assert!(s.daemon.messages().is_empty());
    s.daemon.wait_idle().await;
    assert!(s.mock.requests().is_empty());
}
