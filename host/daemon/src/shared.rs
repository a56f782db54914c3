use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use switchboard_agent::Agent;
use switchboard_store::{DueMessage, OutboxItem, Store};
use tokio::sync::Semaphore;

use crate::clock::Clock;
use crate::config::{ServerLimits, WorkerConfig};
use crate::instance::Instance;
use crate::metrics::Metrics;
use crate::queue::engine::Feed;

/// The configured instances, swapped as a whole so a request always sees one
/// consistent set (and keeps its `Arc<Instance>` until it finishes).
pub(crate) type InstanceTable = HashMap<String, Arc<Instance>>;

/// State shared by the ingress and the workers.
pub(crate) struct Shared {
    pub(crate) store: Store,
    instances: RwLock<Arc<InstanceTable>>,
    pub(crate) agent: Arc<dyn Agent>,
    pub(crate) server: ServerLimits,
    pub(crate) workers: WorkerConfig,
    /// Bounds webhook requests in progress; beyond it requests get 503.
    pub(crate) in_flight: Arc<Semaphore>,
    /// Where freshly stored work is handed to the queues.
    pub(crate) feeds: Feeds,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) metrics: Metrics,
}

/// The in-memory entrances of the queues.
pub(crate) struct Feeds {
    pub(crate) hooks: Feed<DueMessage>,
    pub(crate) turns: Feed<DueMessage>,
    pub(crate) replies: Feed<OutboxItem>,
}

/// What [`Shared`] is made of, besides the instance table.
pub(crate) struct SharedParts {
    pub(crate) store: Store,
    pub(crate) agent: Arc<dyn Agent>,
    pub(crate) server: ServerLimits,
    pub(crate) workers: WorkerConfig,
    pub(crate) feeds: Feeds,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) metrics: Metrics,
}

impl Shared {
    pub(crate) fn new(parts: SharedParts, instances: InstanceTable) -> Shared {
        let SharedParts {
            store,
            agent,
            server,
            workers,
            feeds,
            clock,
            metrics,
        } = parts;
        Shared {
            store,
            in_flight: Arc::new(Semaphore::new(server.max_in_flight)),
            instances: RwLock::new(Arc::new(instances)),
            agent,
            server,
            workers,
            feeds,
            clock,
            metrics,
        }
    }

    pub(crate) fn instances(&self) -> Arc<InstanceTable> {
        match self.instances.read() {
            Ok(guard) => guard.clone(),
            // A panic while swapping cannot leave a half-written Arc; use it.
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub(crate) fn instance(&self, name: &str) -> Option<Arc<Instance>> {
        self.instances().get(name).cloned()
    }

    pub(crate) fn replace_instances(&self, table: InstanceTable) {
        let mut guard = match self.instances.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        *guard = Arc::new(table);
    }
}
