//! TODO(port): sends
#![allow(unused_variables, unused_imports)]

use switchboard_types::*;

use super::Postgres;
use crate::*;

impl Postgres {
    pub(crate) async fn queue_send(&self, send: NewSend) -> Result<SendQueued, StoreError> {
        unimplemented!("postgres: queue_send")
    }

    pub(crate) async fn send_status(&self, id: i64) -> Result<Option<OutboxItem>, StoreError> {
        unimplemented!("postgres: send_status")
    }
}

/// Inserts the attachments of reply `reply_id` inside the caller's transaction.
pub(crate) async fn insert_attachments(
    client: &impl deadpool_postgres::GenericClient,
    reply_id: i64,
    attachments: &[OutboundAttachment],
) -> Result<(), StoreError> {
    unimplemented!("postgres: insert_attachments")
}
