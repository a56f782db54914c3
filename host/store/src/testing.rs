//! Test support: a fresh PostgreSQL database per test, on the cluster named by
//! `SWITCHBOARD_TEST_POSTGRES_URL` (which `just test` starts; see
//! `scripts/postgres-test-cluster`).

use std::sync::atomic::{AtomicU64, Ordering};

use crate::{PostgresOptions, Store, StoreError};

/// The variable naming the test cluster's maintenance database.
pub const POSTGRES_URL_VAR: &str = "SWITCHBOARD_TEST_POSTGRES_URL";

/// The URL of the test cluster. Panics with what to do when it is not set: a test that
/// cannot reach its database must fail, not pass by skipping.
pub fn postgres_admin_url() -> String {
    std::env::var(POSTGRES_URL_VAR).unwrap_or_else(|_| {
        panic!(
            "{POSTGRES_URL_VAR} is not set: run the tests with `just test`, or wrap them \
             in `scripts/postgres-test-cluster run cargo test ...`"
        )
    })
}

/// Creates an empty database on the test cluster and returns options for it, not yet
/// migrated.
pub async fn empty_postgres_database() -> PostgresOptions {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let admin = postgres_admin_url();
    let name = format!(
        "sb_test_{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        crate::columns::now_ms()
    );
    let (client, connection) = tokio_postgres::connect(&admin, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot reach the test cluster at {admin}: {e}"));
    let driver = tokio::spawn(connection);
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap_or_else(|e| panic!("cannot create database {name}: {e}"));
    drop(client);
    // silent-ok: the connection ends when the client is dropped; its result is moot.
    let _ = driver.await;
    let separator = if admin.contains('?') { '&' } else { '?' };
    PostgresOptions::new(format!("{admin}{separator}dbname={name}"))
}

/// A fresh, migrated database.
pub async fn postgres_database() -> Result<PostgresOptions, StoreError> {
    let options = empty_postgres_database().await;
    Store::migrate_postgres(&options).await?;
    Ok(options)
}
