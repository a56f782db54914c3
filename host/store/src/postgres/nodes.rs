//! The nodes serving a database, and what each runs, so that `switchboard check` can
//! point out a node whose installed components differ from the others'.

use super::Postgres;
use crate::{NodeRecord, StoreError};

impl Postgres {
    pub(crate) async fn announce_node(
        &self,
        node: &str,
        host: &str,
        installed: &str,
    ) -> Result<(), StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "INSERT INTO nodes AS n (node, host, started_at_ms, seen_at_ms, installed)
                 VALUES ($1, $2, $4, $4, $3)
                 ON CONFLICT (node) DO UPDATE
                     SET seen_at_ms = $4, installed = $3, host = $2",
            )
            .await?;
        client
            .execute(
                &stmt,
                &[&node, &host, &installed, &crate::columns::now_ms()],
            )
            .await?;
        Ok(())
    }

    pub(crate) async fn nodes_seen_since(
        &self,
        since_ms: i64,
    ) -> Result<Vec<NodeRecord>, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "SELECT node, host, started_at_ms, seen_at_ms, installed FROM nodes
                 WHERE seen_at_ms >= $1 ORDER BY node",
            )
            .await?;
        client
            .query(&stmt, &[&since_ms])
            .await?
            .iter()
            .map(|row| {
                Ok(NodeRecord {
                    node: row.try_get(0)?,
                    host: row.try_get(1)?,
                    started_at_ms: row.try_get(2)?,
                    seen_at_ms: row.try_get(3)?,
                    installed: row.try_get(4)?,
                })
            })
            .collect()
    }
}
