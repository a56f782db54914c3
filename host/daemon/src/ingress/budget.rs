//! `server.body_budget_mb`: the bytes of request bodies held in memory at once,
//! across every connection. A body takes its share before a byte of it is read.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Bytes are counted in KiB so that any body limit fits the semaphore's `u32` grants.
const UNIT: u64 = 1024;

pub(crate) struct BodyBudget {
    units: Arc<Semaphore>,
    /// The whole budget, in units.
    total: u64,
}

impl BodyBudget {
    pub(crate) fn new(bytes: u64) -> BodyBudget {
        let total = bytes.div_ceil(UNIT).clamp(1, Semaphore::MAX_PERMITS as u64);
        BodyBudget {
            units: Arc::new(Semaphore::new(usize::try_from(total).unwrap_or(1))),
            total,
        }
    }

    /// A share for a body of up to `bytes`, held until the permit is dropped; `None`
    /// when the budget is spent. A body larger than the whole budget may take all of it.
    pub(crate) fn take(&self, bytes: u64) -> Option<OwnedSemaphorePermit> {
        let units = bytes.div_ceil(UNIT).clamp(1, self.total);
        let units = u32::try_from(units).unwrap_or(u32::MAX);
        self.units.clone().try_acquire_many_owned(units).ok()
    }

    /// Bytes taken right now, in whole units.
    pub(crate) fn in_use(&self) -> u64 {
        let free = u64::try_from(self.units.available_permits()).unwrap_or(u64::MAX);
        self.total.saturating_sub(free) * UNIT
    }
}
