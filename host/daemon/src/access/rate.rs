//! Token buckets and sliding windows, keyed by sender or conversation, in memory.
//!
//! They reset when the daemon restarts; what they protect against (a burst of
//! messages, a reply loop) is over in seconds or minutes.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use super::Rate;

/// How many keys a table keeps before it forgets the idle ones; a flood of
/// distinct senders cannot grow it without bound.
const MAX_KEYS: usize = 10_000;

/// One token bucket per key.
#[derive(Debug, Default)]
pub(crate) struct Buckets {
    buckets: HashMap<String, Bucket>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at_ms: i64,
    /// When the key was last told it is over the rate.
    noticed_at_ms: Option<i64>,
}

/// What the bucket said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Taken {
    Ok,
    /// Over the rate; `notice` is true once per window.
    Over {
        notice: bool,
    },
}

impl Buckets {
    pub(crate) fn take(&mut self, key: &str, rate: Rate, now_ms: i64) -> Taken {
        let capacity = f64::from(rate.count);
        let per_ms = rate.per.as_millis() as f64;
        if self.buckets.len() >= MAX_KEYS && !self.buckets.contains_key(key) {
            // Full buckets carry no information: forget them first.
            self.buckets
                .retain(|_, b| b.tokens + refill(b, capacity, per_ms, now_ms) < capacity);
            if self.buckets.len() >= MAX_KEYS {
                self.buckets.clear();
            }
        }
        let bucket = self.buckets.entry(key.to_owned()).or_insert(Bucket {
            tokens: capacity,
            at_ms: now_ms,
            noticed_at_ms: None,
        });
        bucket.tokens = (bucket.tokens + refill(bucket, capacity, per_ms, now_ms)).min(capacity);
        bucket.at_ms = now_ms;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            return Taken::Ok;
        }
        let window = i64::try_from(rate.per.as_millis()).unwrap_or(i64::MAX);
        let notice = bucket
            .noticed_at_ms
            .is_none_or(|at| now_ms.saturating_sub(at) >= window);
        if notice {
            bucket.noticed_at_ms = Some(now_ms);
        }
        Taken::Over { notice }
    }
}

fn refill(bucket: &Bucket, capacity: f64, per_ms: f64, now_ms: i64) -> f64 {
    let elapsed = now_ms.saturating_sub(bucket.at_ms).max(0) as f64;
    elapsed * capacity / per_ms.max(1.0)
}

/// The times of recent events per key, within a window.
#[derive(Debug, Default)]
pub(crate) struct Windows {
    events: HashMap<String, VecDeque<i64>>,
}

impl Windows {
    /// Records `count` events for `key` at `now_ms`.
    pub(crate) fn record(&mut self, key: &str, count: usize, window: Duration, now_ms: i64) {
        if self.events.len() >= MAX_KEYS && !self.events.contains_key(key) {
            let cutoff = now_ms - i64::try_from(window.as_millis()).unwrap_or(i64::MAX);
            self.events
                .retain(|_, times| times.back().is_some_and(|t| *t > cutoff));
            if self.events.len() >= MAX_KEYS {
                self.events.clear();
            }
        }
        let times = self.events.entry(key.to_owned()).or_default();
        times.extend(std::iter::repeat_n(now_ms, count));
    }

    /// How many events `key` had within `window` before `now_ms`.
    pub(crate) fn count(&mut self, key: &str, window: Duration, now_ms: i64) -> usize {
        let cutoff = now_ms - i64::try_from(window.as_millis()).unwrap_or(i64::MAX);
        let Some(times) = self.events.get_mut(key) else {
            return 0;
        };
        while times.front().is_some_and(|t| *t <= cutoff) {
            times.pop_front();
        }
        times.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: Rate = Rate {
        count: 2,
        per: Duration::from_secs(60),
    };

    #[test]
    fn a_bucket_admits_its_count_then_refills_evenly_with_one_notice_per_window() {
        let mut buckets = Buckets::default();
        assert_eq!(buckets.take("a", RATE, 0), Taken::Ok);
        assert_eq!(buckets.take("a", RATE, 0), Taken::Ok);
        assert_eq!(buckets.take("a", RATE, 0), Taken::Over { notice: true });
        assert_eq!(
            buckets.take("a", RATE, 1_000),
            Taken::Over { notice: false }
        );
        // Another sender has a bucket of their own.
        assert_eq!(buckets.take("b", RATE, 1_000), Taken::Ok);
        // Half the period refills one token.
        assert_eq!(buckets.take("a", RATE, 30_000), Taken::Ok);
        assert_eq!(
            buckets.take("a", RATE, 30_000),
            Taken::Over { notice: false }
        );
        assert_eq!(buckets.take("a", RATE, 61_000), Taken::Ok);
        assert_eq!(
            buckets.take("a", RATE, 61_000),
            Taken::Over { notice: true }
        );
    }

    #[test]
    fn a_flood_of_keys_does_not_grow_the_table_without_bound() {
        let mut buckets = Buckets::default();
        for n in 0..(MAX_KEYS * 2) {
            buckets.take(&format!("s{n}"), RATE, 0);
        }
        assert!(buckets.buckets.len() <= MAX_KEYS);
    }

    #[test]
    fn a_window_counts_only_recent_events() {
        let mut windows = Windows::default();
        let window = Duration::from_secs(30);
        windows.record("c", 3, window, 0);
        windows.record("c", 2, window, 20_000);
        assert_eq!(windows.count("c", window, 25_000), 5);
        assert_eq!(windows.count("c", window, 40_000), 2);
        assert_eq!(windows.count("other", window, 40_000), 0);
    }
}
