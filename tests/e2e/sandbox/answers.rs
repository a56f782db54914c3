//! What a guest hands back to a webhook's sender, and what the host hands the guest
//! of a request: hop-by-hop headers and statuses stay under the host's control, and
//! a verify token never reaches the guest in any encoding.

use std::time::Duration;

use serde_json::{Value, json};

use super::support::{ExtraManifest, Sandbox, channel, hostile_manifest, raw_exchange, status_of};

/// The header lines of a raw response, lower-cased.
fn header_names(response: &str) -> Vec<String> {
    let head = response.split("\r\n\r\n").next().unwrap_or_default();
    head.lines()
        .skip(1)
        .filter_map(|line| line.split_once(':'))
        .map(|(name, _)| name.trim().to_ascii_lowercase())
        .collect()
}

#[tokio::test]
async fn hop_by_hop_headers_and_informational_statuses_from_a_guest_never_reach_the_client() {
    let sandbox = Sandbox::start(
        &[
            channel("switcher", "hop-by-hop"),
            channel("hopper", "hop-by-hop").setting("status", "200"),
            channel("good", "well-behaved"),
        ],
        "",
        &[],
    );
    let addr = sandbox.addr();
    let request = |instance: &str| {
        format!(
            "POST /webhooks/{instance} HTTP/1.1\r\nhost: switchboard\r\nx-test-token: {}\r\n\
             content-length: 2\r\nconnection: close\r\n\r\nh1",
            super::support::TOKEN
        )
    };

    // A 101 would hand the socket to whoever the guest says; it becomes a 500.
    let (response, _) = raw_exchange(
        &addr,
        request("switcher").as_bytes(),
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(status_of(&response), Some(500), "{response}");
    assert!(
        sandbox
            .daemon
            .log_shows("the channel answered with a status outside 200-599; sending 500")
            .await,
        "log:\n{}",
        sandbox.daemon.log()
    );

    let (response, _) =
        raw_exchange(&addr, request("hopper").as_bytes(), Duration::from_secs(5)).await;
    assert_eq!(status_of(&response), Some(200), "{response}");
    let names = header_names(&response);
    for hop in [
        "upgrade",
        "keep-alive",
        "te",
        "trailer",
        "transfer-encoding",
        "proxy-connection",
        // Named by the guest's own `connection` header.
        "x-hostile",
    ] {
        assert!(!names.contains(&hop.to_owned()), "{hop} passed: {response}");
    }
    assert!(names.contains(&"x-kept".to_owned()), "{response}");
    assert!(response.ends_with("\r\n\r\nhop"), "{response}");
    sandbox.assert_good_still_works("after-hop-by-hop").await;
}

/// The hostile manifest as `name`, with a GET handshake whose token is the secret
/// `verify`.
fn with_handshake(name: &str) -> ExtraManifest {
    let text = std::fs::read(hostile_manifest()).expect("read hostile manifest");
    let mut manifest: Value = serde_json::from_slice(&text).expect("manifest is JSON");
    manifest["name"] = json!(name);
    manifest["verification"]["get"] = json!({
        "scheme": "query-token",
        "param": "hub.verify_token",
        "secret": "verify",
        "mode_param": "hub.mode",
        "mode": "subscribe"
    });
    manifest["secrets"]
        .as_array_mut()
        .expect("secrets")
        .push(json!({ "name": "verify", "description": "The handshake's verify token" }));
    ExtraManifest {
        name: name.to_owned(),
        manifest,
    }
}

#[tokio::test]
async fn a_verify_token_reaches_the_guest_in_no_encoding_and_a_handshake_carries_no_body() {
    // `+`, `/` and `=` arrive percent-encoded; the plain form is not in the raw query.
    const VERIFY: &str = "v3rify+tok/en==";
    let sandbox = Sandbox::start(
        &[channel("hs", "echo-request")
            .component("handshaking")
            .secret("verify", VERIFY)],
        "",
        &[with_handshake("handshaking")],
    );
    let encodings = [
        "v3rify%2Btok%2Fen%3D%3D",
        "v3rify%2btok%2fen%3d%3d",
        "%76%33rify%2Btok%2Fen%3D%3D",
    ];
    for (n, encoded) in encodings.iter().enumerate() {
        let url = sandbox.daemon.url(&format!(
            "/webhooks/hs?hub.mode=subscribe&hub.challenge=c{n}&hub.verify_token={encoded}"
        ));
        let response = sandbox
            .http
            .get(&url)
            .body("a body a handshake should not carry")
            .send()
            .await
            .expect("handshake");
        assert_eq!(response.status().as_u16(), 200, "{encoded}");
        let seen = response.text().await.expect("body");
        assert!(
            seen.contains("hub.verify_token=[redacted]"),
            "{encoded}: the guest saw {seen}"
        );
        for form in [VERIFY, *encoded, "v3rify", "tok%2Fen"] {
            assert!(!seen.contains(form), "{form} reached the guest: {seen}");
        }
        assert!(
            seen.ends_with("body \"\""),
            "a handshake's body reached the guest: {seen}"
        );
    }
    let log = sandbox.daemon.log();
    assert!(
        !log.contains("v3rify"),
        "the verify token reached the log:\n{log}"
    );
}
