//! Why a scheme could not be prepared, and why a request was refused.
//!
//! Messages are written for the operator's log: they name the header, parameter or
//! timestamp at fault and never include a secret, an expected signature or the token a
//! client sent. Every `VerifyError` still becomes the same bare 401 on the wire; the
//! detail is only for the log. `reason_label` gives the low-cardinality form for metrics.

use http::HeaderName;
use http::header::{InvalidHeaderName, InvalidHeaderValue, ToStrError};
use std::num::ParseIntError;
use std::str::Utf8Error;

/// A scheme or secret that can never verify anything; reported once, at startup.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// An empty key would make every signature forgeable.
    #[error("the secret for scheme {scheme} is empty")]
    EmptySecret {
        /// The scheme's manifest name.
        scheme: &'static str,
    },
    /// A Standard Webhooks secret must be `whsec_` followed by base64.
    #[error("the standard-webhooks secret is not whsec_ followed by valid base64")]
    MalformedSecret {
        /// Why the base64 part did not decode.
        #[source]
        source: base64::DecodeError,
    },
    /// Token schemes compare text that arrives in a header or a query string, so a
    /// secret that is not UTF-8 could never match.
    #[error("the secret for scheme {scheme} is not valid utf-8")]
    SecretNotText {
        /// The scheme's manifest name.
        scheme: &'static str,
        /// Where the secret stopped being UTF-8.
        #[source]
        source: Utf8Error,
    },
    /// A header token with control characters or surrounding whitespace cannot survive
    /// HTTP parsing, so it could never match.
    #[error("the secret for scheme {scheme} cannot be sent as an http header value")]
    SecretNotHeaderValue {
        /// The scheme's manifest name.
        scheme: &'static str,
    },
    /// The manifest names a header that HTTP does not allow.
    #[error("invalid header name {name:?} in scheme {scheme}")]
    InvalidHeaderName {
        /// The scheme's manifest name.
        scheme: &'static str,
        /// The name as written in the manifest.
        name: String,
        /// Why `http` rejected it.
        #[source]
        source: InvalidHeaderName,
    },
    /// A signature prefix must be printable ASCII and must not start with whitespace,
    /// which HTTP parsers strip.
    #[error("signature prefix {prefix:?} cannot start an http header value")]
    InvalidPrefix {
        /// The prefix as written in the manifest.
        prefix: String,
    },
    /// A `query-token` handshake names a mode parameter without a required value, or a
    /// value without a parameter.
    #[error("query-token needs both mode_param and mode, or neither")]
    IncompleteMode,
    /// An `ed25519` secret must be the application's public key as 64 hex digits (the
    /// form Discord's Developer Portal shows).
    #[error("the ed25519 secret is not a valid public key (expected 64 hex digits)")]
    MalformedPublicKey {
        /// What is wrong with it.
        #[source]
        source: KeyFormatError,
    },
    /// The private key given to [`crate::sign_ed25519`] must be a 32-byte seed as 64 hex
    /// digits.
    #[error("the ed25519 signing key is not a valid private key seed (expected 64 hex digits)")]
    MalformedPrivateKey {
        /// What is wrong with it.
        #[source]
        source: KeyFormatError,
    },
    /// `sign` was asked to sign for a scheme whose secret is a public key: only the
    /// sender's private key can sign, and the host never has it.
    #[error(
        "signing for scheme {scheme} needs the application's private key, which the host never has (its secret is the public key); sign with sign_ed25519 and the private key's seed"
    )]
    SigningNeedsPrivateKey {
        /// The scheme's manifest name.
        scheme: &'static str,
    },
    /// `sign` was given a Standard Webhooks message id that cannot be a header value.
    #[error("message id {message_id:?} cannot be sent as an http header value")]
    InvalidMessageId {
        /// The id passed to `sign`.
        message_id: String,
        /// Why `http` rejected it, when it did (surrounding whitespace is refused here).
        #[source]
        source: Option<InvalidHeaderValue>,
    },
}

impl ConfigError {
    /// A short, fixed label for metrics: `empty_secret`, `malformed_secret` or
    /// `invalid_scheme`.
    pub fn reason_label(&self) -> &'static str {
        match self {
            ConfigError::EmptySecret { .. } => "empty_secret",
            ConfigError::MalformedSecret { .. }
            | ConfigError::MalformedPublicKey { .. }
            | ConfigError::MalformedPrivateKey { .. }
            | ConfigError::SecretNotText { .. }
            | ConfigError::SecretNotHeaderValue { .. } => "malformed_secret",
            ConfigError::InvalidHeaderName { .. }
            | ConfigError::InvalidPrefix { .. }
            | ConfigError::IncompleteMode
            | ConfigError::SigningNeedsPrivateKey { .. }
            | ConfigError::InvalidMessageId { .. } => "invalid_scheme",
        }
    }
}

/// How a hex-encoded `ed25519` key failed to parse; the source of
/// [`ConfigError::MalformedPublicKey`] and [`ConfigError::MalformedPrivateKey`]. Never
/// includes the key or any character of it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyFormatError {
    /// The key is not 64 characters long.
    #[error("key is {len} characters long, expected 64 hex digits")]
    WrongLength {
        /// The length of the value as configured, in bytes.
        len: usize,
    },
    /// The key has the right length but a character that is not a hex digit.
    #[error("key has a character that is not a hex digit")]
    NotHex,
    /// The 32 bytes do not encode a point on the curve.
    #[error("key is not a point on the ed25519 curve")]
    NotOnCurve,
    /// The key is a point of small order, which strict verification refuses, so no
    /// signature could ever verify with it.
    #[error("key is a weak (small-order) point")]
    Weak,
}

/// Why a request is not authentic.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// A header the scheme needs is absent.
    #[error("missing header {name}")]
    MissingHeader {
        /// The absent header.
        name: HeaderName,
    },
    /// A header the scheme reads exactly once was sent several times; picking one would
    /// let a proxy and this host disagree about which was checked.
    #[error("header {name} appears more than once")]
    DuplicateHeader {
        /// The repeated header.
        name: HeaderName,
    },
    /// A signature header is not in the scheme's format.
    #[error("malformed signature in header {name}")]
    MalformedSignature {
        /// The header holding the signature.
        name: HeaderName,
        /// What is wrong with it.
        #[source]
        source: SignatureFormatError,
    },
    /// A Standard Webhooks signature list holds no `v1` entry this host can check.
    #[error("no v1 signature in header {name}")]
    NoSupportedSignature {
        /// The header holding the signature list.
        name: HeaderName,
    },
    /// A timestamp header is not printable ASCII.
    #[error("timestamp header {name} is not printable ascii")]
    TimestampNotText {
        /// The timestamp header.
        name: HeaderName,
        /// Why the value is not text.
        #[source]
        source: ToStrError,
    },
    /// A timestamp header is not an integer number of Unix seconds.
    #[error("malformed timestamp in header {name}")]
    MalformedTimestamp {
        /// The timestamp header.
        name: HeaderName,
        /// Why the value is not an integer.
        #[source]
        source: ParseIntError,
    },
    /// The signed timestamp is outside the replay window.
    #[error("timestamp {timestamp} is {skew_secs} s away from now (allowed {tolerance_secs} s)")]
    StaleTimestamp {
        /// The timestamp the sender signed, in Unix seconds.
        timestamp: i64,
        /// How far it is from the verifier's clock, in either direction.
        skew_secs: u64,
        /// The scheme's replay window.
        tolerance_secs: u64,
    },
    /// The signature is well formed but was not made with the secret over this request.
    #[error("signature mismatch")]
    SignatureMismatch,
    /// A query parameter the handshake needs is absent.
    #[error("missing query parameter {name}")]
    MissingQueryParameter {
        /// The absent parameter.
        name: String,
    },
    /// A query parameter the handshake reads exactly once was sent several times.
    #[error("query parameter {name} appears more than once")]
    DuplicateQueryParameter {
        /// The repeated parameter.
        name: String,
    },
    /// The handshake's mode parameter does not hold the required value.
    #[error("wrong {name}")]
    WrongMode {
        /// The mode parameter, e.g. `hub.mode`.
        name: String,
    },
    /// A header or query token does not equal the secret.
    #[error("token mismatch")]
    TokenMismatch,
}

/// How a signature header failed to parse; the source of
/// [`VerifyError::MalformedSignature`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureFormatError {
    /// The value does not start with the scheme's prefix (e.g. `sha256=`, `v0=`).
    #[error("value does not start with {prefix:?}")]
    MissingPrefix {
        /// The expected prefix.
        prefix: String,
    },
    /// The signature is not hexadecimal of the right length.
    #[error("signature is not 64 hex digits")]
    Hex(#[source] hex::FromHexError),
    /// A Standard Webhooks `v1` entry is not base64.
    #[error("signature is not base64")]
    Base64(#[source] base64::DecodeError),
    /// An `ed25519` signature is not 128 characters long (64 bytes in hex).
    #[error("signature is {len} characters long, expected {expected} hex digits")]
    HexLength {
        /// The length of the header value, in bytes.
        len: usize,
        /// The number of hex digits the scheme expects.
        expected: usize,
    },
    /// An `ed25519` signature has the right length but a character that is not a hex
    /// digit.
    #[error("signature is not hexadecimal")]
    NotHex(#[source] hex::FromHexError),
    /// A Standard Webhooks `v1` entry decodes to something other than an HMAC-SHA256 tag.
    #[error("signature is {len} bytes, expected 32")]
    WrongLength {
        /// The decoded length.
        len: usize,
    },
}

impl VerifyError {
    /// A short, fixed label for metrics: `missing_signature` (a header or parameter
    /// carrying a credential is absent), `malformed`, `stale_timestamp`,
    /// `bad_signature` or `bad_token`.
    pub fn reason_label(&self) -> &'static str {
        match self {
            VerifyError::MissingHeader { .. }
            | VerifyError::NoSupportedSignature { .. }
            | VerifyError::MissingQueryParameter { .. } => "missing_signature",
            VerifyError::DuplicateHeader { .. }
            | VerifyError::MalformedSignature { .. }
            | VerifyError::TimestampNotText { .. }
            | VerifyError::MalformedTimestamp { .. }
            | VerifyError::DuplicateQueryParameter { .. } => "malformed",
            VerifyError::StaleTimestamp { .. } => "stale_timestamp",
            VerifyError::SignatureMismatch => "bad_signature",
            VerifyError::WrongMode { .. } | VerifyError::TokenMismatch => "bad_token",
        }
    }
}
