//! `[store]`: where messages and queues live. SQLite in the data directory unless the
//! operator names a PostgreSQL database that several nodes share.

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use switchboard_daemon::{DEFAULT_LEASE, StoreConfig};
use switchboard_store::PostgresOptions;

use crate::secrets::{SecretRef, resolve};

/// The most connections one node may ask for; PostgreSQL's own default
/// `max_connections` is 100, shared by every node.
const MAX_POOL_SIZE: usize = 256;

/// Leases are renewed every third of their length: under 5 s a busy database could
/// miss a renewal; over an hour, work of a dead node waits too long.
const LEASE_SECONDS: std::ops::RangeInclusive<u64> = 5..=3600;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStore {
    /// `sqlite` (the default) or `postgres`.
    #[serde(default)]
    pub(crate) kind: Option<String>,
    /// The PostgreSQL URL; a secret, since it usually carries a password.
    #[serde(default)]
    pub(crate) url: Option<SecretRef>,
    /// Connections this node keeps at most.
    #[serde(default)]
    pub(crate) pool_size: Option<usize>,
    /// How long a call waits for a connection before the webhook is answered 503.
    #[serde(default)]
    pub(crate) connect_timeout_ms: Option<u64>,
    /// How long work a node claimed stays its own without being renewed.
    #[serde(default)]
    pub(crate) lease_seconds: Option<u64>,
}

impl RawStore {
    /// The validated store choice; every error names its key.
    pub(crate) fn lower(&self, base: &Path) -> Result<StoreConfig, Vec<String>> {
        match self.kind.as_deref().unwrap_or("sqlite") {
            "sqlite" => {
                let stray: Vec<String> = [
                    ("url", self.url.is_some()),
                    ("pool_size", self.pool_size.is_some()),
                    ("connect_timeout_ms", self.connect_timeout_ms.is_some()),
                    ("lease_seconds", self.lease_seconds.is_some()),
                ]
                .into_iter()
                .filter(|(_, set)| *set)
                .map(|(key, _)| {
                    format!(
                        "store.{key}: only used with store.kind = \"postgres\"; the SQLite store is the file switchboard.db in server.data_dir"
                    )
                })
                .collect();
                if stray.is_empty() {
                    Ok(StoreConfig::Sqlite)
                } else {
                    Err(stray)
                }
            }
            "postgres" => self.lower_postgres(base),
            other => Err(vec![format!(
                "store.kind: unknown store {other:?}; expected \"sqlite\" or \"postgres\""
            )]),
        }
    }

    fn lower_postgres(&self, base: &Path) -> Result<StoreConfig, Vec<String>> {
        let mut errors = Vec::new();
        let url = match &self.url {
            None => {
                errors.push(
                    "store.url: required with store.kind = \"postgres\" (for example url = { env = \"SWITCHBOARD_DATABASE_URL\" })"
                        .to_owned(),
                );
                None
            }
            Some(reference) => match resolve(reference, base) {
                Ok(url) => match PostgresOptions::new(url.clone()).validate_url() {
                    Ok(()) => Some(url),
                    Err(e) => {
                        errors.push(format!("store.url: not a PostgreSQL URL: {e}"));
                        None
                    }
                },
                Err(e) => {
                    errors.push(format!("store.url: {e}"));
                    None
                }
            },
        };
        let mut options = PostgresOptions::new(url.unwrap_or_default());
        if let Some(size) = self.pool_size {
            if (1..=MAX_POOL_SIZE).contains(&size) {
                options.pool_size = size;
            } else {
                errors.push(format!(
                    "store.pool_size: {size} is out of range; use 1 to {MAX_POOL_SIZE}"
                ));
            }
        }
        if let Some(ms) = self.connect_timeout_ms {
            if ms == 0 {
                errors.push("store.connect_timeout_ms: must be at least 1".to_owned());
            } else {
                options.connect_timeout = Duration::from_millis(ms);
            }
        }
        let lease = match self.lease_seconds {
            None => DEFAULT_LEASE,
            Some(secs) if LEASE_SECONDS.contains(&secs) => Duration::from_secs(secs),
            Some(secs) => {
                errors.push(format!(
                    "store.lease_seconds: {secs} is out of range; use {} to {}",
                    LEASE_SECONDS.start(),
                    LEASE_SECONDS.end()
                ));
                DEFAULT_LEASE
            }
        };
        if errors.is_empty() {
            Ok(StoreConfig::Postgres { options, lease })
        } else {
            Err(errors)
        }
    }
}
