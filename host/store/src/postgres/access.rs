//! Who may talk to the agent: pairing codes for unknown senders and the senders an
//! operator approved. The policy itself (what to do with whom) lives in the daemon.

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::Postgres;
use crate::columns::now_ms;
use crate::{Pairing, PairingRequest, StoreError};

impl Postgres {
    pub(crate) async fn is_granted(
        &self,
        instance: &str,
        sender_id: &str,
    ) -> Result<bool, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached("SELECT 1 FROM access_grants WHERE instance = $1 AND sender_id = $2")
            .await?;
        Ok(client
            .query_opt(&stmt, &[&instance, &sender_id])
            .await?
            .is_some())
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
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        // Nodes asking for codes of one instance take turns, so "at most max_pending"
        // holds across them.
        tx.execute(
            &tx.prepare_cached("SELECT pg_advisory_xact_lock(hashtext($1))")
                .await?,
            &[&instance],
        )
        .await?;
        let now = now_ms();
        tx.execute(
            &tx.prepare_cached("DELETE FROM pairing WHERE instance = $1 AND expires_at_ms <= $2")
                .await?,
            &[&instance, &now],
        )
        .await?;
        let known = tx
            .query_opt(
                &tx.prepare_cached("SELECT 1 FROM pairing WHERE instance = $1 AND sender_id = $2")
                    .await?,
                &[&instance, &sender_id],
            )
            .await?
            .is_some();
        if known {
            tx.commit().await?;
            self.committed();
            return Ok(PairingRequest::Pending);
        }
        let pending: i64 = tx
            .query_one(
                &tx.prepare_cached(
                    "SELECT count(*) FROM pairing WHERE instance = $1 AND status = 'pending'",
                )
                .await?,
                &[&instance],
            )
            .await?
            .try_get(0)?;
        if pending >= i64::from(max_pending) {
            tx.commit().await?;
            self.committed();
            return Ok(PairingRequest::Full);
        }
        let expires_at_ms = now.saturating_add(ttl_ms);
        tx.execute(
            &tx.prepare_cached(
                "INSERT INTO pairing (instance, sender_id, sender_name, code, created_at_ms,
                     expires_at_ms)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .await?,
            &[
                &instance,
                &sender_id,
                &sender_name,
                &code,
                &now,
                &expires_at_ms,
            ],
        )
        .await?;
        tx.commit().await?;
        self.committed();
        Ok(PairingRequest::Created(Pairing {
            instance: instance.to_owned(),
            sender_id: sender_id.to_owned(),
            sender_name: sender_name.map(str::to_owned),
            code: code.to_owned(),
            expires_at_ms,
        }))
    }

    pub(crate) async fn pairings(
        &self,
        instance: Option<&str>,
    ) -> Result<Vec<Pairing>, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "SELECT instance, sender_id, sender_name, code, expires_at_ms FROM pairing
                 WHERE ($1::text IS NULL OR instance = $1) AND status = 'pending'
                   AND expires_at_ms > $2
                 ORDER BY created_at_ms, instance, sender_id",
            )
            .await?;
        client
            .query(&stmt, &[&instance, &now_ms()])
            .await?
            .iter()
            .map(pairing_row)
            .collect()
    }

    pub(crate) async fn approve_pairing(
        &self,
        instance: &str,
        code: &str,
    ) -> Result<Option<Pairing>, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let Some(pairing) = take_pending(&tx, instance, code).await? else {
            return Ok(None);
        };
        tx.execute(
            &tx.prepare_cached(
                "INSERT INTO access_grants (instance, sender_id, sender_name, granted_at_ms)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (instance, sender_id) DO NOTHING",
            )
            .await?,
            &[
                &pairing.instance,
                &pairing.sender_id,
                &pairing.sender_name,
                &now_ms(),
            ],
        )
        .await?;
        tx.commit().await?;
        self.committed();
        Ok(Some(pairing))
    }

    pub(crate) async fn deny_pairing(
        &self,
        instance: &str,
        code: &str,
    ) -> Result<Option<Pairing>, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let Some(pairing) = take_pending(&tx, instance, code).await? else {
            return Ok(None);
        };
        tx.execute(
            &tx.prepare_cached(
                "INSERT INTO pairing (instance, sender_id, sender_name, code, status,
                     created_at_ms, expires_at_ms)
                 VALUES ($1, $2, $3, $4, 'denied', $5, $6)",
            )
            .await?,
            &[
                &pairing.instance,
                &pairing.sender_id,
                &pairing.sender_name,
                &pairing.code,
                &now_ms(),
                &pairing.expires_at_ms,
            ],
        )
        .await?;
        tx.commit().await?;
        self.committed();
        Ok(Some(pairing))
    }

    pub(crate) async fn revoke_access(
        &self,
        instance: &str,
        sender_id: &str,
    ) -> Result<bool, StoreError> {
        let removed = self
            .execute(
                "DELETE FROM access_grants WHERE instance = $1 AND sender_id = $2",
                &[&instance, &sender_id],
            )
            .await?;
        Ok(removed > 0)
    }

    pub(crate) async fn turns_since(
        &self,
        instance: &str,
        since_ms: i64,
    ) -> Result<u64, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "SELECT count(*) FROM messages
                 WHERE received_at_ms >= $2 AND instance = $1 AND no_turn IS NULL
                   AND agent_attempts > 0",
            )
            .await?;
        let count: i64 = client
            .query_one(&stmt, &[&instance, &since_ms])
            .await?
            .try_get(0)?;
        Ok(u64::try_from(count).unwrap_or(0))
    }
}

/// Decodes `instance, sender_id, sender_name, code, expires_at_ms`.
fn pairing_row(row: &Row) -> Result<Pairing, StoreError> {
    Ok(Pairing {
        instance: row.try_get(0)?,
        sender_id: row.try_get(1)?,
        sender_name: row.try_get(2)?,
        code: row.try_get(3)?,
        expires_at_ms: row.try_get(4)?,
    })
}

/// Removes the pending, unexpired row of `code` and returns it; `DELETE … RETURNING`,
/// so two nodes approving the same code at once take it once.
async fn take_pending(
    client: &impl GenericClient,
    instance: &str,
    code: &str,
) -> Result<Option<Pairing>, StoreError> {
    let row = client
        .query_opt(
            &client
                .prepare_cached(
                    "DELETE FROM pairing
                     WHERE instance = $1 AND code = $2 AND status = 'pending' AND expires_at_ms > $3
                     RETURNING instance, sender_id, sender_name, code, expires_at_ms",
                )
                .await?,
            &[&instance, &code, &now_ms()],
        )
        .await?;
    row.as_ref().map(pairing_row).transpose()
}
