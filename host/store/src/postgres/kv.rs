//! Small per-instance key-value state that channels keep between calls.

use deadpool_postgres::GenericClient;

use super::Postgres;
use crate::columns::now_ms;
use crate::{StateQuota, StateUsage, StoreError};

impl Postgres {
    pub(crate) async fn state_get(
        &self,
        instance: &str,
        key: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached("SELECT value FROM state WHERE instance = $1 AND key = $2")
            .await?;
        match client.query_opt(&stmt, &[&instance, &key]).await? {
            Some(row) => Ok(Some(row.try_get(0)?)),
            None => Ok(None),
        }
    }

    pub(crate) async fn state_set(
        &self,
        instance: &str,
        key: &str,
        value: Vec<u8>,
        quota: StateQuota,
    ) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        // Writers of one instance on several nodes take turns, so the quota check and
        // the write see the same usage.
        tx.execute(
            &tx.prepare_cached("SELECT pg_advisory_xact_lock(hashtext($1))")
                .await?,
            &[&instance],
        )
        .await?;
        let usage = usage_of(&tx, instance).await?;
        let old: Option<i64> = tx
            .query_opt(
                &tx.prepare_cached(
                    "SELECT octet_length(key)::bigint + octet_length(value)::bigint FROM state
                     WHERE instance = $1 AND key = $2",
                )
                .await?,
                &[&instance, &key],
            )
            .await?
            .map(|row| row.try_get(0))
            .transpose()?;
        let new_bytes = (key.len() + value.len()) as u64;
        let (keys, bytes) = match old {
            Some(old) => (
                usage.keys,
                usage.bytes.saturating_sub(u64::try_from(old).unwrap_or(0)),
            ),
            None => (usage.keys + 1, usage.bytes),
        };
        let bytes = bytes + new_bytes;
        if keys > quota.max_keys || bytes > quota.max_bytes {
            return Err(StoreError::StateQuota {
                instance: instance.to_owned(),
                keys,
                bytes,
                quota,
            });
        }
        tx.execute(
            &tx.prepare_cached(
                "INSERT INTO state (instance, key, value, updated_at_ms) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (instance, key)
                 DO UPDATE SET value = excluded.value, updated_at_ms = excluded.updated_at_ms",
            )
            .await?,
            &[&instance, &key, &value, &now_ms()],
        )
        .await?;
        tx.commit().await?;
        self.committed();
        Ok(())
    }

    pub(crate) async fn state_usage(&self) -> Result<Vec<(String, StateUsage)>, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached("SELECT instance, keys, bytes FROM state_usage ORDER BY instance")
            .await?;
        client
            .query(&stmt, &[])
            .await?
            .iter()
            .map(|row| {
                Ok((
                    row.try_get::<_, String>(0)?,
                    StateUsage {
                        keys: row.try_get::<_, i64>(1)?.cast_unsigned(),
                        bytes: row.try_get::<_, i64>(2)?.cast_unsigned(),
                    },
                ))
            })
            .collect()
    }

    pub(crate) async fn state_clear(&self, instance: &str) -> Result<usize, StoreError> {
        let removed = self
            .execute("DELETE FROM state WHERE instance = $1", &[&instance])
            .await?;
        Ok(usize::try_from(removed).unwrap_or(usize::MAX))
    }

    pub(crate) async fn state_delete(&self, instance: &str, key: &str) -> Result<(), StoreError> {
        self.execute(
            "DELETE FROM state WHERE instance = $1 AND key = $2",
            &[&instance, &key],
        )
        .await?;
        Ok(())
    }
}

async fn usage_of(client: &impl GenericClient, instance: &str) -> Result<StateUsage, StoreError> {
    let row = client
        .query_opt(
            &client
                .prepare_cached("SELECT keys, bytes FROM state_usage WHERE instance = $1")
                .await?,
            &[&instance],
        )
        .await?;
    match row {
        Some(row) => Ok(StateUsage {
            keys: row.try_get::<_, i64>(0)?.cast_unsigned(),
            bytes: row.try_get::<_, i64>(1)?.cast_unsigned(),
        }),
        None => Ok(StateUsage::default()),
    }
}
