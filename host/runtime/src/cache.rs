//! On-disk cache of compiled components, so the daemon starts in milliseconds
//! instead of recompiling every component.
//!
//! Entries are keyed by the component's sha256 and the engine's compatibility hash
//! (wasmtime version, target, and every setting that changes generated code), so a
//! stale or foreign entry is never even looked at. Entries are written to a temp file
//! and renamed into place, so a crash leaves either nothing or a complete entry.
//! Each entry ends with the sha256 of the compiled code before it, checked before
//! the code is used: wasmtime validates an artifact's header, not its machine code,
//! so a damaged entry would otherwise run.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// Bytes of the trailing checksum.
const CHECKSUM_LEN: usize = 32;

/// Where a component's compiled form lives in the cache directory.
pub(crate) fn entry_path(dir: &Path, sha256: &str, compat: &str) -> PathBuf {
    dir.join(format!("{sha256}-{compat}.cwasm"))
}

/// Loads a cached compiled component, or `None` when there is no usable entry.
pub(crate) fn load(engine: &Engine, path: &Path) -> Option<Component> {
    let bytes = fs::read(path).ok()?;
    let split = bytes.len().checked_sub(CHECKSUM_LEN);
    let intact = split.is_some_and(|at| {
        let (code, sum) = bytes.split_at(at);
        Sha256::digest(code).as_slice() == sum
    });
    if !intact {
        tracing::warn!(path = %path.display(), "ignoring damaged compiled-code cache entry (checksum mismatch)");
        // silent-ok: the fresh compile that follows replaces it.
        let _ = fs::remove_file(path);
        return None;
    }
    let code = &bytes[..bytes.len() - CHECKSUM_LEN];
    // SAFETY: `deserialize` trusts the bytes to be a compiled artifact produced by
    // this engine configuration. The cache directory is private to the daemon's
    // data directory, entries are only ever written by `store` below (atomically,
    // via rename), the key includes the engine's compatibility hash, the checksum
    // above proves the bytes are the ones written, and wasmtime still validates the
    // artifact's header and engine settings before use.
    #[expect(
        unsafe_code,
        reason = "loading our own precompiled artifact; see SAFETY above"
    )]
    let loaded = unsafe { Component::deserialize(engine, code) };
    match loaded {
        Ok(component) => Some(component),
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "ignoring unusable compiled-code cache entry");
            // silent-ok: a bad entry is replaced by the fresh compile that follows.
            let _ = fs::remove_file(path);
            None
        }
    }
}

/// Writes a compiled component to the cache. Failures are logged, not fatal: the
/// cache only makes the next start faster.
pub(crate) fn store(component: &Component, path: &Path) {
    if let Err(e) = try_store(component, path) {
        tracing::warn!(path = %path.display(), error = %e, "cannot write compiled-code cache entry");
    }
}

fn try_store(component: &Component, path: &Path) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| anyhow::anyhow!("cache path has no parent directory"))?;
    fs::create_dir_all(dir)?;
    let bytes = component.serialize()?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(&bytes)?;
    tmp.write_all(&Sha256::digest(&bytes))?;
    tmp.as_file().sync_all()?;
    tmp.persist(path)?;
    Ok(())
}
