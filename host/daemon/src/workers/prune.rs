//! Forgets fully processed messages after the retention period, and with them their
//! deduplication records. Platforms retry for at most a week (WhatsApp), so the
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
        tokio::select! {
            () = tokio::time::sleep(INTERVAL) => {}
            changed = stop.changed() => if changed.is_err() || *stop.borrow() { return },
        }
    }
}
