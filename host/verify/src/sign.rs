//! Producing signed requests: for tests, the benchmark load generator and the
//! operator's `send-test` command.

use crate::ed25519;
use crate::error::ConfigError;
use crate::scheme::Scheme;
use crate::verifier::Verifier;

/// The headers that make `body` verify under `scheme` at `now_unix`, as
/// `(lower-case name, value)` pairs.
///
/// `message_id` becomes `webhook-id` for `standard-webhooks` and is ignored by the other
/// schemes. To sign many requests with one secret, prepare a [`Verifier`] once and call
/// [`Verifier::sign`].
///
/// An `ed25519` secret is the sender's public key, which cannot sign: for that scheme
/// this returns [`ConfigError::SigningNeedsPrivateKey`]; use [`sign_ed25519`].
pub fn sign(
    scheme: &Scheme,
    secret: &[u8],
    body: &[u8],
    now_unix: i64,
    message_id: &str,
) -> Result<Vec<(String, String)>, ConfigError> {
    Verifier::new(scheme, secret)?.sign(body, now_unix, message_id)
}

/// The headers that make `body` verify at `now_unix` under an `ed25519` scheme with the
/// default header names (`x-signature-timestamp`, `x-signature-ed25519`, as Discord
/// sends them), as `(lower-case name, value)` pairs.
///
/// `seed_hex` is the sender's private key: its 32-byte seed (RFC 8032's "secret key") as
/// 64 hex digits in either case. The host never has it in production (Discord keeps its
/// own), so this is for tests and for senders an operator runs.
///
/// ```
/// use switchboard_verify::{Scheme, Verifier, sign_ed25519};
///
/// // RFC 8032 section 7.1, "TEST 1": a seed and its public key.
/// let seed = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
/// let public_key = b"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
///
/// let scheme: Scheme = serde_json::from_str(r#"{ "scheme": "ed25519", "secret": "public_key" }"#)?;
/// let verifier = Verifier::new(&scheme, public_key)?;
/// let body = br#"{"type":1}"#;
/// let mut headers = http::HeaderMap::new();
/// for (name, value) in sign_ed25519(seed, 1_700_000_000, body)? {
///     headers.insert(http::HeaderName::try_from(name)?, value.parse()?);
/// }
/// assert!(verifier.verify(&headers, body, 1_700_000_000 + 60).is_ok());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn sign_ed25519(
    seed_hex: &str,
    now_unix: i64,
    body: &[u8],
) -> Result<Vec<(String, String)>, ConfigError> {
    ed25519::sign(seed_hex, now_unix, body)
}
