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
    /// The database was written by a newer version, or has not been brought to this
    /// version (`switchboard migrate`, for PostgreSQL).
    #[error("database schema version {found} does not match the supported version {supported}")]
    SchemaVersion {
        /// The version found: `PRAGMA user_version` of a SQLite file, the newest row of
        /// `switchboard_schema` in PostgreSQL (0 when never migrated).
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
    /// A stored value could not be decoded: written by a newer build, or damaged.
    #[error("cannot decode column {column}: {reason}")]
    Decode {
        /// The column.
        column: String,
        /// Why.
        reason: String,
    },
    /// A PostgreSQL call failed.
    #[error("postgres error")]
    Postgres {
        /// The driver's error.
        #[source]
        source: Arc<tokio_postgres::Error>,
    },
    /// The PostgreSQL URL could not be parsed.
    #[error("invalid PostgreSQL URL")]
    PostgresUrl {
        /// The parse error.
        #[source]
        source: Arc<tokio_postgres::Error>,
    },
    /// The connection pool could not be built.
    #[error("cannot set up the PostgreSQL connection pool: {reason}")]
    PostgresPool {
        /// What went wrong.
        reason: String,
    },
    /// No connection to the database within the configured wait.
    #[error("no database connection became available in time")]
    Unavailable,
    /// The backend in use does not offer this.
    #[error("the PostgreSQL backend does not support {what}")]
    Unsupported {
        /// What was asked for.
        what: &'static str,
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
            StoreError::Postgres { source } => postgres_transient(source),
            StoreError::BlockingTask { .. } | StoreError::Unavailable => true,
            StoreError::ReadOnly
            | StoreError::StateQuota { .. }
            | StoreError::CreateDir { .. }
            | StoreError::NotFound { .. }
            | StoreError::UnknownMessage { .. }
            | StoreError::SchemaVersion { .. }
            | StoreError::Encode { .. }
            | StoreError::SpawnWriter { .. }
            | StoreError::CommandPanicked
            | StoreError::PostgresUrl { .. }
            | StoreError::PostgresPool { .. }
            | StoreError::Unsupported { .. }
            | StoreError::Decode { .. } => false,
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

impl From<tokio_postgres::Error> for StoreError {
    fn from(source: tokio_postgres::Error) -> Self {
        StoreError::Postgres {
            source: Arc::new(source),
        }
    }
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(error: deadpool_postgres::PoolError) -> Self {
        use deadpool_postgres::PoolError;
        match error {
            PoolError::Backend(source) => source.into(),
            PoolError::Closed => StoreError::Closed,
            PoolError::Timeout(_) => StoreError::Unavailable,
            other => StoreError::PostgresPool {
                reason: other.to_string(),
            },
        }
    }
}

/// Whether a PostgreSQL error may go away on its own: a lost or refused connection, a
/// server starting up or shutting down, too many connections, a serialization failure
/// or deadlock (the transaction was rolled back), or a standby that cannot write.
fn postgres_transient(error: &tokio_postgres::Error) -> bool {
    let Some(code) = error.code() else {
        // No SQLSTATE: either the connection failed (I/O, closed, timed out), which may
        // heal, or a value did not convert, which will not.
        let io = std::error::Error::source(error).is_some_and(|s| s.is::<std::io::Error>());
        let text = error.to_string();
        return error.is_closed()
            || io
            || text.starts_with("error connecting")
            || text.starts_with("timeout");
    };
    let code = code.code();
    code.starts_with("08") // connection exception
        || code.starts_with("53") // insufficient resources
        || code.starts_with("57P") // operator intervention: shutdown, cannot connect now
        || code == "40001" // serialization_failure
        || code == "40P01" // deadlock_detected
        || code == "25006" // read_only_sql_transaction: a standby after a failover
}
