//! How a component's manifest declares webhook verification.
//!
//! These types are the JSON shape of the `verification` object of a manifest:
//!
//! ```json
//! { "post": { "scheme": "hmac-sha256", "header": "x-hub-signature-256",
//!             "prefix": "sha256=", "secret": "app_secret" },
//!   "get":  { "scheme": "query-token", "param": "hub.verify_token",
//!             "secret": "verify_token", "mode_param": "hub.mode", "mode": "subscribe" } }
//! ```
//!
//! `secret` always names one of the instance's secrets; the host resolves it from the
//! operator's config and the value never reaches the guest.

use serde::{Deserialize, Serialize};

/// Default replay window of the timestamped schemes (Slack and Standard Webhooks
/// reference libraries all use five minutes).
pub const DEFAULT_TOLERANCE_SECS: u64 = 300;

fn default_tolerance() -> u64 {
    DEFAULT_TOLERANCE_SECS
}

/// The header Discord sends an interaction's Ed25519 signature in.
pub(crate) const DEFAULT_ED25519_SIGNATURE_HEADER: &str = "x-signature-ed25519";
/// The header Discord sends the signed timestamp in.
pub(crate) const DEFAULT_ED25519_TIMESTAMP_HEADER: &str = "x-signature-timestamp";

fn default_ed25519_signature_header() -> String {
    DEFAULT_ED25519_SIGNATURE_HEADER.to_owned()
}

fn default_ed25519_timestamp_header() -> String {
    DEFAULT_ED25519_TIMESTAMP_HEADER.to_owned()
}

/// How every request other than a GET handshake is authenticated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "scheme", rename_all = "kebab-case")]
pub enum Scheme {
    /// Hex HMAC-SHA256 of the raw body in a header, after an optional prefix
    /// (WhatsApp: `x-hub-signature-256: sha256=<hex>`).
    HmacSha256 {
        header: String,
        #[serde(default)]
        prefix: String,
        secret: String,
    },
    /// Slack's `v0=` HMAC of `v0:{timestamp}:{body}` with a replay window.
    SlackV0 {
        secret: String,
        #[serde(default = "default_tolerance")]
        tolerance_secs: u64,
    },
    /// A shared token in a header (Telegram `x-telegram-bot-api-secret-token`).
    HeaderToken { header: String, secret: String },
    /// Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature`
    /// with a `whsec_` secret and a replay window.
    StandardWebhooks {
        secret: String,
        #[serde(default = "default_tolerance")]
        tolerance_secs: u64,
    },
    /// An Ed25519 signature (hex, in `signature_header`) of the timestamp header's value
    /// followed by the body, checked with the sender's public key, with a replay window
    /// (Discord interactions: `x-signature-ed25519`, `x-signature-timestamp`). `secret`
    /// names the public key, as 64 hex digits.
    Ed25519 {
        secret: String,
        #[serde(default = "default_ed25519_signature_header")]
        signature_header: String,
        #[serde(default = "default_ed25519_timestamp_header")]
        timestamp_header: String,
        #[serde(default = "default_tolerance")]
        tolerance_secs: u64,
    },
}

impl Scheme {
    /// The name of the instance secret this scheme needs.
    pub fn secret_name(&self) -> &str {
        match self {
            Scheme::HmacSha256 { secret, .. }
            | Scheme::SlackV0 { secret, .. }
            | Scheme::HeaderToken { secret, .. }
            | Scheme::StandardWebhooks { secret, .. }
            | Scheme::Ed25519 { secret, .. } => secret,
        }
    }

    /// The scheme's name as written in manifests.
    pub fn name(&self) -> &'static str {
        match self {
            Scheme::HmacSha256 { .. } => "hmac-sha256",
            Scheme::SlackV0 { .. } => "slack-v0",
            Scheme::HeaderToken { .. } => "header-token",
            Scheme::StandardWebhooks { .. } => "standard-webhooks",
            Scheme::Ed25519 { .. } => "ed25519",
        }
    }
}

/// How a GET subscription handshake is authenticated before the guest answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "scheme", rename_all = "kebab-case")]
pub enum Handshake {
    /// A token in a query parameter (WhatsApp `hub.verify_token`), optionally with a
    /// required mode parameter (`hub.mode=subscribe`).
    QueryToken {
        param: String,
        secret: String,
        #[serde(default)]
        mode_param: Option<String>,
        #[serde(default)]
        mode: Option<String>,
    },
}

impl Handshake {
    /// The name of the instance secret this handshake needs.
    pub fn secret_name(&self) -> &str {
        match self {
            Handshake::QueryToken { secret, .. } => secret,
        }
    }
}

/// A manifest's `verification` object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    /// Applies to every method except a GET handled by `get`.
    pub post: Scheme,
    /// The GET handshake; without it, GET requests are refused with 405.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub get: Option<Handshake>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ed25519_manifest_needs_only_the_secret() {
        let scheme: Scheme =
            serde_json::from_str(r#"{ "scheme": "ed25519", "secret": "public_key" }"#)
                .expect("manifest JSON");
        assert_eq!(
            scheme,
            Scheme::Ed25519 {
                secret: "public_key".to_owned(),
                signature_header: "x-signature-ed25519".to_owned(),
                timestamp_header: "x-signature-timestamp".to_owned(),
                tolerance_secs: 300,
            }
        );
        assert_eq!(scheme.name(), "ed25519");
        assert_eq!(scheme.secret_name(), "public_key");
    }

    #[test]
    fn ed25519_manifest_fields_override_the_defaults_and_round_trip() {
        let json = r#"{ "scheme": "ed25519", "secret": "key", "signature_header": "x-sig",
                        "timestamp_header": "x-time", "tolerance_secs": 60 }"#;
        let scheme: Scheme = serde_json::from_str(json).expect("manifest JSON");
        assert!(matches!(
            &scheme,
            Scheme::Ed25519 { signature_header, timestamp_header, tolerance_secs: 60, .. }
                if signature_header == "x-sig" && timestamp_header == "x-time"
        ));
        let written = serde_json::to_string(&scheme).expect("serializes");
        assert_eq!(
            serde_json::from_str::<Scheme>(&written).expect("re-parses"),
            scheme
        );
    }
}
