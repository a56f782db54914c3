//! Polling instances: the cursor, committed with what each poll brought.

use rusqlite::{OptionalExtension, params};
use switchboard_types::InboundMessage;

use crate::dead_letters::insert_dead_letter;
use crate::messages::persist_one;
use crate::store::now_ms;
use crate::{NewDeadLetter, PersistOutcome, Store, StoreError};

/// What one poll stored.
#[derive(Debug)]
pub struct PolledStored {
    /// One outcome per message, in input order.
    pub outcomes: Vec<PersistOutcome>,
    /// The ids of the dead letters kept for unmapped updates, in input order.
    pub dead_letters: Vec<i64>,
}

impl Store {
    /// The cursor the last committed poll of `instance` returned; `None` before the
    /// first one.
    pub async fn poll_cursor(&self, instance: &str) -> Result<Option<String>, StoreError> {
        let instance = instance.to_owned();
        self.read(move |conn| {
            Ok(conn
                .prepare_cached("SELECT cursor FROM poll_cursors WHERE instance = ?1")?
                .query_row([&instance], |row| row.get(0))
                .optional()?)
        })
        .await
    }

    /// Stores what one poll of `instance` brought, in one transaction: the messages
    /// (deduplicated as [`Store::persist`] does), a dead letter for each update the
    /// channel could not map, and `cursor` unless it is `None`. Either all of it is
    /// durable when this returns, or none of it. `after` sees the message outcomes
    /// right after the commit, as with [`Store::persist_then`].
    pub async fn persist_polled(
        &self,
        instance: &str,
        messages: Vec<InboundMessage>,
        unmapped: Vec<NewDeadLetter>,
        cursor: Option<String>,
        after: impl FnOnce(&[PersistOutcome]) + Send + 'static,
    ) -> Result<PolledStored, StoreError> {
        let instance = instance.to_owned();
        self.write_then(
            move |conn| {
                let now = now_ms();
                let outcomes = messages
                    .into_iter()
                    .map(|message| persist_one(conn, &instance, message, now))
                    .collect::<Result<Vec<_>, _>>()?;
                let dead_letters = unmapped
                    .iter()
                    .map(|dl| {
                        insert_dead_letter(
                            conn,
                            dl.kind,
                            &dl.instance,
                            None,
                            None,
                            &dl.error,
                            &dl.payload,
                        )
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                if let Some(cursor) = cursor {
                    conn.prepare_cached(
                        "INSERT INTO poll_cursors (instance, cursor, updated_at_ms)
                         VALUES (?1, ?2, ?3)
                         ON CONFLICT (instance) DO UPDATE
                         SET cursor = excluded.cursor, updated_at_ms = excluded.updated_at_ms",
                    )?
                    .execute(params![instance, cursor, now])?;
                }
                Ok(PolledStored {
                    outcomes,
                    dead_letters,
                })
            },
            Box::new(move |stored: &PolledStored| after(&stored.outcomes)),
        )
        .await
    }
}
