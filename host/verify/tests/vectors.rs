//! The providers' published signature examples, from `tests/fixtures/`.

use http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;
use std::path::PathBuf;
use switchboard_verify::{Scheme, Verification, Verifier, VerifyError, sign};

fn fixture(relative: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(relative);
    std::fs::read(&path).unwrap_or_else(|err| panic!("reading {}: {err}", path.display()))
}

fn fixture_json(relative: &str) -> Value {
    serde_json::from_slice(&fixture(relative)).expect("fixture is JSON")
}

fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} is a string in {value}"))
}

fn header_map(pairs: &[(&str, &str)]) -> HeaderMap {
    pairs
        .iter()
        .map(|(name, value)| {
            (
                HeaderName::from_bytes(name.as_bytes()).expect("header name"),
                HeaderValue::from_str(value).expect("header value"),
            )
        })
        .collect()
}

fn whatsapp_scheme() -> Scheme {
    Scheme::HmacSha256 {
        header: "X-Hub-Signature-256".to_owned(),
        prefix: "sha256=".to_owned(),
        secret: "app_secret".to_owned(),
    }
}

#[test]
fn whatsapp_signed_body_verifies() {
    let vector = fixture_json("whatsapp/signed-text-message.vector.json");
    let body = fixture(&format!("whatsapp/{}", text(&vector, "body_file")));
    assert_eq!(
        body.len() as u64,
        vector["body_len"].as_u64().expect("body_len")
    );
    let secret = text(&vector, "app_secret").as_bytes();
    let signature = text(&vector, "x_hub_signature_256");

    let verifier = Verifier::new(&whatsapp_scheme(), secret).expect("valid scheme");
    let headers = header_map(&[("x-hub-signature-256", signature)]);
    // The clock is irrelevant to this scheme; any value must do.
    verifier
        .verify(&headers, &body, 0)
        .expect("published vector verifies");
    verifier
        .verify(&headers, &body, i64::MAX)
        .expect("published vector verifies");

    let signed = sign(&whatsapp_scheme(), secret, &body, 0, "").expect("signs");
    assert_eq!(
        signed,
        [("x-hub-signature-256".to_owned(), signature.to_owned())]
    );
}

#[test]
fn whatsapp_vector_rejects_tampering_and_a_wrong_secret() {
    let vector = fixture_json("whatsapp/signed-text-message.vector.json");
    let mut body = fixture(&format!("whatsapp/{}", text(&vector, "body_file")));
    let headers = header_map(&[("x-hub-signature-256", text(&vector, "x_hub_signature_256"))]);

    let wrong_secret = Verifier::new(&whatsapp_scheme(), b"1222e786b144d0e85b9f365372d93677")
        .expect("valid scheme");
    assert!(matches!(
        wrong_secret.verify(&headers, &body, 0),
        Err(VerifyError::SignatureMismatch)
    ));

    let verifier =
        Verifier::new(&whatsapp_scheme(), text(&vector, "app_secret").as_bytes()).expect("valid");
    let last = body.len() - 2;
    body[last] ^= 0x01;
    let err = verifier.verify(&headers, &body, 0).unwrap_err();
    assert_eq!(err.to_string(), "signature mismatch");
}

fn slack_scheme() -> Scheme {
    serde_json::from_str(r#"{ "scheme": "slack-v0", "secret": "signing_secret" }"#)
        .expect("manifest JSON")
}

#[test]
fn slack_documentation_example_verifies_with_its_own_clock() {
    let vector = fixture_json("slack/slackdocs-signing-example.vector.json");
    let body = fixture(&format!("slack/{}", text(&vector, "body_file")));
    let secret = text(&vector, "signing_secret").as_bytes();
    let timestamp_text = text(&vector, "x_slack_request_timestamp");
    let timestamp: i64 = timestamp_text.parse().expect("integer timestamp");
    let headers = header_map(&[
        ("X-Slack-Signature", text(&vector, "x_slack_signature")),
        ("X-Slack-Request-Timestamp", timestamp_text),
    ]);

    let verifier = Verifier::new(&slack_scheme(), secret).expect("valid scheme");
    for now in [timestamp, timestamp - 300, timestamp + 300] {
        verifier
            .verify(&headers, &body, now)
            .expect("inside the window");
    }
    let err = verifier
        .verify(&headers, &body, timestamp + 301)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "timestamp 1531420618 is 301 s away from now (allowed 300 s)"
    );

    let signed = sign(&slack_scheme(), secret, &body, timestamp, "").expect("signs");
    assert!(signed.contains(&(
        "x-slack-signature".to_owned(),
        text(&vector, "x_slack_signature").to_owned()
    )));
}

#[test]
fn slack_example_rejects_a_tampered_body() {
    let vector = fixture_json("slack/slackdocs-signing-example.vector.json");
    let body = fixture(&format!("slack/{}", text(&vector, "body_file")));
    let original = String::from_utf8(body).expect("form body");
    let tampered = original.replace("&text=&", "&text=deploy&");
    assert_ne!(tampered, original, "the example has an empty text field");
    let timestamp_text = text(&vector, "x_slack_request_timestamp");
    let headers = header_map(&[
        ("x-slack-signature", text(&vector, "x_slack_signature")),
        ("x-slack-request-timestamp", timestamp_text),
    ]);
    let verifier = Verifier::new(&slack_scheme(), text(&vector, "signing_secret").as_bytes())
        .expect("valid scheme");
    let now = timestamp_text.parse().expect("integer timestamp");
    assert!(matches!(
        verifier.verify(&headers, tampered.as_bytes(), now),
        Err(VerifyError::SignatureMismatch)
    ));
}

fn standard_webhooks_scheme() -> Scheme {
    serde_json::from_str(r#"{ "scheme": "standard-webhooks", "secret": "signing_secret" }"#)
        .expect("manifest JSON")
}

struct SwVector {
    secret: String,
    msg_id: String,
    timestamp: i64,
    payload: String,
    expected_signature: String,
}

fn standard_webhooks_vectors() -> (Vec<SwVector>, String) {
    let file = fixture_json("standard-webhooks/standard-webhooks-vectors.json");
    let vectors: Vec<SwVector> = file["vectors"]
        .as_array()
        .expect("vectors array")
        .iter()
        .map(|vector| SwVector {
            secret: text(vector, "secret").to_owned(),
            msg_id: text(vector, "msg_id").to_owned(),
            timestamp: vector["timestamp"].as_i64().expect("integer timestamp"),
            payload: text(vector, "payload").to_owned(),
            expected_signature: text(vector, "expected_signature").to_owned(),
        })
        .collect();
    assert!(!vectors.is_empty());
    let negative = text(&file["negative"], "webhook_signature").to_owned();
    (vectors, negative)
}

fn sw_headers(vector: &SwVector, signature: &str) -> HeaderMap {
    header_map(&[
        ("webhook-id", &vector.msg_id),
        ("webhook-timestamp", &vector.timestamp.to_string()),
        ("webhook-signature", signature),
    ])
}

#[test]
fn standard_webhooks_vectors_sign_and_verify() {
    let (vectors, _) = standard_webhooks_vectors();
    for vector in &vectors {
        let scheme = standard_webhooks_scheme();
        let signed = sign(
            &scheme,
            vector.secret.as_bytes(),
            vector.payload.as_bytes(),
            vector.timestamp,
            &vector.msg_id,
        )
        .expect("signs");
        assert!(
            signed.contains(&(
                "webhook-signature".to_owned(),
                vector.expected_signature.clone()
            )),
            "{signed:?}"
        );

        let verifier = Verifier::new(&scheme, vector.secret.as_bytes()).expect("valid");
        let headers = sw_headers(vector, &vector.expected_signature);
        verifier
            .verify(&headers, vector.payload.as_bytes(), vector.timestamp)
            .expect("published vector verifies");
        assert!(matches!(
            verifier.verify(&headers, vector.payload.as_bytes(), vector.timestamp + 301),
            Err(VerifyError::StaleTimestamp { .. })
        ));
    }
}

#[test]
fn standard_webhooks_negative_vector_fails_alone_and_passes_beside_a_valid_one() {
    let (vectors, negative) = standard_webhooks_vectors();
    let vector = &vectors[0];
    let verifier =
        Verifier::new(&standard_webhooks_scheme(), vector.secret.as_bytes()).expect("valid");

    let err = verifier
        .verify(
            &sw_headers(vector, &negative),
            vector.payload.as_bytes(),
            vector.timestamp,
        )
        .unwrap_err();
    assert_eq!(err.to_string(), "signature mismatch");
    assert_eq!(err.reason_label(), "bad_signature");

    let rotated = format!("{negative} {}", vector.expected_signature);
    verifier
        .verify(
            &sw_headers(vector, &rotated),
            vector.payload.as_bytes(),
            vector.timestamp,
        )
        .expect("second signature is valid");
}

#[test]
fn whatsapp_manifest_verification_object_drives_both_checks() {
    let verification: Verification = serde_json::from_str(
        r#"{ "post": { "scheme": "hmac-sha256", "header": "x-hub-signature-256",
                       "prefix": "sha256=", "secret": "app_secret" },
             "get":  { "scheme": "query-token", "param": "hub.verify_token",
                       "secret": "verify_token", "mode_param": "hub.mode", "mode": "subscribe" } }"#,
    )
    .expect("manifest JSON");
    let vector = fixture_json("whatsapp/signed-text-message.vector.json");
    let body = fixture(&format!("whatsapp/{}", text(&vector, "body_file")));
    let post = Verifier::new(&verification.post, text(&vector, "app_secret").as_bytes())
        .expect("valid scheme");
    let headers = header_map(&[("x-hub-signature-256", text(&vector, "x_hub_signature_256"))]);
    post.verify(&headers, &body, 0).expect("vector verifies");

    let get = verification.get.expect("handshake declared");
    let handshake =
        switchboard_verify::HandshakeVerifier::new(&get, b"meatyhamhock").expect("valid");
    handshake
        .verify("hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=meatyhamhock")
        .expect("handshake passes");
}
