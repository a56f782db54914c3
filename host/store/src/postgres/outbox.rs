//! TODO(port): outbox
#![allow(unused_variables, unused_imports)]

use switchboard_types::*;

use super::Postgres;
use crate::*;

impl Postgres {
    pub(crate) async fn due_replies(
        &self,
        now_ms: i64,
        limit: usize,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        unimplemented!("postgres: due_replies")
    }

    pub(crate) async fn reply_sent(
        &self,
        id: i64,
        receipt_external_id: Option<String>,
    ) -> Result<(), StoreError> {
        unimplemented!("postgres: reply_sent")
    }

    pub(crate) async fn reply_retry(
        &self,
        id: i64,
        at_ms: i64,
        error: String,
    ) -> Result<(), StoreError> {
        unimplemented!("postgres: reply_retry")
    }

    pub(crate) async fn reply_dead(&self, id: i64, error: String) -> Result<(), StoreError> {
        unimplemented!("postgres: reply_dead")
    }

    pub(crate) async fn requeue_reply(&self, id: i64) -> Result<(), StoreError> {
        unimplemented!("postgres: requeue_reply")
    }

    pub(crate) async fn insert_reply(
        &self,
        instance: &str,
        conversation_id: &str,
        message_id: Option<i64>,
        text: String,
    ) -> Result<i64, StoreError> {
        unimplemented!("postgres: insert_reply")
    }

    pub(crate) async fn replies(
        &self,
        instance: Option<&str>,
        limit: usize,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        unimplemented!("postgres: replies")
    }
}
