//! Properties that must hold for any input: verification never panics, and whatever
//! `sign` produces verifies.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderMap, HeaderName, HeaderValue};
use proptest::prelude::*;
use switchboard_verify::{ConfigError, Scheme, Verifier, sign, sign_ed25519};

fn to_header_map(pairs: Vec<(String, String)>) -> HeaderMap {
    pairs
        .into_iter()
        .map(|(name, value)| {
            (
                HeaderName::from_bytes(name.as_bytes()).expect("sign produces valid names"),
                HeaderValue::from_str(&value).expect("sign produces valid values"),
            )
        })
        .collect()
}

/// A scheme with a secret it accepts.
fn scheme_and_secret() -> impl Strategy<Value = (Scheme, Vec<u8>)> {
    let tolerance = prop_oneof![Just(0u64), Just(300u64), any::<u64>()];
    prop_oneof![
        (
            "[A-Za-z][A-Za-z0-9-]{0,30}",
            "[ -~]{0,10}".prop_filter("no leading space", |p| !p.starts_with(' ')),
            proptest::collection::vec(any::<u8>(), 1..80),
        )
            .prop_map(|(header, prefix, secret)| {
                let scheme = Scheme::HmacSha256 {
                    header,
                    prefix,
                    secret: "s".to_owned(),
                };
                (scheme, secret)
            }),
        (
            tolerance.clone(),
            proptest::collection::vec(any::<u8>(), 1..80)
        )
            .prop_map(|(tolerance_secs, secret)| {
                let scheme = Scheme::SlackV0 {
                    secret: "s".to_owned(),
                    tolerance_secs,
                };
                (scheme, secret)
            }),
        ("[A-Za-z][A-Za-z0-9-]{0,30}", "[!-~]([ -~]{0,60}[!-~])?").prop_map(|(header, token)| {
            let scheme = Scheme::HeaderToken {
                header,
                secret: "s".to_owned(),
            };
            (scheme, token.into_bytes())
        }),
        (
            tolerance,
            proptest::collection::vec(any::<u8>(), 1..64),
            any::<bool>()
        )
            .prop_map(|(tolerance_secs, key, prefixed)| {
                let encoded = STANDARD.encode(key);
                let secret = if prefixed {
                    format!("whsec_{encoded}")
                } else {
                    encoded
                };
                let scheme = Scheme::StandardWebhooks {
                    secret: "s".to_owned(),
                    tolerance_secs,
                };
                (scheme, secret.into_bytes())
            }),
    ]
}

/// An `ed25519` scheme, its public key and the seed of its private key, both in hex.
fn ed25519_scheme_and_keys() -> impl Strategy<Value = (Scheme, Vec<u8>, String)> {
    let tolerance = prop_oneof![Just(0u64), Just(300u64), any::<u64>()];
    (any::<[u8; 32]>(), tolerance, any::<bool>()).prop_map(|(seed, tolerance_secs, upper)| {
        let public_key = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key();
        let mut public_hex = hex::encode(public_key.as_bytes());
        let mut seed_hex = hex::encode(seed);
        if upper {
            public_hex.make_ascii_uppercase();
            seed_hex.make_ascii_uppercase();
        }
        let scheme = Scheme::Ed25519 {
            secret: "s".to_owned(),
            signature_header: "x-signature-ed25519".to_owned(),
            timestamp_header: "x-signature-timestamp".to_owned(),
            tolerance_secs,
        };
        (scheme, public_hex.into_bytes(), seed_hex)
    })
}

/// Headers an attacker might send: the names every scheme reads plus noise, with
/// arbitrary legal values.
fn hostile_headers() -> impl Strategy<Value = HeaderMap> {
    let name = prop_oneof![
        Just("x-hub-signature-256".to_owned()),
        Just("x-slack-signature".to_owned()),
        Just("x-slack-request-timestamp".to_owned()),
        Just("x-telegram-bot-api-secret-token".to_owned()),
        Just("webhook-id".to_owned()),
        Just("webhook-timestamp".to_owned()),
        Just("webhook-signature".to_owned()),
        Just("x-signature-ed25519".to_owned()),
        Just("x-signature-timestamp".to_owned()),
        "[a-z][a-z0-9-]{0,20}",
    ];
    let value = prop_oneof![
        proptest::collection::vec(
            any::<u8>().prop_filter("legal", |b| *b >= 0x20 && *b != 0x7f),
            0..100
        ),
        "(v0=|sha256=|v1,|v1a,)[0-9a-fA-F+/=, ]{0,90}".prop_map(String::into_bytes),
        "[0-9a-fA-F]{126,130}".prop_map(String::into_bytes),
        any::<i64>().prop_map(|n| n.to_string().into_bytes()),
    ];
    proptest::collection::vec((name, value), 0..8).prop_map(|pairs| {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            let name = HeaderName::from_bytes(name.as_bytes()).expect("generated name");
            let value = HeaderValue::from_bytes(&value).expect("generated value");
            headers.append(name, value);
        }
        headers
    })
}

proptest! {
    #[test]
    fn verify_of_sign_always_passes(
        (scheme, secret) in scheme_and_secret(),
        body in proptest::collection::vec(any::<u8>(), 0..512),
        now in any::<i64>(),
        message_id in "msg_[A-Za-z0-9]{1,32}",
    ) {
        let verifier = Verifier::new(&scheme, &secret).expect("generated schemes are valid");
        let headers = to_header_map(
            sign(&scheme, &secret, &body, now, &message_id).expect("signs"),
        );
        prop_assert!(verifier.verify(&headers, &body, now).is_ok());
    }

    #[test]
    fn hostile_requests_never_panic(
        (scheme, secret) in scheme_and_secret(),
        headers in hostile_headers(),
        body in proptest::collection::vec(any::<u8>(), 0..512),
        now in any::<i64>(),
    ) {
        let verifier = Verifier::new(&scheme, &secret).expect("generated schemes are valid");
        if let Err(err) = verifier.verify(&headers, &body, now) {
            // Every refusal must be explainable in a log line and countable in metrics.
            prop_assert!(!err.to_string().is_empty());
            prop_assert!(!err.reason_label().is_empty());
        }
    }

    #[test]
    fn signed_request_with_a_changed_body_fails(
        (scheme, secret) in scheme_and_secret(),
        body in proptest::collection::vec(any::<u8>(), 1..256),
        flip in any::<prop::sample::Index>(),
        now in any::<i64>(),
    ) {
        // A header token does not cover the body, so only the HMAC schemes apply.
        prop_assume!(!matches!(scheme, Scheme::HeaderToken { .. }));
        let verifier = Verifier::new(&scheme, &secret).expect("valid");
        let headers = to_header_map(verifier.sign(&body, now, "msg_1").expect("signs"));
        let mut tampered = body.clone();
        tampered[flip.index(body.len())] ^= 0x01;
        prop_assert!(verifier.verify(&headers, &tampered, now).is_err());
    }

    #[test]
    fn arbitrary_secrets_never_panic(
        scheme_kind in 0..5usize,
        secret in proptest::collection::vec(any::<u8>(), 0..80),
        header in "[ -~]{0,20}",
    ) {
        let scheme = match scheme_kind {
            0 => Scheme::HmacSha256 { header, prefix: String::new(), secret: "s".to_owned() },
            1 => Scheme::SlackV0 { secret: "s".to_owned(), tolerance_secs: 300 },
            2 => Scheme::HeaderToken { header, secret: "s".to_owned() },
            3 => Scheme::StandardWebhooks { secret: "s".to_owned(), tolerance_secs: 300 },
            _ => Scheme::Ed25519 {
                secret: "s".to_owned(),
                signature_header: header,
                timestamp_header: "x-signature-timestamp".to_owned(),
                tolerance_secs: 300,
            },
        };
        if let Err(err) = Verifier::new(&scheme, &secret) {
            prop_assert!(!err.reason_label().is_empty());
        }
    }

    #[test]
    fn arbitrary_ed25519_public_keys_never_panic(key in "[0-9a-fA-F]{64}") {
        let scheme = Scheme::Ed25519 {
            secret: "s".to_owned(),
            signature_header: "x-signature-ed25519".to_owned(),
            timestamp_header: "x-signature-timestamp".to_owned(),
            tolerance_secs: 300,
        };
        if let Err(err) = Verifier::new(&scheme, key.as_bytes()) {
            prop_assert!(!err.to_string().is_empty());
            prop_assert_eq!(err.reason_label(), "malformed_secret");
        }
    }

    #[test]
    fn ed25519_verify_of_sign_ed25519_always_passes(
        (scheme, public_key, seed) in ed25519_scheme_and_keys(),
        body in proptest::collection::vec(any::<u8>(), 0..512),
        now in any::<i64>(),
    ) {
        let verifier = Verifier::new(&scheme, &public_key).expect("derived keys are valid");
        let headers = to_header_map(sign_ed25519(&seed, now, &body).expect("signs"));
        prop_assert!(verifier.check_headers(&headers, now).is_ok());
        prop_assert!(verifier.verify(&headers, &body, now).is_ok());
    }

    #[test]
    fn ed25519_signed_request_with_a_changed_body_fails(
        (scheme, public_key, seed) in ed25519_scheme_and_keys(),
        body in proptest::collection::vec(any::<u8>(), 1..256),
        flip in any::<prop::sample::Index>(),
        now in any::<i64>(),
    ) {
        let verifier = Verifier::new(&scheme, &public_key).expect("valid");
        let headers = to_header_map(sign_ed25519(&seed, now, &body).expect("signs"));
        let mut tampered = body.clone();
        tampered[flip.index(body.len())] ^= 0x01;
        let err = verifier.verify(&headers, &tampered, now).expect_err("tampered");
        prop_assert_eq!(err.reason_label(), "bad_signature");
    }

    #[test]
    fn hostile_requests_never_panic_ed25519(
        (scheme, public_key, _) in ed25519_scheme_and_keys(),
        headers in hostile_headers(),
        body in proptest::collection::vec(any::<u8>(), 0..512),
        now in any::<i64>(),
    ) {
        let verifier = Verifier::new(&scheme, &public_key).expect("valid");
        if let Err(err) = verifier.verify(&headers, &body, now) {
            prop_assert!(!err.to_string().is_empty());
            prop_assert!(!err.reason_label().is_empty());
        }
        let _ = verifier.check_headers(&headers, now);
    }

    #[test]
    fn hostile_handshake_queries_never_panic(query in ".{0,200}") {
        let handshake = switchboard_verify::Handshake::QueryToken {
            param: "hub.verify_token".to_owned(),
            secret: "verify_token".to_owned(),
            mode_param: Some("hub.mode".to_owned()),
            mode: Some("subscribe".to_owned()),
        };
        let verifier = switchboard_verify::HandshakeVerifier::new(&handshake, b"token")
            .expect("valid handshake");
        let _ = verifier.verify(&query);
    }
}

#[test]
fn sign_round_trips_for_every_scheme() {
    let schemes: [(Scheme, &[u8]); 4] = [
        (
            Scheme::HmacSha256 {
                header: "x-hub-signature-256".to_owned(),
                prefix: "sha256=".to_owned(),
                secret: "app_secret".to_owned(),
            },
            b"app-secret",
        ),
        (
            Scheme::SlackV0 {
                secret: "signing_secret".to_owned(),
                tolerance_secs: 300,
            },
            b"signing-secret",
        ),
        (
            Scheme::HeaderToken {
                header: "x-telegram-bot-api-secret-token".to_owned(),
                secret: "webhook_secret".to_owned(),
            },
            b"telegram_token-1",
        ),
        (
            Scheme::StandardWebhooks {
                secret: "webhook_secret".to_owned(),
                tolerance_secs: 300,
            },
            b"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        ),
    ];
    let body = "{\"text\":\"J'ai mangé des pâtes 🍝\"}".as_bytes();
    for (scheme, secret) in schemes {
        let headers =
            to_header_map(sign(&scheme, secret, body, 1_700_000_000, "msg_1").expect("signs"));
        let verifier = Verifier::new(&scheme, secret).expect("valid");
        assert!(
            verifier.verify(&headers, body, 1_700_000_000).is_ok(),
            "{} does not verify its own signature",
            scheme.name()
        );
    }

    // `ed25519` is signed with the private key, never with the configured public key.
    let (scheme, public_key, seed) = (
        Scheme::Ed25519 {
            secret: "public_key".to_owned(),
            signature_header: "x-signature-ed25519".to_owned(),
            timestamp_header: "x-signature-timestamp".to_owned(),
            tolerance_secs: 300,
        },
        // RFC 8032 section 7.1, "TEST 1": the public key and its seed.
        b"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
    );
    assert!(matches!(
        sign(&scheme, public_key, body, 1_700_000_000, "msg_1"),
        Err(ConfigError::SigningNeedsPrivateKey { .. })
    ));
    let headers = to_header_map(sign_ed25519(seed, 1_700_000_000, body).expect("signs"));
    let verifier = Verifier::new(&scheme, public_key).expect("valid");
    assert!(verifier.verify(&headers, body, 1_700_000_000).is_ok());
}
