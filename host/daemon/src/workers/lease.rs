//! One receiver per instance across nodes: when several nodes share a PostgreSQL
//! database, only the node holding an instance's `receiver` lease polls the platform or
//! holds its session (two pollers would fight over `getUpdates`, two Gateway sessions
//! would receive every event twice). The holder renews the lease while it receives;
//! if it dies, another node takes over once the lease runs out.

use std::time::Duration;

use crate::pipeline::error_chain;
use crate::shared::Shared;

const QUEUE: &str = "receiver";
const LANE: &str = "receive";

/// Takes or extends this node's lease on receiving for `instance`, for at least
/// `at_least` (a poll's deadline). True when this node may receive; always on SQLite.
pub(crate) async fn hold(shared: &Shared, instance: &str, at_least: Duration) -> bool {
    let Some(leasing) = &shared.leasing else {
        return true;
    };
    let hold = leasing.hold().max(at_least);
    match leasing.claim_for(QUEUE, instance, LANE, hold).await {
        Ok(true) => true,
        Ok(false) => {
            tracing::debug!(%instance, "another node receives for this instance");
            false
        }
        Err(e) => {
            tracing::warn!(%instance, error = %error_chain(&e), "cannot claim receiving; will try again");
            false
        }
    }
}

/// How long a node that does not hold the lease waits before asking again.
pub(crate) fn standby(shared: &Shared) -> Duration {
    shared
        .leasing
        .as_ref()
        .map_or(Duration::from_secs(5), |l| l.hold() / 3)
}

/// Renews the lease every third of its length while a session runs; resolves if it is
/// lost (another node took over after this one stalled). Never resolves on SQLite.
pub(crate) async fn kept(shared: &Shared, instance: &str) {
    let Some(leasing) = &shared.leasing else {
        return std::future::pending().await;
    };
    loop {
        tokio::time::sleep(leasing.hold() / 3).await;
        match leasing
            .claim_for(QUEUE, instance, LANE, leasing.hold())
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(%instance, "another node took over receiving; closing this session");
                return;
            }
            // The lease is still ours for two more thirds; try again then.
            Err(e) => {
                tracing::warn!(%instance, error = %error_chain(&e), "cannot renew the receiving lease");
            }
        }
    }
}

/// Lets go of receiving for `instance`, so another node takes over at once.
pub(crate) async fn release(shared: &Shared, instance: &str) {
    if let Some(leasing) = &shared.leasing
        && let Err(e) = leasing.release(QUEUE, instance, LANE).await
    {
        tracing::warn!(%instance, error = %error_chain(&e), "cannot let go of receiving; another node takes over when the lease runs out");
    }
}

/// Keeps every lease of this node alive until the daemon stops, renewing each third of
/// the lease's length, so a long attempt (a slow agent) never loses its lane. Only a
/// node that stops renewing (dead, stalled, cut off) loses its lanes to another node.
pub(crate) async fn renew(shared: std::sync::Arc<Shared>, mut stop: crate::workers::Stop) {
    let Some(leasing) = shared.leasing.clone() else {
        return;
    };
    loop {
        let installed = crate::config::installed_summary(
            shared.instances().values().map(|instance| &instance.source),
        );
        if let Err(e) = shared
            .store
            .announce_node(leasing.owner(), &crate::config::host_name(), &installed)
            .await
        {
            tracing::warn!(error = %error_chain(&e), "cannot announce this node");
        }
        tokio::select! {
            () = tokio::time::sleep(leasing.hold() / 3) => {}
            _ = stop.changed() => return,
        }
        if let Err(e) = leasing.renew().await {
            tracing::warn!(error = %error_chain(&e), "cannot renew this node's leases; another node takes its work over if this lasts");
        }
    }
}
