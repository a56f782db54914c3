//! The daemon's validated configuration. The CLI lowers `switchboard.toml` into
//! these types (resolving secrets, paths and the installed components), so
//! everything here is already known to be usable.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use switchboard_agent::Agent;
use switchboard_registry::{LimitCeilings, Manifest};
use switchboard_runtime::RuntimeConfig;
use switchboard_store::{PostgresOptions, StateQuota};

use crate::access::AccessPolicy;

/// Everything the daemon needs to run.
#[derive(Debug, Clone)]
pub struct DaemonConfig {
    /// Holds the SQLite database, installed components, the blob store and the
    /// compiled-code cache.
    pub data_dir: PathBuf,
    /// Where messages and queues are kept.
    pub store: StoreConfig,
    /// One entry per `[channels.<instance>]` table.
    pub instances: Vec<InstanceConfig>,
    /// The agent that answers stored messages.
    pub agent: Arc<dyn Agent>,
    pub server: ServerLimits,
    pub runtime: RuntimeConfig,
    pub workers: WorkerConfig,
    /// The HTTP API on the admin listener.
    pub api: ApiConfig,
}

/// Where the daemon keeps messages, queues and state (`[store]`).
#[derive(Debug, Clone, Default)]
pub enum StoreConfig {
    /// `switchboard.db` in the data directory: one node, no server to run.
    #[default]
    Sqlite,
    /// A PostgreSQL database that several nodes may share.
    Postgres {
        options: PostgresOptions,
        /// How long work a node claimed stays its own without the node renewing it;
        /// after that another node takes it over. Longer than any attempt's deadline.
        lease: Duration,
    },
}

/// What a node runs, as it tells the other nodes of a shared database: one line per
/// component (`name version sha256`), sorted, each once.
pub fn installed_summary<'a>(components: impl Iterator<Item = &'a ComponentRef>) -> String {
    let lines: std::collections::BTreeSet<String> = components
        .map(|c| format!("{} {} {}", c.name, c.version, c.sha256))
        .collect();
    lines.into_iter().collect::<Vec<_>>().join("\n")
}

/// This machine's host name, for telling nodes apart.
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "unknown-host".to_owned())
}

/// `store.lease_seconds` when not set.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(30);

/// The HTTP API under `/v1/` (sends, their state, blobs), served on the admin
/// listener to whoever holds the token.
#[derive(Clone, Default)]
pub struct ApiConfig {
    /// The bearer token every request must carry; `None` turns the API off.
    pub token: Option<String>,
}

impl std::fmt::Debug for ApiConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiConfig")
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// A configured channel instance, with secrets resolved.
#[derive(Clone)]
pub struct InstanceConfig {
    /// The instance name; its webhook URL is `/webhooks/<name>`.
    pub name: String,
    /// The installed component it runs.
    pub component: ComponentRef,
    /// Secret values by name. Never logged, never given to the guest.
    pub secrets: BTreeMap<String, String>,
    /// Operator settings; manifest defaults fill the gaps.
    pub settings: BTreeMap<String, String>,
    /// Extra outbound origins the operator grants (may be private addresses).
    pub allow: Vec<String>,
    /// Overrides the manifest's body size limit.
    pub max_body_bytes: Option<u64>,
    /// Overrides the manifest's (or the default) guest call deadline.
    pub call_timeout: Option<Duration>,
    /// The most key-value state the guest may keep.
    pub state_quota: StateQuota,
    /// Who may talk to the agent through this instance.
    pub access: AccessPolicy,
    /// The largest attachment downloaded into the blob store; larger ones are
    /// recorded as `too_large` and the message goes to the agent without them.
    pub max_attachment_bytes: u64,
}

/// `max_attachment_bytes` when the operator sets none: 25 MiB.
pub const DEFAULT_MAX_ATTACHMENT_BYTES: u64 = 25 << 20;

impl std::fmt::Debug for InstanceConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InstanceConfig")
            .field("name", &self.name)
            .field("component", &self.component)
            .field("secrets", &self.secrets.keys().collect::<Vec<_>>())
            .field("settings", &self.settings)
            .field("allow", &self.allow)
            .finish_non_exhaustive()
    }
}

/// Which installed component an instance runs.
#[derive(Debug, Clone)]
pub struct ComponentRef {
    pub name: String,
    pub version: semver::Version,
    pub sha256: String,
    pub wasm_path: PathBuf,
    pub manifest: Manifest,
}

/// Limits at the HTTP edge.
#[derive(Debug, Clone)]
pub struct ServerLimits {
    /// Open connections at once; further connections wait in the kernel backlog.
    pub max_connections: usize,
    /// Webhook requests being processed at once; beyond it: 503 + Retry-After.
    pub max_in_flight: usize,
    /// Time a client has to send its request headers; also how long a kept-alive
    /// connection may wait for its next request.
    pub header_timeout: Duration,
    /// Time a client has to send the whole body.
    pub body_timeout: Duration,
    /// Longest wait for the store to make messages durable before answering 503.
    pub persist_timeout: Duration,
    /// Body size limit when neither the manifest nor the operator sets one.
    pub default_max_body_bytes: u64,
    /// How long shutdown waits for in-flight requests.
    pub shutdown_grace: Duration,
    /// How long writing a response may wait on a client that does not read; past it
    /// the connection is closed.
    pub write_timeout: Duration,
    /// Bytes of request bodies held in memory at once, across every connection. A
    /// body takes its share (its declared length, or the instance's body limit when it
    /// declares none) before a byte of it is read; past the budget: 503 + Retry-After.
    pub body_budget_bytes: u64,
    /// Cap on the database file's size. Once reached, deliveries are answered 503 +
    /// `Retry-After` (nothing is acknowledged), as on a full disk; `None` means no cap.
    pub max_database_bytes: Option<u64>,
    /// Cap on the attachment content kept in the blob store, all instances
    /// together; a download that would pass it is not kept (`too_large`).
    pub max_blob_bytes: Option<u64>,
    /// The most a component's manifest may ask for; an instance whose component asks
    /// for more is not built (at start, or when an install is picked up).
    pub ceilings: LimitCeilings,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            max_connections: 1024,
            max_in_flight: 256,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            // Slack gives up after 3 s; answering 503 before that lets it retry.
            persist_timeout: Duration::from_secs(2),
            default_max_body_bytes: 1 << 20,
            shutdown_grace: Duration::from_secs(10),
            write_timeout: Duration::from_secs(30),
            body_budget_bytes: 64 << 20,
            max_database_bytes: None,
            max_blob_bytes: None,
            ceilings: LimitCeilings::default(),
        }
    }
}

/// Background work after the ACK.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Attempts of `on-message-persisted` before it is recorded as failed.
    pub hook_max_attempts: u32,
    /// Attempts of an agent turn before the message is dead-lettered.
    pub agent_max_attempts: u32,
    /// Attempts of a reply before it is dead-lettered.
    pub reply_max_attempts: u32,
    /// Attempts of an attachment download before it is marked failed and
    /// dead-lettered.
    pub download_max_attempts: u32,
    /// How long an agent turn waits for its message's attachments to download
    /// before it goes ahead with what is stored.
    pub attachment_wait: Duration,
    /// First retry delay; doubles per attempt, with jitter.
    pub retry_base: Duration,
    /// Longest retry delay.
    pub retry_max: Duration,
    /// Earlier turns handed to the agent with each message.
    pub max_history: usize,
    /// How long processed messages (and so their dedup records) are kept.
    pub retention: Duration,
    /// Conversations (or, for hooks, messages) of one instance processed at once by
    /// each queue; every instance has its own share.
    pub concurrency: usize,
    /// Longest time between two reads of a queue's due work from the store. New work
    /// is handed over in memory at once; the polls pick up retries and work queued by
    /// other processes.
    pub poll_interval: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            hook_max_attempts: 5,
            agent_max_attempts: 8,
            reply_max_attempts: 8,
            download_max_attempts: 5,
            attachment_wait: Duration::from_secs(60),
            retry_base: Duration::from_secs(1),
            retry_max: Duration::from_secs(300),
            max_history: 20,
            retention: Duration::from_secs(7 * 24 * 3600),
            concurrency: 16,
            poll_interval: Duration::from_secs(1),
        }
    }
}
