//! Which `switchboard:channel` versions this host runs, and how a component's
//! version is detected before linking.

use wasmtime::Engine;
use wasmtime::component::Component;

use crate::error::LoadError;

/// The `switchboard:channel` WIT versions this host implements: the newest version of
/// each supported release line. A component is compatible when it targets the same
/// major version (for 0.x, the same minor) and a version no newer than the host's, so
/// `0.1.1` here also runs components built against the frozen `0.1.0`. The 0.1 line
/// runs through a shim onto the 0.2 host logic (`shim.rs`).
pub const SUPPORTED_WIT: &[semver::Version] =
    &[semver::Version::new(0, 1, 1), semver::Version::new(0, 2, 2)];

/// The channel export's name prefix; the version follows the `@`.
const CHANNEL_EXPORT: &str = "switchboard:channel/channel@";

/// Human-readable supported range, e.g. `0.1.x`.
pub fn supported_range() -> String {
    SUPPORTED_WIT
        .iter()
        .map(|v| {
            if v.major == 0 {
                format!("0.{}.x (up to 0.{}.{})", v.minor, v.minor, v.patch)
            } else {
                format!("{}.x (up to {v})", v.major)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether a component targeting `wit` can run on this host.
pub fn is_supported(wit: &semver::Version) -> bool {
    SUPPORTED_WIT.iter().any(|host| {
        let same_line = if host.major == 0 {
            wit.major == 0 && wit.minor == host.minor
        } else {
            wit.major == host.major
        };
        same_line && wit <= host
    })
}

/// Finds the WIT version in the component's exports and checks it.
pub(crate) fn check(
    name: &str,
    component: &Component,
    engine: &Engine,
) -> Result<semver::Version, LoadError> {
    let ty = component.component_type();
    let exports: Vec<&str> = ty.exports(engine).map(|(n, _)| n).collect();
    let Some(found) = exports.iter().find_map(|e| e.strip_prefix(CHANNEL_EXPORT)) else {
        return Err(LoadError::NotAChannel {
            name: name.to_owned(),
            exports: if exports.is_empty() {
                "none".to_owned()
            } else {
                exports.join(", ")
            },
        });
    };
    let version = semver::Version::parse(found).map_err(|_| LoadError::UnsupportedWit {
        name: name.to_owned(),
        found: found.to_owned(),
        supported: supported_range(),
    })?;
    if !is_supported(&version) {
        return Err(LoadError::UnsupportedWit {
            name: name.to_owned(),
            found: version.to_string(),
            supported: supported_range(),
        });
    }
    Ok(version)
}

/// What `switchboard inspect` shows about a component file.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ComponentInfo {
    /// The `switchboard:channel` version targeted, if the component is a channel.
    pub wit: Option<String>,
    /// Whether this host can run it.
    pub supported: bool,
    pub exports: Vec<String>,
    pub imports: Vec<String>,
    /// Optional hooks found among the exports.
    pub hooks: Vec<String>,
}

/// Describes a component without instantiating it.
pub fn inspect(runtime: &crate::Runtime, wasm: &[u8]) -> Result<ComponentInfo, LoadError> {
    let engine = &runtime.inner.engine;
    let component = Component::new(engine, wasm).map_err(|source| LoadError::Compile {
        name: "component".to_owned(),
        source,
    })?;
    let ty = component.component_type();
    let exports: Vec<String> = ty.exports(engine).map(|(n, _)| n.to_owned()).collect();
    let imports: Vec<String> = ty.imports(engine).map(|(n, _)| n.to_owned()).collect();
    let wit = exports
        .iter()
        .find_map(|e| e.strip_prefix(CHANNEL_EXPORT))
        .map(str::to_owned);
    let supported = wit
        .as_deref()
        .and_then(|w| semver::Version::parse(w).ok())
        .is_some_and(|v| is_supported(&v));
    let hooks = exports
        .iter()
        .filter(|e| e.starts_with("switchboard:channel/") && !e.starts_with(CHANNEL_EXPORT))
        .cloned()
        .collect();
    Ok(ComponentInfo {
        wit,
        supported,
        exports,
        imports,
        hooks,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> semver::Version {
        semver::Version::parse(text).expect("test version")
    }

    #[test]
    fn every_version_of_the_current_line_up_to_the_host_is_supported() {
        assert!(
            is_supported(&v("0.1.0")),
            "the frozen 0.1.0 must keep running"
        );
        assert!(is_supported(&v("0.1.1")));
        assert!(is_supported(&v("0.2.0")));
        assert!(is_supported(&v("0.2.1")));
        assert!(is_supported(&v("0.2.2")));
    }

    #[test]
    fn newer_patches_and_other_lines_are_refused() {
        for wit in ["0.1.2", "0.2.3", "0.3.0", "0.0.1", "1.0.0"] {
            assert!(!is_supported(&v(wit)), "{wit} accepted");
        }
    }

    #[test]
    fn the_range_names_the_newest_supported_version() {
        assert_eq!(
            supported_range(),
            "0.1.x (up to 0.1.1), 0.2.x (up to 0.2.2)"
        );
    }
}
