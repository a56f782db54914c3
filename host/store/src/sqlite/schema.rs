//! Opening connections: pragmas and embedded migrations.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags};

use crate::StoreError;

/// Migrations in order; migration `i` (0-based) brings `user_version` to `i + 1`.
/// Released entries are never edited: a schema change is a new file appended here.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/sqlite/0001_init.sql"),
    include_str!("../../migrations/sqlite/0002_fewer_pages.sql"),
    include_str!("../../migrations/sqlite/0003_state_usage.sql"),
    include_str!("../../migrations/sqlite/0004_contract_0_2.sql"),
    include_str!("../../migrations/sqlite/0005_access.sql"),
    include_str!("../../migrations/sqlite/0006_media.sql"),
    include_str!("../../migrations/sqlite/0007_receive_cursors.sql"),
];

/// The schema version this build writes and reads.
pub(crate) const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// How long a connection waits for another process's lock (a CLI reader during a
/// checkpoint, say) before failing with `SQLITE_BUSY`, which callers see as transient.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// More than SQLite's default of 16, so every statement the store uses stays cached.
const STATEMENT_CACHE: usize = 64;

/// After a checkpoint the WAL file is truncated to this size, so one burst does not
/// leave a large file behind for good.
const JOURNAL_SIZE_LIMIT: i64 = 64 * 1024 * 1024;

/// Opens the connection the writer thread owns, creating and migrating the database.
pub(crate) fn open_writer(path: &Path) -> Result<Connection, StoreError> {
    let open_err = |source: rusqlite::Error| StoreError::Open {
        path: path.to_owned(),
        source: Arc::new(source),
    };
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(open_err)?;
    configure(&conn).map_err(open_err)?;
    // WAL lets readers run beside the writer. FULL makes every commit fsync the WAL,
    // which is what allows the daemon to acknowledge a webhook once a commit returns.
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "wal", |row| row.get(0))
        .map_err(open_err)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(open_err(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CANTOPEN),
            Some(format!("journal_mode is {mode}, not wal")),
        )));
    }
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(open_err)?;
    conn.pragma_update(None, "journal_size_limit", JOURNAL_SIZE_LIMIT)
        .map_err(open_err)?;
    migrate(&conn).map_err(|e| match e {
        MigrateError::Sqlite(source) => open_err(source),
        MigrateError::TooNew(found) => StoreError::SchemaVersion {
            found,
            supported: SCHEMA_VERSION,
        },
    })?;
    Ok(conn)
}

/// Opens a connection that can only read, and checks that the schema is this build's.
pub(crate) fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    let open_err = |source: rusqlite::Error| StoreError::Open {
        path: path.to_owned(),
        source: Arc::new(source),
    };
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(open_err)?;
    configure(&conn).map_err(open_err)?;
    let found = user_version(&conn).map_err(open_err)?;
    if found != SCHEMA_VERSION {
        return Err(StoreError::SchemaVersion {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(conn)
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // Without the query planner stability guarantee, SQLite (3.50) lets the value
    // bound to `LIMIT ?` shape the plan, so every rebind expires the statement and
    // the next step parses and plans the SQL again: a cached statement is then no
    // cheaper than a fresh one. That re-preparation was a fifth of the daemon's CPU
    // under load. One plan per statement is also what we want: no plan changes
    // with the data.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.pragma_update(None, "foreign_keys", true)
}

fn user_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.pragma_query_value(None, "user_version", |row| row.get(0))
}

enum MigrateError {
    Sqlite(rusqlite::Error),
    TooNew(i64),
}

impl From<rusqlite::Error> for MigrateError {
    fn from(e: rusqlite::Error) -> Self {
        MigrateError::Sqlite(e)
    }
}

/// Applies the migrations the file has not seen, each in its own transaction together
/// with its `user_version` bump, so a crash leaves the file at a whole version.
fn migrate(conn: &Connection) -> Result<(), MigrateError> {
    let found = user_version(conn)?;
    if found > SCHEMA_VERSION {
        return Err(MigrateError::TooNew(found));
    }
    for (index, sql) in MIGRATIONS.iter().enumerate() {
        let version = index as i64 + 1;
        if version <= found {
            continue;
        }
        conn.execute_batch(&format!(
            "BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;"
        ))
        .inspect_err(|_| {
            if !conn.is_autocommit()
                && let Err(error) = conn.execute_batch("ROLLBACK")
            {
                // The migration's own error is returned; this one is only logged.
                tracing::warn!(%error, "rollback of a failed migration failed");
            }
        })?;
        tracing::info!(version, "applied database migration");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fresh_file_is_migrated_and_a_newer_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        let conn = open_writer(&path).unwrap();
        assert_eq!(user_version(&conn).unwrap(), SCHEMA_VERSION);
        let mode: String = conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let sync: i64 = conn
            .pragma_query_value(None, "synchronous", |r| r.get(0))
            .unwrap();
        assert_eq!(sync, 2, "synchronous=FULL");
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        drop(conn);

        let err = open_writer(&path).unwrap_err();
        assert!(
            matches!(err, StoreError::SchemaVersion { found, .. } if found == SCHEMA_VERSION + 1),
            "{err:?}"
        );
    }

    #[test]
    fn reopening_does_not_rerun_migrations() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        drop(open_writer(&path).unwrap());
        // A second run of 0001 would fail on "table messages already exists".
        let conn = open_writer(&path).unwrap();
        assert_eq!(user_version(&conn).unwrap(), SCHEMA_VERSION);
    }

    /// The plan of `sql` as SQLite prints it, one step per line.
    fn plan(conn: &Connection, sql: &str) -> Vec<String> {
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        stmt.query_map(rusqlite::params![0_i64, 10_i64], |row| row.get(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn the_queue_queries_read_only_their_queue_index() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        drop(open_writer(&path).unwrap());
        let conn = open_reader(&path).unwrap();
        for (sql, index) in [
            (crate::sqlite::work::DUE_HOOKS, "messages_hook_queue"),
            (crate::sqlite::work::PENDING_TURNS, "messages_agent_queue"),
            (crate::sqlite::outbox::DUE_REPLIES, "replies_queue"),
        ] {
            let steps = plan(&conn, sql);
            // Every scan of a table goes through its queue index; rows of the long
            // history are only ever looked up by id.
            let table_scans: Vec<_> = steps
                .iter()
                .filter(|step| step.starts_with("SCAN") && !step.contains("subquery"))
                .filter(|step| *step != "SCAN q")
                .collect();
            assert!(
                !table_scans.is_empty()
                    && table_scans
                        .iter()
                        .all(|step| step.ends_with(&format!("INDEX {index}"))),
                "{index}: {steps:#?}"
            );
            assert!(
                steps
                    .iter()
                    .filter(|step| step.starts_with("SEARCH"))
                    .all(|step| step.contains("USING INTEGER PRIMARY KEY (rowid=?)")),
                "{index}: {steps:#?}"
            );
        }
    }

    #[test]
    fn a_cached_statement_with_a_bound_limit_is_planned_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        drop(open_writer(&path).unwrap());
        let conn = open_reader(&path).unwrap();
        for limit in [1_i64, 20, 3, 20] {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT id FROM messages WHERE instance = ?1 ORDER BY id DESC LIMIT ?2",
                )
                .unwrap();
            let rows: Vec<i64> = stmt
                .query_map(rusqlite::params!["wa", limit], |row| row.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert!(rows.is_empty());
            assert_eq!(
                stmt.get_status(rusqlite::StatementStatus::RePrepare),
                0,
                "a new LIMIT value made SQLite parse and plan the statement again"
            );
        }
    }
}
