//! TODO(port): dead_letters
#![allow(unused_variables, unused_imports)]

use switchboard_types::*;

use super::Postgres;
use crate::*;

impl Postgres {
    pub(crate) async fn dead_letter(&self, dl: NewDeadLetter) -> Result<i64, StoreError> {
        unimplemented!("postgres: dead_letter")
    }

    pub(crate) async fn dead_letters(
        &self,
        include_replayed: bool,
    ) -> Result<Vec<DeadLetter>, StoreError> {
        unimplemented!("postgres: dead_letters")
    }

    pub(crate) async fn mark_replayed(&self, id: i64) -> Result<(), StoreError> {
        unimplemented!("postgres: mark_replayed")
    }
}

/// Inserts a dead letter inside the caller's transaction, so that it commits (or not)
/// together with the state change it explains. Returns its id.
pub(crate) async fn insert_dead_letter(
    client: &impl deadpool_postgres::GenericClient,
    kind: DeadLetterKind,
    instance: &str,
    message_id: Option<i64>,
    reply_id: Option<i64>,
    error: &str,
    payload: &[u8],
) -> Result<i64, StoreError> {
    unimplemented!("postgres: insert_dead_letter")
}
