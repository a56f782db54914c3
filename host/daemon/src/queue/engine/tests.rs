//! The run loop against a queue whose read of due work cannot finish until an item
//! in flight is recorded, as on PostgreSQL when that item holds the last free
//! connection of the pool in a half-done transaction.

use std::sync::Mutex;
use std::sync::atomic::AtomicUsize;

use async_trait::async_trait;
use tokio::sync::Notify;

use super::*;
use crate::clock::SystemClock;
use crate::queue::{Attempt, ItemKey};

#[derive(Default)]
struct Gate {
    reads: AtomicUsize,
    attempts: AtomicUsize,
    /// The second read has started: the item may go on.
    second_read: Notify,
    /// The item is recorded: the second read may return.
    recorded: Notify,
    /// A read after the one that saw the item stale.
    third_read: Notify,
    log: Mutex<Vec<&'static str>>,
}

#[async_trait]
impl Queue for Gate {
    type Item = i64;
    type Done = ();
    const NAME: &'static str = "gate";

    fn key(item: &i64) -> ItemKey<'_> {
        ItemKey {
            id: *item,
            instance: "wa",
            conversation: None,
            attempts: 0,
        }
    }

    fn max_attempts(&self) -> u32 {
        3
    }

    async fn due(&self, _now_ms: i64, _limit: usize) -> Result<Vec<i64>, StoreError> {
        match self.reads.fetch_add(1, Ordering::SeqCst) {
            0 => Ok(vec![1]),
            1 => {
                self.second_read.notify_one();
                self.recorded.notified().await;
                // Read before the item was recorded: it still looks due.
                Ok(vec![1])
            }
            _ => {
                self.third_read.notify_one();
                Ok(Vec::new())
            }
        }
    }

    async fn still_due(&self, _item: &i64) -> Result<Freshness, StoreError> {
        Ok(Freshness::Due)
    }

    async fn attempt(&self, _item: &i64) -> Attempt<()> {
        self.attempts.fetch_add(1, Ordering::SeqCst);
        self.second_read.notified().await;
        Attempt::Done(())
    }

    fn report(&self, _item: &i64, _decision: &Decision<()>, _attempt: u32) {}

    async fn record(&self, _item: &i64, _decision: &Decision<()>) -> Result<(), StoreError> {
        self.log.lock().expect("log").push("recorded");
        self.recorded.notify_one();
        Ok(())
    }
}

#[tokio::test]
async fn items_in_flight_keep_running_while_due_work_is_read_and_run_once() {
    let gate = Arc::new(Gate::default());
    let (_feed, inbox) = feed();
    let settings = Settings {
        concurrency: 4,
        batch: 16,
        poll_interval: Duration::from_millis(5),
        retry_base: Duration::from_millis(10),
        retry_max: Duration::from_millis(100),
    };
    let engine = Engine::new(gate.clone(), Arc::new(SystemClock), settings, inbox);
    let (stop, stopped) = watch::channel(false);
    let running = tokio::spawn(engine.run(stopped, Duration::from_secs(1)));

    // Before, the loop awaited the read and stopped driving the item: neither could
    // finish.
    tokio::time::timeout(Duration::from_secs(5), gate.third_read.notified())
        .await
        .expect("the item was recorded and the engine read again");
    stop.send(true).expect("engine running");
    running.await.expect("engine stopped");

    assert_eq!(
        gate.attempts.load(Ordering::SeqCst),
        1,
        "an item a read saw before it was recorded ran again"
    );
    assert_eq!(*gate.log.lock().expect("log"), ["recorded"]);
}
