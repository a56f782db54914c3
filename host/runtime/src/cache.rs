//! On-disk cache of compiled components, so the daemon starts in milliseconds
//! instead of recompiling every component.
//!
//! Entries are keyed by the component's sha256 and the engine's compatibility hash
//! (wasmtime version, target, and every setting that changes generated code), so a
//! stale or foreign entry is never even looked at. Entries are written to a temp file
//! and renamed into place, so a crash leaves either nothing or a complete entry.
//!
//! A cache entry is native code that `deserialize` runs without checking it: wasmtime
//! validates an artifact's header, not its machine code. Each entry therefore ends
//! with an HMAC-SHA256 tag, under a key only the daemon keeps (see `key`), over the
//! entry's file name and its code. An entry whose tag does not match (damaged,
//! written by someone without the key, or copied from another entry's name) is
//! deleted and the component compiled again; it is never deserialized.

mod key;
mod mac;

use std::fs;
use std::io::Write;
use std::os::unix::fs::DirBuilderExt as _;
use std::path::{Path, PathBuf};

use wasmtime::Engine;
use wasmtime::component::Component;

use mac::{TAG_LEN, hmac_sha256, tags_equal};

/// Separates these tags from any other use of the key.
const DOMAIN: &[u8] = b"switchboard compiled-code cache entry v1\0";

/// Where a component's compiled form lives in the cache directory.
pub(crate) fn entry_path(dir: &Path, sha256: &str, compat: &str) -> PathBuf {
    dir.join(format!("{sha256}-{compat}.cwasm"))
}

/// The tag of `code` stored as the entry called `name`. The name carries the
/// component's digest and the engine's compatibility hash, so a genuine entry of one
/// component cannot be passed off as another's.
fn tag(key: &key::Key, name: &std::ffi::OsStr, code: &[u8]) -> [u8; TAG_LEN] {
    hmac_sha256(key, &[DOMAIN, name.as_encoded_bytes(), b"\0", code])
}

/// Loads a cached compiled component, or `None` when there is no usable entry.
pub(crate) fn load(engine: &Engine, path: &Path) -> Option<Component> {
    let bytes = fs::read(path).ok()?;
    let (dir, name) = (path.parent()?, path.file_name()?);
    let key = match key::read(&key::path_for(dir)) {
        Ok(Some(key)) => key,
        Ok(None) => {
            discard(path, "there is no cache key to check it against");
            return None;
        }
        Err(e) => {
            discard(path, &e.to_string());
            return None;
        }
    };
    let split = bytes.len().checked_sub(TAG_LEN);
    let authentic = split.is_some_and(|at| {
        let (code, stored) = bytes.split_at(at);
        tags_equal(&tag(&key, name, code), stored)
    });
    if !authentic {
        discard(
            path,
            "its tag does not match: this daemon did not write it, or it changed since",
        );
        return None;
    }
    let code = &bytes[..bytes.len() - TAG_LEN];
    // SAFETY: `deserialize` trusts the bytes to be a compiled artifact produced by
    // this engine configuration. The tag checked above proves that this daemon wrote
    // exactly these bytes under this name (the key never leaves the daemon's data
    // directory, mode 0600), the name includes the engine's compatibility hash, and
    // wasmtime still validates the artifact's header and engine settings before use.
    #[expect(
        unsafe_code,
        reason = "loading our own authenticated precompiled artifact; see SAFETY above"
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

fn discard(path: &Path, why: &str) {
    tracing::warn!(path = %path.display(), why, "ignoring compiled-code cache entry that fails authentication; compiling the component again");
    // silent-ok: the fresh compile that follows replaces it.
    let _ = fs::remove_file(path);
}

/// Writes a compiled component to the cache. Failures are logged, not fatal: the
/// cache only makes the next start faster.
pub(crate) fn store(component: &Component, path: &Path) {
    if let Err(e) = try_store(component, path) {
        tracing::warn!(path = %path.display(), error = %e, "cannot write compiled-code cache entry");
    }
}

fn try_store(component: &Component, path: &Path) -> anyhow::Result<()> {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        anyhow::bail!("cache path has no parent directory or file name");
    };
    // Private to the daemon's user: nobody else needs to read compiled code.
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    let key = key::read_or_create(&key::path_for(dir))?;
    let code = component.serialize()?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(&code)?;
    tmp.write_all(&tag(&key, name, &code))?;
    tmp.as_file().sync_all()?;
    tmp.persist(path)?;
    Ok(())
}
