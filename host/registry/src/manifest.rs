//! A component's manifest: what it is, how its webhooks are verified, which secrets
//! and settings it expects, and what it may reach on the network.

use std::collections::BTreeSet;

use semver::Version;
use serde::{Deserialize, Serialize};
use switchboard_egress::SecretPlacement;
use switchboard_types::HttpCapability;
use switchboard_verify::Verification;

use crate::error::ManifestError;

/// The longest accepted component name. Names become directory names and config
/// keys; 64 is generous for both.
pub const MAX_NAME_LEN: usize = 64;

/// The manifest of one component version (`registry/<name>/manifest.json`, and the
/// `manifest` object of each version in a registry index).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Component name: lower-case letters, digits and `-`.
    pub name: String,
    /// The component's own version.
    pub version: Version,
    /// The version of the `switchboard:channel` WIT package it was built against.
    pub wit: Version,
    /// One line for `switchboard registry list`.
    pub description: String,
    /// How webhooks for this component are verified by the host.
    pub verification: Verification,
    /// Secrets the operator must (or may) configure.
    #[serde(default)]
    pub secrets: Vec<SecretSpec>,
    /// Non-secret settings, readable by the guest with `host.setting`.
    #[serde(default)]
    pub settings: Vec<SettingSpec>,
    /// What the component asks to reach.
    #[serde(default)]
    pub capabilities: Capabilities,
    /// Defaults for per-instance limits; the operator may override them.
    #[serde(default)]
    pub limits: LimitDefaults,
}

/// One secret the component expects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretSpec {
    /// How the operator's config and the verification scheme refer to it.
    pub name: String,
    /// What the operator should put there.
    #[serde(default)]
    pub description: String,
    /// A missing required secret is a startup error.
    #[serde(default = "yes")]
    pub required: bool,
    /// Where the host may fill it into an outbound request. Empty (older manifests):
    /// nowhere. Verification secrets never have one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub placement: Vec<SecretPlacement>,
}

/// One setting the component reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingSpec {
    /// The key the guest passes to `host.setting`.
    pub name: String,
    /// What the setting changes.
    #[serde(default)]
    pub description: String,
    /// Used when the operator does not set it.
    #[serde(default)]
    pub default: Option<String>,
}

/// Capabilities a component requests; the operator grants them at install time and
/// may narrow or extend them per instance.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capabilities {
    /// Outbound HTTP the component asks to send.
    #[serde(default)]
    pub http: Vec<HttpCapability>,
}

/// Manifest defaults for per-instance limits.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitDefaults {
    /// Largest accepted webhook body.
    #[serde(default)]
    pub max_body_bytes: Option<u64>,
    /// Wall-clock budget of one guest call.
    #[serde(default)]
    pub call_timeout_ms: Option<u64>,
}

fn yes() -> bool {
    true
}

impl Manifest {
    /// Checks what serde cannot: the name's character set, that secret and setting
    /// names are unique, that verification uses declared, required secrets, that
    /// every capability is a well-formed origin, path prefix and method list, and
    /// that every secret placement is usable, towards requested origins, and not on
    /// a verification secret.
    pub fn validate(&self) -> Result<(), ManifestError> {
        if !is_valid_name(&self.name) {
            return Err(ManifestError::InvalidName {
                name: self.name.clone(),
            });
        }
        let mut seen = BTreeSet::new();
        for secret in &self.secrets {
            if !seen.insert(secret.name.as_str()) {
                return Err(ManifestError::DuplicateSecret {
                    name: secret.name.clone(),
                });
            }
        }
        let mut seen = BTreeSet::new();
        for setting in &self.settings {
            if !seen.insert(setting.name.as_str()) {
                return Err(ManifestError::DuplicateSetting {
                    name: setting.name.clone(),
                });
            }
        }
        let post = ("verification.post", self.verification.post.secret_name());
        let get = self
            .verification
            .get
            .as_ref()
            .map(|get| ("verification.get", get.secret_name()));
        for (used_by, secret) in std::iter::once(post).chain(get) {
            self.check_verification_secret(used_by, secret)?;
        }
        for capability in &self.capabilities.http {
            check_capability(capability)?;
        }
        self.check_placements()
    }

    /// The placements of secret `name`, for the egress policy: empty when the secret
    /// declares none, which means it is never sent.
    pub fn placement_of(&self, name: &str) -> Vec<SecretPlacement> {
        self.secrets
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.placement.clone())
            .unwrap_or_default()
    }

    /// Every placement must be usable and name only origins the manifest requests,
    /// and the secrets that verify webhooks are never placed.
    fn check_placements(&self) -> Result<(), ManifestError> {
        let verification =
            std::iter::once(("verification.post", self.verification.post.secret_name())).chain(
                self.verification
                    .get
                    .as_ref()
                    .map(|g| ("verification.get", g.secret_name())),
            );
        for (used_by, name) in verification {
            if self
                .secrets
                .iter()
                .any(|s| s.name == name && !s.placement.is_empty())
            {
                return Err(ManifestError::PlacedVerificationSecret {
                    secret: name.to_owned(),
                    used_by,
                });
            }
        }
        for secret in &self.secrets {
            for (index, placement) in secret.placement.iter().enumerate() {
                placement
                    .check(&self.capabilities.http)
                    .map_err(|problem| ManifestError::InvalidPlacement {
                        secret: secret.name.clone(),
                        index,
                        problem,
                    })?;
            }
        }
        Ok(())
    }

    fn check_verification_secret(
        &self,
        used_by: &'static str,
        secret: &str,
    ) -> Result<(), ManifestError> {
        match self.secrets.iter().find(|s| s.name == secret) {
            None => Err(ManifestError::UndeclaredSecret {
                secret: secret.to_owned(),
                used_by,
            }),
            Some(spec) if !spec.required => Err(ManifestError::OptionalVerificationSecret {
                secret: secret.to_owned(),
                used_by,
            }),
            Some(_) => Ok(()),
        }
    }
}

/// Whether `name` is a valid component name: 1 to [`MAX_NAME_LEN`] lower-case ASCII
/// letters, digits and `-`, not starting with `-` (it would read as a CLI flag).
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && !name.starts_with('-')
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn check_capability(capability: &HttpCapability) -> Result<(), ManifestError> {
    let origin = &capability.origin;
    let url = url::Url::parse(origin).map_err(|source| ManifestError::UnparsableOrigin {
        origin: origin.clone(),
        source,
    })?;
    // The parser normalizes `https://host` and `https://host/` to the same URL, so the
    // "no path" rule is checked on the text itself.
    let authority = origin.split_once("://").map_or("", |(_, rest)| rest);
    let is_origin = matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some_and(|host| !host.is_empty())
        && url.username().is_empty()
        && url.password().is_none()
        && !authority.contains(['/', '?', '#']);
    if !is_origin {
        return Err(ManifestError::NotAnOrigin {
            origin: origin.clone(),
        });
    }
    if !capability.path_prefix.starts_with('/') {
        return Err(ManifestError::InvalidPathPrefix {
            origin: origin.clone(),
            path_prefix: capability.path_prefix.clone(),
        });
    }
    let is_method = |m: &str| {
        !m.is_empty()
            && m.bytes()
                .all(|b| b.is_ascii_uppercase() || b == b'-' || b == b'_')
    };
    if let Some(method) = capability.methods.iter().find(|m| !is_method(m)) {
        return Err(ManifestError::InvalidMethod {
            origin: origin.clone(),
            method: method.clone(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn whatsapp() -> Manifest {
        serde_json::from_value(serde_json::json!({
            "name": "whatsapp",
            "version": "0.1.0",
            "wit": "0.1.0",
            "description": "WhatsApp Cloud API",
            "verification": {
                "post": { "scheme": "hmac-sha256", "header": "x-hub-signature-256",
                          "prefix": "sha256=", "secret": "app_secret" },
                "get": { "scheme": "query-token", "param": "hub.verify_token",
                         "secret": "verify_token", "mode_param": "hub.mode", "mode": "subscribe" }
            },
            "secrets": [
                { "name": "app_secret" },
                { "name": "verify_token" },
                { "name": "access_token", "placement": [
                    { "header": "authorization", "value": "Bearer {secret}",
                      "origins": ["https://graph.facebook.com"] }
                ] }
            ],
            "settings": [ { "name": "api_base", "default": "https://graph.facebook.com" } ],
            "capabilities": { "http": [
                { "origin": "https://graph.facebook.com", "path_prefix": "/v21.0/", "methods": ["POST"] }
            ] }
        }))
        .expect("test manifest parses")
    }

    #[test]
    fn a_complete_manifest_is_valid() {
        assert!(whatsapp().validate().is_ok());
    }

    #[test]
    fn names_are_restricted_to_a_path_safe_charset() {
        for bad in [
            "",
            "WhatsApp",
            "whats_app",
            "../x",
            "-x",
            "a/b",
            &"a".repeat(65),
        ] {
            let mut m = whatsapp();
            m.name = bad.to_owned();
            assert!(
                matches!(m.validate(), Err(ManifestError::InvalidName { .. })),
                "{bad:?} accepted"
            );
        }
        assert!(is_valid_name("slack-2"));
    }

    #[test]
    fn duplicate_secrets_and_settings_are_named() {
        let mut m = whatsapp();
        m.secrets.push(m.secrets[0].clone());
        let err = m.validate().expect_err("duplicate secret");
        assert!(err.to_string().contains("`app_secret`"), "{err}");

        let mut m = whatsapp();
        m.settings.push(m.settings[0].clone());
        let err = m.validate().expect_err("duplicate setting");
        assert!(matches!(err, ManifestError::DuplicateSetting { ref name } if name == "api_base"));
    }

    #[test]
    fn verification_secrets_must_be_declared_and_required() {
        let mut m = whatsapp();
        m.secrets.retain(|s| s.name != "verify_token");
        let err = m.validate().expect_err("undeclared");
        assert!(matches!(
            err,
            ManifestError::UndeclaredSecret { ref secret, used_by: "verification.get" }
                if secret == "verify_token"
        ));

        let mut m = whatsapp();
        m.secrets[0].required = false;
        let err = m.validate().expect_err("optional");
        assert!(err.to_string().contains("verification.post"), "{err}");
    }

    #[test]
    fn capability_origins_must_be_bare_http_origins() {
        let with_origin = |origin: &str| {
            let mut m = whatsapp();
            m.secrets[2].placement.clear();
            m.capabilities.http[0].origin = origin.to_owned();
            m.validate()
        };
        assert!(with_origin("http://127.0.0.1:8080").is_ok());
        assert!(matches!(
            with_origin("graph.facebook.com"),
            Err(ManifestError::UnparsableOrigin { .. })
        ));
        for bad in [
            "https://graph.facebook.com/",
            "https://graph.facebook.com/v21.0",
            "https://user:pw@graph.facebook.com",
            "https://graph.facebook.com?x=1",
            "ftp://graph.facebook.com",
            "file:///etc",
        ] {
            assert!(
                matches!(with_origin(bad), Err(ManifestError::NotAnOrigin { .. })),
                "{bad:?} accepted"
            );
        }
    }

    #[test]
    fn placements_are_checked_naming_the_secret_and_the_field() {
        let with_placement = |json: serde_json::Value| {
            let mut m = whatsapp();
            m.secrets[2].placement = serde_json::from_value(json).expect("placements");
            m.validate()
        };
        let err = with_placement(serde_json::json!([{ "path_segment": "bot" }]))
            .expect_err("no {secret}");
        assert_eq!(
            err.to_string(),
            "secret `access_token`: placement[0].path_segment: `path_segment` \"bot\" must hold `{secret}` exactly once"
        );
        let err = with_placement(serde_json::json!([
            { "header": "authorization" },
            { "header": "x", "origins": ["https://attacker.example"] }
        ]))
        .expect_err("ungranted origin");
        assert!(
            err.to_string()
                .starts_with("secret `access_token`: placement[1].origins: "),
            "{err}"
        );
        let err = with_placement(serde_json::json!([{ "header": "a", "query": "b" }]))
            .expect_err("two places");
        assert!(
            err.to_string()
                .starts_with("secret `access_token`: placement[0]: sets `header` and `query`"),
            "{err}"
        );

        // A secret without placement is valid: it is just never sent.
        assert!(with_placement(serde_json::json!([])).is_ok());
    }

    #[test]
    fn verification_secrets_are_never_placed() {
        let mut m = whatsapp();
        m.secrets[1].placement = vec![switchboard_egress::SecretPlacement {
            query: Some("hub.verify_token".to_owned()),
            ..Default::default()
        }];
        let err = m.validate().expect_err("verification secret placed");
        assert_eq!(
            err.to_string(),
            "secret `verify_token` is used by verification.get, so it is never sent anywhere; remove its `placement`"
        );
    }

    #[test]
    fn placements_survive_a_round_trip_and_older_manifests_have_none() {
        let m = whatsapp();
        let back: Manifest =
            serde_json::from_value(serde_json::to_value(&m).expect("json")).expect("parses");
        assert_eq!(back, m);
        assert_eq!(m.placement_of("access_token").len(), 1);
        assert!(m.placement_of("app_secret").is_empty());
        let plain = serde_json::to_value(&m.secrets[0]).expect("json");
        assert!(plain.get("placement").is_none(), "{plain}");
    }

    #[test]
    fn capability_paths_and_methods_are_checked() {
        let mut m = whatsapp();
        m.capabilities.http[0].path_prefix = "v21.0/".to_owned();
        assert!(matches!(
            m.validate(),
            Err(ManifestError::InvalidPathPrefix { .. })
        ));

        let mut m = whatsapp();
        m.capabilities.http[0].methods = vec!["post".to_owned()];
        let err = m.validate().expect_err("lower-case method");
        assert!(err.to_string().contains("`post`"), "{err}");
    }
}
