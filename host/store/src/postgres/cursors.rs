//! Instances that receive by polling or over a session: the cursor, committed with
//! what came with it.

use switchboard_types::InboundMessage;

use super::Postgres;
use super::dead_letters::insert_dead_letter;
use super::messages::{lock_conversations, persist_one};
use crate::columns::now_ms;
use crate::{NewDeadLetter, PersistOutcome, ReceivedStored, StoreError};

impl Postgres {
    pub(crate) async fn receive_cursor(
        &self,
        instance: &str,
    ) -> Result<Option<String>, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached("SELECT cursor FROM receive_cursors WHERE instance = $1")
            .await?;
        match client.query_opt(&stmt, &[&instance]).await? {
            Some(row) => Ok(Some(row.try_get(0)?)),
            None => Ok(None),
        }
    }

    pub(crate) async fn persist_received(
        &self,
        instance: &str,
        messages: Vec<InboundMessage>,
        unmapped: Vec<NewDeadLetter>,
        cursor: Option<String>,
        after: impl FnOnce(&[PersistOutcome]) + Send + 'static,
    ) -> Result<ReceivedStored, StoreError> {
        // Deliveries commit concurrently (the server groups their flushes). The
        // conversation locks order each conversation's ids by commit; hand-overs of
        // different commits may still cross, which the queue engine's claim re-check
        // (`earlier_*_pending`) puts right.
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        lock_conversations(&tx, instance, &messages).await?;
        let now = now_ms();
        let mut outcomes = Vec::with_capacity(messages.len());
        for message in messages {
            outcomes.push(persist_one(&tx, instance, message, now).await?);
        }
        let mut dead_letters = Vec::with_capacity(unmapped.len());
        for dl in &unmapped {
            dead_letters.push(
                insert_dead_letter(
                    &tx,
                    dl.kind,
                    &dl.instance,
                    None,
                    None,
                    &dl.error,
                    &dl.payload,
                )
                .await?,
            );
        }
        if let Some(cursor) = cursor {
            tx.execute(
                "INSERT INTO receive_cursors (instance, cursor, updated_at_ms)
                 VALUES ($1, $2, $3)
                 ON CONFLICT (instance) DO UPDATE
                 SET cursor = excluded.cursor, updated_at_ms = excluded.updated_at_ms",
                &[&instance, &cursor, &now],
            )
            .await?;
        }
        tx.commit().await?;
        self.committed();
        after(&outcomes);
        Ok(ReceivedStored {
            outcomes,
            dead_letters,
        })
    }
}
