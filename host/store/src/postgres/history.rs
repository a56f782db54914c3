//! Conversation history for the agent: user messages and assistant replies, interleaved.

use switchboard_types::{HistoryEntry, Role};

use super::Postgres;
use crate::StoreError;

impl Postgres {
    pub(crate) async fn history(
        &self,
        instance: &str,
        conversation_id: &str,
        before_id: i64,
        limit: usize,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        let client = self.client().await?;
        // Each turn sorts by (anchor, part, id): a message is its own anchor (part 0); a
        // reply is anchored on the message it follows (part 1). Each side is cut to the
        // newest `limit` rows first, walking its conversation index backwards.
        let stmt = client
            .prepare_cached(
                "SELECT is_reply, text, at_ms, sender_name FROM (
                     (SELECT false AS is_reply, m.text, m.received_at_ms AS at_ms,
                             m.sender_name, m.id AS anchor, m.id AS row_id
                      FROM messages m
                      WHERE m.instance = $1 AND m.conversation_id = $2 AND m.id < $3
                        AND m.text IS NOT NULL
                      ORDER BY m.id DESC
                      LIMIT $4)
                     UNION ALL
                     (SELECT * FROM (
                          SELECT true AS is_reply, r.text, r.created_at_ms AS at_ms,
                                 NULL::text AS sender_name,
                                 COALESCE(r.message_id,
                                          (SELECT max(p.id) FROM messages p
                                           WHERE p.instance = r.instance
                                             AND p.conversation_id = r.conversation_id
                                             AND p.received_at_ms <= r.created_at_ms),
                                          0) AS anchor,
                                 r.id AS row_id
                          FROM replies r
                          WHERE r.instance = $1 AND r.conversation_id = $2
                            AND r.status != 'dead'
                            AND (r.message_id IS NULL OR r.message_id < $3)
                          ORDER BY r.id DESC
                      ) replies
                      WHERE anchor < $3
                      LIMIT $4)
                 ) turns
                 ORDER BY anchor DESC, is_reply DESC, row_id DESC
                 LIMIT $4",
            )
            .await?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = client
            .query(&stmt, &[&instance, &conversation_id, &before_id, &limit])
            .await?;
        let mut entries = rows
            .iter()
            .map(|row| {
                let is_reply: bool = row.try_get(0)?;
                Ok(HistoryEntry {
                    role: if is_reply {
                        Role::Assistant
                    } else {
                        Role::User
                    },
                    text: row.try_get(1)?,
                    at_ms: row.try_get(2)?,
                    sender_name: row.try_get(3)?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        entries.reverse();
        Ok(entries)
    }
}
