//! Small per-instance key-value state that channels keep between calls.

use rusqlite::{OptionalExtension, params};

use crate::store::now_ms;
use crate::{Store, StoreError};

impl Store {
    /// The value stored under `key` for `instance`.
    pub async fn state_get(
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

    /// Stores `value` under `key` for `instance`, replacing any earlier value.
    pub async fn state_set(
        &self,
        instance: &str,
        key: &str,
        value: Vec<u8>,
    ) -> Result<(), StoreError> {
        let instance = instance.to_owned();
        let key = key.to_owned();
        self.write(move |conn| {
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

    /// Removes `key` for `instance`; removing a missing key is not an error.
    pub async fn state_delete(&self, instance: &str, key: &str) -> Result<(), StoreError> {
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
