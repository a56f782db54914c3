//! Log format and level selection, and what an info-level log must never hold.

use std::time::Duration;

use serde_json::Value;

use super::serve::{RustLog, Serve};
use super::{ACCESS_TOKEN, APP_SECRET, VERIFY_TOKEN, delivery, get, post, sign, whatsapp};
use crate::harness::{TestDaemon, eventually};

fn json_lines(log: &str) -> Vec<Value> {
    log.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str::<Value>(l)
                .unwrap_or_else(|e| panic!("not a JSON log line ({e}): {l}"))
        })
        .collect()
}

/// The log of a stopped daemon, once its last line ("stopped") has been read.
async fn whole_log(daemon: &TestDaemon) -> String {
    let finished = eventually(Duration::from_secs(10), || {
        let log = daemon.log();
        log.lines()
            .any(|l| l.trim_end().ends_with(" stopped"))
            .then_some(log)
    })
    .await;
    finished.unwrap_or_else(|| panic!("no final log line:\n{}", daemon.log()))
}

#[tokio::test]
async fn log_format_json_writes_one_object_per_line() {
    let wa = whatsapp("").await;
    let mut serve = Serve::spawn(&wa.daemon, &["--log-format", "json"], RustLog::Set("info"));
    let addr = serve.address("listening on ").await;
    let body = delivery("wamid.J1", "16505551234", "Ann", "json logs");
    let url = format!("http://{addr}/webhooks/wa");
    assert_eq!(post(&url, &body, Some(&sign(&body))).await, 200);
    assert!(serve.terminate().success());

    let lines = json_lines(&serve.stderr());
    for line in &lines {
        assert!(
            line["timestamp"].is_string() && line["level"].is_string(),
            "each line has a timestamp and a level: {line}"
        );
    }
    let ready = lines
        .iter()
        .find(|l| l["message"] == "channel instance ready")
        .unwrap_or_else(|| panic!("no startup line in {lines:?}"));
    assert_eq!(ready["instance"], "wa");
    assert_eq!(ready["component"], "whatsapp");
    assert!(ready["compiled_from_cache"].is_boolean(), "{ready}");
    assert!(
        lines.iter().any(|l| l["message"] == "delivery stored"
            && l["instance"] == "wa"
            && l["stored"] == 1),
        "{lines:?}"
    );
}

#[tokio::test]
async fn log_level_and_format_come_from_the_config_unless_overridden() {
    let wa = whatsapp("\n[log]\nlevel = \"warn\"\nformat = \"json\"\n").await;

    // `[log] level = "warn"`: startup and deliveries are info, so nothing is logged.
    let mut quiet = Serve::spawn(&wa.daemon, &[], RustLog::Unset);
    let addr = quiet.address("listening on ").await;
    let body = delivery("wamid.L1", "16505551234", "Ann", "quiet");
    assert_eq!(
        post(
            &format!("http://{addr}/webhooks/wa"),
            &body,
            Some(&sign(&body))
        )
        .await,
        200
    );
    assert!(quiet.terminate().success());
    let log = quiet.stderr();
    assert!(
        json_lines(&log)
            .iter()
            .all(|l| l["level"] == "WARN" || l["level"] == "ERROR"),
        "only warnings and errors at level warn:\n{log}"
    );
    assert!(!log.contains("channel instance ready"), "{log}");

    // RUST_LOG wins over the config; the config's format still applies.
    let mut verbose = Serve::spawn(&wa.daemon, &[], RustLog::Set("info"));
    verbose.address("listening on ").await;
    assert!(verbose.terminate().success());
    let lines = json_lines(&verbose.stderr());
    assert!(
        lines
            .iter()
            .any(|l| l["message"] == "channel instance ready"),
        "{lines:?}"
    );

    // --log-format wins over the config.
    let mut text = Serve::spawn(&wa.daemon, &["--log-format", "text"], RustLog::Set("info"));
    text.address("listening on ").await;
    assert!(text.terminate().success());
    let log = text.stderr();
    assert!(
        log.contains("channel instance ready") && !log.trim_start().starts_with('{'),
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn info_log_holds_no_phone_number_name_text_token_or_secret() {
    const PHONE: &str = "4915123456789";
    const NAME: &str = "Jolene Privatperson";
    const TEXT: &str = "the vault code is 8142-ALPHA";
    const WRONG_TOKEN: &str = "almost-the-verify-token-3f";
    let mut wa = whatsapp("").await;
    wa.daemon.start();
    let hook = wa.daemon.url("/webhooks/wa");
    for token in [VERIFY_TOKEN, WRONG_TOKEN] {
        let url = format!("{hook}?hub.mode=subscribe&hub.challenge=4242&hub.verify_token={token}");
        get(&url).await;
    }
    let body = delivery("wamid.PRIV1", PHONE, NAME, TEXT);
    assert_eq!(post(&hook, &body, Some(&sign(&body))).await, 200);
    let forged = delivery("wamid.PRIV2", PHONE, NAME, TEXT);
    assert_eq!(post(&hook, &forged, Some("sha256=00")).await, 401);

    // Wait for the whole path: read receipt and echo reply, both to the user's number.
    let done = eventually(Duration::from_secs(20), || {
        let bodies: Vec<Value> = wa
            .mock
            .requests_to("/messages")
            .iter()
            .map(|r| r.json())
            .collect();
        (bodies.iter().any(|b| b["status"] == "read") && bodies.iter().any(|b| b["to"] == PHONE))
            .then_some(())
    })
    .await;
    assert!(done.is_some(), "reply not sent; log:\n{}", wa.daemon.log());
    let replies = wa.daemon.replies();
    assert_eq!(replies[0]["status"], "sent", "{replies:?}");
    assert!(wa.daemon.stop().success());

    let log = whole_log(&wa.daemon).await;
    assert!(
        log.contains("delivery stored"),
        "the delivery was logged:\n{log}"
    );
    for (what, value) in [
        ("phone number", PHONE),
        ("user name", NAME),
        ("message text", TEXT),
        ("message text", "8142-ALPHA"),
        ("access token", ACCESS_TOKEN),
        ("app secret", APP_SECRET),
        ("verify token", VERIFY_TOKEN),
        ("attempted verify token", WRONG_TOKEN),
    ] {
        assert!(
            !log.contains(value),
            "the {what} reached the info log:\n{log}"
        );
    }
}

#[tokio::test]
async fn text_log_written_to_a_pipe_has_no_terminal_colour_codes() {
    // Under systemd or a log shipper stderr is a pipe; escape codes there make the
    // log hard to read and break `grep key=value`.
    let mut wa = whatsapp("").await;
    wa.daemon.start();
    assert!(wa.daemon.stop().success());
    let log = whole_log(&wa.daemon).await;
    assert!(log.contains("channel instance ready"), "{log}");
    assert!(
        !log.contains('\u{1b}'),
        "escape codes in a piped log:\n{}",
        log.lines().next().unwrap_or_default().escape_debug()
    );
}

#[tokio::test]
async fn json_log_lines_name_each_field_once() {
    // Log pipelines keep the last of two equal keys, so a message id logged as
    // `message` would hide the line's text.
    let wa = whatsapp("").await;
    let mut serve = Serve::spawn(
        &wa.daemon,
        &["--log-format", "json"],
        RustLog::Set("info,switchboard_daemon=debug"),
    );
    let addr = serve.address("listening on ").await;
    let body = delivery("wamid.J2", "16505551234", "Ann", "one key each");
    let url = format!("http://{addr}/webhooks/wa");
    assert_eq!(post(&url, &body, Some(&sign(&body))).await, 200);
    let answered = eventually(Duration::from_secs(10), || {
        let log = serve.stderr();
        log.contains("agent turn done").then_some(())
    })
    .await;
    assert!(answered.is_some(), "{}", serve.stderr());
    assert!(serve.terminate().success());

    let raw = serve.stderr();
    for line in raw.lines().filter(|l| !l.trim().is_empty()) {
        assert!(
            line.matches("\"message\":").count() <= 1,
            "a key repeated: {line}"
        );
    }
    let lines = json_lines(&raw);
    let done = lines
        .iter()
        .find(|l| l["message"] == "agent turn done")
        .unwrap_or_else(|| panic!("{lines:?}"));
    assert!(done["message_id"].is_i64(), "{done}");
}
