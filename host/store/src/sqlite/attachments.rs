//! The download queue of inbound attachments, and the blobs they are stored in.
//!
//! A message's attachments are written with it, in its commit (see `messages.rs`).
//! A download is *held* (due at `HELD`) until the message's agent turn starts and
//! the access policy has admitted it, so nobody the operator has not let in can make
//! the host fetch files. [`Store::release_downloads`] makes them due.

use rusqlite::{Connection, OptionalExtension, Row, params};
use switchboard_types::{
    Attachment, AttachmentKind, AttachmentState, InboundMessage, NoTurn, StoredAttachment,
};

use super::Sqlite;
use super::dead_letters::insert_dead_letter;
use super::rows::{expect_one, parsed};
use super::{now_ms, sql_limit};
use crate::columns::HELD;
use crate::{DeadLetterKind, DownloadOutcome, DueDownload, StoreError};

const ATTACHMENT_COLUMNS: &str = "a.message_id, a.position, a.kind, a.mime_type, a.size, \
     a.file_name, a.caption, a.reference, a.state, a.sha256, a.stored_size, a.error";

impl Sqlite {
    pub(crate) async fn release_downloads(
        &self,
        message_id: i64,
    ) -> Result<Vec<DueDownload>, StoreError> {
        self.write_background(move |conn| {
            let mut stmt = conn.prepare_cached(
                "UPDATE attachments SET next_at_ms = ?2
                 WHERE message_id = ?1 AND state = 'pending' AND next_at_ms = ?3
                 RETURNING (SELECT instance FROM messages WHERE id = message_id), message_id,
                     position, kind, mime_type, size, file_name, caption, reference, attempts",
            )?;
            let rows = stmt.query_map(params![message_id, now_ms(), HELD], due_download)?;
            let mut released: Vec<DueDownload> = rows.collect::<Result<_, _>>()?;
            released.sort_by_key(|d| d.position);
            Ok(released)
        })
        .await
    }

    pub(crate) async fn pending_downloads(&self, message_id: i64) -> Result<usize, StoreError> {
        self.read(move |conn| pending_of(conn, message_id)).await
    }

    pub(crate) async fn due_downloads(
        &self,
        now_ms: i64,
        limit: usize,
    ) -> Result<Vec<DueDownload>, StoreError> {
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT m.instance, a.message_id, a.position, a.kind, a.mime_type, a.size,
                        a.file_name, a.caption, a.reference, a.attempts
                 FROM attachments a JOIN messages m ON m.id = a.message_id
                 WHERE a.state = 'pending' AND a.next_at_ms <= ?1
                 ORDER BY a.next_at_ms, a.message_id, a.position
                 LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![now_ms, sql_limit(limit)], due_download)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    pub(crate) async fn finish_download(
        &self,
        message_id: i64,
        position: u32,
        outcome: DownloadOutcome,
    ) -> Result<(), StoreError> {
        self.write_background(move |conn| {
            let changed =
                match &outcome {
                    DownloadOutcome::Stored { sha256, size } => {
                        record_blob(conn, sha256, *size)?;
                        conn.prepare_cached(
                        "UPDATE attachments SET state = 'stored', sha256 = ?3, stored_size = ?4,
                             attempts = attempts + 1, error = NULL
                         WHERE message_id = ?1 AND position = ?2",
                    )?
                    .execute(params![message_id, position, sha256, size.cast_signed()])?
                    }
                    DownloadOutcome::TooLarge { seen, error } => conn
                        .prepare_cached(
                            "UPDATE attachments SET state = 'too_large', stored_size = ?3,
                             attempts = attempts + 1, error = ?4
                         WHERE message_id = ?1 AND position = ?2",
                        )?
                        .execute(params![message_id, position, seen.cast_signed(), error])?,
                    DownloadOutcome::Retry { at_ms, error } => conn
                        .prepare_cached(
                            "UPDATE attachments SET attempts = attempts + 1, next_at_ms = ?3,
                             error = ?4
                         WHERE message_id = ?1 AND position = ?2",
                        )?
                        .execute(params![message_id, position, at_ms, error])?,
                    DownloadOutcome::Failed { error, .. } => conn
                        .prepare_cached(
                            "UPDATE attachments SET state = 'failed', attempts = attempts + 1,
                             error = ?3
                         WHERE message_id = ?1 AND position = ?2",
                        )?
                        .execute(params![message_id, position, error])?,
                };
            expect_one(changed, "attachments", message_id)?;
            if let DownloadOutcome::Failed {
                error,
                dead_letter: true,
            } = &outcome
            {
                let attachment = load(conn, message_id, position)?;
                let instance: String = conn
                    .prepare_cached("SELECT instance FROM messages WHERE id = ?1")?
                    .query_row([message_id], |row| row.get(0))?;
                insert_dead_letter(
                    conn,
                    DeadLetterKind::Attachment,
                    &instance,
                    Some(message_id),
                    None,
                    error,
                    &serde_json::to_vec(&attachment)?,
                )?;
            }
            Ok(())
        })
        .await
    }

    pub(crate) async fn requeue_download(
        &self,
        message_id: i64,
        position: u32,
    ) -> Result<(), StoreError> {
        self.write(move |conn| {
            let changed = conn
                .prepare_cached(
                    "UPDATE attachments SET state = 'pending', attempts = 0, next_at_ms = ?3,
                         error = NULL
                     WHERE message_id = ?1 AND position = ?2",
                )?
                .execute(params![message_id, position, now_ms()])?;
            expect_one(changed, "attachments", message_id)
        })
        .await
    }

    pub(crate) async fn attachments(
        &self,
        message_id: i64,
    ) -> Result<Vec<StoredAttachment>, StoreError> {
        self.read(move |conn| attachments_of(conn, message_id))
            .await
    }

    pub(crate) async fn blob_recorded(&self, sha256: String) -> Result<Option<u64>, StoreError> {
        self.read(move |conn| {
            let size: Option<i64> = conn
                .prepare_cached("SELECT size FROM blobs WHERE sha256 = ?1")?
                .query_row([sha256], |row| row.get(0))
                .optional()?;
            Ok(size.map(i64::cast_unsigned))
        })
        .await
    }

    pub(crate) async fn record_blob(&self, sha256: String, size: u64) -> Result<(), StoreError> {
        self.write(move |conn| {
            conn.prepare_cached(
                "INSERT INTO blobs (sha256, size, created_at_ms) VALUES (?1, ?2, ?3)
                 ON CONFLICT (sha256) DO UPDATE SET created_at_ms = excluded.created_at_ms",
            )?
            .execute(params![sha256, size.cast_signed(), now_ms()])?;
            Ok(())
        })
        .await
    }

    pub(crate) async fn blob_bytes(&self) -> Result<u64, StoreError> {
        self.read(|conn| {
            let total: i64 = conn
                .prepare_cached("SELECT coalesce(sum(size), 0) FROM blobs")?
                .query_row([], |row| row.get(0))?;
            Ok(total.cast_unsigned())
        })
        .await
    }

    pub(crate) async fn prune_blobs(&self, older_than_ms: i64) -> Result<Vec<String>, StoreError> {
        self.write_background(move |conn| {
            let mut stmt = conn.prepare_cached(
                "DELETE FROM blobs
                 WHERE created_at_ms < ?1
                   AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.sha256 = blobs.sha256)
                   AND NOT EXISTS (SELECT 1 FROM reply_attachments r
                                   WHERE r.sha256 = blobs.sha256)
                 RETURNING sha256",
            )?;
            let rows = stmt.query_map([older_than_ms], |row| row.get(0))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }
}

/// Writes the attachment rows of a newly stored message. Only a message that may get
/// a turn has its downloads held for it; the others' attachments are recorded as not
/// fetched, with the reason.
pub(crate) fn insert_for(
    conn: &Connection,
    message_id: i64,
    message: &InboundMessage,
    no_turn: Option<NoTurn>,
) -> Result<(), StoreError> {
    if message.attachments.is_empty() {
        return Ok(());
    }
    let mut stmt = conn.prepare_cached(
        "INSERT INTO attachments (message_id, position, kind, mime_type, size, file_name,
             caption, reference, state, next_at_ms, error)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?;
    // The download queue tells positions apart within 1,024 per message.
    for (position, a) in message.attachments.iter().enumerate().take(1024) {
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
        stmt.execute(params![
            message_id,
            position,
            a.kind.as_str(),
            a.mime_type,
            a.size.map(u64::cast_signed),
            a.file_name,
            a.caption,
            a.reference,
            state.as_str(),
            HELD,
            error,
        ])?;
    }
    Ok(())
}

/// Marks the held downloads of a message that will get no turn as not fetched.
pub(crate) fn drop_held(
    conn: &Connection,
    message_id: i64,
    reason: NoTurn,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE attachments SET state = 'failed', error = ?3
         WHERE message_id = ?1 AND state = 'pending' AND next_at_ms = ?2",
    )?
    .execute(params![
        message_id,
        HELD,
        format!(
            "not fetched: the message gets no turn ({})",
            reason.as_str()
        )
    ])?;
    Ok(())
}

fn due_download(row: &Row<'_>) -> rusqlite::Result<DueDownload> {
    Ok(DueDownload {
        instance: row.get(0)?,
        message_id: row.get(1)?,
        position: row.get(2)?,
        attachment: Attachment {
            kind: attachment_kind(row, 3)?,
            mime_type: row.get(4)?,
            size: row.get::<_, Option<i64>>(5)?.map(i64::cast_unsigned),
            file_name: row.get(6)?,
            caption: row.get(7)?,
            reference: row.get(8)?,
        },
        attempts: row.get(9)?,
    })
}

fn record_blob(conn: &Connection, sha256: &str, size: u64) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO blobs (sha256, size, created_at_ms) VALUES (?1, ?2, ?3)
         ON CONFLICT (sha256) DO NOTHING",
    )?
    .execute(params![sha256, size.cast_signed(), now_ms()])?;
    Ok(())
}

fn pending_of(conn: &Connection, message_id: i64) -> Result<usize, StoreError> {
    let n: i64 = conn
        .prepare_cached(
            "SELECT count(*) FROM attachments WHERE message_id = ?1 AND state = 'pending'",
        )?
        .query_row([message_id], |row| row.get(0))?;
    Ok(usize::try_from(n).unwrap_or(0))
}

pub(crate) fn attachments_of(
    conn: &Connection,
    message_id: i64,
) -> Result<Vec<StoredAttachment>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ATTACHMENT_COLUMNS} FROM attachments a WHERE a.message_id = ?1
         ORDER BY a.position"
    ))?;
    let rows = stmt.query_map([message_id], stored_attachment)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn load(conn: &Connection, message_id: i64, position: u32) -> Result<StoredAttachment, StoreError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {ATTACHMENT_COLUMNS} FROM attachments a
             WHERE a.message_id = ?1 AND a.position = ?2"
        ))?
        .query_row(params![message_id, position], stored_attachment)?)
}

fn stored_attachment(row: &Row<'_>) -> rusqlite::Result<StoredAttachment> {
    Ok(StoredAttachment {
        message_id: row.get(0)?,
        position: row.get(1)?,
        attachment: Attachment {
            kind: attachment_kind(row, 2)?,
            mime_type: row.get(3)?,
            size: row.get::<_, Option<i64>>(4)?.map(i64::cast_unsigned),
            file_name: row.get(5)?,
            caption: row.get(6)?,
            reference: row.get(7)?,
        },
        state: parsed(row, 8, AttachmentState::parse)?,
        sha256: row.get(9)?,
        stored_size: row.get::<_, Option<i64>>(10)?.map(i64::cast_unsigned),
        error: row.get(11)?,
    })
}

fn attachment_kind(row: &Row<'_>, index: usize) -> rusqlite::Result<AttachmentKind> {
    parsed(row, index, AttachmentKind::parse)
}
