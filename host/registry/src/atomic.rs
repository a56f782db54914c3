//! Crash-safe file replacement.
//!
//! A file is written under a temporary name in its final directory, flushed to disk,
//! renamed over the target, and the directory is flushed so that the rename itself
//! survives a power cut. A crash at any step leaves either the old file or the new one,
//! never a mix; at worst a stray `.tmp-*` file remains.

use std::fs::File;
use std::io::Write as _;
use std::path::Path;

use crate::error::RegistryError;

/// Replaces `path` with `bytes` atomically and durably.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), RegistryError> {
    let dir = parent(path);
    let io_error = |source| RegistryError::Io {
        path: path.to_owned(),
        source,
    };
    let mut temp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempfile_in(dir)
        .map_err(|source| RegistryError::Io {
            path: dir.to_owned(),
            source,
        })?;
    temp.write_all(bytes).map_err(io_error)?;
    temp.as_file().sync_all().map_err(io_error)?;
    temp.persist(path).map_err(|e| io_error(e.error))?;
    sync_dir(dir)
}

/// Creates `dir` and its missing parents, and makes their directory entries durable
/// up to and including `root`.
pub(crate) fn create_dir_durable(dir: &Path, root: &Path) -> Result<(), RegistryError> {
    std::fs::create_dir_all(dir).map_err(|source| RegistryError::Io {
        path: dir.to_owned(),
        source,
    })?;
    for ancestor in dir.ancestors().skip(1) {
        sync_dir(ancestor)?;
        if ancestor == root {
            break;
        }
    }
    Ok(())
}

/// Flushes a directory's entries (new names, renames) to disk.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), RegistryError> {
    let io_error = |source| RegistryError::Io {
        path: dir.to_owned(),
        source,
    };
    // Windows cannot open a directory as a file and orders renames itself; Unix needs
    // the explicit flush.
    if cfg!(unix) {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io_error)?;
    }
    Ok(())
}

/// The directory holding `path`; `.` for a bare file name.
pub(crate) fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_existing_content_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("installed.json");
        std::fs::write(&path, b"old").expect("seed");
        write_atomic(&path, b"new").expect("write");
        assert_eq!(std::fs::read(&path).expect("read"), b"new");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("installed.json")]);
    }
}
