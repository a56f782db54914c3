//! TODO(port): cursors
#![allow(unused_variables, unused_imports)]

use switchboard_types::*;

use super::Postgres;
use crate::*;

impl Postgres {
    pub(crate) async fn receive_cursor(
        &self,
        instance: &str,
    ) -> Result<Option<String>, StoreError> {
        unimplemented!("postgres: receive_cursor")
    }

    pub(crate) async fn persist_received(
        &self,
        instance: &str,
        messages: Vec<InboundMessage>,
        unmapped: Vec<NewDeadLetter>,
        cursor: Option<String>,
        after: impl FnOnce(&[PersistOutcome]) + Send + 'static,
    ) -> Result<ReceivedStored, StoreError> {
        unimplemented!("postgres: persist_received")
    }
}
