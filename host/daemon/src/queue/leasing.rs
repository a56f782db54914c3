//! Claiming lanes of work when several nodes share one PostgreSQL database.
//!
//! Before a node runs an item it takes the lease on the item's lane (its conversation,
//! or the item alone) for the queue, and it lets go once the lane has nothing more to
//! run here. A lease outlives any one attempt's deadline, so a lane whose lease ran
//! out belongs to a node that died or stalled past every deadline; another node then
//! takes it over. On SQLite there is one node and nothing to claim.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use switchboard_store::{LaneLease, Store, StoreError};
use tokio::sync::watch;

/// How a node claims work; shared by its engines.
pub(crate) struct Leasing {
    store: Store,
    /// This node's name in the `leases` table.
    owner: String,
    hold: Duration,
    /// Started by the first engine that runs (it needs the runtime).
    notices: OnceLock<Option<watch::Receiver<u64>>>,
}

impl Leasing {
    /// Leasing for `store` when other nodes may share its work; `None` otherwise.
    pub(crate) fn for_store(store: &Store, owner: &str, hold: Duration) -> Option<Arc<Leasing>> {
        store.shares_work().then(|| {
            Arc::new(Leasing {
                store: store.clone(),
                owner: owner.to_owned(),
                hold,
                notices: OnceLock::new(),
            })
        })
    }

    /// A receiver of wake-ups: another node let go of a lane this node wanted. The
    /// first call starts listening, so it must run inside the runtime.
    pub(crate) fn notices(&self) -> Option<watch::Receiver<u64>> {
        self.notices
            .get_or_init(|| self.store.work_notices())
            .clone()
    }

    /// This node's name in the `leases` and `nodes` tables.
    pub(crate) fn owner(&self) -> &str {
        &self.owner
    }

    /// The lease's length.
    pub(crate) fn hold(&self) -> Duration {
        self.hold
    }

    pub(crate) async fn claim(
        &self,
        queue: &str,
        instance: &str,
        lane: &str,
    ) -> Result<bool, StoreError> {
        self.claim_for(queue, instance, lane, self.hold).await
    }

    /// Like [`Leasing::claim`], for `hold` instead of the node's lease length (a long
    /// poll needs a lease as long as its deadline).
    pub(crate) async fn claim_for(
        &self,
        queue: &str,
        instance: &str,
        lane: &str,
        hold: Duration,
    ) -> Result<bool, StoreError> {
        let lease = LaneLease {
            queue,
            instance,
            lane,
        };
        self.store.claim_lane(&lease, &self.owner, hold).await
    }

    /// Extends every lease this node holds; see [`Store::renew_leases`].
    pub(crate) async fn renew(&self) -> Result<u64, StoreError> {
        self.store.renew_leases(&self.owner, self.hold).await
    }

    pub(crate) async fn release(
        &self,
        queue: &str,
        instance: &str,
        lane: &str,
    ) -> Result<(), StoreError> {
        let lease = LaneLease {
            queue,
            instance,
            lane,
        };
        self.store.release_lane(&lease, &self.owner).await
    }
}
