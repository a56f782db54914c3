//! [`Verifier`]: one declared [`Scheme`] plus its secret, prepared once per channel
//! instance and then used for every request.

use crate::error::{ConfigError, VerifyError};
use crate::header_token::HeaderToken;
use crate::hmac_sha256::HmacSha256;
use crate::scheme::Scheme;
use crate::slack::SlackV0;
use crate::standard_webhooks::StandardWebhooks;
use http::HeaderMap;
use std::fmt;

/// A scheme prepared once per channel instance: HMAC keys are precomputed and a
/// `whsec_` secret is decoded, so a bad secret is a startup error, not a 401 per request.
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
        }
    }

    /// Checks what the headers alone can tell, so that a request that can never verify
    /// is refused before its body is read: the whole check for `header-token`; for the
    /// HMAC schemes, that the signature header is there and decodes and that the
    /// timestamp, where the scheme signs one, is in the window. A request that passes
    /// must still pass [`Verifier::verify`] once its body is in.
    pub fn check_headers(&self, headers: &HeaderMap, now_unix: i64) -> Result<(), VerifyError> {
        match &self.prepared {
            Prepared::HmacSha256(scheme) => scheme.check_headers(headers),
            Prepared::SlackV0(scheme) => scheme.check_headers(headers, now_unix),
            Prepared::HeaderToken(scheme) => scheme.verify(headers),
            Prepared::StandardWebhooks(scheme) => scheme.check_headers(headers, now_unix),
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
        })
    }

    /// The scheme's name as written in manifests, for logs and metrics.
    pub fn scheme_name(&self) -> &'static str {
        match &self.prepared {
            Prepared::HmacSha256(_) => "hmac-sha256",
            Prepared::SlackV0(_) => "slack-v0",
            Prepared::HeaderToken(_) => "header-token",
            Prepared::StandardWebhooks(_) => "standard-webhooks",
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
            Prepared::SlackV0(_) | Prepared::StandardWebhooks(_) => &mut debug,
        };
        debug.finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        ]
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
            for (name, value) in verifier.sign(body, now, "msg_1").expect("sign") {
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
                Scheme::SlackV0 { .. } | Scheme::StandardWebhooks { .. }
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
}
