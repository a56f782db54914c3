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
    fn verifier_can_be_shared_between_threads() {
        fn assert_shareable<T: Send + Sync + Clone>() {}
        assert_shareable::<Verifier>();
        assert_shareable::<crate::HandshakeVerifier>();
    }
}
