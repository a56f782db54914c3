//! The blob store: attachment content as files named by their sha256.
//!
//! Content is addressed by its hash, so identical files are kept once, and a name
//! is proof of the content (a reader can check it). A file is written under a
//! temporary name in the same directory tree, fsynced, then renamed into place: a
//! crash leaves either the whole file or none, never a prefix under a real name.
//! Which blobs are still needed is the database's business (`blobs`,
//! `attachments`, `reply_attachments`); this module only keeps files.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};
use tokio::fs::File;
use tokio::io::AsyncWriteExt;

/// A temporary file untouched for this long belongs to a writer that is gone.
const ABANDONED_AFTER: std::time::Duration = std::time::Duration::from_secs(3600);

/// Why a blob could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("blob store {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The content passed the cap given to [`BlobStore::writer`].
    #[error("more than {limit} bytes")]
    TooLarge { limit: u64, seen: u64 },
    /// Not 64 lower-case hex digits.
    #[error("{0:?} is not a sha256 (64 lower-case hex digits)")]
    BadName(String),
}

/// A blob as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBlob {
    /// Lower-case hex sha256 of the content.
    pub sha256: String,
    pub size: u64,
}

/// Files under one directory (`data_dir/blobs` in the daemon). Cheap to clone.
#[derive(Debug, Clone)]
pub struct BlobStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    root: PathBuf,
    /// Distinguishes the temporary files of concurrent writers in this process.
    next_temp: AtomicU64,
}

impl BlobStore {
    /// Opens (creating if need be) the store under `root`, and removes temporary files
    /// a crash left behind. Only those untouched for an hour go: another process (the
    /// daemon, `switchboard send`) may be writing one right now.
    pub fn open(root: &Path) -> Result<BlobStore, BlobError> {
        let temp = root.join("tmp");
        std::fs::create_dir_all(&temp).map_err(|source| io_error(&temp, source))?;
        let leftovers = std::fs::read_dir(&temp).map_err(|source| io_error(&temp, source))?;
        for entry in leftovers.flatten() {
            let abandoned = entry
                .metadata()
                .and_then(|meta| meta.modified())
                .ok()
                .and_then(|modified| modified.elapsed().ok())
                .is_some_and(|age| age > ABANDONED_AFTER);
            if abandoned {
                // silent-ok: a leftover that cannot be removed now is retried next start.
                let _ = std::fs::remove_file(entry.path());
            }
        }
        Ok(BlobStore {
            inner: Arc::new(Inner {
                root: root.to_owned(),
                next_temp: AtomicU64::new(0),
            }),
        })
    }

    /// The directory it keeps its files in.
    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    /// Where blob `sha256` lives (whether or not it exists); an error for a name that
    /// is not a sha256, so a caller's input can never name another file.
    pub fn path(&self, sha256: &str) -> Result<PathBuf, BlobError> {
        check_name(sha256)?;
        Ok(self.inner.root.join(&sha256[..2]).join(sha256))
    }

    /// Opens blob `sha256` for reading, with its size; `None` if it is not stored.
    pub async fn open_read(&self, sha256: &str) -> Result<Option<(File, u64)>, BlobError> {
        let path = self.path(sha256)?;
        match File::open(&path).await {
            Ok(file) => {
                let size = file
                    .metadata()
                    .await
                    .map_err(|source| io_error(&path, source))?
                    .len();
                Ok(Some((file, size)))
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(io_error(&path, source)),
        }
    }

    /// The size of blob `sha256`, or `None` if it is not stored.
    pub async fn size(&self, sha256: &str) -> Result<Option<u64>, BlobError> {
        let path = self.path(sha256)?;
        match tokio::fs::metadata(&path).await {
            Ok(meta) => Ok(Some(meta.len())),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(io_error(&path, source)),
        }
    }

    /// Starts writing a blob of at most `limit` bytes.
    pub fn writer(&self, limit: u64) -> BlobWriter {
        let n = self.inner.next_temp.fetch_add(1, Ordering::Relaxed);
        let temp = self
            .inner
            .root
            .join("tmp")
            .join(format!("{}-{n}", std::process::id()));
        BlobWriter {
            store: self.clone(),
            temp,
            file: None,
            hash: Sha256::new(),
            written: 0,
            limit,
        }
    }

    /// Stores `bytes` in one go.
    pub async fn put(&self, bytes: &[u8]) -> Result<StoredBlob, BlobError> {
        let mut writer = self.writer(u64::MAX);
        writer.write(bytes).await?;
        writer.finish().await
    }

    /// Removes blob `sha256`; removing one that is not there is not an error.
    pub async fn remove(&self, sha256: &str) -> Result<(), BlobError> {
        let path = self.path(sha256)?;
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(()),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(io_error(&path, source)),
        }
    }
}

/// A blob being written. Dropped before [`BlobWriter::finish`], it removes its
/// temporary file and leaves nothing behind.
#[derive(Debug)]
pub struct BlobWriter {
    store: BlobStore,
    temp: PathBuf,
    file: Option<File>,
    hash: Sha256,
    written: u64,
    limit: u64,
}

impl BlobWriter {
    /// Appends `chunk`. Fails with [`BlobError::TooLarge`] as soon as the total passes
    /// the limit, before writing the chunk that would pass it.
    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), BlobError> {
        let seen = self.written.saturating_add(chunk.len() as u64);
        if seen > self.limit {
            return Err(BlobError::TooLarge {
                limit: self.limit,
                seen,
            });
        }
        let file = match &mut self.file {
            Some(file) => file,
            None => {
                let file = File::create(&self.temp)
                    .await
                    .map_err(|source| io_error(&self.temp, source))?;
                self.file.insert(file)
            }
        };
        file.write_all(chunk)
            .await
            .map_err(|source| io_error(&self.temp, source))?;
        self.hash.update(chunk);
        self.written = seen;
        Ok(())
    }

    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Makes the blob durable under its sha256 and returns it. If the same content is
    /// already stored, the existing file is kept.
    pub async fn finish(mut self) -> Result<StoredBlob, BlobError> {
        let sha256 = hex::encode(std::mem::take(&mut self.hash).finalize());
        let size = self.written;
        let file = match self.file.take() {
            Some(file) => file,
            None => File::create(&self.temp)
                .await
                .map_err(|source| io_error(&self.temp, source))?,
        };
        file.sync_all()
            .await
            .map_err(|source| io_error(&self.temp, source))?;
        drop(file);
        let path = self.store.path(&sha256)?;
        let dir = path.parent().unwrap_or(self.store.root()).to_owned();
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|source| io_error(&dir, source))?;
        tokio::fs::rename(&self.temp, &path)
            .await
            .map_err(|source| io_error(&path, source))?;
        // The rename is durable only once its directory is.
        let synced = tokio::task::spawn_blocking(move || std::fs::File::open(&dir)?.sync_all())
            .await
            .map_err(io::Error::other)
            .and_then(|r| r);
        synced.map_err(|source| io_error(&path, source))?;
        Ok(StoredBlob { sha256, size })
    }
}

impl Drop for BlobWriter {
    fn drop(&mut self) {
        // After `finish` the temporary name is gone; otherwise it is abandoned work.
        // silent-ok: nothing to clean up if it was never created or already renamed.
        let _ = std::fs::remove_file(&self.temp);
    }
}

fn check_name(sha256: &str) -> Result<(), BlobError> {
    if sha256.len() == 64
        && sha256
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(())
    } else {
        Err(BlobError::BadName(sha256.to_owned()))
    }
}

fn io_error(path: &Path, source: io::Error) -> BlobError {
    BlobError::Io {
        path: path.to_owned(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn content_is_stored_once_under_its_sha256_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path()).unwrap();
        let first = store.put(b"hello blob").await.unwrap();
        assert_eq!(first.sha256, hex::encode(Sha256::digest(b"hello blob")));
        let again = store.put(b"hello blob").await.unwrap();
        assert_eq!(again, first);
        let (_, size) = store.open_read(&first.sha256).await.unwrap().unwrap();
        assert_eq!(size, 10);
        let on_disk = std::fs::read(store.path(&first.sha256).unwrap()).unwrap();
        assert_eq!(on_disk, b"hello blob");
        assert!(
            std::fs::read_dir(dir.path().join("tmp"))
                .unwrap()
                .next()
                .is_none()
        );
    }

    #[tokio::test]
    async fn a_blob_over_its_cap_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path()).unwrap();
        let mut writer = store.writer(8);
        writer.write(b"12345").await.unwrap();
        let err = writer.write(b"6789").await.unwrap_err();
        assert!(matches!(err, BlobError::TooLarge { limit: 8, seen: 9 }));
        drop(writer);
        assert!(
            std::fs::read_dir(dir.path().join("tmp"))
                .unwrap()
                .next()
                .is_none()
        );
    }

    #[tokio::test]
    async fn names_that_are_not_a_sha256_never_reach_the_file_system() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path()).unwrap();
        for name in ["../etc/passwd", "ABCDEF", &"A".repeat(64), ""] {
            assert!(matches!(
                store.open_read(name).await,
                Err(BlobError::BadName(_))
            ));
        }
        assert!(store.open_read(&"0".repeat(64)).await.unwrap().is_none());
    }
}
