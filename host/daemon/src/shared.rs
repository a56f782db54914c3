use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use switchboard_agent::Agent;
use switchboard_store::{BlobStore, DueDownload, DueMessage, OutboxItem, Store};
use tokio::sync::Semaphore;

use crate::api::ApiToken;
use crate::clock::Clock;
use crate::config::{ServerLimits, WorkerConfig};
use crate::ingress::budget::BodyBudget;
use crate::instance::Instance;
use crate::metrics::Metrics;
use crate::queue::engine::Feed;
use crate::queue::leasing::Leasing;

/// The configured instances, swapped as a whole so a request always sees one
/// consistent set (and keeps its `Arc<Instance>` until it finishes).
pub(crate) type InstanceTable = HashMap<String, Arc<Instance>>;

/// State shared by the ingress and the queues.
pub(crate) struct Shared {
    pub(crate) store: Store,
    /// Attachment content by sha256, under `data_dir/blobs`.
    pub(crate) blobs: BlobStore,
    pub(crate) instances: Instances,
    pub(crate) agent: Arc<dyn Agent>,
    pub(crate) server: ServerLimits,
    pub(crate) workers: WorkerConfig,
    /// Bounds webhook requests in progress; beyond it requests get 503.
    pub(crate) in_flight: Arc<Semaphore>,
    /// `server.body_budget_bytes`: bodies take their share before being read.
    pub(crate) body_budget: BodyBudget,
    /// Where freshly stored work is handed to the queues.
    pub(crate) feeds: Feeds,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) metrics: Metrics,
    /// `http://<admin listener>`, once it is bound: where an agent fetches blobs.
    pub(crate) admin_url: std::sync::OnceLock<String>,
    /// `[api] token`: the HTTP API under `/v1/` exists only with one.
    pub(crate) api: Option<ApiToken>,
    /// Claims work when other nodes share the store; `None` on SQLite.
    pub(crate) leasing: Option<Arc<Leasing>>,
}

/// The in-memory entrances of the queues.
pub(crate) struct Feeds {
    pub(crate) hooks: Feed<DueMessage>,
    pub(crate) turns: Feed<DueMessage>,
    pub(crate) replies: Feed<OutboxItem>,
    pub(crate) downloads: Feed<DueDownload>,
}

/// The instance table, replaced as a whole by hot reload.
pub(crate) struct Instances(RwLock<Arc<InstanceTable>>);

impl Instances {
    pub(crate) fn new(table: InstanceTable) -> Instances {
        Instances(RwLock::new(Arc::new(table)))
    }

    fn all(&self) -> Arc<InstanceTable> {
        // A panic while swapping cannot leave a half-written Arc; use it.
        self.0
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

impl Shared {
    pub(crate) fn instances(&self) -> Arc<InstanceTable> {
        self.instances.all()
    }

    pub(crate) fn instance(&self, name: &str) -> Option<Arc<Instance>> {
        self.instances().get(name).cloned()
    }

    pub(crate) fn replace_instances(&self, table: InstanceTable) {
        *self
            .instances
            .0
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(table);
    }
}
