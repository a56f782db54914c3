//! Attachments through the daemon and a mock Bot API serving real bytes: a document
//! is downloaded (`getFile`, then the file URL with the token) into the blob store,
//! the agent hears of it, an oversized one is not kept, a download the API refuses
//! is dead-lettered without holding the turn back, and an agent's image reply is
//! uploaded with `sendPhoto` from the blob store.

use std::time::Duration;

use serde_json::{Value, json};

use super::{BOT_TOKEN, WEBHOOK_SECRET};
use crate::agents::scripted::ScriptedServer;
use crate::harness::{TestDaemon, eventually, fixture_json};
use crate::mock::{MockApi, Recorded, Rule};

/// What the mock serves as the file's content.
const CONTENT: &str = "%PDF-1.4 switchboard e2e document\n%%EOF\n";

/// A `tg` instance on a mock Bot API that serves `CONTENT` for any file, with the
/// given agent table and extra instance lines.
async fn start(mock: &MockApi, agent: &str, instance_extra: &str) -> TestDaemon {
    mock.rule(Rule::always(
        "/sendMessage",
        200,
        json!({"ok": true, "result": {"message_id": 1}}).to_string(),
    ));
    mock.rule(Rule::always(
        "/sendPhoto",
        200,
        json!({"ok": true, "result": {"message_id": 2}}).to_string(),
    ));
    mock.rule(Rule::always("/file/bot", 200, CONTENT));
    let api = &mock.origin;
    let config = format!(
        r#"
[server]
listen = "127.0.0.1:0"
data_dir = "data"

[delivery]
retry_base_ms = 50
retry_max_ms = 200
download_max_attempts = 3

{agent}

[channels.tg]
component = "telegram"
secrets = {{ webhook_secret = {{ env = "E2E_TG_WEBHOOK_SECRET" }}, bot_token = {{ file = "bot-token.txt" }} }}
settings = {{ api_base = "{api}" }}
allow = ["{api}"]
{instance_extra}
"#
    );
    let mut daemon = TestDaemon::new(&config).env("E2E_TG_WEBHOOK_SECRET", WEBHOOK_SECRET);
    daemon.write("bot-token.txt", &format!("{BOT_TOKEN}\n"));
    daemon.install("telegram");
    daemon.start();
    daemon
}

async fn deliver(daemon: &TestDaemon, update: &Value) {
    let status = reqwest::Client::new()
        .post(daemon.url("/webhooks/tg"))
        .header("content-type", "application/json")
        .header("x-telegram-bot-api-secret-token", WEBHOOK_SECRET)
        .body(update.to_string())
        .send()
        .await
        .expect("post")
        .status();
    assert_eq!(status, 200, "log:\n{}", daemon.log());
}

async fn wait_for(mock: &MockApi, daemon: &TestDaemon, path: &str, n: usize) -> Vec<Recorded> {
    let seen = eventually(Duration::from_secs(20), || {
        let calls = mock.requests_to(path);
        (calls.len() >= n).then_some(calls)
    })
    .await;
    seen.unwrap_or_else(|| {
        panic!(
            "expected {n} calls to {path}; mock saw {:?}\nlog:\n{}",
            mock.requests(),
            daemon.log()
        )
    })
}

fn the_attachment(daemon: &TestDaemon) -> Value {
    let messages = daemon.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    messages[0]["attachments"][0].clone()
}

#[tokio::test]
async fn a_document_is_stored_by_its_sha256_and_the_agent_hears_of_it() {
    let mock = MockApi::start().await;
    mock.rule(Rule::always(
        "/getFile",
        200,
        json!({"ok": true, "result": {"file_id": "x", "file_unique_id": "u", "file_size": CONTENT.len(), "file_path": "documents/file_7.pdf"}}).to_string(),
    ));
    let daemon = start(&mock, "[agent]\nkind = \"echo\"", "").await;
    deliver(
        &daemon,
        &fixture_json("telegram/tgdocs-message-document.json"),
    )
    .await;

    // The echo agent describes what arrived, once the download is done.
    let sent = wait_for(&mock, &daemon, "/sendMessage", 1).await;
    let text = sent[0].json()["text"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        text.starts_with("received document (application/pdf, ") && text.ends_with(", stored)"),
        "{text}"
    );

    // The host fetched the file itself, with the token filled in, after getFile.
    let lookups = mock.requests_to("/getFile");
    assert_eq!(lookups.len(), 1);
    assert_eq!(
        lookups[0].json()["file_id"],
        "AwADBAADbXXXXXXXXXXXGBdhD2l6_XX"
    );
    let fetched = mock.requests_to("/file/bot");
    assert_eq!(fetched.len(), 1);
    assert_eq!(
        fetched[0].path,
        format!("/file/bot{BOT_TOKEN}/documents/file_7.pdf")
    );

    let attachment = the_attachment(&daemon);
    let sha256 = hex::encode(ring::digest::digest(
        &ring::digest::SHA256,
        CONTENT.as_bytes(),
    ));
    assert_eq!(attachment["state"], "stored", "{attachment}");
    assert_eq!(attachment["sha256"], sha256.as_str());
    assert_eq!(attachment["kind"], "document");
    assert_eq!(attachment["file_name"], "Testfile.pdf");
    assert_eq!(attachment["stored_size"], CONTENT.len());

    // `switchboard blob` writes the stored content back out.
    let (ok, out, err) = daemon.cli(&["blob", &sha256]);
    assert!(ok, "{err}");
    assert_eq!(out, CONTENT);
    assert!(
        !daemon.log().contains(BOT_TOKEN),
        "the token leaked into the log"
    );
}

#[tokio::test]
async fn an_attachment_over_the_limit_is_not_kept_and_the_text_is_still_answered() {
    let mock = MockApi::start().await;
    let daemon = start(&mock, "[agent]\nkind = \"echo\"", "max_attachment_mb = 0").await;
    let mut update = fixture_json("telegram/tgdocs-message-document.json");
    update["message"]["caption"] = json!("see attached");
    deliver(&daemon, &update).await;

    let sent = wait_for(&mock, &daemon, "/sendMessage", 1).await;
    assert_eq!(sent[0].json()["text"], "see attached");
    daemon.wait_idle().await;
    let attachment = the_attachment(&daemon);
    assert_eq!(attachment["state"], "too_large", "{attachment}");
    assert!(attachment.get("sha256").is_none(), "{attachment}");
    // Known to be too large from the size Telegram gave: nothing was fetched.
    assert!(mock.requests_to("/file/bot").is_empty());
}

#[tokio::test]
async fn a_download_that_keeps_failing_is_dead_lettered_and_the_turn_still_happens() {
    let mock = MockApi::start().await;
    mock.rule(Rule::always(
        "/getFile",
        200,
        json!({"ok": true, "result": {"file_id": "x", "file_unique_id": "u", "file_path": "documents/file_8.pdf"}}).to_string(),
    ));
    // The file host is down.
    mock.rule(Rule::always("/file/bot", 503, "unavailable"));
    let daemon = start(&mock, "[agent]\nkind = \"echo\"", "").await;
    let mut update = fixture_json("telegram/tgdocs-message-document.json");
    update["message"]["caption"] = json!("the report");
    deliver(&daemon, &update).await;

    let sent = wait_for(&mock, &daemon, "/sendMessage", 1).await;
    assert_eq!(sent[0].json()["text"], "the report");
    daemon.wait_idle().await;
    // Retried (download_max_attempts = 3), then given up.
    assert_eq!(mock.requests_to("/file/bot").len(), 3);
    let attachment = the_attachment(&daemon);
    assert_eq!(attachment["state"], "failed", "{attachment}");
    assert!(
        attachment["error"]
            .as_str()
            .unwrap_or_default()
            .contains("503"),
        "{attachment}"
    );
    let letters = daemon.json_lines(&["dead-letters", "list", "--json"]);
    assert!(
        letters.iter().any(|l| l["kind"] == "attachment"),
        "{letters:?}"
    );
}

#[tokio::test]
async fn an_agents_image_is_uploaded_with_send_photo_from_the_blob_store() {
    let image: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
    let encoded = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(&image)
    };
    let agent = ScriptedServer::start(move |_, _| {
        (
            200,
            json!({"replies": [{"text": "here it is", "attachments": [
                {"kind": "image", "mime_type": "image/png", "file_name": "chart.png", "data_base64": encoded}
            ]}]})
            .to_string(),
        )
    })
    .await;
    let mock = MockApi::start().await;
    let daemon = start(
        &mock,
        &format!("[agent]\nkind = \"http\"\nurl = \"{}/turn\"", agent.origin),
        "",
    )
    .await;
    deliver(
        &daemon,
        &json!({
            "update_id": 1,
            "message": {
                "message_id": 11, "date": 1_700_000_000,
                "chat": {"id": 1111111, "type": "private"},
                "from": {"id": 1111111, "is_bot": false, "first_name": "Ada"},
                "text": "send me the chart"
            }
        }),
    )
    .await;

    let uploads = wait_for(&mock, &daemon, "/sendPhoto", 1).await;
    let upload = &uploads[0];
    let content_type = upload.header("content-type").unwrap_or_default().to_owned();
    assert!(
        content_type.starts_with("multipart/form-data; boundary="),
        "{content_type}"
    );
    // The image went out byte for byte inside the multipart body, with the text as
    // its caption and the reply quoting the message.
    let body = &upload.body;
    assert!(
        body.windows(image.len()).any(|w| w == image.as_slice()),
        "the image bytes are not in the upload"
    );
    let text = String::from_utf8_lossy(body);
    assert!(
        text.contains("name=\"photo\"; filename=\"chart.png\""),
        "{text}"
    );
    assert!(text.contains("here it is"), "{text}");
    assert!(text.contains("\"message_id\":11"), "{text}");
    daemon.wait_idle().await;
    assert!(mock.requests_to("/sendMessage").is_empty());
    let replies = daemon.replies();
    assert_eq!(replies.len(), 1, "{replies:?}");
    assert_eq!(replies[0]["status"], "sent");
}

#[tokio::test]
async fn the_http_agent_gets_a_url_for_the_stored_file_and_fetches_it_with_the_api_token() {
    const API_TOKEN: &str = "media-e2e-api-token-3c9d";
    let agent = ScriptedServer::start(|_, _| (200, json!({"replies": []}).to_string())).await;
    let mock = MockApi::start().await;
    mock.rule(Rule::always(
        "/getFile",
        200,
        json!({"ok": true, "result": {"file_id": "x", "file_unique_id": "u", "file_path": "documents/file_9.pdf"}}).to_string(),
    ));
    let daemon = start(
        &mock,
        &format!(
            "[agent]\nkind = \"http\"\nurl = \"{}/turn\"\n\n[api]\ntoken = \"{API_TOKEN}\"",
            agent.origin
        ),
        "",
    )
    .await;
    deliver(
        &daemon,
        &fixture_json("telegram/tgdocs-message-document.json"),
    )
    .await;

    let turns = eventually(Duration::from_secs(20), || {
        let requests = agent.requests();
        (!requests.is_empty()).then_some(requests)
    })
    .await
    .unwrap_or_else(|| panic!("the agent was never asked; log:\n{}", daemon.log()));
    let attachment = turns[0].json()["attachments"][0].clone();
    assert_eq!(attachment["kind"], "document");
    assert_eq!(attachment["state"], "stored");
    assert_eq!(attachment["file_name"], "Testfile.pdf");
    let url = attachment["url"]
        .as_str()
        .expect("a url for a stored file")
        .to_owned();
    assert!(url.ends_with(&format!(
        "/v1/blobs/{}",
        attachment["sha256"].as_str().unwrap_or("?")
    )));

    let http = reqwest::Client::new();
    let fetched = http
        .get(&url)
        .bearer_auth(API_TOKEN)
        .send()
        .await
        .expect("get blob");
    assert_eq!(fetched.status(), 200);
    assert_eq!(
        fetched.bytes().await.expect("body").as_ref(),
        CONTENT.as_bytes()
    );
    let refused = http.get(&url).send().await.expect("get blob");
    assert_eq!(refused.status(), 401, "no token, no file");
}
