//! Installing a component from a loaded index into a data directory.
//!
//! Layout under `<data_dir>/components/`:
//!
//! ```text
//! installed.json                          the installed set (see `installed.rs`)
//! whatsapp/0.1.0-0123456789abcdef.wasm    artifact: <version>-<first 16 hex of sha256>
//! whatsapp/0.1.0-0123456789abcdef.json    the manifest it was installed with
//! ```
//!
//! The order of operations is what makes an install safe to interrupt:
//!
//! 1. choose the version, check its manifest against the index entry, and its limits
//!    against the operator's ceilings;
//! 2. fetch the artifact into memory and verify its sha256, before anything is written;
//! 3. write the artifact and manifest under temporary names, flush, rename, flush the
//!    directory;
//! 4. replace `installed.json` the same way.
//!
//! Until step 4 completes, the previous `installed.json` is intact and names only
//! files that still exist. Artifacts of other versions are never deleted, because a
//! running daemon may still be using them; the files of one version are never
//! rewritten with different content, because the digest is part of their name.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use semver::{Version, VersionReq};

use crate::atomic;
use crate::ceilings::LimitCeilings;
use crate::digest::Sha256Digest;
use crate::error::RegistryError;
use crate::fetch::{self, Kind};
use crate::index::{ComponentEntry, VersionEntry};
use crate::installed::{self, InstalledComponent, components_dir};
use crate::manifest::{Capabilities, Manifest};
use crate::permissions::PermissionChanges;
use crate::source::LoadedIndex;
use crate::wit::WitSupport;

/// What to install, and where.
#[derive(Debug, Clone)]
pub struct InstallRequest<'a> {
    /// The component's name in the index.
    pub name: &'a str,
    /// Which versions are acceptable; `None` means any release (not pre-release).
    pub version: Option<VersionReq>,
    /// The daemon's data directory.
    pub data_dir: &'a Path,
    /// What the runtime can run.
    pub wit: &'a WitSupport,
    /// The most the manifest may ask for; a manifest above them is refused before
    /// anything is fetched.
    pub ceilings: LimitCeilings,
}

/// What an install did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstallOutcome {
    /// Nothing of that name was installed before.
    Installed,
    /// Something of that name was installed before: another version, another build
    /// of the same version, or this build with its artifact missing or damaged (which
    /// the install repaired). Files of other versions are kept.
    Replaced {
        /// The version that was installed before.
        previous: Version,
    },
    /// The same version with the same digest was already installed; nothing was written.
    AlreadyInstalled,
}

/// The result of a successful install, for the CLI to show.
#[derive(Debug, Clone)]
pub struct InstallReport {
    /// The component as now installed.
    pub component: InstalledComponent,
    /// Whether anything changed.
    pub outcome: InstallOutcome,
    /// What the component asks to reach; the operator grants it in the config.
    pub capabilities: Capabilities,
}

/// An install decided but not yet done: the version is chosen and checked, and what
/// it changes in the installed component's permissions is known, but nothing has
/// been fetched or written. [`InstallPlan::apply`] does the install; dropping the
/// plan leaves everything as it was.
#[derive(Debug)]
pub struct InstallPlan<'i> {
    index: &'i LoadedIndex,
    name: String,
    entry: &'i VersionEntry,
    data_dir: PathBuf,
    current: Option<InstalledComponent>,
    already_installed: bool,
    changes: PermissionChanges,
}

/// Chooses the newest version of `req.name` that matches `req.version` and whose WIT
/// the host supports, checks it against the index and the ceilings, and compares its
/// permissions with the installed version's.
pub async fn plan_install<'i>(
    index: &'i LoadedIndex,
    req: InstallRequest<'_>,
) -> Result<InstallPlan<'i>, RegistryError> {
    let component = index.component(req.name)?;
    let entry = select(component, req.version.as_ref(), req.wit)?;
    entry.check_manifest(&component.name)?;
    req.ceilings.check(&entry.manifest)?;

    let current = installed::installed(req.data_dir)?
        .components
        .remove(&component.name);
    let already_installed = match &current {
        Some(current) => {
            current.version == entry.version
                && current.sha256 == entry.sha256
                && is_intact(current, req.data_dir).await
        }
        None => false,
    };
    let changes = match &current {
        Some(current) if !already_installed => {
            PermissionChanges::between(&current.manifest, &entry.manifest)
        }
        _ => PermissionChanges::default(),
    };
    Ok(InstallPlan {
        index,
        name: component.name.clone(),
        entry,
        data_dir: req.data_dir.to_owned(),
        current,
        already_installed,
        changes,
    })
}

impl InstallPlan<'_> {
    /// The manifest of the version that would be installed.
    pub fn manifest(&self) -> &Manifest {
        &self.entry.manifest
    }

    /// What is installed under this name now, if anything.
    pub fn current(&self) -> Option<&InstalledComponent> {
        self.current.as_ref()
    }

    /// How the new version's permissions differ from the installed version's;
    /// empty for a first install, and when this build is already installed.
    pub fn changes(&self) -> &PermissionChanges {
        &self.changes
    }

    /// Fetches and verifies the artifact, then writes it and records it as
    /// installed. See the module documentation for the guarantees. Fails with
    /// [`RegistryError::ChangedMeanwhile`], recording nothing, when another command
    /// changed what is installed under this name since the plan was made, since
    /// the changes the caller accepted were computed against that.
    pub async fn apply(self) -> Result<InstallReport, RegistryError> {
        if self.already_installed
            && let Some(current) = self.current
        {
            return Ok(InstallReport {
                capabilities: current.manifest.capabilities.clone(),
                component: current,
                outcome: InstallOutcome::AlreadyInstalled,
            });
        }
        let entry = self.entry;
        let source = self.index.artifact_source(&self.name, entry)?;
        let (bytes, _) = fetch::fetch(&source, Kind::Artifact, self.index.plain_http()).await?;
        let actual = Sha256Digest::of(&bytes);
        if actual != entry.sha256 {
            return Err(RegistryError::ChecksumMismatch {
                name: self.name,
                version: entry.version.clone(),
                expected: entry.sha256,
                actual,
            });
        }

        // The commit is a handful of small writes and fsyncs; they run off the async
        // workers so that a slow disk does not stall other tasks.
        let data_dir = self.data_dir.clone();
        let manifest = entry.manifest.clone();
        let expected = self.current;
        let committed = tokio::task::spawn_blocking(move || {
            commit(&data_dir, manifest, actual, &bytes, expected.as_ref())
        })
        .await;
        let (component, previous) = match committed {
            Ok(result) => result?,
            Err(join) if join.is_panic() => std::panic::resume_unwind(join.into_panic()),
            Err(source) => {
                return Err(RegistryError::Cancelled {
                    data_dir: self.data_dir,
                    source,
                });
            }
        };
        let outcome = match previous {
            Some(previous) => InstallOutcome::Replaced {
                previous: previous.version,
            },
            None => InstallOutcome::Installed,
        };
        Ok(InstallReport {
            capabilities: component.manifest.capabilities.clone(),
            component,
            outcome,
        })
    }
}

/// Installs the newest version of `req.name` that matches `req.version` and whose WIT
/// the host supports: [`plan_install`], then [`InstallPlan::apply`] whatever the plan
/// changes. Callers that let an operator review widened permissions first use the
/// two steps.
pub async fn install(
    index: &LoadedIndex,
    req: InstallRequest<'_>,
) -> Result<InstallReport, RegistryError> {
    plan_install(index, req).await?.apply().await
}

/// Picks the newest matching version whose WIT the host supports.
fn select<'i>(
    component: &'i ComponentEntry,
    requested: Option<&VersionReq>,
    wit: &WitSupport,
) -> Result<&'i VersionEntry, RegistryError> {
    let requested = requested.cloned().unwrap_or(VersionReq::STAR);
    let mut matching: Vec<&VersionEntry> = component
        .versions
        .iter()
        .filter(|entry| requested.matches(&entry.version))
        .collect();
    matching.sort_by(|a, b| b.version.cmp(&a.version));
    let Some(newest) = matching.first() else {
        let mut available: Vec<Version> = component
            .versions
            .iter()
            .map(|v| v.version.clone())
            .collect();
        available.sort();
        return Err(RegistryError::NoMatchingVersion {
            name: component.name.clone(),
            requested,
            available,
        });
    };
    matching
        .iter()
        .find(|entry| wit.is_compatible(&entry.wit))
        .copied()
        .ok_or_else(|| RegistryError::IncompatibleWit {
            name: component.name.clone(),
            version: newest.version.clone(),
            wit: newest.wit.clone(),
            supported: wit.clone(),
        })
}

/// Whether the recorded artifact is still on disk with the recorded digest. Anything
/// else (deleted, truncated, unreadable) makes the install go ahead and repair it.
async fn is_intact(component: &InstalledComponent, data_dir: &Path) -> bool {
    tokio::fs::read(component.wasm_path(data_dir))
        .await
        .is_ok_and(|bytes| Sha256Digest::of(&bytes) == component.sha256)
}

/// Writes the verified artifact and its manifest, then records them as installed if
/// what is installed under the name is still `expected`.
fn commit(
    data_dir: &Path,
    manifest: Manifest,
    sha256: Sha256Digest,
    artifact: &[u8],
    expected: Option<&InstalledComponent>,
) -> Result<(InstalledComponent, Option<InstalledComponent>), RegistryError> {
    let dir = components_dir(data_dir).join(&manifest.name);
    atomic::create_dir_durable(&dir, data_dir)?;
    let stem = format!("{}-{}", manifest.version, sha256.short());
    let wasm_path = dir.join(format!("{stem}.wasm"));
    atomic::write_atomic(&wasm_path, artifact)?;
    let manifest_path = dir.join(format!("{stem}.json"));
    let mut manifest_json =
        serde_json::to_vec_pretty(&manifest).map_err(|source| RegistryError::Json {
            path_or_url: manifest_path.display().to_string(),
            source,
        })?;
    manifest_json.push(b'\n');
    atomic::write_atomic(&manifest_path, &manifest_json)?;

    let relative = format!("{}/{stem}.wasm", manifest.name);
    let component = InstalledComponent::new(manifest, sha256, relative, now_ms());
    let previous = installed::record(data_dir, component.clone(), expected)?;
    Ok((component, previous))
}

fn now_ms() -> i64 {
    // A clock set before 1970 is not worth failing an install over; the timestamp is
    // informational.
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
