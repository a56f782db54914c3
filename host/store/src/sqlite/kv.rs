//! Small per-instance key-value state that channels keep between calls.

use rusqlite::{OptionalExtension, params};

use super::Sqlite;
use super::now_ms;
use crate::{StateQuota, StateUsage, StoreError};

impl Sqlite {
    pub(crate) async fn state_get(
        &self,
        instance: &str,
        key: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let instance = instance.to_owned();
        let key = key.to_owned();
        self.read(move |conn| {
            Ok(conn
                .prepare_cached("SELECT value FROM state WHERE instance = ?1 AND key = ?2")?
                .query_row([&instance, &key], |row| row.get(0))
                .optional()?)
        })
        .await
    }

    pub(crate) async fn state_set(
        &self,
        instance: &str,
        key: &str,
        value: Vec<u8>,
        quota: StateQuota,
    ) -> Result<(), StoreError> {
        let instance = instance.to_owned();
        let key = key.to_owned();
        self.write(move |conn| {
            let usage = usage_of(conn, &instance)?;
            let old: Option<i64> = conn
                .prepare_cached(
                    "SELECT length(key) + length(value) FROM state WHERE instance = ?1 AND key = ?2",
                )?
                .query_row([&instance, &key], |row| row.get(0))
                .optional()?;
            let new_bytes = (key.len() + value.len()) as u64;
            let (keys, bytes) = match old {
                Some(old) => (usage.keys, usage.bytes - u64::try_from(old).unwrap_or(0)),
                None => (usage.keys + 1, usage.bytes),
            };
            let bytes = bytes + new_bytes;
            if keys > quota.max_keys || bytes > quota.max_bytes {
                return Err(StoreError::StateQuota {
                    instance: instance.clone(),
                    keys,
                    bytes,
                    quota,
                });
            }
            conn.prepare_cached(
                "INSERT INTO state (instance, key, value, updated_at_ms) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (instance, key)
                 DO UPDATE SET value = excluded.value, updated_at_ms = excluded.updated_at_ms",
            )?
            .execute(params![instance, key, value, now_ms()])?;
            Ok(())
        })
        .await
    }

    pub(crate) async fn state_usage(&self) -> Result<Vec<(String, StateUsage)>, StoreError> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT instance, keys, bytes FROM state_usage ORDER BY instance",
            )?;
            let rows = stmt.query_map([], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    StateUsage {
                        keys: row.get(1)?,
                        bytes: row.get(2)?,
                    },
                ))
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    pub(crate) async fn state_clear(&self, instance: &str) -> Result<usize, StoreError> {
        let instance = instance.to_owned();
        self.write(move |conn| {
            Ok(conn
                .prepare_cached("DELETE FROM state WHERE instance = ?1")?
                .execute([&instance])?)
        })
        .await
    }

    pub(crate) async fn state_delete(&self, instance: &str, key: &str) -> Result<(), StoreError> {
        let instance = instance.to_owned();
        let key = key.to_owned();
        self.write(move |conn| {
            conn.prepare_cached("DELETE FROM state WHERE instance = ?1 AND key = ?2")?
                .execute([&instance, &key])?;
            Ok(())
        })
        .await
    }
}

fn usage_of(conn: &rusqlite::Connection, instance: &str) -> Result<StateUsage, StoreError> {
    Ok(conn
        .prepare_cached("SELECT keys, bytes FROM state_usage WHERE instance = ?1")?
        .query_row([instance], |row| {
            Ok(StateUsage {
                keys: row.get(0)?,
                bytes: row.get(1)?,
            })
        })
        .optional()?
        .unwrap_or_default())
}
