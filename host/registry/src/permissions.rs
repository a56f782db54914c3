//! What a new version changes in what a component may do, compared with the
//! version installed.
//!
//! The operator saw a component's permissions when installing it. A new version that
//! asks for more must not be served before the operator has seen and accepted the
//! difference, so an install computes it first. Permissions are: the outbound HTTP
//! capabilities, the limits, how webhooks are verified, and the secrets (whose
//! declarations say where each may be sent).

use std::fmt;

use serde::Serialize;
use switchboard_types::HttpCapability;

use crate::manifest::{Manifest, SecretSpec};

/// The permission changes between two manifests of one component.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PermissionChanges {
    changes: Vec<Change>,
}

/// One changed permission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// `+` something new, `-` something gone, `~` something different.
    pub sign: char,
    /// What changed, for people: `outbound https://api.example.org/v1/ (POST)`.
    pub what: String,
    /// Whether the new version may do something the old one could not.
    pub widens: bool,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.sign, self.what)?;
        if self.widens {
            f.write_str("  [wider]")?;
        }
        Ok(())
    }
}

impl PermissionChanges {
    /// What installing `new` over `old` changes.
    pub fn between(old: &Manifest, new: &Manifest) -> Self {
        let mut changes = Vec::new();
        capabilities(old, new, &mut changes);
        limits(old, new, &mut changes);
        if old.verification != new.verification {
            changes.push(Change {
                sign: '~',
                what: format!(
                    "verification {} -> {}",
                    json(&old.verification),
                    json(&new.verification)
                ),
                // A different scheme, header or secret may accept what the old one
                // refused; which is stricter cannot be told in general.
                widens: true,
            });
        }
        secrets(old, new, &mut changes);
        Self { changes }
    }

    /// Every change, capabilities first.
    pub fn changes(&self) -> &[Change] {
        &self.changes
    }

    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// Whether the new version may do anything the old one could not.
    pub fn widens(&self) -> bool {
        self.changes.iter().any(|c| c.widens)
    }
}

fn capabilities(old: &Manifest, new: &Manifest, out: &mut Vec<Change>) {
    let (old, new) = (&old.capabilities.http, &new.capabilities.http);
    for cap in new.iter().filter(|c| !old.contains(c)) {
        out.push(Change {
            sign: '+',
            what: format!("outbound {cap}"),
            widens: !old.iter().any(|o| covers(o, cap)),
        });
    }
    for cap in old.iter().filter(|c| !new.contains(c)) {
        out.push(Change {
            sign: '-',
            what: format!("outbound {cap}"),
            widens: false,
        });
    }
}

/// Whether everything `inner` allows, `outer` allowed already: the same origin, a
/// path prefix within outer's (whole segments), and no method outer did not allow.
fn covers(outer: &HttpCapability, inner: &HttpCapability) -> bool {
    let same_origin = outer.origin.eq_ignore_ascii_case(&inner.origin);
    let within = inner
        .path_prefix
        .strip_prefix(outer.path_prefix.as_str())
        .is_some_and(|rest| {
            rest.is_empty() || outer.path_prefix.ends_with('/') || rest.starts_with('/')
        });
    let methods = outer.methods.is_empty()
        || (!inner.methods.is_empty()
            && inner
                .methods
                .iter()
                .all(|m| outer.methods.iter().any(|o| o == m)));
    same_origin && within && methods
}

fn limits(old: &Manifest, new: &Manifest, out: &mut Vec<Change>) {
    let pairs = [
        (
            "max_body_bytes",
            old.limits.max_body_bytes,
            new.limits.max_body_bytes,
        ),
        (
            "call_timeout_ms",
            old.limits.call_timeout_ms,
            new.limits.call_timeout_ms,
        ),
    ];
    for (limit, before, after) in pairs {
        if before == after {
            continue;
        }
        let show = |v: Option<u64>| v.map_or_else(|| "host default".to_owned(), |v| v.to_string());
        out.push(Change {
            sign: '~',
            what: format!("limits.{limit} {} -> {}", show(before), show(after)),
            // Only a lower explicit value is known to be narrower: the host default
            // may be above or below either value.
            widens: !matches!((before, after), (Some(b), Some(a)) if a < b),
        });
    }
}

fn secrets(old: &Manifest, new: &Manifest, out: &mut Vec<Change>) {
    for spec in &new.secrets {
        match old.secrets.iter().find(|s| s.name == spec.name) {
            None => out.push(Change {
                sign: '+',
                what: format!("secret {}", json(spec)),
                // Unusable until the operator configures it, which is a decision of
                // its own.
                widens: false,
            }),
            Some(before) if grants(before) != grants(spec) => out.push(Change {
                sign: '~',
                what: format!("secret {} -> {}", json(before), json(spec)),
                // Beyond its name, a declaration says where the secret may be sent.
                widens: true,
            }),
            Some(_) => {}
        }
    }
    for spec in &old.secrets {
        if !new.secrets.iter().any(|s| s.name == spec.name) {
            out.push(Change {
                sign: '-',
                what: format!("secret {}", spec.name),
                widens: false,
            });
        }
    }
}

/// A secret's declaration without what only documents it (`description`) or only
/// makes configuring it mandatory (`required`): what is left decides where the
/// secret may go.
fn grants(spec: &SecretSpec) -> serde_json::Value {
    let mut value = serde_json::to_value(spec).unwrap_or_default();
    if let Some(fields) = value.as_object_mut() {
        fields.remove("description");
        fields.remove("required");
    }
    value
}

fn json(value: &impl Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|e| format!("<{e}>"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        serde_json::from_value(serde_json::json!({
            "name": "c", "version": "0.1.0", "wit": "0.1.0", "description": "",
            "verification": { "post": { "scheme": "header-token", "header": "x-t", "secret": "t" } },
            "secrets": [ { "name": "t" }, { "name": "api_key" } ],
            "capabilities": { "http": [
                { "origin": "https://api.example.org", "path_prefix": "/v1/", "methods": ["POST"] }
            ] },
            "limits": { "max_body_bytes": 65536, "call_timeout_ms": 1000 }
        }))
        .expect("test manifest")
    }

    fn cap(origin: &str, path_prefix: &str, methods: &[&str]) -> HttpCapability {
        HttpCapability {
            origin: origin.to_owned(),
            path_prefix: path_prefix.to_owned(),
            methods: methods.iter().map(|m| (*m).to_owned()).collect(),
        }
    }

    #[test]
    fn the_same_manifest_changes_nothing() {
        assert!(PermissionChanges::between(&manifest(), &manifest()).is_empty());
    }

    #[test]
    fn a_new_origin_widens_and_is_shown_like_install_shows_it() {
        let mut new = manifest();
        new.capabilities
            .http
            .push(cap("https://attacker.example", "/", &[]));
        let changes = PermissionChanges::between(&manifest(), &new);
        assert!(changes.widens());
        assert_eq!(
            changes.changes()[0].to_string(),
            "+ outbound https://attacker.example/ (any method)  [wider]"
        );
    }

    #[test]
    fn a_capability_within_an_old_one_does_not_widen() {
        let mut new = manifest();
        new.capabilities.http = vec![cap("https://api.example.org", "/v1/messages", &["POST"])];
        let changes = PermissionChanges::between(&manifest(), &new);
        assert!(!changes.is_empty() && !changes.widens(), "{changes:?}");

        for wider in [
            cap("https://api.example.org", "/v10", &["POST"]),
            cap("https://api.example.org", "/v1/", &["POST", "DELETE"]),
            cap("https://api.example.org", "/v1/", &[]),
            cap("http://api.example.org", "/v1/", &["POST"]),
        ] {
            let mut new = manifest();
            new.capabilities.http = vec![wider.clone()];
            assert!(
                PermissionChanges::between(&manifest(), &new).widens(),
                "{wider:?}"
            );
        }
    }

    #[test]
    fn raised_or_unset_limits_widen_and_lowered_ones_do_not() {
        let mut raised = manifest();
        raised.limits.max_body_bytes = Some(1 << 20);
        let changes = PermissionChanges::between(&manifest(), &raised);
        assert!(changes.widens());
        assert_eq!(
            changes.changes()[0].what,
            "limits.max_body_bytes 65536 -> 1048576"
        );

        let mut unset = manifest();
        unset.limits.call_timeout_ms = None;
        assert!(PermissionChanges::between(&manifest(), &unset).widens());

        let mut lowered = manifest();
        lowered.limits.call_timeout_ms = Some(500);
        let changes = PermissionChanges::between(&manifest(), &lowered);
        assert!(!changes.is_empty() && !changes.widens());
    }

    #[test]
    fn another_verification_widens() {
        let mut new = manifest();
        new.verification = serde_json::from_value(serde_json::json!({
            "post": { "scheme": "header-token", "header": "x-other", "secret": "t" }
        }))
        .expect("verification");
        assert!(PermissionChanges::between(&manifest(), &new).widens());
    }

    #[test]
    fn a_secret_placed_somewhere_new_widens() {
        let placed = |origin: &str| {
            let mut m = manifest();
            m.secrets[1] = serde_json::from_value(serde_json::json!({
                "name": "api_key",
                "placement": [ { "header": "authorization", "value": "Bearer {secret}",
                                 "origins": [origin] } ]
            }))
            .expect("placed secret");
            m
        };
        let changes = PermissionChanges::between(
            &placed("https://api.example.org"),
            &placed("https://attacker.example"),
        );
        assert!(changes.widens(), "{changes:?}");
        assert!(
            changes.changes()[0]
                .what
                .contains("https://attacker.example"),
            "{changes:?}"
        );
        assert!(
            PermissionChanges::between(&manifest(), &placed("https://api.example.org")).widens()
        );
    }

    #[test]
    fn secrets_added_removed_or_documented_do_not_widen() {
        let mut new = manifest();
        new.secrets[1].description = "now documented".to_owned();
        new.secrets[1].required = false;
        assert!(PermissionChanges::between(&manifest(), &new).is_empty());

        let mut new = manifest();
        new.secrets.pop();
        let changes = PermissionChanges::between(&manifest(), &new);
        assert_eq!(changes.changes()[0].to_string(), "- secret api_key");
        assert!(!changes.widens());

        let mut new = manifest();
        new.secrets.push(new.secrets[1].clone());
        new.secrets[2].name = "extra".to_owned();
        let changes = PermissionChanges::between(&manifest(), &new);
        assert!(!changes.is_empty() && !changes.widens());
    }
}
