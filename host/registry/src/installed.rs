//! The set of installed components: `<data_dir>/components/installed.json`.
//!
//! ```json
//! { "whatsapp": { "version": "0.1.0", "wit": "0.1.0", "sha256": "<64 hex>",
//!                 "artifact": "whatsapp/0.1.0-0123456789abcdef.wasm",
//!                 "manifest": { "...": "..." }, "installed_at_ms": 1767225600000 } }
//! ```
//!
//! `installed.json` is the only record of what is installed; the files beside it are
//! immutable once written. It is always replaced whole and atomically, under an
//! exclusive lock on `components/.lock`, so concurrent installs into one data
//! directory are serialized rather than losing each other's entries.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use semver::Version;
use serde::{Deserialize, Serialize};

use crate::atomic;
use crate::digest::Sha256Digest;
use crate::error::RegistryError;
use crate::manifest::Manifest;

/// The file, inside the components directory, that lists installed components.
pub const INSTALLED_FILE: &str = "installed.json";

/// Where components are installed: `<data_dir>/components`.
pub fn components_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("components")
}

/// Every installed component, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Installed {
    /// Installed components keyed by name.
    pub components: BTreeMap<String, InstalledComponent>,
}

/// One installed component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalledComponent {
    /// The component's name.
    pub name: String,
    /// The installed version.
    pub version: Version,
    /// The `switchboard:channel` version it targets.
    pub wit: Version,
    /// The artifact's digest, verified at install time.
    pub sha256: Sha256Digest,
    /// The manifest it was installed with.
    pub manifest: Manifest,
    /// When it was installed, in Unix milliseconds.
    pub installed_at_ms: i64,
    /// `/`-separated path relative to the components directory.
    artifact: String,
}

/// The JSON shape of one entry of `installed.json`; the name is the map key.
#[derive(Serialize, Deserialize)]
struct Record {
    version: Version,
    wit: Version,
    sha256: Sha256Digest,
    artifact: String,
    manifest: Manifest,
    installed_at_ms: i64,
}

impl InstalledComponent {
    /// Describes a component whose artifact is at `artifact` (relative to the
    /// components directory, `/`-separated).
    pub(crate) fn new(
        manifest: Manifest,
        sha256: Sha256Digest,
        artifact: String,
        installed_at_ms: i64,
    ) -> Self {
        Self {
            name: manifest.name.clone(),
            version: manifest.version.clone(),
            wit: manifest.wit.clone(),
            sha256,
            manifest,
            installed_at_ms,
            artifact,
        }
    }

    /// The installed `.wasm` file.
    pub fn wasm_path(&self, data_dir: &Path) -> PathBuf {
        components_dir(data_dir).join(self.artifact.split('/').collect::<PathBuf>())
    }

    /// The manifest stored next to the `.wasm` file.
    pub fn manifest_path(&self, data_dir: &Path) -> PathBuf {
        self.wasm_path(data_dir).with_extension("json")
    }

    /// The artifact's path relative to the components directory, as recorded.
    pub fn artifact(&self) -> &str {
        &self.artifact
    }

    fn into_record(self) -> (String, Record) {
        let record = Record {
            version: self.version,
            wit: self.wit,
            sha256: self.sha256,
            artifact: self.artifact,
            manifest: self.manifest,
            installed_at_ms: self.installed_at_ms,
        };
        (self.name, record)
    }
}

/// Reads the installed set. A data directory with nothing installed yet (no
/// `installed.json`) is an empty set; an unreadable or malformed file is an error.
pub fn installed(data_dir: &Path) -> Result<Installed, RegistryError> {
    let path = components_dir(data_dir).join(INSTALLED_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Installed::default()),
        Err(source) => return Err(RegistryError::Io { path, source }),
    };
    let records: BTreeMap<String, Record> =
        serde_json::from_slice(&bytes).map_err(|source| RegistryError::Json {
            path_or_url: path.display().to_string(),
            source,
        })?;
    let mut components = BTreeMap::new();
    for (name, record) in records {
        if !is_contained(&record.artifact) {
            return Err(RegistryError::UnsafeArtifactPath {
                path,
                name,
                artifact: record.artifact,
            });
        }
        let component = InstalledComponent {
            name: name.clone(),
            version: record.version,
            wit: record.wit,
            sha256: record.sha256,
            manifest: record.manifest,
            installed_at_ms: record.installed_at_ms,
            artifact: record.artifact,
        };
        components.insert(name, component);
    }
    Ok(Installed { components })
}

/// Removes `name` from the installed set and returns what was installed.
///
/// The artifact and manifest files stay on disk: a running daemon may still be using
/// them. Remove `<data_dir>/components/<name>/` by hand once nothing does.
pub fn uninstall(data_dir: &Path, name: &str) -> Result<InstalledComponent, RegistryError> {
    let not_installed = || RegistryError::NotInstalled {
        name: name.to_owned(),
        data_dir: data_dir.to_owned(),
    };
    // Checked before locking so that uninstalling from an empty data directory does
    // not create one.
    if !installed(data_dir)?.components.contains_key(name) {
        return Err(not_installed());
    }
    let _lock = lock(data_dir)?;
    let mut current = installed(data_dir)?;
    let removed = current.components.remove(name).ok_or_else(not_installed)?;
    write(data_dir, current)?;
    Ok(removed)
}

/// Records `component` as installed (replacing any entry of the same name) and
/// returns the entry it replaced. The artifact must already be durably in place.
///
/// The entry it replaces must be `expected`, checked under the lock: an install
/// decided against one installed version must not land on another that a
/// concurrent command put there.
pub(crate) fn record(
    data_dir: &Path,
    component: InstalledComponent,
    expected: Option<&InstalledComponent>,
) -> Result<Option<InstalledComponent>, RegistryError> {
    let _lock = lock(data_dir)?;
    let mut current = installed(data_dir)?;
    if current.components.get(&component.name) != expected {
        return Err(RegistryError::ChangedMeanwhile {
            name: component.name,
            data_dir: data_dir.to_owned(),
        });
    }
    let previous = current.components.insert(component.name.clone(), component);
    write(data_dir, current)?;
    Ok(previous)
}

fn write(data_dir: &Path, installed: Installed) -> Result<(), RegistryError> {
    let path = components_dir(data_dir).join(INSTALLED_FILE);
    let records: BTreeMap<String, Record> = installed
        .components
        .into_values()
        .map(InstalledComponent::into_record)
        .collect();
    let mut json = serde_json::to_vec_pretty(&records).map_err(|source| RegistryError::Json {
        path_or_url: path.display().to_string(),
        source,
    })?;
    json.push(b'\n');
    atomic::write_atomic(&path, &json)
}

/// Takes the data directory's install lock; it is released when the file is dropped.
fn lock(data_dir: &Path) -> Result<File, RegistryError> {
    let dir = components_dir(data_dir);
    atomic::create_dir_durable(&dir, data_dir)?;
    let path = dir.join(".lock");
    let io_error = |source| RegistryError::Io {
        path: path.clone(),
        source,
    };
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(io_error)?;
    file.lock().map_err(io_error)?;
    Ok(file)
}

/// Whether a recorded artifact path stays inside the components directory, so that a
/// hand-edited `installed.json` cannot make the daemon load an arbitrary file.
fn is_contained(artifact: &str) -> bool {
    artifact.split('/').all(|segment| {
        !segment.is_empty() && segment != "." && segment != ".." && !segment.contains(['\\', ':'])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artifact_paths_must_stay_inside_the_components_directory() {
        assert!(is_contained("whatsapp/0.1.0-0123456789abcdef.wasm"));
        for bad in [
            "",
            "/etc/passwd",
            "../x.wasm",
            "a/../../x",
            "a//b",
            "c:\\x",
            "a\\..\\b",
        ] {
            assert!(!is_contained(bad), "{bad:?} accepted");
        }
    }
}
