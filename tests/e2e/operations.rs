//! Operating Switchboard through the real binary: `check` and the refusal of
//! `serve` to start on a bad config; health, readiness and metrics endpoints and
//! `admin_listen` (`endpoints`); log formats, levels and what logs never hold
//! (`logs`); `send-test`.

mod endpoints;
mod logs;
mod serve;

use std::time::Duration;

use serde_json::{Value, json};

use crate::harness::TestDaemon;
use crate::mock::{MockApi, Rule};
use serve::{RustLog, Serve};

const APP_SECRET: &str = "ops-app-secret-5d1e0c";
const APP_SECRET_VAR: &str = "OPS_E2E_WA_APP_SECRET";
const ACCESS_TOKEN: &str = "ops-access-token-9b2c41";
const VERIFY_TOKEN: &str = "ops-verify-token-77aa03";

fn sign(body: &[u8]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, APP_SECRET.as_bytes());
    format!(
        "sha256={}",
        hex::encode(ring::hmac::sign(&key, body).as_ref())
    )
}

/// A WhatsApp daemon (installed, not started) whose Graph API is `mock`.
struct Wa {
    daemon: TestDaemon,
    mock: MockApi,
}

/// `server_extra` is appended to the `[server]` table.
async fn whatsapp(server_extra: &str) -> Wa {
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
{server_extra}

[agent]
kind = "echo"

[channels.wa]
component = "whatsapp"
secrets = {{ app_secret = {{ env = "{APP_SECRET_VAR}" }}, verify_token = {{ file = "verify-token.txt" }}, access_token = "{ACCESS_TOKEN}" }}
settings = {{ api_base = "{origin}/v23.0" }}
allow = ["{origin}"]
"#
    );
    let daemon = TestDaemon::new(&config).env(APP_SECRET_VAR, APP_SECRET);
    daemon.write("verify-token.txt", &format!("{VERIFY_TOKEN}\n"));
    daemon.install("whatsapp");
    Wa { daemon, mock }
}

/// A WhatsApp delivery of one text message.
fn delivery(id: &str, from: &str, name: &str, text: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "object": "whatsapp_business_account",
        "entry": [{ "id": "102290129340398", "changes": [{ "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": { "display_phone_number": "15550783881", "phone_number_id": "106540352242922" },
            "contacts": [{ "profile": { "name": name }, "wa_id": from }],
            "messages": [{ "from": from, "id": id, "timestamp": "1749416383", "type": "text",
                           "text": { "body": text } }]
        }}]}]
    }))
    .expect("json")
}

/// Posts to `url` with an optional `x-hub-signature-256`; returns the status.
async fn post(url: &str, body: &[u8], signature: Option<&str>) -> u16 {
    let mut req = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_vec());
    if let Some(sig) = signature {
        req = req.header("x-hub-signature-256", sig);
    }
    req.send().await.expect("post").status().as_u16()
}

async fn get(url: &str) -> (u16, String) {
    let resp = reqwest::get(url).await.expect("get");
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap_or_default())
}

#[tokio::test]
async fn check_accepts_a_good_config_and_says_what_it_will_serve() {
    let wa = whatsapp("").await;
    let (ok, out, err) = wa.daemon.cli(&["check"]);
    assert!(ok, "check failed on a good config:\n{out}\n{err}");
    assert!(
        out.contains(": ok (1 channel instance(s), agent echo)"),
        "{out}"
    );
    assert!(
        out.contains("/webhooks/wa -> whatsapp 0.3.0 (switchboard:channel@0.2.1)"),
        "{out}"
    );
}

/// Problems `check` must name in a config, with what each message must mention.
const BAD_CONFIG: &str = r#"
[server]
listen = "127.0.0.1:0"
data_dir = "data"

[channels.wa]
component = "whatsapp"
secrets = { app_secret = { env = "OPS_E2E_NEVER_SET" }, verify_token = { file = "missing-token.txt" }, access_token = "t", bogus = "x" }
settings = { colour = "blue" }

[channels.tg]
component = "telegram"
secrets = { webhook_secret = "s", bot_token = "1:b" }
"#;

#[tokio::test]
async fn check_names_every_problem_and_serve_refuses_to_start() {
    let daemon = TestDaemon::new(BAD_CONFIG);
    daemon.install("whatsapp");
    let (ok, out, err) = daemon.cli(&["check"]);
    assert!(!ok, "check accepted a bad config:\n{out}");
    let expected: [&[&str]; 5] = [
        &[
            "channels.wa.secrets.app_secret",
            "OPS_E2E_NEVER_SET",
            "not set",
        ],
        &["channels.wa.secrets.verify_token", "missing-token.txt"],
        &["channels.wa.secrets.bogus", "declares no such secret"],
        &["channels.wa.settings.colour", "declares no such setting"],
        &["channels.tg.component", "telegram", "not installed"],
    ];
    for parts in expected {
        assert!(
            err.lines().any(|l| parts.iter().all(|p| l.contains(p))),
            "no line names {parts:?}:\n{err}"
        );
    }
    assert!(err.contains("5 problem(s)"), "{err}");

    let mut serve = Serve::spawn(&daemon, &[], RustLog::Set("info"));
    let status = serve.wait_exit(Duration::from_secs(30));
    assert!(!status.success(), "serve started on a bad config");
    assert!(
        !serve.stdout().contains("listening on"),
        "serve listened before refusing:\n{}",
        serve.stdout()
    );
    let log = serve.stderr();
    assert!(log.contains("not starting"), "{log}");
    assert!(
        log.contains("OPS_E2E_NEVER_SET") && log.contains("channels.tg.component"),
        "{log}"
    );
}

#[tokio::test]
async fn unknown_keys_are_named_by_check_and_serve() {
    let cases = [
        (
            "[server]\nlisten = \"127.0.0.1:0\"\ndata_dir = \"data\"\nlisten_port = 8080\n",
            "listen_port",
        ),
        (
            "[server]\nlisten = \"127.0.0.1:0\"\ndata_dir = \"data\"\n\n[channels.wa]\ncomponent = \"whatsapp\"\nsecret = { app_secret = \"x\" }\n",
            "secret",
        ),
        (
            "[server]\nlisten = \"127.0.0.1:0\"\ndata_dir = \"data\"\n\n[chanels.wa]\ncomponent = \"whatsapp\"\n",
            "chanels",
        ),
    ];
    for (config, key) in cases {
        let daemon = TestDaemon::new(config);
        let (ok, out, err) = daemon.cli(&["check"]);
        assert!(!ok, "check accepted unknown key {key}:\n{out}");
        assert!(
            err.contains(&format!("unknown field `{key}`")),
            "the key is named:\n{err}"
        );
        assert!(err.contains("switchboard.toml"), "and the file:\n{err}");
        let mut serve = Serve::spawn(&daemon, &[], RustLog::Set("info"));
        assert!(!serve.wait_exit(Duration::from_secs(30)).success());
        assert!(
            !serve.stdout().contains("listening on"),
            "{}",
            serve.stdout()
        );
        assert!(serve.stderr().contains(key), "{}", serve.stderr());
    }
}

#[tokio::test]
async fn check_names_an_installed_component_this_host_cannot_run() {
    let wa = whatsapp("").await;
    // As if a component for a newer host had been copied into the data directory.
    let path = wa.daemon.dir.path().join("data/components/installed.json");
    let mut installed: Value =
        serde_json::from_slice(&std::fs::read(&path).expect("installed.json")).expect("json");
    installed["whatsapp"]["wit"] = "0.9.0".into();
    installed["whatsapp"]["manifest"]["wit"] = "0.9.0".into();
    std::fs::write(&path, serde_json::to_vec(&installed).expect("json")).expect("write");

    let (ok, out, err) = wa.daemon.cli(&["check"]);
    assert!(!ok, "{out}");
    assert!(
        err.lines().any(|l| l.contains("channels.wa.component")
            && l.contains("whatsapp 0.3.0")
            && l.contains("switchboard:channel@0.9.0")
            && l.contains("0.1.x")
            && l.contains("0.2.x")),
        "names the component, its version, its WIT version and the supported range:\n{err}"
    );
    let (ok, out, _) = wa.daemon.cli(&["list"]);
    assert!(ok && out.contains("NOT supported"), "{out}");
}
