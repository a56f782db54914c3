//! `switchboard migrate`: brings the configured database to this build's schema.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use switchboard_daemon::StoreConfig;
use switchboard_store::Store;

use crate::config::ConfigFile;

pub(crate) async fn run(config: &Path) -> anyhow::Result<ExitCode> {
    let file = ConfigFile::load(config)?;
    match file.store_config()? {
        StoreConfig::Sqlite => {
            // Opening a SQLite file migrates it; `serve` does the same on start.
            let db = switchboard_daemon::database_path(&file.data_dir());
            let store =
                switchboard_daemon::open_store(&StoreConfig::Sqlite, &file.data_dir(), false)
                    .await?;
            store.close().await?;
            println!("{}: schema up to date", db.display());
        }
        StoreConfig::Postgres { options, .. } => {
            let (before, after) = Store::migrate_postgres(&options)
                .await
                .context("store.url: cannot migrate the PostgreSQL database")?;
            if before == after {
                println!("PostgreSQL schema already at version {after}");
            } else {
                println!("PostgreSQL schema migrated from version {before} to {after}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
