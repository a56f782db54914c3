use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use switchboard_agent::Agent;
use switchboard_store::Store;
use tokio::sync::{Notify, Semaphore};

use crate::config::{ServerLimits, WorkerConfig};
use crate::instance::Instance;
use crate::metrics::Metrics;

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
    /// Wakes the hook worker after new messages are stored.
    pub(crate) wake_hooks: Notify,
    /// Wakes the agent worker after new messages are stored.
    pub(crate) wake_turns: Notify,
    /// Wakes the outbox worker after replies are queued.
    pub(crate) wake_outbox: Notify,
    pub(crate) metrics: Metrics,
}

impl Shared {
    pub(crate) fn new(
        store: Store,
        instances: InstanceTable,
        agent: Arc<dyn Agent>,
        server: ServerLimits,
        workers: WorkerConfig,
    ) -> Shared {
        Shared {
            store,
            in_flight: Arc::new(Semaphore::new(server.max_in_flight)),
            instances: RwLock::new(Arc::new(instances)),
            agent,
            server,
            workers,
            wake_hooks: Notify::new(),
            wake_turns: Notify::new(),
            wake_outbox: Notify::new(),
            metrics: Metrics::default(),
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
