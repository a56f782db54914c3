//! The key that authenticates compiled-code cache entries.
//!
//! It lives next to the cache directory rather than in it (`data/cache` →
//! `data/cache.key`), so that whoever can write into the cache directory cannot
//! also replace the key. It is 32 bytes from the operating system's random source,
//! stored as 64 hex digits with mode 0600. A missing key is created. A key that is
//! not a regular file, does not hold 64 hex digits, or can be read or written by
//! other users is replaced: a key that others could read is one they could sign
//! with, so every entry signed with it is recompiled.

use std::fs::{self, File, Permissions};
use std::io::{self, Read as _, Write as _};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

/// Bytes of a key.
const KEY_LEN: usize = 32;

/// A cache key.
pub(crate) type Key = [u8; KEY_LEN];

/// Why the key on disk cannot be used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum KeyError {
    #[error("cannot read the compiled-code cache key {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("the compiled-code cache key {path} is not a regular file")]
    NotAFile { path: PathBuf },
    #[error(
        "the compiled-code cache key {path} can be read or written by other users (mode {mode:o}, expected 600)"
    )]
    Exposed { path: PathBuf, mode: u32 },
    #[error("the compiled-code cache key {path} does not hold 64 hex digits")]
    Malformed { path: PathBuf },
}

/// Where the key of the cache directory `dir` lives: beside it, named after it.
pub(crate) fn path_for(dir: &Path) -> PathBuf {
    let mut name = dir.file_name().unwrap_or_default().to_owned();
    name.push(".key");
    dir.with_file_name(name)
}

/// The key at `path`; `None` when there is none yet.
pub(crate) fn read(path: &Path) -> Result<Option<Key>, KeyError> {
    let io_error = |source| KeyError::Io {
        path: path.to_owned(),
        source,
    };
    // `symlink_metadata`, so that a link to some other file is not taken for the key.
    let meta = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error(e)),
    };
    if !meta.file_type().is_file() {
        return Err(KeyError::NotAFile {
            path: path.to_owned(),
        });
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyError::Exposed {
            path: path.to_owned(),
            mode,
        });
    }
    let text = fs::read_to_string(path).map_err(io_error)?;
    let mut key = [0u8; KEY_LEN];
    hex::decode_to_slice(text.trim_end_matches('\n'), &mut key).map_err(|_| {
        KeyError::Malformed {
            path: path.to_owned(),
        }
    })?;
    Ok(Some(key))
}

/// The key to sign a new entry with: the one at `path`, or a fresh one written there
/// when there is none or it cannot be used.
pub(crate) fn read_or_create(path: &Path) -> anyhow::Result<Key> {
    match read(path) {
        Ok(Some(key)) => Ok(key),
        Ok(None) => create(path, false),
        Err(e) => {
            tracing::warn!(error = %e, "replacing the compiled-code cache key; entries signed with the old key will be recompiled");
            create(path, true)
        }
    }
}

/// Writes a fresh key to `path`. Unless `replace`, an existing key wins (another
/// process created one first) and is returned instead.
fn create(path: &Path, replace: bool) -> anyhow::Result<Key> {
    let mut key = [0u8; KEY_LEN];
    File::open("/dev/urandom")?.read_exact(&mut key)?;
    let dir = path
        .parent()
        .ok_or_else(|| anyhow::anyhow!("the cache key path has no parent directory"))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".cache-key-")
        .permissions(Permissions::from_mode(0o600))
        .tempfile_in(dir)?;
    tmp.write_all(format!("{}\n", hex::encode(key)).as_bytes())?;
    tmp.as_file().sync_all()?;
    if replace {
        tmp.persist(path)?;
    } else if let Err(e) = tmp.persist_noclobber(path) {
        if e.error.kind() != io::ErrorKind::AlreadyExists {
            return Err(e.error.into());
        }
        return read(path)?.ok_or_else(|| anyhow::anyhow!("the cache key vanished"));
    }
    File::open(dir)?.sync_all()?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_sits_beside_the_cache_directory() {
        assert_eq!(
            path_for(Path::new("/var/lib/switchboard/cache")),
            Path::new("/var/lib/switchboard/cache.key")
        );
    }

    #[test]
    fn a_key_is_created_private_and_then_reused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("cache.key");
        assert!(read(&path).expect("no key yet").is_none());
        let first = read_or_create(&path).expect("create");
        let mode = fs::metadata(&path).expect("key").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(read_or_create(&path).expect("reuse"), first);
    }

    #[test]
    fn a_key_others_can_read_is_replaced() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("cache.key");
        let first = read_or_create(&path).expect("create");
        fs::set_permissions(&path, Permissions::from_mode(0o644)).expect("chmod");
        assert!(matches!(
            read(&path),
            Err(KeyError::Exposed { mode: 0o644, .. })
        ));
        let second = read_or_create(&path).expect("replace");
        assert_ne!(first, second);
        let mode = fs::metadata(&path).expect("key").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn a_malformed_key_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("cache.key");
        fs::write(&path, "not hex").expect("write");
        fs::set_permissions(&path, Permissions::from_mode(0o600)).expect("chmod");
        assert!(matches!(read(&path), Err(KeyError::Malformed { .. })));
    }
}
