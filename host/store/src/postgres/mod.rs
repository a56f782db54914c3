//! The shared backend: a PostgreSQL database that several daemons may use at once.
//!
//! Every write is one transaction on a pooled connection and returns after its
//! `COMMIT`, which with the server's default `synchronous_commit = on` means the WAL
//! record is flushed: the same "committed before acknowledged" rule as SQLite's
//! group commit. The schema is applied by `switchboard migrate`, never implicitly:
//! [`Postgres::connect`] refuses a database whose schema version is not this build's.

mod access;
mod attachments;
mod cursors;
mod dead_letters;
mod history;
mod kv;
mod leases;
mod messages;
mod nodes;
mod outbox;
mod requeue;
mod rows;
mod sends;
mod work;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Timeouts};
use tokio_postgres::NoTls;

use crate::{Counts, QueueDepths, StoreError, WriterStats};

/// Migrations in order; migration `i` (0-based) brings the schema to version `i + 1`.
/// Released entries are never edited: a schema change is a new file appended here.
const MIGRATIONS: &[&str] = &[include_str!("../../migrations/postgres/0001_init.sql")];

/// The schema version this build reads and writes.
pub(crate) const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Any number; it only has to be the same in every node, so that two `migrate` runs
/// at once apply each migration once.
const MIGRATE_LOCK: i64 = 0x5357_4244_4d49_4752;

/// How to reach the database.
#[derive(Clone)]
pub struct PostgresOptions {
    /// A libpq-style URL or key-value string (`postgres://user@host:5432/db`).
    pub url: String,
    /// Connections this node keeps open at most for its durable writes and reads;
    /// leases get a quarter as many more (at least 2).
    pub pool_size: usize,
    /// How long a call waits for a connection (or for the server to accept one) before
    /// it fails with a transient error.
    pub connect_timeout: Duration,
}

impl PostgresOptions {
    /// Options for `url` with the defaults: 16 connections, a 5-second wait.
    pub fn new(url: impl Into<String>) -> PostgresOptions {
        PostgresOptions {
            url: url.into(),
            pool_size: 16,
            connect_timeout: Duration::from_secs(5),
        }
    }

    /// Checks that the URL parses, without connecting; the error never repeats the URL,
    /// so it cannot leak a password.
    pub fn validate_url(&self) -> Result<(), String> {
        self.url
            .parse::<tokio_postgres::Config>()
            .map(drop)
            .map_err(|e| e.to_string())
    }
}

impl std::fmt::Debug for PostgresOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may carry a password.
        f.debug_struct("PostgresOptions")
            .field("url", &"<redacted>")
            .field("pool_size", &self.pool_size)
            .field("connect_timeout", &self.connect_timeout)
            .finish()
    }
}

/// The PostgreSQL backend. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Postgres {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Pool,
    /// Connections for claiming, renewing and releasing leases, with
    /// `synchronous_commit` off.
    leases: Pool,
    commits: AtomicU64,
    /// For connections of its own: listening for wake-ups.
    config: tokio_postgres::Config,
}

impl Postgres {
    /// The backend for `options`; no connection is made until one is needed.
    pub(crate) fn new(options: &PostgresOptions) -> Result<Postgres, StoreError> {
        Postgres::pool(options)
    }

    /// Fails unless the database's schema is exactly this build's version.
    pub(crate) async fn check_schema(&self) -> Result<(), StoreError> {
        let found = self.schema_version().await?;
        if found == SCHEMA_VERSION {
            Ok(())
        } else {
            Err(StoreError::SchemaVersion {
                found,
                supported: SCHEMA_VERSION,
            })
        }
    }

    /// Applies the migrations the database lacks; returns the versions before and after.
    /// Refuses a database newer than this build. Safe to run from several nodes at once.
    pub(crate) async fn migrate(options: &PostgresOptions) -> Result<(i64, i64), StoreError> {
        let db = Postgres::pool(options)?;
        let mut client = db.client().await?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATE_LOCK])
            .await?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS switchboard_schema (
                 version BIGINT NOT NULL,
                 applied_at_ms BIGINT NOT NULL
             )",
        )
        .await?;
        let before: i64 = tx
            .query_one(
                "SELECT coalesce(max(version), 0) FROM switchboard_schema",
                &[],
            )
            .await?
            .get(0);
        if before > SCHEMA_VERSION {
            return Err(StoreError::SchemaVersion {
                found: before,
                supported: SCHEMA_VERSION,
            });
        }
        for (index, sql) in MIGRATIONS.iter().enumerate().skip(before as usize) {
            tx.batch_execute(sql).await?;
            let version = index as i64 + 1;
            tx.execute(
                "INSERT INTO switchboard_schema (version, applied_at_ms) VALUES ($1, $2)",
                &[&version, &crate::columns::now_ms()],
            )
            .await?;
        }
        tx.commit().await?;
        Ok((before, SCHEMA_VERSION))
    }

    fn pool(options: &PostgresOptions) -> Result<Postgres, StoreError> {
        let config: tokio_postgres::Config =
            options
                .url
                .parse()
                .map_err(|source| StoreError::PostgresUrl {
                    source: Arc::new(source),
                })?;
        let config_for_lock = config.clone();
        // Leases are soft state: a claim lost in a database crash frees its lane early,
        // the case docs/scaling.md names. Their commits need not wait for the disk,
        // which spares a WAL flush for each claim and release (two per item and queue).
        // Whatever options the operator's URL carries stay; ours go after them.
        let theirs = config.get_options().unwrap_or_default();
        let mut lease_config = config.clone();
        lease_config.options(format!("{theirs} -c synchronous_commit=off").trim_start());
        let pool = build_pool(config, options, options.pool_size.max(1))?;
        let leases = build_pool(lease_config, options, lease_pool_size(options.pool_size))?;
        Ok(Postgres {
            inner: Arc::new(Inner {
                pool,
                leases,
                commits: AtomicU64::new(0),
                config: config_for_lock,
            }),
        })
    }

    /// The version recorded in the database; 0 when it was never migrated.
    async fn schema_version(&self) -> Result<i64, StoreError> {
        let client = self.client().await?;
        let exists: bool = client
            .query_one("SELECT to_regclass('switchboard_schema') IS NOT NULL", &[])
            .await?
            .get(0);
        if !exists {
            return Ok(0);
        }
        Ok(client
            .query_one(
                "SELECT coalesce(max(version), 0) FROM switchboard_schema",
                &[],
            )
            .await?
            .get(0))
    }

    /// A pooled connection.
    pub(crate) async fn client(&self) -> Result<Object, StoreError> {
        self.inner.pool.get().await.map_err(StoreError::from)
    }

    /// A connection whose commits do not wait for the disk, for leases only.
    pub(crate) async fn lease_client(&self) -> Result<Object, StoreError> {
        self.inner.leases.get().await.map_err(StoreError::from)
    }

    /// Runs one statement as a transaction of its own; returns the rows it changed.
    pub(crate) async fn execute(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<u64, StoreError> {
        let client = self.client().await?;
        let stmt = client.prepare_cached(sql).await?;
        let changed = client.execute(&stmt, params).await?;
        self.committed();
        Ok(changed)
    }

    /// Counts a committed write, for [`Postgres::stats`].
    pub(crate) fn committed(&self) {
        self.inner.commits.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) async fn ping_write(&self) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        // A write transaction proves the server is not a read-only standby.
        tx.batch_execute("SET TRANSACTION READ WRITE").await?;
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn close(self) -> Result<(), StoreError> {
        self.inner.pool.close();
        Ok(())
    }

    /// Nothing to do: the server checkpoints on its own.
    pub(crate) async fn checkpoint(&self) -> Result<(), StoreError> {
        Ok(())
    }

    /// The database's size is the server operator's to limit (quotas, tablespaces).
    pub(crate) async fn set_size_limit(&self, _max_bytes: Option<u64>) -> Result<u64, StoreError> {
        Err(StoreError::Unsupported {
            what: "a database size cap (store.max_database_bytes)",
        })
    }

    pub(crate) fn stats(&self) -> WriterStats {
        let commits = self.inner.commits.load(Ordering::Relaxed);
        WriterStats {
            commits,
            commands: commits,
        }
    }

    pub(crate) async fn counts(&self) -> Result<Counts, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_one(
                "SELECT
                    (SELECT count(*) FROM messages),
                    (SELECT count(*) FROM messages WHERE hook_state = 'pending'),
                    (SELECT count(*) FROM messages WHERE agent_state = 'pending'),
                    (SELECT count(*) FROM replies WHERE status = 'pending'),
                    (SELECT count(*) FROM replies WHERE status = 'sent'),
                    (SELECT count(*) FROM replies WHERE status = 'dead'),
                    (SELECT count(*) FROM dead_letters WHERE replayed_at_ms IS NULL)",
                &[],
            )
            .await?;
        Ok(Counts {
            messages: row.get::<_, i64>(0) as u64,
            pending_hooks: row.get::<_, i64>(1) as u64,
            pending_turns: row.get::<_, i64>(2) as u64,
            replies_pending: row.get::<_, i64>(3) as u64,
            replies_sent: row.get::<_, i64>(4) as u64,
            replies_dead: row.get::<_, i64>(5) as u64,
            dead_letters: row.get::<_, i64>(6) as u64,
        })
    }

    pub(crate) async fn queue_depths(&self) -> Result<QueueDepths, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_one(
                "SELECT
                    (SELECT count(*) FROM messages WHERE hook_state = 'pending'),
                    (SELECT count(*) FROM messages WHERE agent_state = 'pending'),
                    (SELECT count(*) FROM replies WHERE status = 'pending'),
                    (SELECT count(*) FROM dead_letters WHERE replayed_at_ms IS NULL)",
                &[],
            )
            .await?;
        Ok(QueueDepths {
            pending_hooks: row.get::<_, i64>(0) as u64,
            pending_turns: row.get::<_, i64>(1) as u64,
            replies_pending: row.get::<_, i64>(2) as u64,
            dead_letters: row.get::<_, i64>(3) as u64,
        })
    }
}

/// Fault injection is SQLite's: PostgreSQL faults are real ones (a stopped server).
#[cfg(any(test, feature = "test-support"))]
impl Postgres {
    pub(crate) async fn simulate_read_only(&self, _on: bool) -> Result<(), StoreError> {
        Err(StoreError::Unsupported {
            what: "simulated faults",
        })
    }

    pub(crate) async fn simulate_disk_full(&self, _on: bool) -> Result<(), StoreError> {
        Err(StoreError::Unsupported {
            what: "simulated faults",
        })
    }
}

/// Connections kept for leases beside a main pool of `pool_size`.
fn lease_pool_size(pool_size: usize) -> usize {
    (pool_size / 4).max(2)
}

fn build_pool(
    config: tokio_postgres::Config,
    options: &PostgresOptions,
    size: usize,
) -> Result<Pool, StoreError> {
    let manager = Manager::from_config(
        config,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(size)
        .timeouts(Timeouts {
            wait: Some(options.connect_timeout),
            create: Some(options.connect_timeout),
            recycle: Some(options.connect_timeout),
        })
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .build()
        .map_err(|e| StoreError::PostgresPool {
            reason: e.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn setting(client: &Object, name: &str) -> String {
        client
            .query_one(&format!("SHOW {name}"), &[])
            .await
            .unwrap()
            .get(0)
    }

    #[tokio::test]
    async fn only_lease_connections_skip_the_disk_wait_and_the_operators_options_are_kept() {
        let mut options = crate::testing::postgres_database().await.unwrap();
        // An operator's own server options in the URL (`-c statement_timeout=12345`).
        options
            .url
            .push_str("&options=-c%20statement_timeout%3D12345");
        let db = Postgres::new(&options).unwrap();

        let lease = db.lease_client().await.unwrap();
        assert_eq!(setting(&lease, "synchronous_commit").await, "off");
        assert_eq!(setting(&lease, "statement_timeout").await, "12345ms");

        let durable = db.client().await.unwrap();
        assert_eq!(setting(&durable, "synchronous_commit").await, "on");
        assert_eq!(setting(&durable, "statement_timeout").await, "12345ms");

        // The connection budget docs/scaling.md gives operators: a quarter of
        // `pool_size` (16 by default) for leases, at least 2.
        assert_eq!(options.pool_size, 16);
        assert_eq!(db.inner.pool.status().max_size, 16);
        assert_eq!(db.inner.leases.status().max_size, 4);
        options.pool_size = 1;
        let small = Postgres::new(&options).unwrap();
        assert_eq!(small.inner.leases.status().max_size, 2);
    }
}
