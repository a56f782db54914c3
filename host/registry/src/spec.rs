//! The `name[@version]` text operators type to pick a component.

use std::fmt;
use std::str::FromStr;

use semver::VersionReq;

use crate::error::RegistryError;

/// A component name with an optional version requirement: `whatsapp`,
/// `whatsapp@0.1` (newest 0.1.x), `whatsapp@=0.1.2`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentSpec {
    /// The component's name.
    pub name: String,
    /// Acceptable versions; `None` means any release.
    pub version: Option<VersionReq>,
}

impl FromStr for ComponentSpec {
    type Err = RegistryError;

    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let Some((name, requirement)) = spec.split_once('@') else {
            return Ok(Self {
                name: spec.to_owned(),
                version: None,
            });
        };
        let version =
            VersionReq::parse(requirement).map_err(|source| RegistryError::InvalidSpec {
                spec: spec.to_owned(),
                source,
            })?;
        Ok(Self {
            name: name.to_owned(),
            version: Some(version),
        })
    }
}

impl fmt::Display for ComponentSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.version {
            Some(version) => write!(f, "{}@{version}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_with_and_without_requirement() {
        let plain: ComponentSpec = "whatsapp".parse().expect("plain");
        assert_eq!(plain.name, "whatsapp");
        assert_eq!(plain.version, None);
        let pinned: ComponentSpec = "whatsapp@0.1".parse().expect("pinned");
        assert_eq!(pinned.name, "whatsapp");
        let req = pinned.version.expect("requirement");
        assert!(req.matches(&semver::Version::new(0, 1, 9)));
        assert!(!req.matches(&semver::Version::new(0, 2, 0)));
        assert!(matches!(
            "whatsapp@latest".parse::<ComponentSpec>(),
            Err(RegistryError::InvalidSpec { .. })
        ));
    }
}
