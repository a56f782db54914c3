//! The read side: a few read-only connections used from blocking tasks.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use rusqlite::Connection;

use super::schema::open_reader;
use crate::StoreError;

/// Reads are short; a few connections let the hook, agent and outbox loops and an
/// inspection query run side by side without queueing behind each other.
const READERS: usize = 4;

/// Read-only connections. In WAL mode they see the last committed state and never
/// block the writer, so nothing a caller reads is un-durable.
pub(crate) struct Readers {
    conns: Vec<Mutex<Connection>>,
    next: AtomicUsize,
}

impl Readers {
    pub(crate) fn open(path: &Path) -> Result<Arc<Readers>, StoreError> {
        let conns = (0..READERS)
            .map(|_| open_reader(path).map(Mutex::new))
            .collect::<Result<_, _>>()?;
        Ok(Arc::new(Readers {
            conns,
            next: AtomicUsize::new(0),
        }))
    }

    /// Runs `query` on a free connection in a blocking task.
    pub(crate) async fn read<T, F>(self: &Arc<Self>, query: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let readers = Arc::clone(self);
        tokio::task::spawn_blocking(move || query(&readers.checkout()))
            .await
            .map_err(|source| StoreError::BlockingTask {
                source: Arc::new(source),
            })?
    }

    fn checkout(&self) -> MutexGuard<'_, Connection> {
        for conn in &self.conns {
            if let Ok(guard) = conn.try_lock() {
                return guard;
            }
        }
        let index = self.next.fetch_add(1, Ordering::Relaxed) % self.conns.len();
        // A panic in an earlier read leaves the connection itself usable: every
        // statement is reset when its handle drops during unwinding.
        self.conns[index]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}
