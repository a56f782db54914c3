//! Where an instance's channel comes from. The daemon asks a [`ChannelLoader`] once
//! per instance (at start and when an install changes it); the product loads the
//! installed wasm component, the benchmark plugs in a native build of a channel, and
//! the daemon's own tests a fake.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use switchboard_registry::Sha256Digest;
use switchboard_runtime::{Channel, Runtime, RuntimeConfig};

use crate::config::InstanceConfig;

/// A channel ready to be called, with what the start-up log reports about it.
#[derive(Debug, Clone)]
pub struct LoadedChannel {
    pub channel: Arc<dyn Channel>,
    /// The WIT version the channel was built against, when it is a component.
    pub wit_version: Option<semver::Version>,
    /// Whether compiled code came from the cache.
    pub from_cache: bool,
}

/// Builds the channel of one configured instance.
pub trait ChannelLoader: Send + Sync {
    /// Loads `instance.component`. Errors name the file or component at fault.
    fn load(&self, instance: &InstanceConfig) -> anyhow::Result<LoadedChannel>;
}

/// Loads installed wasm components into the sandbox, with a compiled-code cache.
pub struct WasmLoader {
    runtime: Runtime,
    cache_dir: PathBuf,
}

impl std::fmt::Debug for WasmLoader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmLoader")
            .field("cache_dir", &self.cache_dir)
            .finish_non_exhaustive()
    }
}

impl WasmLoader {
    /// Starts the sandbox; compiled code is cached in `cache_dir`.
    pub fn new(config: RuntimeConfig, cache_dir: PathBuf) -> anyhow::Result<WasmLoader> {
        let runtime = Runtime::new(config).context("cannot start the wasm sandbox")?;
        Ok(WasmLoader { runtime, cache_dir })
    }
}

impl ChannelLoader for WasmLoader {
    fn load(&self, instance: &InstanceConfig) -> anyhow::Result<LoadedChannel> {
        let component = &instance.component;
        let context = || {
            format!(
                "channels.{}: cannot load component {} {}",
                instance.name, component.name, component.version
            )
        };
        let path = &component.wasm_path;
        let wasm = std::fs::read(path)
            .with_context(|| format!("cannot read {}", path.display()))
            .with_context(context)?;
        // The digest was verified when the file was installed; checking it again here
        // means a file changed since (by hand, a bad restore, an attacker with write
        // access to the data directory) is never compiled or run.
        let actual = Sha256Digest::of(&wasm).to_string();
        if !actual.eq_ignore_ascii_case(&component.sha256) {
            return Err(ArtifactChanged {
                path: path.clone(),
                expected: component.sha256.clone(),
                actual,
            })
            .with_context(context);
        }
        let loaded = self
            .runtime
            .load(&component.name, &wasm, Some(&self.cache_dir))
            .with_context(context)?;
        Ok(LoadedChannel {
            wit_version: Some(loaded.wit_version().clone()),
            from_cache: loaded.loaded_from_cache(),
            channel: Arc::new(loaded),
        })
    }
}

/// An installed artifact whose bytes no longer hash to the digest `installed.json`
/// records for it.
#[derive(Debug, thiserror::Error)]
#[error(
    "{path}: sha256 is {actual}, but installed.json records {expected}; the file changed after it was installed, so it is not loaded (install the component again)"
)]
pub(crate) struct ArtifactChanged {
    /// The `.wasm` file.
    pub(crate) path: PathBuf,
    /// The digest recorded at install.
    pub(crate) expected: String,
    /// The digest of the file as it is now.
    pub(crate) actual: String,
}
