use std::path::PathBuf;
use std::sync::Arc;

use rusqlite::ErrorCode;

/// Why a store operation failed.
///
/// Sources are behind `Arc` so that one failed commit can be reported to every command
/// of its batch; that is also why the type is `Clone`.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A state write would take an instance past its quota; nothing was written.
    #[error(
        "state quota of instance {instance} exceeded: the write would make {keys} keys and \
         {bytes} bytes, past the quota of {} keys and {} bytes",
        quota.max_keys,
        quota.max_bytes
    )]
    StateQuota {
        /// The instance.
        instance: String,
        /// Keys the instance would have after the write.
        keys: u64,
        /// Bytes the instance would have after the write.
        bytes: u64,
        /// Its quota.
        quota: crate::StateQuota,
    },
    /// The writer queue is full; the caller should shed load (503 + `Retry-After`).
    #[error("the store writer is overloaded")]
    Overloaded,
    /// The store was closed, or its writer thread is gone.
    #[error("the store is closed")]
    Closed,
    /// The store was opened with [`Store::open_read_only`](crate::Store::open_read_only).
    #[error("the store was opened read-only")]
    ReadOnly,
    /// The row an operation refers to does not exist (or was pruned).
    #[error("no {table} row with id {id}")]
    NotFound {
        /// The table that was searched.
        table: &'static str,
        /// The id that was asked for.
        id: i64,
    },
    /// A send asked to quote a message that is not stored in its conversation.
    #[error(
        "no stored message {external_id:?} in conversation {conversation_id:?} of instance {instance}"
    )]
    UnknownMessage {
        /// The instance.
        instance: String,
        /// The conversation the send goes to.
        conversation_id: String,
        /// The external id asked for.
        external_id: String,
    },
    /// The database file was written by a newer version, or (read-only) has not been
    /// initialised by this version.
    #[error("database schema version {found} does not match the supported version {supported}")]
    SchemaVersion {
        /// `PRAGMA user_version` of the file.
        found: i64,
        /// The newest migration this build knows.
        supported: i64,
    },
    /// The parent directory of the database could not be created.
    #[error("cannot create the database directory {path}")]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: Arc<std::io::Error>,
    },
    /// The writer thread could not be started.
    #[error("cannot start the store writer thread")]
    SpawnWriter {
        /// The I/O error.
        #[source]
        source: Arc<std::io::Error>,
    },
    /// The database could not be opened or configured.
    #[error("cannot open the database {path}")]
    Open {
        /// The database file.
        path: PathBuf,
        /// The SQLite error.
        #[source]
        source: Arc<rusqlite::Error>,
    },
    /// A SQLite call failed.
    #[error("sqlite error")]
    Sqlite {
        /// The SQLite error.
        #[source]
        source: Arc<rusqlite::Error>,
    },
    /// A value could not be encoded as JSON for a dead letter.
    #[error("cannot encode a dead-letter payload")]
    Encode {
        /// The serde error.
        #[source]
        source: Arc<serde_json::Error>,
    },
    /// A blocking task did not finish (it panicked or the runtime is shutting down).
    #[error("a blocking store task failed")]
    BlockingTask {
        /// The join error.
        #[source]
        source: Arc<tokio::task::JoinError>,
    },
    /// A command panicked on the writer thread; its savepoint was rolled back and the
    /// writer kept running.
    #[error("a store command panicked")]
    CommandPanicked,
}

impl StoreError {
    /// Whether the same call may succeed later without anyone changing the code or the
    /// data: overload, shutdown, a busy or locked file, a full disk, an I/O error, or a
    /// database that is read-only on disk. The daemon answers these with 503 and
    /// `Retry-After`, so the platform redelivers.
    pub fn is_transient(&self) -> bool {
        match self {
            StoreError::Overloaded | StoreError::Closed => true,
            StoreError::Sqlite { source } | StoreError::Open { source, .. } => {
                matches!(
                    source.sqlite_error_code(),
                    Some(
                        ErrorCode::DatabaseBusy
                            | ErrorCode::DatabaseLocked
                            | ErrorCode::DiskFull
                            | ErrorCode::SystemIoFailure
                            | ErrorCode::ReadOnly
                            | ErrorCode::OutOfMemory
                            | ErrorCode::CannotOpen
                            | ErrorCode::PermissionDenied
                            | ErrorCode::FileLockingProtocolFailed
                    )
                )
            }
            StoreError::BlockingTask { .. } => true,
            StoreError::ReadOnly
            | StoreError::StateQuota { .. }
            | StoreError::CreateDir { .. }
            | StoreError::NotFound { .. }
            | StoreError::UnknownMessage { .. }
            | StoreError::SchemaVersion { .. }
            | StoreError::Encode { .. }
            | StoreError::SpawnWriter { .. }
            | StoreError::CommandPanicked => false,
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(source: rusqlite::Error) -> Self {
        StoreError::Sqlite {
            source: Arc::new(source),
        }
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(source: serde_json::Error) -> Self {
        StoreError::Encode {
            source: Arc::new(source),
        }
    }
}
