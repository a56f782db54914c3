//! Wall-clock time as the daemon sees it, injected so tests can move it by hand.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Unix time in milliseconds. Retry times, signature windows and "due" queries all
/// read it here, so a test that advances a [`ManualClock`] sees retries come due
/// without waiting for them.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now_ms(&self) -> i64;

    /// Unix time in whole seconds.
    fn now_secs(&self) -> i64 {
        self.now_ms().div_euclid(1000)
    }
}

/// The system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    }
}

/// A clock that moves only when told to.
///
/// The store stamps new rows (and so their first due time) with the system's time,
/// so work that is read back from the store, rather than handed over in memory, is
/// due once this clock has been moved past the moment it was stored.
#[derive(Debug)]
pub struct ManualClock {
    now_ms: AtomicI64,
}

impl ManualClock {
    /// Starts at the system's current time, so timestamps it produces are plausible
    /// to signature checks and to the store.
    pub fn starting_now() -> ManualClock {
        ManualClock {
            now_ms: AtomicI64::new(SystemClock.now_ms()),
        }
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        let by = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.now_ms.fetch_add(by, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.now_ms.load(Ordering::SeqCst)
    }
}
