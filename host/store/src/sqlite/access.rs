//! Who may talk to the agent: pairing codes for unknown senders and the senders an
//! operator approved. The policy itself (what to do with whom) lives in the daemon.

use rusqlite::{OptionalExtension, params};

use super::Sqlite;
use super::now_ms;
use crate::{Pairing, PairingRequest, StoreError};

impl Sqlite {
    pub(crate) async fn is_granted(
        &self,
        instance: &str,
        sender_id: &str,
    ) -> Result<bool, StoreError> {
        let (instance, sender_id) = (instance.to_owned(), sender_id.to_owned());
        self.read(move |conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT 1 FROM access_grants WHERE instance = ?1 AND sender_id = ?2",
                )?
                .query_row([&instance, &sender_id], |_| Ok(()))
                .optional()?
                .is_some())
        })
        .await
    }

    pub(crate) async fn request_pairing(
        &self,
        instance: &str,
        sender_id: &str,
        sender_name: Option<&str>,
        code: &str,
        ttl_ms: i64,
        max_pending: u32,
    ) -> Result<PairingRequest, StoreError> {
        let (instance, sender_id, code) =
            (instance.to_owned(), sender_id.to_owned(), code.to_owned());
        let sender_name = sender_name.map(str::to_owned);
        self.write(move |conn| {
            let now = now_ms();
            conn.prepare_cached("DELETE FROM pairing WHERE instance = ?1 AND expires_at_ms <= ?2")?
                .execute(params![instance, now])?;
            let known = conn
                .prepare_cached("SELECT 1 FROM pairing WHERE instance = ?1 AND sender_id = ?2")?
                .query_row([&instance, &sender_id], |_| Ok(()))
                .optional()?
                .is_some();
            if known {
                return Ok(PairingRequest::Pending);
            }
            let pending: i64 = conn
                .prepare_cached(
                    "SELECT count(*) FROM pairing WHERE instance = ?1 AND status = 'pending'",
                )?
                .query_row([&instance], |row| row.get(0))?;
            if pending >= i64::from(max_pending) {
                return Ok(PairingRequest::Full);
            }
            let expires_at_ms = now.saturating_add(ttl_ms);
            conn.prepare_cached(
                "INSERT INTO pairing (instance, sender_id, sender_name, code, created_at_ms,
                     expires_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                instance,
                sender_id,
                sender_name,
                code,
                now,
                expires_at_ms
            ])?;
            Ok(PairingRequest::Created(Pairing {
                instance,
                sender_id,
                sender_name,
                code,
                expires_at_ms,
            }))
        })
        .await
    }

    pub(crate) async fn pairings(
        &self,
        instance: Option<&str>,
    ) -> Result<Vec<Pairing>, StoreError> {
        let instance = instance.map(str::to_owned);
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT instance, sender_id, sender_name, code, expires_at_ms FROM pairing
                 WHERE (?1 IS NULL OR instance = ?1) AND status = 'pending'
                   AND expires_at_ms > ?2
                 ORDER BY created_at_ms, instance, sender_id",
            )?;
            let rows = stmt.query_map(params![instance, now_ms()], pairing_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    pub(crate) async fn approve_pairing(
        &self,
        instance: &str,
        code: &str,
    ) -> Result<Option<Pairing>, StoreError> {
        let (instance, code) = (instance.to_owned(), code.to_owned());
        self.write(move |conn| {
            let Some(pairing) = take_pending(conn, &instance, &code)? else {
                return Ok(None);
            };
            conn.prepare_cached(
                "INSERT INTO access_grants (instance, sender_id, sender_name, granted_at_ms)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (instance, sender_id) DO NOTHING",
            )?
            .execute(params![
                pairing.instance,
                pairing.sender_id,
                pairing.sender_name,
                now_ms()
            ])?;
            Ok(Some(pairing))
        })
        .await
    }

    pub(crate) async fn deny_pairing(
        &self,
        instance: &str,
        code: &str,
    ) -> Result<Option<Pairing>, StoreError> {
        let (instance, code) = (instance.to_owned(), code.to_owned());
        self.write(move |conn| {
            let Some(pairing) = take_pending(conn, &instance, &code)? else {
                return Ok(None);
            };
            conn.prepare_cached(
                "INSERT INTO pairing (instance, sender_id, sender_name, code, status,
                     created_at_ms, expires_at_ms)
                 VALUES (?1, ?2, ?3, ?4, 'denied', ?5, ?6)",
            )?
            .execute(params![
                pairing.instance,
                pairing.sender_id,
                pairing.sender_name,
                pairing.code,
                now_ms(),
                pairing.expires_at_ms
            ])?;
            Ok(Some(pairing))
        })
        .await
    }

    pub(crate) async fn revoke_access(
        &self,
        instance: &str,
        sender_id: &str,
    ) -> Result<bool, StoreError> {
        let (instance, sender_id) = (instance.to_owned(), sender_id.to_owned());
        self.write(move |conn| {
            Ok(conn
                .prepare_cached("DELETE FROM access_grants WHERE instance = ?1 AND sender_id = ?2")?
                .execute([&instance, &sender_id])?
                > 0)
        })
        .await
    }

    pub(crate) async fn turns_since(
        &self,
        instance: &str,
        since_ms: i64,
    ) -> Result<u64, StoreError> {
        let instance = instance.to_owned();
        self.read(move |conn| {
            let count: i64 = conn
                .prepare_cached(
                    "SELECT count(*) FROM messages INDEXED BY messages_received
                     WHERE received_at_ms >= ?2 AND instance = ?1 AND no_turn IS NULL
                       AND agent_attempts > 0",
                )?
                .query_row(params![instance, since_ms], |row| row.get(0))?;
            Ok(u64::try_from(count).unwrap_or(0))
        })
        .await
    }
}

/// Decodes `instance, sender_id, sender_name, code, expires_at_ms`.
fn pairing_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Pairing> {
    Ok(Pairing {
        instance: row.get(0)?,
        sender_id: row.get(1)?,
        sender_name: row.get(2)?,
        code: row.get(3)?,
        expires_at_ms: row.get(4)?,
    })
}

/// Removes the pending, unexpired row of `code` and returns it.
fn take_pending(
    conn: &rusqlite::Connection,
    instance: &str,
    code: &str,
) -> Result<Option<Pairing>, StoreError> {
    let pairing = conn
        .prepare_cached(
            "SELECT instance, sender_id, sender_name, code, expires_at_ms FROM pairing
             WHERE instance = ?1 AND code = ?2 AND status = 'pending' AND expires_at_ms > ?3",
        )?
        .query_row(params![instance, code, now_ms()], pairing_row)
        .optional()?;
    if let Some(pairing) = &pairing {
        conn.prepare_cached("DELETE FROM pairing WHERE instance = ?1 AND sender_id = ?2")?
            .execute([&pairing.instance, &pairing.sender_id])?;
    }
    Ok(pairing)
}
