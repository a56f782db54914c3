//! The most a component's manifest may ask for.
//!
//! A manifest's `limits` are defaults the component picks for itself, so a hostile or
//! careless one could ask for an 8 GiB webhook body or a call that runs for an hour.
//! The host caps what a manifest may ask; only the operator raises a cap (`[limits]`
//! in the config). A manifest above a cap is refused at install, and at start for a
//! component installed while the operator had raised it.

use std::fmt;

use crate::error::RegistryError;
use crate::manifest::Manifest;

/// Caps on the limits a manifest may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitCeilings {
    /// Most `limits.max_body_bytes` may be. The default, 4 MiB, is what WhatsApp
    /// needs (Meta sends up to 3 MB); each request in flight may hold this much.
    pub max_body_bytes: u64,
    /// Most `limits.call_timeout_ms` may be. The default, 10 s, is about when the
    /// slowest supported platform gives up on a webhook.
    pub call_timeout_ms: u64,
}

impl Default for LimitCeilings {
    fn default() -> Self {
        Self {
            max_body_bytes: 4 << 20,
            call_timeout_ms: 10_000,
        }
    }
}

/// One limit a manifest asks for above its ceiling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exceeded {
    /// The key in the manifest's `limits` and in the config's `[limits]`.
    pub limit: &'static str,
    /// What the manifest asks for.
    pub asked: u64,
    /// The ceiling it is above.
    pub ceiling: u64,
}

impl fmt::Display for Exceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "limits.{} = {} is above the ceiling of {} (raise `[limits] {}` in the config to allow it)",
            self.limit, self.asked, self.ceiling, self.limit
        )
    }
}

impl LimitCeilings {
    /// What `manifest` asks for, limit by limit, with the ceiling of each; `None`
    /// where it asks for nothing and the host's default applies.
    pub fn asked(&self, manifest: &Manifest) -> [(&'static str, Option<u64>, u64); 2] {
        let limits = &manifest.limits;
        [
            ("max_body_bytes", limits.max_body_bytes, self.max_body_bytes),
            (
                "call_timeout_ms",
                limits.call_timeout_ms,
                self.call_timeout_ms,
            ),
        ]
    }

    /// Refuses a manifest that asks for more than a ceiling, naming every limit it
    /// exceeds.
    pub fn check(&self, manifest: &Manifest) -> Result<(), RegistryError> {
        let exceeded: Vec<Exceeded> = self
            .asked(manifest)
            .into_iter()
            .filter_map(|(limit, asked, ceiling)| {
                let asked = asked?;
                (asked > ceiling).then_some(Exceeded {
                    limit,
                    asked,
                    ceiling,
                })
            })
            .collect();
        if exceeded.is_empty() {
            return Ok(());
        }
        Err(RegistryError::AboveCeiling {
            name: manifest.name.clone(),
            version: manifest.version.clone(),
            exceeded,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(max_body_bytes: Option<u64>, call_timeout_ms: Option<u64>) -> Manifest {
        let mut m: Manifest = serde_json::from_value(serde_json::json!({
            "name": "greedy", "version": "1.2.3", "wit": "0.1.0", "description": "",
            "verification": { "post": { "scheme": "header-token", "header": "x-t", "secret": "t" } },
            "secrets": [ { "name": "t" } ]
        }))
        .expect("test manifest");
        m.limits.max_body_bytes = max_body_bytes;
        m.limits.call_timeout_ms = call_timeout_ms;
        m
    }

    #[test]
    fn limits_at_or_below_the_ceilings_or_unset_pass() {
        let ceilings = LimitCeilings::default();
        assert!(ceilings.check(&manifest(None, None)).is_ok());
        assert!(
            ceilings
                .check(&manifest(Some(4 << 20), Some(10_000)))
                .is_ok()
        );
    }

    #[test]
    fn every_limit_above_its_ceiling_is_named() {
        let err = LimitCeilings::default()
            .check(&manifest(Some(8 << 30), Some(3_600_000)))
            .expect_err("above both");
        let text = err.to_string();
        for needle in [
            "greedy 1.2.3",
            "limits.max_body_bytes = 8589934592",
            "ceiling of 4194304",
            "`[limits] max_body_bytes`",
            "limits.call_timeout_ms = 3600000",
            "ceiling of 10000",
            "`[limits] call_timeout_ms`",
        ] {
            assert!(text.contains(needle), "{needle:?} missing from: {text}");
        }
    }

    #[test]
    fn the_operator_raises_a_ceiling() {
        let raised = LimitCeilings {
            max_body_bytes: 8 << 30,
            ..LimitCeilings::default()
        };
        assert!(raised.check(&manifest(Some(8 << 30), None)).is_ok());
    }
}
