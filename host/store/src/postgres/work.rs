//! TODO(port): work
#![allow(unused_variables, unused_imports)]

use switchboard_types::*;

use super::Postgres;
use crate::*;

impl Postgres {
    pub(crate) async fn due_hooks(
        &self,
        now_ms: i64,
        limit: usize,
    ) -> Result<Vec<DueMessage>, StoreError> {
        unimplemented!("postgres: due_hooks")
    }

    pub(crate) async fn finish_hook(
        &self,
        message_id: i64,
        outcome: HookOutcome,
    ) -> Result<(), StoreError> {
        unimplemented!("postgres: finish_hook")
    }

    pub(crate) async fn pending_turns(
        &self,
        now_ms: i64,
        limit: usize,
    ) -> Result<Vec<DueMessage>, StoreError> {
        unimplemented!("postgres: pending_turns")
    }

    pub(crate) async fn complete_turn(
        &self,
        message_id: i64,
        replies: Vec<NewReply>,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        unimplemented!("postgres: complete_turn")
    }

    pub(crate) async fn skip_turn(
        &self,
        message_id: i64,
        reason: NoTurn,
        notice: Option<String>,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        unimplemented!("postgres: skip_turn")
    }

    pub(crate) async fn retry_turn(
        &self,
        message_id: i64,
        at_ms: i64,
        error: String,
    ) -> Result<(), StoreError> {
        unimplemented!("postgres: retry_turn")
    }

    pub(crate) async fn fail_turn(&self, message_id: i64, error: String) -> Result<(), StoreError> {
        unimplemented!("postgres: fail_turn")
    }
}
