//! Putting failed work back in its queue, for replaying `agent` and `hook` dead
//! letters once the cause is fixed.

use super::Postgres;
use super::rows::expect_one;
use crate::StoreError;
use crate::columns::now_ms;

impl Postgres {
    pub(crate) async fn requeue_turn(&self, message_id: i64) -> Result<(), StoreError> {
        let changed = self
            .write_one(
                "UPDATE messages SET agent_state = 'pending', agent_attempts = 0,
                     agent_next_at_ms = $2, agent_error = NULL
                 WHERE id = $1",
                message_id,
            )
            .await?;
        expect_one(changed, "messages", message_id)
    }

    pub(crate) async fn requeue_hook(&self, message_id: i64) -> Result<(), StoreError> {
        let changed = self
            .write_one(
                "UPDATE messages SET hook_state = 'pending', hook_attempts = 0,
                     hook_next_at_ms = $2, hook_error = NULL
                 WHERE id = $1",
                message_id,
            )
            .await?;
        expect_one(changed, "messages", message_id)
    }

    pub(crate) async fn requeue_denied_turn(&self, message_id: i64) -> Result<bool, StoreError> {
        let changed = self
            .write_one(
                "UPDATE messages SET agent_state = 'pending', agent_attempts = 0,
                     agent_next_at_ms = $2, agent_error = NULL, no_turn = NULL
                 WHERE id = $1 AND no_turn IN ('pairing-pending', 'not-allowed',
                     'no-mention', 'rate-limited', 'daily-cap', 'loop-paused')",
                message_id,
            )
            .await?;
        Ok(changed == 1)
    }

    /// Runs `sql` with the message id as `$1` and now as `$2`; returns the rows changed.
    async fn write_one(&self, sql: &str, message_id: i64) -> Result<u64, StoreError> {
        self.execute(sql, &[&message_id, &now_ms()]).await
    }
}
