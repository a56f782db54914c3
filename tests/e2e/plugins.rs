//! End-to-end tests: third-party plugins and WIT versions.
//!
//! The example channel (`examples/webhook-channel`) is published and installed the
//! way a third party's would be: a registry index written by `switchboard registry
//! build`, then `switchboard install`. Test guests pinned to the frozen
//! `switchboard:channel@0.1.0` and to 0.1.1 show that the current host runs the 0.1
//! line through its shim, next to 0.2.0 channels.

mod js;
mod python;
mod support;

use std::time::Duration;

use serde_json::{Value, json};

use crate::harness::{TestDaemon, eventually};
use crate::mock::{MockApi, Recorded, Rule};
use support::{
    guest, inspect, install_from, signing_secret, standard_webhooks_headers, webhook_manifest,
    webhook_wasm, write_index,
};

/// Sent with each reply as `authorization: Bearer <token>` when `reply_auth` is
/// `bearer`; the component only ever writes a placeholder for it.
const REPLY_TOKEN: &str = "reply-token-3c9e17";
/// The `x-test-token` the test guests verify.
const GUEST_TOKEN: &str = "plugin-guest-token-81f2";

/// A daemon running the webhook example as instance `app`, echo agent, replies to a
/// mock app at `<mock>/replies`.
struct WebhookApp {
    daemon: TestDaemon,
    mock: MockApi,
    secret: String,
    http: reqwest::Client,
}

async fn webhook_app() -> WebhookApp {
    let (app, installed) = example_app("webhook", "app-reply-1", |dir| {
        write_index(dir, &[(webhook_manifest(), webhook_wasm())])
    })
    .await;
    assert!(installed.contains("webhook"), "install said: {installed}");
    app
}

/// A daemon running the example `component` (any language) as instance `app`, echo
/// agent, replies to a mock app at `<mock>/replies` with bearer auth that answers
/// `{"id": receipt}`. `index` gives the registry to install from, given the
/// daemon's directory; the install's output comes back for the caller to check.
async fn example_app(
    component: &str,
    receipt: &str,
    index: impl FnOnce(&std::path::Path) -> std::path::PathBuf,
) -> (WebhookApp, String) {
    let mock = MockApi::start().await;
    mock.rule(Rule::always(
        "/replies",
        200,
        json!({ "id": receipt }).to_string(),
    ));
    let secret = signing_secret();
    let origin = &mock.origin;
    let config = format!(
        r#"
[server]
listen = "127.0.0.1:0"
data_dir = "data"

[agent]
kind = "echo"

[channels.app]
component = "{component}"
secrets = {{ signing_secret = {{ env = "E2E_WEBHOOK_SECRET" }}, reply_token = "{REPLY_TOKEN}" }}
settings = {{ reply_url = "{origin}/replies", reply_auth = "bearer" }}
allow = ["{origin}"]
"#
    );
    let mut daemon = TestDaemon::new(&config).env("E2E_WEBHOOK_SECRET", &secret);
    let index = index(daemon.dir.path());
    let installed = install_from(&daemon, component, &index);
    daemon.start();
    let app = WebhookApp {
        daemon,
        mock,
        secret,
        http: reqwest::Client::new(),
    };
    (app, installed)
}

impl WebhookApp {
    async fn post(&self, body: &[u8], headers: &[(String, String)]) -> (u16, String) {
        let mut request = self
            .http
            .post(self.daemon.url("/webhooks/app"))
            .header("content-type", "application/json")
            .body(body.to_vec());
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let response = request.send().await.expect("post to the daemon");
        let status = response.status().as_u16();
        (status, response.text().await.unwrap_or_default())
    }

    async fn post_signed(&self, delivery_id: &str, body: &Value) -> (u16, String) {
        let body = serde_json::to_vec(body).expect("JSON body");
        let headers = standard_webhooks_headers(&self.secret, delivery_id, &body);
        self.post(&body, &headers).await
    }

    fn replies_received(&self) -> Vec<Recorded> {
        self.mock.requests_to("/replies")
    }

    /// Waits for the echo agent's reply at `reply_url` and checks it as the app
    /// receives it (`body`, JSON, the bearer token the host filled in for the
    /// placeholder, an idempotency key), then that the daemon marked it sent with
    /// the app's `receipt`.
    async fn assert_reply_posted(&self, body: Value, receipt: &str) {
        let replies = eventually(Duration::from_secs(20), || {
            let received = self.replies_received();
            (!received.is_empty()).then_some(received)
        })
        .await
        .unwrap_or_else(|| panic!("no reply reached reply_url; log:\n{}", self.daemon.log()));
        let reply = &replies[0];
        assert_eq!(reply.method, "POST");
        assert_eq!(reply.json(), body);
        assert_eq!(reply.header("content-type"), Some("application/json"));
        // The component wrote `{{secret:reply_token}}`; the host filled it in.
        assert_eq!(
            reply.header("authorization"),
            Some(format!("Bearer {REPLY_TOKEN}").as_str())
        );
        assert!(
            reply
                .header("idempotency-key")
                .is_some_and(|k| !k.is_empty()),
            "no idempotency key: {:?}",
            reply.headers
        );
        let sent = eventually(Duration::from_secs(10), || {
            let replies = self.daemon.replies();
            (replies.len() == 1 && replies[0]["status"] == "sent").then_some(replies)
        })
        .await
        .unwrap_or_else(|| panic!("reply not marked sent: {:?}", self.daemon.replies()));
        assert_eq!(sent[0]["receipt_external_id"], receipt);
    }
}

fn delivery(id: &str, text: &str) -> Value {
    json!({ "id": id, "conversation_id": "ticket-42", "sender_id": "user-7", "text": text })
}

#[tokio::test(flavor = "multi_thread")]
async fn the_webhook_example_stores_a_signed_delivery_and_posts_the_reply_to_reply_url() {
    let app = webhook_app().await;

    let (status, body) = app
        .post_signed("msg_delivery_1", &delivery("m-1", "hello from my app"))
        .await;
    assert_eq!(status, 200, "body {body}\nlog:\n{}", app.daemon.log());
    assert_eq!(
        serde_json::from_str::<Value>(&body).ok(),
        Some(json!({ "stored": "m-1" }))
    );

    let messages = app.daemon.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    let stored = &messages[0];
    assert_eq!(stored["instance"], "app");
    assert_eq!(stored["external_id"], "m-1");
    assert_eq!(stored["conversation_id"], "ticket-42");
    assert_eq!(stored["sender_id"], "user-7");
    assert_eq!(stored["text"], "hello from my app");
    assert_eq!(stored["metadata"]["webhook_id"], "msg_delivery_1");

    app.assert_reply_posted(
        json!({ "conversation_id": "ticket-42", "text": "hello from my app", "in_reply_to": "m-1" }),
        "app-reply-1",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redelivered_message_is_stored_and_answered_once() {
    let app = webhook_app().await;
    for attempt in ["msg_retry_a", "msg_retry_b"] {
        // A sender retrying signs a new attempt; the app's message id stays the same.
        let (status, body) = app.post_signed(attempt, &delivery("m-dup", "once")).await;
        assert_eq!(status, 200, "{body}");
    }
    let replied = eventually(Duration::from_secs(20), || {
        (!app.replies_received().is_empty()).then_some(())
    })
    .await;
    assert!(replied.is_some(), "no reply; log:\n{}", app.daemon.log());
    app.daemon.wait_idle().await;
    assert_eq!(app.daemon.messages().len(), 1, "duplicate stored");
    assert_eq!(app.replies_received().len(), 1, "duplicate answered");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_webhook_example_refuses_bad_signatures_and_malformed_bodies() {
    let app = webhook_app().await;
    let body = serde_json::to_vec(&delivery("m-forged", "forged")).expect("JSON");

    // Signed with another secret.
    let forged =
        standard_webhooks_headers("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_x", &body);
    let (status, _) = app.post(&body, &forged).await;
    assert_eq!(status, 401);

    // A valid signature for a different body.
    let other = serde_json::to_vec(&delivery("m-other", "other")).expect("JSON");
    let swapped = standard_webhooks_headers(&app.secret, "msg_y", &other);
    let (status, _) = app.post(&body, &swapped).await;
    assert_eq!(status, 401);

    // No signature headers at all.
    let (status, _) = app.post(&body, &[]).await;
    assert_eq!(status, 401);

    // Signed, but not the documented shape: the app hears why, nothing is stored.
    let (status, answer) = app
        .post_signed(
            "msg_z",
            &json!({ "id": "m-bad", "text": "no conversation" }),
        )
        .await;
    assert_eq!(status, 400, "{answer}");
    assert!(answer.contains("conversation_id"), "{answer}");

    assert!(
        app.daemon.messages().is_empty(),
        "{:?}",
        app.daemon.messages()
    );
    assert!(app.replies_received().is_empty());
    let logged = eventually(Duration::from_secs(5), || {
        (app.daemon.log().matches("verification failed").count() >= 3).then_some(())
    })
    .await;
    assert!(
        logged.is_some(),
        "each rejection is logged with its reason:\n{}",
        app.daemon.log()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_webhook_example_has_no_persistence_hook_and_targets_the_current_wit() {
    let info = inspect(&webhook_wasm());
    assert_eq!(info["wit"], "0.2.0", "{info}");
    assert_eq!(info["supported"], true, "{info}");
    assert_eq!(info["hooks"], json!([]), "{info}");
    let exports: Vec<&str> = info["exports"]
        .as_array()
        .expect("exports")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        exports.contains(&"switchboard:channel/channel@0.2.0"),
        "{exports:?}"
    );

    // The text form says the same to an operator.
    let file = webhook_wasm().display().to_string();
    let (ok, text, _) = crate::harness::cli(&["inspect", &file], &[]);
    assert!(ok);
    assert!(text.contains("optional hooks: none"), "{text}");
    assert!(
        text.contains("switchboard:channel@0.2.0 (supported by this host)"),
        "{text}"
    );
}

/// A daemon running one test guest as instance `inst` behind `x-test-token`.
async fn guest_daemon(component: &str, instance: &str, settings: &str, allow: &str) -> TestDaemon {
    guest_daemon_with(component, instance, settings, allow, "").await
}

/// [`guest_daemon`] with `extra` appended to the config.
async fn guest_daemon_with(
    component: &str,
    instance: &str,
    settings: &str,
    allow: &str,
    extra: &str,
) -> TestDaemon {
    let config = format!(
        r#"
[server]
listen = "127.0.0.1:0"
data_dir = "data"

[agent]
kind = "echo"

[channels.{instance}]
component = "{component}"
secrets = {{ token = "{GUEST_TOKEN}" }}
settings = {{ {settings} }}
allow = [{allow}]
call_timeout_ms = 3000
{extra}
"#
    );
    let mut daemon = TestDaemon::new(&config);
    let index = write_index(daemon.dir.path(), &[guest(component)]);
    install_from(&daemon, component, &index);
    daemon.start();
    daemon
}

async fn post_token(daemon: &TestDaemon, instance: &str, body: &str) -> (u16, String) {
    let response = reqwest::Client::new()
        .post(daemon.url(&format!("/webhooks/{instance}")))
        .header("x-test-token", GUEST_TOKEN)
        .body(body.to_owned())
        .send()
        .await
        .expect("post to the daemon");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_component_built_against_the_frozen_0_1_0_runs_on_the_current_host() {
    let (_, wasm) = guest("legacy");
    let info = inspect(&wasm);
    assert_eq!(info["wit"], "0.1.0", "{info}");
    assert_eq!(info["supported"], true, "{info}");
    let imports: Vec<&str> = info["imports"]
        .as_array()
        .expect("imports")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        imports.contains(&"switchboard:channel/host@0.1.0"),
        "the guest must be linked against the old interface: {imports:?}"
    );

    let mock = MockApi::start().await;
    let origin = mock.origin.clone();
    let daemon = guest_daemon(
        "legacy",
        "old",
        &format!(r#"reply_url = "{origin}/legacy-replies""#),
        &format!(r#""{origin}""#),
    )
    .await;
    let listed = daemon.json_lines(&["list", "--json"]);
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["wit"], "0.1.0", "installed as a 0.1.0 component");

    let (status, body) = post_token(&daemon, "old", "old-1 still works").await;
    assert_eq!(status, 200, "{body}\nlog:\n{}", daemon.log());
    assert_eq!(body, "stored");
    let messages = daemon.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(messages[0]["external_id"], "old-1");
    assert_eq!(messages[0]["text"], "still works");
    assert_eq!(messages[0]["metadata"]["built_against"], "0.1.0");
    // Through the 0.1 shim: what 0.1 cannot say gets the safe values, and the
    // message is answered as a person's direct message.
    assert_eq!(messages[0]["chat_type"], "unknown");
    assert_eq!(messages[0]["sender_kind"], "user");
    assert_eq!(messages[0]["mentions_bot"], false);
    assert_eq!(messages[0]["no_turn"], serde_json::Value::Null);

    // The old `on-respond` export is found and called too.
    let reply = eventually(Duration::from_secs(20), || {
        mock.requests_to("/legacy-replies").into_iter().next()
    })
    .await
    .unwrap_or_else(|| panic!("no reply from the 0.1.0 guest; log:\n{}", daemon.log()));
    assert_eq!(String::from_utf8_lossy(&reply.body), "still works");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_0_1_component_is_under_the_access_policy_as_direct_messages() {
    // 0.1 cannot say what kind of chat a message came from: the shim says
    // `unknown`, which the policy treats as a direct message, so the default
    // pairing applies and the stranger gets a code through the old `on-respond`.
    let mock = MockApi::start().await;
    let origin = mock.origin.clone();
    let daemon = guest_daemon_with(
        "legacy",
        "old",
        &format!(r#"reply_url = "{origin}/legacy-replies""#),
        &format!(r#""{origin}""#),
        "\n[channels.old.access]\ndm = \"pairing\"\n",
    )
    .await;
    let (status, _) = post_token(&daemon, "old", "old-9 let me in").await;
    assert_eq!(status, 200);
    let reply = eventually(Duration::from_secs(20), || {
        mock.requests_to("/legacy-replies").into_iter().next()
    })
    .await
    .unwrap_or_else(|| panic!("no pairing notice; log:\n{}", daemon.log()));
    let notice = String::from_utf8_lossy(&reply.body).into_owned();
    assert!(notice.contains("pairing code"), "{notice}");
    daemon.wait_idle().await;
    let messages = daemon.messages();
    assert_eq!(messages[0]["chat_type"], "unknown");
    assert_eq!(messages[0]["no_turn"], "pairing-pending");
    assert_eq!(daemon.json_lines(&["pairing", "list", "--json"]).len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_context_import_added_in_0_1_1_reports_the_instance_and_its_budget() {
    let mock = MockApi::start().await;
    let origin = mock.origin.clone();
    let daemon = guest_daemon(
        "context",
        "probe-7",
        &format!(r#"target = "{origin}/ping""#),
        &format!(r#""{origin}""#),
    )
    .await;
    let (status, body) = post_token(&daemon, "probe-7", "ctx-1").await;
    assert_eq!(status, 200, "{body}\nlog:\n{}", daemon.log());

    let messages = daemon.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    let seen = &messages[0]["metadata"];
    assert_eq!(seen["instance"], "probe-7", "{seen}");
    assert_eq!(seen["fetched"], true, "{seen}");
    assert_eq!(mock.requests_to("/ping").len(), 1);
    let before = seen["fetches_before"].as_u64().expect("fetches_before");
    let after = seen["fetches_after"].as_u64().expect("fetches_after");
    assert!(before > 0, "{seen}");
    assert_eq!(
        after + 1,
        before,
        "one fetch must use one of the budget: {seen}"
    );
    let remaining = seen["remaining_millis"].as_u64().expect("remaining_millis");
    assert!(
        remaining > 0 && remaining <= 3000,
        "remaining-millis must lie within the configured 3000 ms deadline: {seen}"
    );
}
