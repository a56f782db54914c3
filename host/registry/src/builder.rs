//! Building an index from manifests and built `.wasm` files.
//!
//! The build copies nothing: each `artifact` is the path from the index's directory
//! to the `.wasm` file where it already is, so the index works in place (and the
//! directory tree can be served over HTTP as is).

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use url::Url;

use crate::atomic;
use crate::digest::Sha256Digest;
use crate::error::RegistryError;
use crate::index::{ComponentEntry, Index, SCHEMA_VERSION, VersionEntry};
use crate::manifest::Manifest;

/// Writes the index `out` listing each manifest with its built artifact.
///
/// Digests are computed from the files; artifact paths are relative to `out`'s
/// directory (with `../` as needed), or `file:` URLs when no relative path exists
/// (another drive on Windows). Manifests are validated and a name and version may
/// appear only once. `out` is replaced atomically.
pub fn build_index(entries: &[(Manifest, PathBuf)], out: &Path) -> Result<(), RegistryError> {
    let out_dir = atomic::parent(out);
    std::fs::create_dir_all(out_dir).map_err(|source| io_error(out_dir, source))?;
    let out_dir = std::fs::canonicalize(out_dir).map_err(|source| io_error(out_dir, source))?;

    let mut components: BTreeMap<String, ComponentEntry> = BTreeMap::new();
    for (manifest, wasm) in entries {
        manifest
            .validate()
            .map_err(|source| RegistryError::InvalidManifest {
                name: manifest.name.clone(),
                version: manifest.version.clone(),
                source,
            })?;
        let bytes = std::fs::read(wasm).map_err(|source| io_error(wasm, source))?;
        let wasm = std::fs::canonicalize(wasm).map_err(|source| io_error(wasm, source))?;
        let entry = VersionEntry {
            version: manifest.version.clone(),
            wit: manifest.wit.clone(),
            description: manifest.description.clone(),
            artifact: artifact_text(&out_dir, &wasm)?,
            sha256: Sha256Digest::of(&bytes),
            manifest: manifest.clone(),
        };
        components
            .entry(manifest.name.clone())
            .or_insert_with(|| ComponentEntry {
                name: manifest.name.clone(),
                description: String::new(),
                versions: Vec::new(),
            })
            .versions
            .push(entry);
    }
    for component in components.values_mut() {
        component.versions.sort_by(|a, b| a.version.cmp(&b.version));
        if let Some(newest) = component.versions.last() {
            component.description = newest.manifest.description.clone();
        }
    }
    let index = Index {
        schema_version: SCHEMA_VERSION,
        components: components.into_values().collect(),
    };
    index.check_unique(&out.display().to_string())?;
    let mut json = serde_json::to_vec_pretty(&index).map_err(|source| RegistryError::Json {
        path_or_url: out.display().to_string(),
        source,
    })?;
    json.push(b'\n');
    atomic::write_atomic(out, &json)
}

/// Reads and validates a manifest file (`registry/<name>/manifest.json`).
pub fn read_manifest(path: &Path) -> Result<Manifest, RegistryError> {
    let bytes = std::fs::read(path).map_err(|source| io_error(path, source))?;
    let manifest: Manifest =
        serde_json::from_slice(&bytes).map_err(|source| RegistryError::Json {
            path_or_url: path.display().to_string(),
            source,
        })?;
    manifest
        .validate()
        .map_err(|source| RegistryError::InvalidManifestFile {
            path: path.to_owned(),
            source,
        })?;
    Ok(manifest)
}

/// The `artifact` text for `wasm` in an index in `dir`; both paths are canonical.
fn artifact_text(dir: &Path, wasm: &Path) -> Result<String, RegistryError> {
    let Some(relative) = relative_path(dir, wasm) else {
        return Url::from_file_path(wasm).map(String::from).map_err(|()| {
            RegistryError::NonUtf8Path {
                path: wasm.to_owned(),
            }
        });
    };
    // Index paths use `/` on every platform, so that they also resolve as URLs.
    let segments: Option<Vec<&str>> = relative.iter().map(|s| s.to_str()).collect();
    segments
        .map(|s| s.join("/"))
        .ok_or_else(|| RegistryError::NonUtf8Path {
            path: wasm.to_owned(),
        })
}

/// The path from directory `from` to `to`, or `None` when they share no root.
fn relative_path(from: &Path, to: &Path) -> Option<PathBuf> {
    let from: Vec<Component<'_>> = from.components().collect();
    let to: Vec<Component<'_>> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let shares_root = from.first().is_some_and(|root| Some(root) == to.first());
    if !shares_root {
        return None;
    }
    let up = std::iter::repeat_n(Component::ParentDir, from.len() - common);
    Some(up.chain(to[common..].iter().copied()).collect())
}

fn io_error(path: &Path, source: std::io::Error) -> RegistryError {
    RegistryError::Io {
        path: path.to_owned(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_climb_with_parent_segments() {
        let rel = |from: &str, to: &str| relative_path(Path::new(from), Path::new(to));
        assert_eq!(rel("/a/b", "/a/b/c.wasm"), Some(PathBuf::from("c.wasm")));
        assert_eq!(
            rel("/a/b", "/a/x/c.wasm"),
            Some(PathBuf::from("../x/c.wasm"))
        );
        assert_eq!(
            rel("/a/b/c", "/z.wasm"),
            Some(PathBuf::from("../../../z.wasm"))
        );
        assert_eq!(rel("a", "/z.wasm"), None);
    }
}
