//! The embedded backend: one SQLite file, a group-commit writer thread and a few
//! read-only connections (see the crate documentation).

mod access;
mod attachments;
mod cursors;
mod dead_letters;
mod history;
mod kv;
mod messages;
mod outbox;
mod readers;
mod requeue;
mod rows;
mod schema;
mod sends;
mod work;
mod writer;

use std::path::Path;
use std::sync::Arc;

use rusqlite::Connection;

pub(crate) use crate::columns::now_ms;
use crate::{Counts, QueueDepths, StoreError, StoreOptions, WriterStats};
use readers::Readers;
use schema::open_writer;
use writer::Writer;

/// The SQLite backend. Cheap to clone; every clone shares one writer thread and one set
/// of read connections. Dropping the last clone, or [`Sqlite::close`], runs everything
/// still queued and stops the writer thread; the drop waits for that on the current
/// thread, so async code should prefer `close().await`.
#[derive(Clone)]
pub(crate) struct Sqlite {
    inner: Arc<Inner>,
}

struct Inner {
    // Declared before `readers` so that it drops (and flushes) first.
    writer: Option<Writer>,
    readers: Arc<Readers>,
}

impl Sqlite {
    pub(crate) fn open(path: &Path, opts: StoreOptions) -> Result<Sqlite, StoreError> {
        if let Some(parent) = path.parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent).map_err(|source| StoreError::CreateDir {
                path: parent.to_owned(),
                source: Arc::new(source),
            })?;
        }
        let conn = open_writer(path)?;
        // Readers open after the writer has migrated, so they check the final version.
        let readers = Readers::open(path)?;
        let writer = Writer::spawn(conn, opts)?;
        Ok(Sqlite {
            inner: Arc::new(Inner {
                writer: Some(writer),
                readers,
            }),
        })
    }

    pub(crate) fn open_read_only(path: &Path) -> Result<Sqlite, StoreError> {
        let readers = Readers::open(path)?;
        Ok(Sqlite {
            inner: Arc::new(Inner {
                writer: None,
                readers,
            }),
        })
    }

    pub(crate) async fn ping_write(&self) -> Result<(), StoreError> {
        self.write(|_| Ok(())).await
    }

    pub(crate) async fn close(self) -> Result<(), StoreError> {
        let inner = self.inner;
        tokio::task::spawn_blocking(move || {
            if let Some(writer) = &inner.writer {
                writer.stop();
            }
        })
        .await
        .map_err(|source| StoreError::BlockingTask {
            source: Arc::new(source),
        })
    }

    pub(crate) async fn checkpoint(&self) -> Result<(), StoreError> {
        self.write_alone(|conn| {
            let busy: i64 =
                conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| row.get(0))?;
            if busy != 0 {
                // A reader held an old snapshot past the busy timeout; same as SQLITE_BUSY.
                return Err(rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                    Some("wal checkpoint could not finish".to_owned()),
                )
                .into());
            }
            Ok(())
        })
        .await
    }

    pub(crate) async fn set_size_limit(&self, max_bytes: Option<u64>) -> Result<u64, StoreError> {
        self.write_alone(move |conn| {
            let page_size: i64 = conn.pragma_query_value(None, "page_size", |row| row.get(0))?;
            let page_size = page_size.max(1);
            let pages = match max_bytes {
                // At least one page: zero would read as "report, do not change".
                Some(bytes) => (i64::try_from(bytes).unwrap_or(i64::MAX) / page_size).max(1),
                // SQLite's own ceiling; it clamps larger values.
                None => 4_294_967_294,
            };
            let set: i64 =
                conn.pragma_update_and_check(None, "max_page_count", pages, |row| row.get(0))?;
            Ok(u64::try_from(set.saturating_mul(page_size)).unwrap_or(u64::MAX))
        })
        .await
    }

    pub(crate) fn stats(&self) -> WriterStats {
        self.inner
            .writer
            .as_ref()
            .map(Writer::stats)
            .unwrap_or_default()
    }

    pub(crate) async fn counts(&self) -> Result<Counts, StoreError> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT
                    (SELECT count(*) FROM messages),
                    (SELECT count(*) FROM messages WHERE hook_state = 'pending'),
                    (SELECT count(*) FROM messages WHERE agent_state = 'pending'),
                    (SELECT count(*) FROM replies WHERE status = 'pending'),
                    (SELECT count(*) FROM replies WHERE status = 'sent'),
                    (SELECT count(*) FROM replies WHERE status = 'dead'),
                    (SELECT count(*) FROM dead_letters WHERE replayed_at_ms IS NULL)",
            )?;
            let counts = stmt.query_row([], |row| {
                Ok(Counts {
                    messages: row.get(0)?,
                    pending_hooks: row.get(1)?,
                    pending_turns: row.get(2)?,
                    replies_pending: row.get(3)?,
                    replies_sent: row.get(4)?,
                    replies_dead: row.get(5)?,
                    dead_letters: row.get(6)?,
                })
            })?;
            Ok(counts)
        })
        .await
    }

    pub(crate) async fn queue_depths(&self) -> Result<QueueDepths, StoreError> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT
                    (SELECT count(*) FROM messages INDEXED BY messages_hook_queue
                        WHERE hook_state = 'pending'),
                    (SELECT count(*) FROM messages INDEXED BY messages_agent_queue
                        WHERE agent_state = 'pending'),
                    (SELECT count(*) FROM replies INDEXED BY replies_queue
                        WHERE status = 'pending'),
                    (SELECT count(*) FROM dead_letters INDEXED BY dead_letters_open
                        WHERE replayed_at_ms IS NULL)",
            )?;
            let depths = stmt.query_row([], |row| {
                Ok(QueueDepths {
                    pending_hooks: row.get(0)?,
                    pending_turns: row.get(1)?,
                    replies_pending: row.get(2)?,
                    dead_letters: row.get(3)?,
                })
            })?;
            Ok(depths)
        })
        .await
    }

    /// Runs `command` on the writer thread, in its own savepoint inside the next batch.
    pub(crate) async fn write<T, F>(&self, command: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        match &self.inner.writer {
            Some(writer) => writer.submit(command).await,
            None => Err(StoreError::ReadOnly),
        }
    }

    /// Like [`Store::write`]; `after` runs with the result on the writer thread right
    /// after the commit, in commit order.
    pub(crate) async fn write_then<T, F>(
        &self,
        command: F,
        after: writer::AfterCommit<T>,
    ) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        match &self.inner.writer {
            Some(writer) => writer.submit_then(command, after).await,
            None => Err(StoreError::ReadOnly),
        }
    }

    /// Like [`Store::write`], for the bookkeeping of background work: its batch may
    /// wait a few milliseconds for other writes to share the commit.
    pub(crate) async fn write_background<T, F>(&self, command: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        match &self.inner.writer {
            Some(writer) => writer.submit_background(command).await,
            None => Err(StoreError::ReadOnly),
        }
    }

    /// Runs `command` on the writer thread outside any transaction, after everything
    /// queued before it.
    pub(crate) async fn write_alone<T, F>(&self, command: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        match &self.inner.writer {
            Some(writer) => writer.submit_alone(command).await,
            None => Err(StoreError::ReadOnly),
        }
    }

    /// Runs `query` on a read-only connection in a blocking task.
    pub(crate) async fn read<T, F>(&self, query: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.inner.readers.read(query).await
    }
}

/// Fault injection for tests of the store's callers.
#[cfg(any(test, feature = "test-support"))]
impl Sqlite {
    pub(crate) async fn simulate_read_only(&self, on: bool) -> Result<(), StoreError> {
        // Outside a transaction: with the flag set, `BEGIN IMMEDIATE` itself fails, so a
        // batched command could never lift it again.
        self.write_alone(move |conn| Ok(conn.pragma_update(None, "query_only", on)?))
            .await
    }

    pub(crate) async fn simulate_disk_full(&self, on: bool) -> Result<(), StoreError> {
        self.write(move |conn| {
            let pages: i64 = if on {
                conn.pragma_query_value(None, "page_count", |row| row.get(0))?
            } else {
                // SQLite's own ceiling; it clamps larger values.
                4_294_967_294
            };
            conn.pragma_update(None, "max_page_count", pages)?;
            Ok(())
        })
        .await
    }
}

/// SQLite limits are signed; anything past `i64::MAX` means "no limit" anyway.
pub(crate) fn sql_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;

    fn assert_send_sync_clone<T: Send + Sync + Clone + 'static>() {}

    #[test]
    fn store_is_send_sync_and_clone() {
        assert_send_sync_clone::<crate::Store>();
    }

    fn letter(bytes: usize) -> crate::NewDeadLetter {
        crate::NewDeadLetter {
            kind: crate::DeadLetterKind::Delivery,
            instance: "i".to_owned(),
            error: "e".to_owned(),
            payload: vec![7; bytes],
        }
    }

    #[tokio::test]
    async fn a_size_limit_refuses_growth_as_a_full_disk_and_is_not_kept_in_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        let store = Store::open(&path, StoreOptions::default()).unwrap();
        let cap = store.set_size_limit(Some(256 * 1024)).await.unwrap();
        assert!((200 * 1024..=256 * 1024).contains(&cap), "cap {cap}");

        let mut stored = 0;
        let error = loop {
            match store.dead_letter(letter(16 * 1024)).await {
                Ok(_) => stored += 1,
                Err(e) => break e,
            }
            assert!(stored < 100, "a 256 KiB cap let 1.6 MB through");
        };
        assert!(stored > 0, "the cap left no room at all");
        assert!(error.is_transient(), "{error:?}");
        let cause = std::error::Error::source(&error).map(ToString::to_string);
        assert!(
            cause.as_deref().is_some_and(|c| c.contains("full")),
            "{error:?}"
        );

        store.set_size_limit(None).await.unwrap();
        store.dead_letter(letter(16 * 1024)).await.unwrap();
        store.set_size_limit(Some(256 * 1024)).await.unwrap();
        store.close().await.unwrap();

        let reopened = Store::open(&path, StoreOptions::default()).unwrap();
        reopened.dead_letter(letter(16 * 1024)).await.unwrap();
        let letters = reopened.dead_letters(false).await.unwrap();
        assert_eq!(
            letters.len(),
            stored + 2,
            "every acknowledged write is kept"
        );
        reopened.close().await.unwrap();
    }
}
