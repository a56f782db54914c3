//! A component's manifest: what it is, how its webhooks are verified, which secrets
//! and settings it expects, and what it may reach on the network.

use semver::Version;
use serde::{Deserialize, Serialize};
use switchboard_types::HttpCapability;
use switchboard_verify::Verification;

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
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// A missing required secret is a startup error.
    #[serde(default = "yes")]
    pub required: bool,
}

/// One setting the component reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingSpec {
    pub name: String,
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
