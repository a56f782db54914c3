//! Instances that receive by polling or over a session: the cursor, committed with
//! what came with it.

use rusqlite::{OptionalExtension, params};
use switchboard_types::InboundMessage;

use super::Sqlite;
use super::dead_letters::insert_dead_letter;
use super::messages::persist_one;
use super::now_ms;
use crate::{NewDeadLetter, PersistOutcome, ReceivedStored, StoreError};

impl Sqlite {
    pub(crate) async fn receive_cursor(
        &self,
        instance: &str,
    ) -> Result<Option<String>, StoreError> {
        let instance = instance.to_owned();
        self.read(move |conn| {
            Ok(conn
                .prepare_cached("SELECT cursor FROM receive_cursors WHERE instance = ?1")?
                .query_row([&instance], |row| row.get(0))
                .optional()?)
        })
        .await
    }

    pub(crate) async fn persist_received(
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
