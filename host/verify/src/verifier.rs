//! [`Verifier`]: one declared [`Scheme`] plus its secret, prepared once per channel
//! instance and then used for every request.

use crate::ed25519::Ed25519;
use crate::error::{ConfigError, VerifyError};
use crate::header_token::HeaderToken;
use crate::hmac_sha256::HmacSha256;
use crate::scheme::Scheme;
use crate::slack::SlackV0;
use crate::standard_webhooks::StandardWebhooks;
use http::HeaderMap;
use std::fmt;

/// A scheme prepared once per channel instance: HMAC keys are precomputed, a `whsec_`
/// secret and an Ed25519 public key are decoded, so a bad secret is a startup error, not
/// a 401 per request.
///
/// Cheap to clone and safe to share between threads. Its `Debug` output never
/// includes the secret.
#[derive(Clone)]
pub struct Verifier {
    prepared: Prepared,
}

#[derive(Clone)]
enum Prepared {
    HmacSha256(HmacSha256),
    SlackV0(SlackV0),
    HeaderToken(HeaderToken),
    StandardWebhooks(StandardWebhooks),
    Ed25519(Ed25519),
}

impl Verifier {
    /// Prepares `scheme` with the resolved value of its secret.
    pub fn new(scheme: &Scheme, secret: &[u8]) -> Result<Verifier, ConfigError> {
        let prepared = match scheme {
            Scheme::HmacSha256 { header, prefix, .. } => {
                Prepared::HmacSha256(HmacSha256::new(header, prefix, secret)?)
            }
            Scheme::SlackV0 { tolerance_secs, .. } => {
                Prepared::SlackV0(SlackV0::new(secret, *tolerance_secs)?)
            }
            Scheme::HeaderToken { header, .. } => {
                Prepared::HeaderToken(HeaderToken::new(header, secret)?)
            }
            Scheme::StandardWebhooks { tolerance_secs, .. } => {
                Prepared::StandardWebhooks(StandardWebhooks::new(secret, *tolerance_secs)?)
            }
            Scheme::Ed25519 {
                signature_header,
                timestamp_header,
                tolerance_secs,
                ..
            } => Prepared::Ed25519(Ed25519::new(
                signature_header,
                timestamp_header,
                secret,
                *tolerance_secs,
            )?),
        };
        Ok(Verifier { prepared })
    }

    /// Checks that a request is authentic. `body` must be the raw bytes as received;
    /// `now_unix` is the current Unix time in seconds (injectable so tests can replay
    /// old vectors).
    pub fn verify(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now_unix: i64,
    ) -> Result<(), VerifyError> {
        match &self.prepared {
            Prepared::HmacSha256(scheme) => scheme.verify(headers, body),
            Prepared::SlackV0(scheme) => scheme.verify(headers, body, now_unix),
            Prepared::HeaderToken(scheme) => scheme.verify(headers),
            Prepared::StandardWebhooks(scheme) => scheme.verify(headers, body, now_unix),
            Prepared::Ed25519(scheme) => scheme.verify(headers, body, now_unix),
        }
    }

    /// Checks what the headers alone can tell, so that a request that can never verify
    /// is refused before its body is read: the whole check for `header-token`; for the
    /// signature schemes, that the signature header is there and decodes and that the
    /// timestamp, where the scheme signs one, is in the window. A request that passes
    /// must still pass [`Verifier::verify`] once its body is in.
    pub fn check_headers(&self, headers: &HeaderMap, now_unix: i64) -> Result<(), VerifyError> {
        match &self.prepared {
            Prepared::HmacSha256(scheme) => scheme.check_headers(headers),
            Prepared::SlackV0(scheme) => scheme.check_headers(headers, now_unix),
            Prepared::HeaderToken(scheme) => scheme.verify(headers),
            Prepared::StandardWebhooks(scheme) => scheme.check_headers(headers, now_unix),
            Prepared::Ed25519(scheme) => scheme.check_headers(headers, now_unix),
        }
    }

    /// Whether [`Verifier::verify`] reads the body; `header-token` does not, so its
    /// [`Verifier::check_headers`] is the whole verification.
    pub fn reads_body(&self) -> bool {
        !matches!(self.prepared, Prepared::HeaderToken(_))
    }

    /// The headers that make `body` verify at `now_unix`, as `(lower-case name, value)`
    /// pairs. `message_id` is used by `standard-webhooks` only.
    ///
    /// Reuses the prepared keys, so a load generator can sign many requests cheaply.
    ///
    /// `ed25519` cannot be signed from its secret, which is a public key: it returns
    /// [`ConfigError::SigningNeedsPrivateKey`]; use [`crate::sign_ed25519`] with the
    /// private key instead.
    pub fn sign(
        &self,
        body: &[u8],
        now_unix: i64,
        message_id: &str,
    ) -> Result<Vec<(String, String)>, ConfigError> {
        Ok(match &self.prepared {
            Prepared::HmacSha256(scheme) => scheme.sign(body),
            Prepared::SlackV0(scheme) => scheme.sign(body, now_unix),
            Prepared::HeaderToken(scheme) => scheme.sign(),
            Prepared::StandardWebhooks(scheme) => scheme.sign(body, now_unix, message_id)?,
            Prepared::Ed25519(_) => {
                return Err(ConfigError::SigningNeedsPrivateKey {
                    scheme: self.scheme_name(),
                });
            }
        })
    }

    /// The scheme's name as written in manifests, for logs and metrics.
    pub fn scheme_name(&self) -> &'static str {
        match &self.prepared {
            Prepared::HmacSha256(_) => "hmac-sha256",
            Prepared::SlackV0(_) => "slack-v0",
            Prepared::HeaderToken(_) => "header-token",
            Prepared::StandardWebhooks(_) => "standard-webhooks",
            Prepared::Ed25519(_) => "ed25519",
        }
    }
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Verifier");
        debug.field("scheme", &self.scheme_name());
        match &self.prepared {
            Prepared::HmacSha256(scheme) => debug.field("header", scheme.header()),
            Prepared::HeaderToken(scheme) => debug.field("header", scheme.header()),
            Prepared::Ed25519(scheme) => debug.field("header", scheme.signature_header()),
            Prepared::SlackV0(_) | Prepared::StandardWebhooks(_) => &mut debug,
        };
        debug.finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 8032 section 7.1, "TEST 1": a seed and its public key.
    const ED25519_SEED: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
    const ED25519_PUBLIC_KEY: &[u8] =
        b"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

    fn all_schemes() -> Vec<(Scheme, &'static [u8])> {
        vec![
            (
                Scheme::HmacSha256 {
                    header: "x-hub-signature-256".to_owned(),
                    prefix: "sha256=".to_owned(),
                    secret: "app_secret".to_owned(),
                },
                b"hunter2-app-secret",
            ),
            (
                Scheme::SlackV0 {
                    secret: "signing_secret".to_owned(),
                    tolerance_secs: 300,
                },
                b"hunter2-signing",
            ),
            (
                Scheme::HeaderToken {
                    header: "x-telegram-bot-api-secret-token".to_owned(),
                    secret: "webhook_secret".to_owned(),
                },
                b"hunter2-token",
            ),
            (
                Scheme::StandardWebhooks {
                    secret: "whsec".to_owned(),
                    tolerance_secs: 300,
                },
                b"whsec_aHVudGVyMi1zdGFuZGFyZC13ZWJob29rcw==",
            ),
            (
                Scheme::Ed25519 {
                    secret: "public_key".to_owned(),
                    signature_header: "x-signature-ed25519".to_owned(),
                    timestamp_header: "x-signature-timestamp".to_owned(),
                    tolerance_secs: 300,
                },
                ED25519_PUBLIC_KEY,
            ),
        ]
    }

    /// What the sender would send: `ed25519` is signed with the private key.
    fn sign_as_sender(verifier: &Verifier, body: &[u8], now: i64) -> Vec<(String, String)> {
        match verifier.sign(body, now, "msg_1") {
            Err(ConfigError::SigningNeedsPrivateKey { scheme: "ed25519" }) => {
                crate::sign_ed25519(ED25519_SEED, now, body).expect("valid seed")
            }
            signed => signed.expect("sign"),
        }
    }

    #[test]
    fn scheme_name_matches_the_manifest_name() {
        for (scheme, secret) in all_schemes() {
            let verifier = Verifier::new(&scheme, secret).expect("valid scheme");
            assert_eq!(verifier.scheme_name(), scheme.name());
        }
    }

    #[test]
    fn debug_output_never_contains_the_secret() {
        for (scheme, secret) in all_schemes() {
            let debug = format!("{:?}", Verifier::new(&scheme, secret).expect("valid"));
            assert!(!debug.contains("hunter2"), "{debug}");
            assert!(debug.contains(scheme.name()), "{debug}");
        }
    }

    #[test]
    fn header_checks_pass_what_verifies_and_refuse_unsigned_or_stale_requests() {
        let now = 1_700_000_000;
        for (scheme, secret) in all_schemes() {
            let verifier = Verifier::new(&scheme, secret).expect("valid scheme");
            let body = b"{\"any\":\"body\"}";
            let mut signed = HeaderMap::new();
            for (name, value) in sign_as_sender(&verifier, body, now) {
                signed.insert(
                    http::HeaderName::try_from(name).expect("name"),
                    value.parse().expect("value"),
                );
            }
            assert!(
                verifier.check_headers(&signed, now).is_ok(),
                "{}",
                scheme.name()
            );
            assert!(
                verifier.check_headers(&HeaderMap::new(), now).is_err(),
                "{}: no signature headers, refused before the body",
                scheme.name()
            );
            let timed = matches!(
                scheme,
                Scheme::SlackV0 { .. } | Scheme::StandardWebhooks { .. } | Scheme::Ed25519 { .. }
            );
            assert_eq!(
                verifier.check_headers(&signed, now + 3600).is_err(),
                timed,
                "{}: a stale timestamp is refused before the body",
                scheme.name()
            );
            assert_eq!(verifier.reads_body(), scheme.name() != "header-token");
        }
    }

    #[test]
    fn verifier_can_be_shared_between_threads() {
        fn assert_shareable<T: Send + Sync + Clone>() {}
        assert_shareable::<Verifier>();
        assert_shareable::<crate::HandshakeVerifier>();
    }

    #[test]
    fn ed25519_signs_only_with_the_private_key() {
        let (scheme, public_key) = all_schemes().pop().expect("ed25519 is last");
        let verifier = Verifier::new(&scheme, public_key).expect("valid scheme");
        let err = verifier.sign(b"{}", 0, "").unwrap_err();
        assert_eq!(err.reason_label(), "invalid_scheme");
        assert!(
            err.to_string()
                .starts_with("signing for scheme ed25519 needs the application's private key"),
            "{err}"
        );
        assert!(matches!(
            crate::sign(&scheme, public_key, b"{}", 0, ""),
            Err(ConfigError::SigningNeedsPrivateKey { .. })
        ));
    }
}
