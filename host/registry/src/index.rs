//! The registry index: the JSON document that lists installable components.
//!
//! ```json
//! { "schema_version": 1,
//!   "components": [ { "name": "whatsapp", "description": "WhatsApp Cloud API",
//!       "versions": [ { "version": "0.1.0", "wit": "0.1.0", "description": "...",
//!                       "artifact": "whatsapp-0.1.0.wasm", "sha256": "<64 hex>",
//!                       "manifest": { "name": "whatsapp", "...": "..." } } ] } ] }
//! ```
//!
//! Unknown fields are ignored so that an older host can read an index written for a
//! newer one; a change that an older host must not misread bumps `schema_version`
//! instead. `registry/README.md` describes every field.

use std::collections::BTreeSet;

use semver::Version;
use serde::{Deserialize, Serialize};

use crate::digest::Sha256Digest;
use crate::error::RegistryError;
use crate::manifest::Manifest;

/// The only index format this build reads and writes.
pub const SCHEMA_VERSION: u64 = 1;

/// A parsed registry index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Index {
    /// Always [`SCHEMA_VERSION`] once parsed.
    pub schema_version: u64,
    /// The installable components.
    pub components: Vec<ComponentEntry>,
}

/// One component and its published versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComponentEntry {
    /// The name operators install it by; equal to each version's `manifest.name`.
    pub name: String,
    /// One line for listings.
    pub description: String,
    /// Published versions, in any order.
    pub versions: Vec<VersionEntry>,
}

/// One published version of a component.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionEntry {
    /// The component version; equal to `manifest.version`.
    pub version: Version,
    /// The `switchboard:channel` version it targets; equal to `manifest.wit`. Repeated
    /// outside the manifest so that version selection reads only this entry.
    pub wit: Version,
    /// What this version changed or offers.
    pub description: String,
    /// Where the `.wasm` is: a path relative to the index, a `file:` URL or an
    /// `http(s):` URL.
    pub artifact: String,
    /// The digest the artifact must have; checked before anything is installed.
    pub sha256: Sha256Digest,
    /// The component's manifest.
    pub manifest: Manifest,
}

/// Just enough of an index to read its format version before trusting the rest.
#[derive(Deserialize)]
struct Probe {
    schema_version: u64,
}

impl Index {
    /// Parses an index. `location` names the file or URL in errors.
    ///
    /// The format version is checked first, so that an index in a newer format is
    /// reported as such rather than as a confusing shape error.
    pub fn parse(bytes: &[u8], location: &str) -> Result<Self, RegistryError> {
        let json_error = |source| RegistryError::Json {
            path_or_url: location.to_owned(),
            source,
        };
        let probe: Probe = serde_json::from_slice(bytes).map_err(json_error)?;
        if probe.schema_version != SCHEMA_VERSION {
            return Err(RegistryError::UnsupportedSchema {
                index: location.to_owned(),
                found: probe.schema_version,
                supported: SCHEMA_VERSION,
            });
        }
        let index: Index = serde_json::from_slice(bytes).map_err(json_error)?;
        index.check_unique(location)?;
        Ok(index)
    }

    /// The component called `name`, if listed.
    pub fn component(&self, name: &str) -> Option<&ComponentEntry> {
        self.components.iter().find(|c| c.name == name)
    }

    /// A name or version listed twice would make installs depend on list order.
    pub(crate) fn check_unique(&self, location: &str) -> Result<(), RegistryError> {
        let mut names = BTreeSet::new();
        for component in &self.components {
            if !names.insert(component.name.as_str()) {
                return Err(RegistryError::Duplicate {
                    index: location.to_owned(),
                    what: format!("component `{}`", component.name),
                });
            }
            let mut versions = BTreeSet::new();
            for entry in &component.versions {
                if !versions.insert(&entry.version) {
                    return Err(RegistryError::Duplicate {
                        index: location.to_owned(),
                        what: format!("{} {}", component.name, entry.version),
                    });
                }
            }
        }
        Ok(())
    }
}

impl VersionEntry {
    /// Checks that the entry agrees with its manifest and that the manifest is valid.
    /// `name` is the component entry's name.
    pub fn check_manifest(&self, name: &str) -> Result<(), RegistryError> {
        let mismatch = |field, entry: String, manifest: String| RegistryError::ManifestMismatch {
            name: name.to_owned(),
            version: self.version.clone(),
            field,
            entry,
            manifest,
        };
        if self.manifest.name != name {
            return Err(mismatch(
                "name",
                name.to_owned(),
                self.manifest.name.clone(),
            ));
        }
        if self.manifest.version != self.version {
            return Err(mismatch(
                "version",
                self.version.to_string(),
                self.manifest.version.to_string(),
            ));
        }
        if self.manifest.wit != self.wit {
            return Err(mismatch(
                "wit",
                self.wit.to_string(),
                self.manifest.wit.to_string(),
            ));
        }
        self.manifest
            .validate()
            .map_err(|source| RegistryError::InvalidManifest {
                name: name.to_owned(),
                version: self.version.clone(),
                source,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index_json(schema_version: u64) -> String {
        format!(
            r#"{{ "schema_version": {schema_version}, "future_field": true, "components": [] }}"#
        )
    }

    #[test]
    fn unknown_fields_are_tolerated() {
        let index = Index::parse(index_json(1).as_bytes(), "index.json");
        assert_eq!(index.ok().map(|i| i.components.len()), Some(0));
    }

    #[test]
    fn another_schema_version_names_both_versions() {
        let err = Index::parse(index_json(2).as_bytes(), "index.json")
            .expect_err("schema 2 must be refused");
        let text = err.to_string();
        assert!(matches!(
            err,
            RegistryError::UnsupportedSchema {
                found: 2,
                supported: 1,
                ..
            }
        ));
        assert!(text.contains("index.json") && text.contains('2') && text.contains('1'));
    }

    #[test]
    fn missing_schema_version_is_a_json_error_naming_the_source() {
        let err = Index::parse(br#"{"components": []}"#, "https://example.org/i.json")
            .expect_err("must be refused");
        assert!(matches!(err, RegistryError::Json { .. }));
        assert!(err.to_string().contains("https://example.org/i.json"));
    }
}
