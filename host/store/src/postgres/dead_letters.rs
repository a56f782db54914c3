//! Dead letters: work that failed for good, kept with enough to replay it.

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::Postgres;
use super::rows::{expect_one, parsed};
use crate::columns::now_ms;
use crate::{DeadLetter, DeadLetterKind, NewDeadLetter, StoreError};

impl Postgres {
    pub(crate) async fn dead_letter(&self, dl: NewDeadLetter) -> Result<i64, StoreError> {
        let client = self.client().await?;
        let id = insert_dead_letter(
            &client,
            dl.kind,
            &dl.instance,
            None,
            None,
            &dl.error,
            &dl.payload,
        )
        .await?;
        self.committed();
        Ok(id)
    }

    pub(crate) async fn dead_letters(
        &self,
        include_replayed: bool,
    ) -> Result<Vec<DeadLetter>, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "SELECT id, kind, instance, message_id, reply_id, created_at_ms, error, payload,
                     replayed_at_ms
                 FROM dead_letters
                 WHERE $1 OR replayed_at_ms IS NULL
                 ORDER BY id",
            )
            .await?;
        client
            .query(&stmt, &[&include_replayed])
            .await?
            .iter()
            .map(dead_letter)
            .collect()
    }

    pub(crate) async fn mark_replayed(&self, id: i64) -> Result<(), StoreError> {
        let changed = self
            .execute(
                "UPDATE dead_letters SET replayed_at_ms = $2 WHERE id = $1",
                &[&id, &now_ms()],
            )
            .await?;
        expect_one(changed, "dead_letters", id)
    }
}

/// Inserts a dead letter inside the caller's transaction, so that it commits (or not)
/// together with the state change it explains. Returns its id.
pub(crate) async fn insert_dead_letter(
    client: &impl GenericClient,
    kind: DeadLetterKind,
    instance: &str,
    message_id: Option<i64>,
    reply_id: Option<i64>,
    error: &str,
    payload: &[u8],
) -> Result<i64, StoreError> {
    let stmt = client
        .prepare_cached(
            "INSERT INTO dead_letters (kind, instance, message_id, reply_id, created_at_ms,
                 error, payload)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             RETURNING id",
        )
        .await?;
    let row = client
        .query_one(
            &stmt,
            &[
                &kind.as_str(),
                &instance,
                &message_id,
                &reply_id,
                &now_ms(),
                &error,
                &payload,
            ],
        )
        .await?;
    Ok(row.try_get(0)?)
}

fn dead_letter(row: &Row) -> Result<DeadLetter, StoreError> {
    Ok(DeadLetter {
        id: row.try_get(0)?,
        kind: parsed(row, 1, DeadLetterKind::parse)?,
        instance: row.try_get(2)?,
        message_id: row.try_get(3)?,
        reply_id: row.try_get(4)?,
        created_at_ms: row.try_get(5)?,
        error: row.try_get(6)?,
        payload: row.try_get(7)?,
        replayed_at_ms: row.try_get(8)?,
    })
}
