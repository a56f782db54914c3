//! WhatsApp Cloud API through the real daemon.

mod media;
mod traffic;

use std::time::Duration;

use serde_json::{Value, json};

use crate::harness::{TestDaemon, eventually, fixture, fixture_json};
use crate::mock::{MockApi, Rule};

/// The app secret of the real signed fixture (already revoked by its owner).
const APP_SECRET: &str = "1222e786b144d0e85b9f365372d93676";
const ACCESS_TOKEN: &str = "test-access-token-7f3a";
const VERIFY_TOKEN: &str = "verify-me-please";

pub(crate) fn sign(body: &[u8]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, APP_SECRET.as_bytes());
    format!(
        "sha256={}",
        hex::encode(ring::hmac::sign(&key, body).as_ref())
    )
}

struct Setup {
    daemon: TestDaemon,
    mock: MockApi,
    http: reqwest::Client,
}

async fn setup() -> Setup {
    setup_with_access("").await
}

/// [`setup`] with `access` appended as the instance's access table (empty: the
/// harness's open access).
async fn setup_with_access(access: &str) -> Setup {
    setup_with_agent("kind = \"echo\"", access).await
}

/// [`setup_with_access`] with `agent` as the body of the `[agent]` table.
async fn setup_with_agent(agent: &str, access: &str) -> Setup {
    let mock = MockApi::start().await;
    mock.rule(Rule {
        path: "/messages".to_owned(),
        status: 200,
        body: r#"{"messaging_product":"whatsapp","contacts":[{"input":"x","wa_id":"x"}],"messages":[{"id":"wamid.OUTBOUND"}],"success":true}"#.to_owned(),
        headers: Vec::new(),
        times: None,
    });
    let origin = &mock.origin;
    let config = format!(
        r#"
[server]
listen = "127.0.0.1:0"
data_dir = "data"

[agent]
{agent}

[channels.wa]
component = "whatsapp"
secrets = {{ app_secret = {{ env = "E2E_WA_APP_SECRET" }}, verify_token = {{ file = "verify-token.txt" }}, access_token = "{ACCESS_TOKEN}" }}
settings = {{ api_base = "{origin}/v23.0" }}
allow = ["{origin}"]
{access}
"#
    );
    let mut daemon = TestDaemon::new(&config).env("E2E_WA_APP_SECRET", APP_SECRET);
    daemon.write("verify-token.txt", &format!("{VERIFY_TOKEN}\n"));
    daemon.install("whatsapp");
    daemon.start();
    Setup {
        daemon,
        mock,
        http: reqwest::Client::new(),
    }
}

impl Setup {
    async fn post(&self, body: &[u8], signature: Option<&str>) -> (u16, String) {
        let mut req = self
            .http
            .post(self.daemon.url("/webhooks/wa"))
            .header("content-type", "application/json")
            .body(body.to_vec());
        if let Some(sig) = signature {
            req = req.header("x-hub-signature-256", sig);
        }
        let resp = req.send().await.expect("post");
        let status = resp.status().as_u16();
        (status, resp.text().await.unwrap_or_default())
    }

    async fn post_signed(&self, body: &[u8]) -> u16 {
        self.post(body, Some(&sign(body))).await.0
    }

    fn reads(&self) -> Vec<Value> {
        self.mock
            .requests_to("/messages")
            .iter()
            .map(|r| r.json())
            .filter(|b| b["status"] == "read" && b["typing_indicator"].is_null())
            .collect()
    }

    /// Typing indicators (a read receipt with `typing_indicator`), sent while a turn
    /// runs.
    fn typings(&self) -> Vec<Value> {
        self.mock
            .requests_to("/messages")
            .iter()
            .map(|r| r.json())
            .filter(|b| b["typing_indicator"]["type"] == "text")
            .collect()
    }

    fn sends(&self) -> Vec<Value> {
        self.mock
            .requests_to("/messages")
            .iter()
            .map(|r| r.json())
            .filter(|b| b["type"] == "text")
            .collect()
    }

    /// Waits until `reads` marks-as-read and `sends` replies arrived, then a little
    /// longer, and checks no more arrive.
    async fn expect_outbound(&self, reads: usize, sends: usize) {
        let arrived = eventually(Duration::from_secs(20), || {
            (self.reads().len() >= reads && self.sends().len() >= sends).then_some(())
        })
        .await;
        assert!(
            arrived.is_some(),
            "expected {reads} read receipts and {sends} replies; mock saw {:?}\nlog:\n{}",
            self.mock
                .requests_to("/messages")
                .iter()
                .map(|r| r.json())
                .collect::<Vec<_>>(),
            self.daemon.log()
        );
        self.daemon.wait_idle().await;
        assert_eq!(
            self.reads().len(),
            reads,
            "read receipts sent more than once"
        );
        assert_eq!(self.sends().len(), sends, "replies sent more than once");
    }
}

fn text_message(id: &str, from: &str, text: &str) -> Value {
    json!({
        "from": from, "id": id, "timestamp": "1749416383", "type": "text", "text": { "body": text }
    })
}

fn delivery(entries: Vec<Value>) -> Vec<u8> {
    serde_json::to_vec(&json!({ "object": "whatsapp_business_account", "entry": entries }))
        .expect("json")
}

fn entry(phone_number_id: &str, messages: Vec<Value>, statuses: Vec<Value>) -> Value {
    let mut value = json!({
        "messaging_product": "whatsapp",
        "metadata": { "display_phone_number": "15550783881", "phone_number_id": phone_number_id },
        "contacts": [ { "profile": { "name": "Sheena Nelson" }, "wa_id": "16505551234" } ],
    });
    if !messages.is_empty() {
        value["messages"] = Value::Array(messages);
    }
    if !statuses.is_empty() {
        value["statuses"] = Value::Array(statuses);
    }
    json!({ "id": "102290129340398", "changes": [ { "field": "messages", "value": value } ] })
}

#[tokio::test]
async fn handshake_echoes_the_challenge_only_with_the_right_token() {
    let s = setup().await;
    let ok = s
        .http
        .get(s.daemon.url(&format!(
            "/webhooks/wa?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token={VERIFY_TOKEN}"
        )))
        .send()
        .await
        .expect("get");
    assert_eq!(ok.status().as_u16(), 200);
    assert_eq!(ok.text().await.expect("body"), "1158201444");

    let wrong =
        s.http
            .get(s.daemon.url(
                "/webhooks/wa?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=nope",
            ))
            .send()
            .await
            .expect("get");
    assert_eq!(wrong.status().as_u16(), 403);
    assert!(!wrong.text().await.expect("body").contains("1158201444"));

    let missing = s
        .http
        .get(s.daemon.url("/webhooks/wa?hub.challenge=1"))
        .send()
        .await
        .expect("get");
    assert_eq!(missing.status().as_u16(), 403);
    assert!(
        s.daemon.log_shows("handshake failed").await,
        "log says why:\n{}",
        s.daemon.log()
    );
}

#[tokio::test]
async fn real_signed_delivery_is_stored_marked_read_and_echoed_once() {
    let s = setup().await;
    let body = fixture("whatsapp/signed-text-message.body.json");
    let vector = fixture_json("whatsapp/signed-text-message.vector.json");
    let signature = vector["x_hub_signature_256"]
        .as_str()
        .expect("vector signature");
    let (status, _) = s.post(&body, Some(signature)).await;
    assert_eq!(status, 200, "log:\n{}", s.daemon.log());

    let messages = s.daemon.messages();
    assert_eq!(messages.len(), 1);
    let m = &messages[0];
    assert_eq!(m["instance"], "wa");
    assert_eq!(
        m["external_id"],
        "wamid.HBgMOTcyNTQ0NDAxMjQzFQIAEhggM0RFQTNCMEEwRTY3QzUwODYzMDc4NjQ4QzM4ODAxM0YA"
    );
    assert_eq!(m["conversation_id"], "277321005464405:972544401243");
    assert_eq!(m["sender_id"], "972544401243");
    assert_eq!(m["sender_name"], "PyWa Tests");
    assert_eq!(m["text"], "Hey there! I am using PyWa.");

    s.expect_outbound(1, 1).await;
    let read = &s.reads()[0];
    assert_eq!(read["message_id"], m["external_id"]);
    assert_eq!(read["messaging_product"], "whatsapp");
    // "Typing…" showed for the answered message while the agent worked, never after
    // the reply.
    let typings = s.typings();
    assert!(!typings.is_empty(), "no typing indicator");
    assert_eq!(typings[0]["message_id"], m["external_id"]);
    let bodies: Vec<Value> = s
        .mock
        .requests_to("/messages")
        .iter()
        .map(|r| r.json())
        .collect();
    let last_typing = bodies
        .iter()
        .rposition(|b| b["typing_indicator"]["type"] == "text");
    let reply = bodies.iter().position(|b| b["type"] == "text");
    assert!(last_typing < reply, "typing after the reply: {bodies:?}");
    let send = &s.sends()[0];
    assert_eq!(send["to"], "972544401243");
    assert_eq!(send["text"]["body"], "Hey there! I am using PyWa.");
    for r in s.mock.requests_to("/messages") {
        assert!(
            r.path.starts_with("/v23.0/277321005464405/messages"),
            "path {}",
            r.path
        );
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {ACCESS_TOKEN}").as_str())
        );
    }
    let replies = s.daemon.replies();
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0]["status"], "sent");
    assert_eq!(replies[0]["receipt_external_id"], "wamid.OUTBOUND");
    let log = s.daemon.log();
    assert!(
        !log.contains(ACCESS_TOKEN) && !log.contains(APP_SECRET),
        "a secret reached the log"
    );
}

#[tokio::test]
async fn duplicate_delivery_is_acknowledged_and_processed_once() {
    let s = setup().await;
    let body = delivery(vec![entry(
        "106540352242922",
        vec![text_message("wamid.DUP1", "16505551234", "once")],
        vec![],
    )]);
    assert_eq!(s.post_signed(&body).await, 200);
    assert_eq!(s.post_signed(&body).await, 200);
    assert_eq!(s.post_signed(&body).await, 200);
    assert_eq!(s.daemon.messages().len(), 1);
    s.expect_outbound(1, 1).await;
}

#[tokio::test]
async fn tampered_and_unsigned_bodies_are_refused_and_nothing_runs() {
    let s = setup().await;
    let body = delivery(vec![entry(
        "106540352242922",
        vec![text_message("wamid.T1", "16505551234", "hi")],
        vec![],
    )]);
    let signature = sign(&body);
    let mut tampered = body.clone();
    let at = tampered.len() - 10;
    tampered[at] ^= 0x01;
    assert_eq!(s.post(&tampered, Some(&signature)).await.0, 401);
    assert_eq!(s.post(&body, None).await.0, 401);
    assert_eq!(s.post(&body, Some("sha256=00")).await.0, 401);
    assert!(s.daemon.messages().is_empty());
    s.daemon.wait_idle().await;
    assert!(
        s.mock.requests().is_empty(),
        "no guest code may run for an unverified request"
    );
    assert!(
        s.daemon.log_shows("signature mismatch").await,
        "log says why"
    );
    assert!(
        s.daemon
            .log_shows("missing header x-hub-signature-256")
            .await
    );
    let log = s.daemon.log();
    assert!(
        log.contains("missing header x-hub-signature-256"),
        "log says why:\n{log}"
    );
}

#[tokio::test]
async fn batch_with_several_entries_and_a_status_stores_every_message() {
    let s = setup().await;
    let status = json!({ "id": "wamid.OUR", "status": "delivered", "timestamp": "1749416390", "recipient_id": "16505551234" });
    let body = delivery(vec![
        entry(
            "106540352242922",
            vec![
                text_message("wamid.B1", "16505551234", "first"),
                text_message("wamid.B2", "16505551234", "second"),
            ],
            vec![status.clone()],
        ),
        entry(
            "106540352242922",
            vec![text_message("wamid.B3", "16505550000", "third")],
            vec![],
        ),
        entry("106540352242922", vec![], vec![status]),
    ]);
    assert_eq!(s.post_signed(&body).await, 200);
    let mut ids: Vec<String> = s
        .daemon
        .messages()
        .iter()
        .map(|m| m["external_id"].as_str().expect("id").to_owned())
        .collect();
    ids.sort();
    assert_eq!(ids, ["wamid.B1", "wamid.B2", "wamid.B3"]);
    s.expect_outbound(3, 3).await;
}

#[tokio::test]
async fn non_ascii_text_round_trips_exactly() {
    let s = setup().await;
    let text = "J'ai mangé des pâtes 🍝 — Привет, 世界";
    let body = delivery(vec![entry(
        "106540352242922",
        vec![text_message("wamid.U1", "16505551234", text)],
        vec![],
    )]);
    assert_eq!(s.post_signed(&body).await, 200);
    assert_eq!(s.daemon.messages()[0]["text"], text);
    s.expect_outbound(1, 1).await;
    assert_eq!(s.sends()[0]["text"]["body"], text);
}

#[tokio::test]
async fn every_fixture_message_kind_is_stored_with_its_kind() {
    let s = setup().await;
    let cases = fixture_json("whatsapp/pywa-updates-message.json");
    let cases = cases.as_object().expect("cases");
    let mut expected = 0;
    for (n, (name, case)) in cases.iter().enumerate() {
        // The fixture reuses placeholder ids; give each case its own so that
        // deduplication does not hide a kind.
        let mut case = case.clone();
        for entry in case["entry"].as_array_mut().into_iter().flatten() {
            for change in entry["changes"].as_array_mut().into_iter().flatten() {
                for m in change["value"]["messages"]
                    .as_array_mut()
                    .into_iter()
                    .flatten()
                {
                    m["id"] = json!(format!("wamid.case-{n}-{name}"));
                    expected += 1;
                }
            }
        }
        let body = serde_json::to_vec(&case).expect("json");
        assert_eq!(s.post_signed(&body).await, 200, "case {name}");
    }
    let messages = s.daemon.messages();
    assert_eq!(messages.len(), expected, "a message was dropped");
    let kinds: std::collections::BTreeSet<String> = messages
        .iter()
        .map(|m| m["kind"].as_str().expect("kind").to_owned())
        .collect();
    for kind in [
        "text", "image", "video", "document", "audio", "sticker", "reaction", "location",
        "contact", "other",
    ] {
        assert!(kinds.contains(kind), "no {kind} message among {kinds:?}");
    }
}

#[tokio::test]
async fn unknown_instance_and_oversized_body_are_refused() {
    let s = setup().await;
    let resp = s
        .http
        .post(s.daemon.url("/webhooks/nope"))
        .body("{}")
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status().as_u16(), 404);
    let huge = vec![b' '; 5 * 1024 * 1024];
    let resp = s
        .http
        .post(s.daemon.url("/webhooks/wa"))
        .header("x-hub-signature-256", sign(&huge))
        .body(huge)
        .send()
        .await;
    // The daemon may answer 413 and close before the client finished sending.
    if let Ok(resp) = resp {
        assert_eq!(resp.status().as_u16(), 413);
    }
    assert!(
        s.daemon.log_shows("body exceeds the limit").await,
        "log:\n{}",
        s.daemon.log()
    );
    assert!(s.daemon.messages().is_empty());
}
