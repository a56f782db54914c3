//! The download queue of inbound attachments, and the blobs they are stored in.
//!
//! A message's attachments are written with it, in its transaction (see `messages.rs`).
//! A download is *held* (due at `HELD`) until the message's agent turn starts and the
//! access policy has admitted it; `release_downloads` makes them due.

use deadpool_postgres::GenericClient;
use switchboard_types::{
    Attachment, AttachmentKind, AttachmentState, InboundMessage, NoTurn, StoredAttachment,
};
use tokio_postgres::Row;

use super::Postgres;
use super::dead_letters::insert_dead_letter;
use super::rows::{count, expect_one, parsed};
use crate::columns::{HELD, now_ms};
use crate::{DeadLetterKind, DownloadOutcome, DueDownload, StoreError};

/// The columns [`stored_attachment`] decodes, from an `attachments` table aliased `a`.
macro_rules! attachment_columns {
    () => {
        "a.message_id, a.position, a.kind, a.mime_type, a.size, a.file_name, a.caption, \
         a.reference, a.state, a.sha256, a.stored_size, a.error"
    };
}

impl Postgres {
    pub(crate) async fn release_downloads(
        &self,
        message_id: i64,
    ) -> Result<Vec<DueDownload>, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "UPDATE attachments a SET next_at_ms = $2
                 FROM messages m
                 WHERE m.id = a.message_id AND a.message_id = $1 AND a.state = 'pending'
                   AND a.next_at_ms = $3
                 RETURNING m.instance, a.message_id, a.position, a.kind, a.mime_type, a.size,
                     a.file_name, a.caption, a.reference, a.attempts",
            )
            .await?;
        let mut released = client
            .query(&stmt, &[&message_id, &now_ms(), &HELD])
            .await?
            .iter()
            .map(due_download)
            .collect::<Result<Vec<_>, _>>()?;
        self.committed();
        released.sort_by_key(|d| d.position);
        Ok(released)
    }

    pub(crate) async fn pending_downloads(&self, message_id: i64) -> Result<usize, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "SELECT count(*) FROM attachments WHERE message_id = $1 AND state = 'pending'",
            )
            .await?;
        let n: i64 = client.query_one(&stmt, &[&message_id]).await?.try_get(0)?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    pub(crate) async fn due_downloads(
        &self,
        now_ms: i64,
        limit: usize,
    ) -> Result<Vec<DueDownload>, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "SELECT m.instance, a.message_id, a.position, a.kind, a.mime_type, a.size,
                        a.file_name, a.caption, a.reference, a.attempts
                 FROM attachments a JOIN messages m ON m.id = a.message_id
                 WHERE a.state = 'pending' AND a.next_at_ms <= $1
                 ORDER BY a.next_at_ms, a.message_id, a.position
                 LIMIT $2",
            )
            .await?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        client
            .query(&stmt, &[&now_ms, &limit])
            .await?
            .iter()
            .map(due_download)
            .collect()
    }

    pub(crate) async fn finish_download(
        &self,
        message_id: i64,
        position: u32,
        outcome: DownloadOutcome,
    ) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let position_ = i64::from(position);
        let changed = match &outcome {
            DownloadOutcome::Stored { sha256, size } => {
                let blob = tx
                    .prepare_cached(
                        "INSERT INTO blobs (sha256, size, created_at_ms) VALUES ($1, $2, $3)
                         ON CONFLICT (sha256) DO NOTHING",
                    )
                    .await?;
                tx.execute(&blob, &[sha256, &size.cast_signed(), &now_ms()])
                    .await?;
                let stmt = tx
                    .prepare_cached(
                        "UPDATE attachments SET state = 'stored', sha256 = $3, stored_size = $4,
                             attempts = attempts + 1, error = NULL
                         WHERE message_id = $1 AND position = $2",
                    )
                    .await?;
                tx.execute(
                    &stmt,
                    &[&message_id, &position_, sha256, &size.cast_signed()],
                )
                .await?
            }
            DownloadOutcome::TooLarge { seen, error } => {
                let stmt = tx
                    .prepare_cached(
                        "UPDATE attachments SET state = 'too_large', stored_size = $3,
                             attempts = attempts + 1, error = $4
                         WHERE message_id = $1 AND position = $2",
                    )
                    .await?;
                tx.execute(
                    &stmt,
                    &[&message_id, &position_, &seen.cast_signed(), error],
                )
                .await?
            }
            DownloadOutcome::Retry { at_ms, error } => {
                let stmt = tx
                    .prepare_cached(
                        "UPDATE attachments SET attempts = attempts + 1, next_at_ms = $3,
                             error = $4
                         WHERE message_id = $1 AND position = $2",
                    )
                    .await?;
                tx.execute(&stmt, &[&message_id, &position_, at_ms, error])
                    .await?
            }
            DownloadOutcome::Failed { error, .. } => {
                let stmt = tx
                    .prepare_cached(
                        "UPDATE attachments SET state = 'failed', attempts = attempts + 1,
                             error = $3
                         WHERE message_id = $1 AND position = $2",
                    )
                    .await?;
                tx.execute(&stmt, &[&message_id, &position_, error]).await?
            }
        };
        expect_one(changed, "attachments", message_id)?;
        if let DownloadOutcome::Failed {
            error,
            dead_letter: true,
        } = &outcome
        {
            let attachment = load(&tx, message_id, position).await?;
            let instance: String = tx
                .query_one(
                    &tx.prepare_cached("SELECT instance FROM messages WHERE id = $1")
                        .await?,
                    &[&message_id],
                )
                .await?
                .try_get(0)?;
            insert_dead_letter(
                &tx,
                DeadLetterKind::Attachment,
                &instance,
                Some(message_id),
                None,
                error,
                &serde_json::to_vec(&attachment)?,
            )
            .await?;
        }
        tx.commit().await?;
        self.committed();
        Ok(())
    }

    pub(crate) async fn requeue_download(
        &self,
        message_id: i64,
        position: u32,
    ) -> Result<(), StoreError> {
        let changed = self
            .execute(
                "UPDATE attachments SET state = 'pending', attempts = 0, next_at_ms = $3,
                             error = NULL
                         WHERE message_id = $1 AND position = $2",
                &[&message_id, &i64::from(position), &now_ms()],
            )
            .await?;
        expect_one(changed, "attachments", message_id)
    }

    pub(crate) async fn attachments(
        &self,
        message_id: i64,
    ) -> Result<Vec<StoredAttachment>, StoreError> {
        let client = self.client().await?;
        attachments_of(&client, message_id).await
    }

    pub(crate) async fn blob_recorded(&self, sha256: String) -> Result<Option<u64>, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached("SELECT size FROM blobs WHERE sha256 = $1")
            .await?;
        match client.query_opt(&stmt, &[&sha256]).await? {
            Some(row) => Ok(Some(row.try_get::<_, i64>(0)?.cast_unsigned())),
            None => Ok(None),
        }
    }

    pub(crate) async fn record_blob(&self, sha256: String, size: u64) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO blobs (sha256, size, created_at_ms) VALUES ($1, $2, $3)
                         ON CONFLICT (sha256) DO UPDATE SET created_at_ms = excluded.created_at_ms",
            &[&sha256, &size.cast_signed(), &now_ms()],
        )
        .await?;
        Ok(())
    }

    pub(crate) async fn blob_bytes(&self) -> Result<u64, StoreError> {
        let client = self.client().await?;
        let total: i64 = client
            .query_one(
                &client
                    .prepare_cached("SELECT coalesce(sum(size), 0)::bigint FROM blobs")
                    .await?,
                &[],
            )
            .await?
            .try_get(0)?;
        Ok(total.cast_unsigned())
    }

    pub(crate) async fn prune_blobs(&self, older_than_ms: i64) -> Result<Vec<String>, StoreError> {
        let client = self.client().await?;
        let rows = client
            .query(
                &client
                    .prepare_cached(
                        "DELETE FROM blobs
                         WHERE created_at_ms < $1
                           AND NOT EXISTS (SELECT 1 FROM attachments a
                                           WHERE a.sha256 = blobs.sha256)
                           AND NOT EXISTS (SELECT 1 FROM reply_attachments r
                                           WHERE r.sha256 = blobs.sha256)
                         RETURNING sha256",
                    )
                    .await?,
                &[&older_than_ms],
            )
            .await?;
        self.committed();
        rows.iter().map(|row| Ok(row.try_get(0)?)).collect()
    }
}

/// Inserts the attachments of a new message inside the caller's transaction: held
/// until its turn starts, or failed at once with `no_turn` when it will get none.
pub(crate) async fn insert_for(
    client: &impl GenericClient,
    message_id: i64,
    message: &InboundMessage,
    no_turn: Option<NoTurn>,
) -> Result<(), StoreError> {
    if message.attachments.is_empty() {
        return Ok(());
    }
    let stmt = client
        .prepare_cached(
            "INSERT INTO attachments (message_id, position, kind, mime_type, size, file_name,
                 caption, reference, state, next_at_ms, error)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .await?;
    let (state, error) = match no_turn {
        None => (AttachmentState::Pending, None),
        Some(reason) => (
            AttachmentState::Failed,
            Some(format!(
                "not fetched: the message gets no turn ({reason})",
                reason = reason.as_str()
            )),
        ),
    };
    // The download queue tells positions apart within 1,024 per message.
    for (position, a) in message.attachments.iter().enumerate().take(1024) {
        let position = i64::try_from(position).unwrap_or(i64::MAX);
        client
            .execute(
                &stmt,
                &[
                    &message_id,
                    &position,
                    &a.kind.as_str(),
                    &a.mime_type,
                    &a.size.map(u64::cast_signed),
                    &a.file_name,
                    &a.caption,
                    &a.reference,
                    &state.as_str(),
                    &HELD,
                    &error,
                ],
            )
            .await?;
    }
    Ok(())
}

/// Fails the held downloads of a message whose turn will not run, with `reason`.
pub(crate) async fn drop_held(
    client: &impl GenericClient,
    message_id: i64,
    reason: NoTurn,
) -> Result<(), StoreError> {
    let stmt = client
        .prepare_cached(
            "UPDATE attachments SET state = 'failed', error = $3
             WHERE message_id = $1 AND state = 'pending' AND next_at_ms = $2",
        )
        .await?;
    let error = format!(
        "not fetched: the message gets no turn ({})",
        reason.as_str()
    );
    client.execute(&stmt, &[&message_id, &HELD, &error]).await?;
    Ok(())
}

/// The attachments of one message, in position order.
pub(crate) async fn attachments_of(
    client: &impl GenericClient,
    message_id: i64,
) -> Result<Vec<StoredAttachment>, StoreError> {
    let stmt = client
        .prepare_cached(concat!(
            "SELECT ",
            attachment_columns!(),
            " FROM attachments a WHERE a.message_id = $1 ORDER BY a.position"
        ))
        .await?;
    client
        .query(&stmt, &[&message_id])
        .await?
        .iter()
        .map(stored_attachment)
        .collect()
}

async fn load(
    client: &impl GenericClient,
    message_id: i64,
    position: u32,
) -> Result<StoredAttachment, StoreError> {
    let stmt = client
        .prepare_cached(concat!(
            "SELECT ",
            attachment_columns!(),
            " FROM attachments a WHERE a.message_id = $1 AND a.position = $2"
        ))
        .await?;
    let row = client
        .query_one(&stmt, &[&message_id, &i64::from(position)])
        .await?;
    stored_attachment(&row)
}

fn due_download(row: &Row) -> Result<DueDownload, StoreError> {
    Ok(DueDownload {
        instance: row.try_get(0)?,
        message_id: row.try_get(1)?,
        position: count(row, 2)?,
        attachment: Attachment {
            kind: parsed(row, 3, AttachmentKind::parse)?,
            mime_type: row.try_get(4)?,
            size: row.try_get::<_, Option<i64>>(5)?.map(i64::cast_unsigned),
            file_name: row.try_get(6)?,
            caption: row.try_get(7)?,
            reference: row.try_get(8)?,
        },
        attempts: count(row, 9)?,
    })
}

fn stored_attachment(row: &Row) -> Result<StoredAttachment, StoreError> {
    Ok(StoredAttachment {
        message_id: row.try_get(0)?,
        position: count(row, 1)?,
        attachment: Attachment {
            kind: parsed(row, 2, AttachmentKind::parse)?,
            mime_type: row.try_get(3)?,
            size: row.try_get::<_, Option<i64>>(4)?.map(i64::cast_unsigned),
            file_name: row.try_get(5)?,
            caption: row.try_get(6)?,
            reference: row.try_get(7)?,
        },
        state: parsed(row, 8, AttachmentState::parse)?,
        sha256: row.try_get(9)?,
        stored_size: row.try_get::<_, Option<i64>>(10)?.map(i64::cast_unsigned),
        error: row.try_get(11)?,
    })
}
