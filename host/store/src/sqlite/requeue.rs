//! Putting failed work back in its queue, for replaying `agent` and `hook` dead
//! letters once the cause is fixed.

use rusqlite::params;

use super::rows::expect_one;
use super::{Sqlite, now_ms};
use crate::error::StoreError;

impl Sqlite {
    pub(crate) async fn requeue_turn(&self, message_id: i64) -> Result<(), StoreError> {
        self.write(move |conn| {
            let changed = conn
                .prepare_cached(
                    "UPDATE messages SET agent_state = 'pending', agent_attempts = 0,
                         agent_next_at_ms = ?2, agent_error = NULL
                     WHERE id = ?1",
                )?
                .execute(params![message_id, now_ms()])?;
            expect_one(changed, "messages", message_id)
        })
        .await
    }

    pub(crate) async fn requeue_hook(&self, message_id: i64) -> Result<(), StoreError> {
        self.write(move |conn| {
            let changed = conn
                .prepare_cached(
                    "UPDATE messages SET hook_state = 'pending', hook_attempts = 0,
                         hook_next_at_ms = ?2, hook_error = NULL
                     WHERE id = ?1",
                )?
                .execute(params![message_id, now_ms()])?;
            expect_one(changed, "messages", message_id)
        })
        .await
    }

    pub(crate) async fn requeue_denied_turn(&self, message_id: i64) -> Result<bool, StoreError> {
        self.write(move |conn| {
            let changed = conn
                .prepare_cached(
                    "UPDATE messages SET agent_state = 'pending', agent_attempts = 0,
                         agent_next_at_ms = ?2, agent_error = NULL, no_turn = NULL
                     WHERE id = ?1 AND no_turn IN ('pairing-pending', 'not-allowed',
                         'no-mention', 'rate-limited', 'daily-cap', 'loop-paused')",
                )?
                .execute(params![message_id, now_ms()])?;
            Ok(changed == 1)
        })
        .await
    }
}
