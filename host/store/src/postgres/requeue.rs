//! TODO(port): requeue
#![allow(unused_variables, unused_imports)]

use switchboard_types::*;

use super::Postgres;
use crate::*;

impl Postgres {
    pub(crate) async fn requeue_turn(&self, message_id: i64) -> Result<(), StoreError> {
        unimplemented!("postgres: requeue_turn")
    }

    pub(crate) async fn requeue_hook(&self, message_id: i64) -> Result<(), StoreError> {
        unimplemented!("postgres: requeue_hook")
    }

    pub(crate) async fn requeue_denied_turn(&self, message_id: i64) -> Result<bool, StoreError> {
        unimplemented!("postgres: requeue_denied_turn")
    }
}
