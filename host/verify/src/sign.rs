//! Producing signed requests: for tests, the benchmark load generator and the
//! operator's `send-test` command.

use crate::error::ConfigError;
use crate::scheme::Scheme;
use crate::verifier::Verifier;

/// The headers that make `body` verify under `scheme` at `now_unix`, as
/// `(lower-case name, value)` pairs.
///
/// `message_id` becomes `webhook-id` for `standard-webhooks` and is ignored by the other
/// schemes. To sign many requests with one secret, prepare a [`Verifier`] once and call
/// [`Verifier::sign`].
pub fn sign(
    scheme: &Scheme,
    secret: &[u8],
    body: &[u8],
    now_unix: i64,
    message_id: &str,
) -> Result<Vec<(String, String)>, ConfigError> {
    Verifier::new(scheme, secret)?.sign(body, now_unix, message_id)
}
