//! Instances that receive by polling or over a session: the cursor, committed with
//! what came with it.

use rusqlite::{OptionalExtension, params};
use switchboard_types::InboundMessage;

use crate::dead_letters::insert_dead_letter;
use crate::messages::persist_one;
use crate::store::now_ms;
use crate::{NewDeadLetter, PersistOutcome, Store, StoreError};

/// What one poll or session frame stored.
#[derive(Debug)]
pub struct ReceivedStored {
    /// One outcome per message, in input order.
    pub outcomes: Vec<PersistOutcome>,
    /// The ids of the dead letters kept for unmapped updates, in input order.
    pub dead_letters: Vec<i64>,
}

impl Store {
    /// The cursor last committed for `instance` (by a poll or a session frame);
    /// `None` before the first one.
    pub async fn receive_cursor(&self, instance: &str) -> Result<Option<String>, StoreError> {
        let instance = instance.to_owned();
        self.read(move |conn| {
            Ok(conn
                .prepare_cached("SELECT cursor FROM receive_cursors WHERE instance = ?1")?
                .query_row([&instance], |row| row.get(0))
                .optional()?)
        })
        .await
    }

    /// Stores what one poll or session frame of `instance` brought, in one transaction: the messages
    /// (deduplicated as [`Store::persist`] does), a dead letter for each update the
    /// channel could not map, and `cursor` unless it is `None`. Either all of it is
    /// durable when this returns, or none of it. `after` sees the message outcomes
    /// right after the commit, as with [`Store::persist_then`].
    pub async fn persist_received(
        &self,
        instance: &str,
        messages: Vec<InboundMessage>,
        unmapped: Vec<NewDeadLetter>,
        cursor: Option<String>,
        after: impl FnOnce(&[PersistOutcome]) + Send + 'static,
    ) -> Result<ReceivedStored, StoreError> {
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
                        "INSERT INTO receive_cursors (instance, cursor, updated_at_ms)
                         VALUES (?1, ?2, ?3)
                         ON CONFLICT (instance) DO UPDATE
                         SET cursor = excluded.cursor, updated_at_ms = excluded.updated_at_ms",
                    )?
                    .execute(params![instance, cursor, now])?;
                }
                Ok(ReceivedStored {
                    outcomes,
                    dead_letters,
                })
            },
            Box::new(move |stored: &ReceivedStored| after(&stored.outcomes)),
        )
        .await
    }
}
