//! Forgets fully processed messages after the retention period, and with them their
//! deduplication records and the attachment files nothing refers to any more. Platforms retry for at most a week (WhatsApp), so the
//! default retention of seven days keeps duplicates from being stored twice.

use std::sync::Arc;
use std::time::Duration;

use crate::shared::Shared;
use crate::workers::Stop;

const INTERVAL: Duration = Duration::from_secs(3600);

pub(crate) async fn run(shared: Arc<Shared>, mut stop: Stop) {
    loop {
        let cutoff = shared.clock.now_ms()
            - i64::try_from(shared.workers.retention.as_millis()).unwrap_or(i64::MAX);
        match shared.store.prune(cutoff).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                removed = n,
                "pruned processed messages past the retention period"
            ),
            Err(e) => tracing::warn!(error = %e, "cannot prune old messages"),
        }
        prune_blobs(&shared, cutoff).await;
        tokio::select! {
            () = tokio::time::sleep(INTERVAL) => {}
            changed = stop.changed() => if changed.is_err() || *stop.borrow() { return },
        }
    }
}

/// Removes the files of blobs recorded before `cutoff` that no attachment and no
/// reply refers to any more. The rows go first: a file whose row is gone but which
/// could not be removed is only disk space, never a dangling reference.
async fn prune_blobs(shared: &Shared, cutoff: i64) {
    let unreferenced = match shared.store.prune_blobs(cutoff).await {
        Ok(names) => names,
        Err(e) => {
            tracing::warn!(error = %e, "cannot prune old blobs");
            return;
        }
    };
    let mut removed = 0;
    for sha256 in &unreferenced {
        // The same content may have been stored again since its row went (a new
        // download or upload of an identical file): then the file is needed.
        if !matches!(shared.store.blob_recorded(sha256.clone()).await, Ok(None)) {
            continue;
        }
        match shared.blobs.remove(sha256).await {
            Ok(()) => removed += 1,
            Err(e) => tracing::warn!(%sha256, error = %e, "cannot remove a pruned blob"),
        }
    }
    if removed > 0 {
        tracing::info!(removed, "pruned attachment files no message refers to");
    }
}
