//! TODO(port): messages
#![allow(unused_variables, unused_imports)]

use switchboard_types::*;

use super::Postgres;
use crate::*;

impl Postgres {
    pub(crate) async fn persist(
        &self,
        instance: &str,
        messages: Vec<InboundMessage>,
    ) -> Result<Vec<PersistOutcome>, StoreError> {
        unimplemented!("postgres: persist")
    }

    pub(crate) async fn persist_then(
        &self,
        instance: &str,
        messages: Vec<InboundMessage>,
        after: impl FnOnce(&[PersistOutcome]) + Send + 'static,
    ) -> Result<Vec<PersistOutcome>, StoreError> {
        unimplemented!("postgres: persist_then")
    }

    pub(crate) async fn messages(
        &self,
        instance: Option<&str>,
        limit: usize,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        unimplemented!("postgres: messages")
    }

    pub(crate) async fn message_status(
        &self,
        message_id: i64,
    ) -> Result<MessageStatus, StoreError> {
        unimplemented!("postgres: message_status")
    }

    pub(crate) async fn prune(&self, older_than_ms: i64) -> Result<usize, StoreError> {
        unimplemented!("postgres: prune")
    }
}
