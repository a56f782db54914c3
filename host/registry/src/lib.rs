//! Component manifests, the JSON registry index, and installation.
//!
//! This crate owns:
//!
//! - the [`Manifest`] of a component and its validation;
//! - the registry [`Index`] format (`registry/README.md` documents it field by field,
//!   `registry/schema/index.schema.json` is its JSON Schema);
//! - loading an index from a path or an http(s) URL ([`Source`], [`load_index`]),
//!   plain http only when the caller allows it ([`PlainHttp`]);
//! - installing a component into a data directory with its sha256 verified first
//!   and its manifest's limits under the operator's ceilings ([`install`],
//!   [`LimitCeilings`]), the installed set ([`installed`], [`uninstall`]);
//! - what an upgrade changes in a component's permissions ([`plan_install`],
//!   [`PermissionChanges`]), so that the caller can ask before anything is written;
//! - building an index from manifests and built `.wasm` files ([`build_index`]).
//!
//! It does not run, compile or inspect components: artifact bytes are opaque here, and
//! which WIT versions can run is the runtime's knowledge, passed in as [`WitSupport`].
//! It does not read operator config, grant capabilities or resolve secrets; an
//! [`InstallReport`] lists the requested capabilities for the caller to show.
//!
//! ```no_run
//! # async fn example(data_dir: &std::path::Path) -> Result<(), switchboard_registry::RegistryError> {
//! use switchboard_registry::{
//!     InstallRequest, LimitCeilings, PlainHttp, Source, WitSupport, install, load_index,
//! };
//!
//! let source = Source::parse("https://example.org/registry/index.json")?;
//! let index = load_index(&source, PlainHttp::Refuse).await?;
//! let wit = WitSupport { supported: vec![semver::Version::new(0, 1, 0)] };
//! let report = install(&index, InstallRequest {
//!     name: "whatsapp",
//!     version: Some("0.1".parse().expect("valid requirement")),
//!     data_dir,
//!     wit: &wit,
//!     ceilings: LimitCeilings::default(),
//! }).await?;
//! println!("installed {} at {}", report.component.version,
//!          report.component.wasm_path(data_dir).display());
//! # Ok(()) }
//! ```

// Registry errors are returned once per CLI operation, never in a loop; naming the
// component, both versions and both digests is worth more than a smaller `Result`.
#![expect(
    clippy::result_large_err,
    reason = "errors carry structured context and are off the hot path"
)]

mod atomic;
mod builder;
mod ceilings;
mod digest;
mod error;
mod fetch;
mod index;
mod install;
mod installed;
mod manifest;
mod permissions;
mod source;
mod spec;
mod wit;

pub use builder::{build_index, read_manifest};
pub use ceilings::{Exceeded, LimitCeilings};
pub use digest::{DigestParseError, Sha256Digest};
pub use error::{ManifestError, RegistryError};
pub use fetch::{PlainHttp, REGISTRY_CA_ENV};
pub use index::{ComponentEntry, Index, SCHEMA_VERSION, VersionEntry};
pub use install::{
    InstallOutcome, InstallPlan, InstallReport, InstallRequest, install, plan_install,
};
pub use installed::{
    INSTALLED_FILE, Installed, InstalledComponent, components_dir, installed, uninstall,
};
pub use manifest::{
    Capabilities, LimitDefaults, MAX_NAME_LEN, Manifest, SecretSpec, SettingSpec, is_valid_name,
};
pub use permissions::{Change, PermissionChanges};
pub use source::{LoadedIndex, Source, load_index};
pub use spec::ComponentSpec;
pub use wit::WitSupport;
