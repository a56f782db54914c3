//! `/healthz`, `/readyz`, `/metrics`, `server.admin_listen` and `send-test`.

use std::time::Duration;

use super::serve::{RustLog, Serve};
use super::{delivery, get, post, sign, whatsapp};
use crate::harness::{eventually, sample};

#[tokio::test]
async fn health_answers_on_the_webhook_listener_and_readiness_on_the_admin_listener() {
    let mut wa = whatsapp("").await;
    wa.daemon.start();
    assert_eq!(
        get(&wa.daemon.url("/healthz")).await,
        (200, "ok\n".to_owned())
    );
    assert_eq!(
        get(&wa.daemon.url("/readyz")).await,
        (200, "ready\n".to_owned())
    );
}

#[tokio::test]
async fn without_an_admin_listener_readiness_and_metrics_are_not_public() {
    // `/metrics` tells about the deployment and reads the store; on the webhook
    // listener anyone on the internet could ask for it, outside `max_in_flight`.
    let mut wa = whatsapp("").await;
    wa.daemon = wa.daemon.without_admin_listener();
    wa.daemon.start();
    assert_eq!(
        get(&wa.daemon.public_url("/healthz")).await,
        (200, "ok\n".to_owned())
    );
    for path in ["/readyz", "/metrics"] {
        assert_eq!(get(&wa.daemon.public_url(path)).await.0, 404, "{path}");
        let why = format!("{path} is served only on the admin listener; set server.admin_listen");
        assert!(wa.daemon.log_shows(&why).await, "log:\n{}", wa.daemon.log());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_deliveries_rejections_messages_and_guest_calls() {
    let mut wa = whatsapp("").await;
    wa.daemon.start();
    let url = wa.daemon.url("/webhooks/wa");
    let good = delivery("wamid.M1", "16505551234", "Ann", "metrics please");
    assert_eq!(post(&url, &good, Some(&sign(&good))).await, 200);
    assert_eq!(
        post(&url, &good, Some(&sign(&good))).await,
        200,
        "duplicate"
    );
    let forged = delivery("wamid.M2", "16505551234", "Ann", "forged");
    assert_eq!(
        post(&url, &forged, Some(&sign(b"something else"))).await,
        401
    );

    let resp = reqwest::get(wa.daemon.url("/metrics"))
        .await
        .expect("metrics");
    assert_eq!(resp.status().as_u16(), 200);
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let m = resp.text().await.expect("body");
    let expect = |series: &str, value: f64| {
        assert_eq!(sample(&m, series), Some(value), "{series} in:\n{m}");
    };
    expect(
        r#"switchboard_deliveries_received_total{instance="wa"}"#,
        3.0,
    );
    expect(
        r#"switchboard_deliveries_verified_total{instance="wa"}"#,
        2.0,
    );
    expect(
        r#"switchboard_deliveries_rejected_total{instance="wa",reason="bad_signature"}"#,
        1.0,
    );
    expect(
        r#"switchboard_messages_total{instance="wa",outcome="stored"}"#,
        1.0,
    );
    expect(
        r#"switchboard_messages_total{instance="wa",outcome="duplicate"}"#,
        1.0,
    );
    expect(
        r#"switchboard_guest_calls_total{instance="wa",export="on_http_request",outcome="ok"}"#,
        2.0,
    );
    assert!(
        m.contains("# TYPE switchboard_guest_call_seconds histogram"),
        "{m}"
    );
    expect(
        r#"switchboard_guest_call_seconds_bucket{instance="wa",export="on_http_request",le="+Inf"}"#,
        2.0,
    );
    expect(
        r#"switchboard_guest_call_seconds_count{instance="wa",export="on_http_request"}"#,
        2.0,
    );
    expect(
        r#"switchboard_ack_seconds_count{instance="wa",status="2xx"}"#,
        2.0,
    );
    // The stored message was one durable write at least; commits never outnumber
    // the writes they carry.
    let commits = sample(&m, "switchboard_store_commits_total").expect("commits in metrics");
    let commands = sample(&m, "switchboard_store_commands_total").expect("writes in metrics");
    assert!(
        commits >= 1.0 && commits <= commands,
        "{commits} commits, {commands} writes"
    );

    // The echo reply goes out through the outbox, and the gauges follow.
    let metrics_url = wa.daemon.url("/metrics");
    let mut last = String::new();
    let mut sent = false;
    for _ in 0..200 {
        last = get(&metrics_url).await.1;
        if sample(
            &last,
            r#"switchboard_replies_total{instance="wa",outcome="sent"}"#,
        ) == Some(1.0)
            && sample(&last, "switchboard_outbox_pending") == Some(0.0)
        {
            sent = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(sent, "reply outcome and outbox depth:\n{last}");
    assert_eq!(
        sample(&last, "switchboard_dead_letters"),
        Some(0.0),
        "{last}"
    );
}

#[tokio::test]
async fn requests_for_unknown_instances_add_no_metric_series() {
    let mut wa = whatsapp("").await;
    wa.daemon.start();
    for n in 0..3 {
        let url = wa.daemon.url(&format!("/webhooks/probe-{n}-x7q"));
        assert_eq!(post(&url, b"{}", None).await, 404);
    }
    let (_, m) = get(&wa.daemon.url("/metrics")).await;
    assert!(
        !m.contains("probe-"),
        "a name from the URL became a label value:\n{m}"
    );
    assert_eq!(
        sample(
            &m,
            r#"switchboard_deliveries_rejected_total{instance="",reason="unknown_instance"}"#
        ),
        Some(3.0),
        "{m}"
    );
}

#[tokio::test]
async fn admin_listen_moves_health_readiness_and_metrics_off_the_webhook_listener() {
    let wa = whatsapp(r#"admin_listen = "127.0.0.1:0""#).await;
    let serve = Serve::spawn(&wa.daemon, &[], RustLog::Set("info"));
    let admin = serve.address("admin listening on ").await;
    let public = serve.address("listening on ").await;
    assert_ne!(admin, public);

    for path in ["/healthz", "/readyz", "/metrics"] {
        assert_eq!(
            get(&format!("http://{admin}{path}")).await.0,
            200,
            "admin {path}"
        );
        assert_eq!(
            get(&format!("http://{public}{path}")).await.0,
            404,
            "webhook {path}"
        );
    }
    let body = delivery("wamid.A1", "16505551234", "Ann", "via the public listener");
    let webhook = format!("http://{public}/webhooks/wa");
    assert_eq!(post(&webhook, &body, Some(&sign(&body))).await, 200);
    let on_admin = format!("http://{admin}/webhooks/wa");
    assert_eq!(
        post(&on_admin, &body, Some(&sign(&body))).await,
        404,
        "webhooks are not served on the admin listener"
    );
    let (_, m) = get(&format!("http://{admin}/metrics")).await;
    assert_eq!(
        sample(
            &m,
            r#"switchboard_messages_total{instance="wa",outcome="stored"}"#
        ),
        Some(1.0),
        "{m}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_test_posts_a_signed_delivery_that_is_stored_and_answered() {
    let mut wa = whatsapp("").await;
    wa.daemon.start();
    let base = wa.daemon.url("");
    let (ok, out, err) =
        wa.daemon
            .cli(&["send-test", "wa", "hello from send-test", "--url", &base]);
    assert!(ok, "send-test failed:\n{out}\n{err}");
    assert!(
        out.contains("/webhooks/wa -> 200"),
        "prints the result:\n{out}"
    );
    let messages = wa.daemon.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(messages[0]["instance"], "wa");
    assert_eq!(messages[0]["text"], "hello from send-test");
    assert_eq!(messages[0]["kind"], "text");

    let replied = eventually(Duration::from_secs(20), || {
        wa.mock
            .requests_to("/messages")
            .iter()
            .map(|r| r.json())
            .find(|b| b["type"] == "text")
    })
    .await;
    let reply = replied.unwrap_or_else(|| panic!("no reply; log:\n{}", wa.daemon.log()));
    assert_eq!(reply["text"]["body"], "hello from send-test");

    // Misuse is explained.
    let (ok, _, err) = wa.daemon.cli(&["send-test", "nope", "x", "--url", &base]);
    assert!(!ok && err.contains("no [channels.nope]"), "{err}");
    let (ok, _, err) = wa.daemon.cli(&["send-test", "wa", "x"]);
    assert!(
        !ok && err.contains("port 0") && err.contains("--url"),
        "listen = 127.0.0.1:0 has no fixed port to send to:\n{err}"
    );
}
