//! Webhook signature verification.
//!
//! This crate owns the verification schemes a channel's manifest can declare and
//! nothing else: it takes headers, a query string or a body, a secret and the current
//! time, and says whether the request is authentic and, if not, why. It does no I/O, has
//! no async, and knows no HTTP server; routing, secret resolution and turning a
//! [`VerifyError`] into a 401 belong to the daemon. All comparisons involving a secret
//! are constant-time (`ed25519` holds no secret: its key is the sender's public key).
//!
//! Schemes (the `scheme` field of a manifest's `verification` object):
//!
//! | scheme | sent by | what is checked |
//! |---|---|---|
//! | `hmac-sha256` | WhatsApp, GitHub | `prefix` + hex HMAC of the raw body, with Meta's `\uXXXX` fallback |
//! | `slack-v0` | Slack | `v0=` + hex HMAC of `v0:{timestamp}:{body}`, timestamp in window |
//! | `header-token` | Telegram | a header equal to the secret |
//! | `standard-webhooks` | Standard Webhooks senders | any `v1,` base64 HMAC of `{id}.{timestamp}.{body}`, timestamp in window |
//! | `ed25519` | Discord interactions | hex Ed25519 signature of `{timestamp}{body}` with the public key (strict), timestamp in window |
//! | `query-token` (GET) | WhatsApp handshake | a query parameter equal to the secret, optional mode |
//!
//! ```
//! use switchboard_verify::{Scheme, Verifier};
//!
//! let scheme: Scheme =
//!     serde_json::from_str(r#"{ "scheme": "slack-v0", "secret": "signing_secret" }"#)?;
//! let verifier = Verifier::new(&scheme, b"8f742231b10e8888abcd99yyyzzz85a5")?;
//!
//! let body = b"token=xyz&command=%2Fweather";
//! let mut headers = http::HeaderMap::new();
//! for (name, value) in verifier.sign(body, 1_531_420_618, "")? {
//!     headers.insert(http::HeaderName::try_from(name)?, value.parse()?);
//! }
//! assert!(verifier.verify(&headers, body, 1_531_420_618 + 60).is_ok());
//!
//! let err = verifier.verify(&headers, body, 1_531_420_618 + 3600).unwrap_err();
//! assert_eq!(err.reason_label(), "stale_timestamp");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod ed25519;
mod error;
mod handshake;
mod header;
mod header_token;
mod hmac_sha256;
mod mac;
mod scheme;
mod sign;
mod slack;
mod standard_webhooks;
mod timestamp;
mod token;
mod unicode_escape;
mod verifier;

pub use error::{ConfigError, KeyFormatError, SignatureFormatError, VerifyError};
pub use handshake::HandshakeVerifier;
pub use scheme::{DEFAULT_TOLERANCE_SECS, Handshake, Scheme, Verification};
pub use sign::{sign, sign_ed25519};
pub use verifier::Verifier;
