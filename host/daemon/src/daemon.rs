use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use switchboard_egress::{DnsOptions, Egress, EgressOptions};
use switchboard_store::{BlobStore, Store, StoreError, StoreOptions};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

use crate::api::{self, ApiToken};
use crate::clock::{Clock, SystemClock};
use crate::config::{DaemonConfig, StoreConfig};
use crate::ingress::budget::BodyBudget;
use crate::ingress::routes::Surface;
use crate::ingress::server;
use crate::instance::{BuildContext, Instance};
use crate::loader::{ChannelLoader, WasmLoader};
use crate::metrics::Metrics;
use crate::mode::Mode;
use crate::queue::downloads::Downloads;
use crate::queue::engine::{self, Engine, Settings};
use crate::queue::hooks::Hooks;
use crate::queue::leasing::Leasing;
use crate::queue::replies::Replies;
use crate::queue::turns::Turns;
use crate::shared::{Feeds, Instances, Shared};
use crate::workers;

/// A daemon whose store, sandbox and channel instances are ready; nothing is
/// listening yet. Every configuration problem surfaces from [`Daemon::prepare`],
/// before a socket accepts a connection.
pub struct Daemon {
    shared: Arc<Shared>,
    reloader: workers::reload::Reloader,
    pub(crate) engines: Engines,
}

/// The queues' engines, run by [`Daemon::serve`] (or round by round in tests).
pub(crate) struct Engines {
    pub(crate) hooks: Engine<Hooks>,
    pub(crate) turns: Engine<Turns>,
    pub(crate) replies: Engine<Replies>,
    pub(crate) downloads: Engine<Downloads>,
}

impl std::fmt::Debug for Daemon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Daemon").finish_non_exhaustive()
    }
}

/// The database file inside the data directory.
pub fn database_path(data_dir: &std::path::Path) -> std::path::PathBuf {
    data_dir.join("switchboard.db")
}

/// This node's name among the nodes sharing a database: its host and data directory.
/// The same after a restart, so a node restarted after a crash takes its own leases
/// back at once instead of waiting for them to run out; `switchboard serve` locks the
/// data directory, so no two running processes share a name.
fn node_name(data_dir: &std::path::Path) -> String {
    let dir = std::fs::canonicalize(data_dir).unwrap_or_else(|_| data_dir.to_owned());
    format!("{}:{}", crate::config::host_name(), dir.display())
}

/// Opens the store `config` names, as the daemon does (`read_only` for inspection:
/// SQLite then refuses writes; PostgreSQL has no such mode and is opened normally).
/// A PostgreSQL database must hold this build's schema (`switchboard migrate`).
pub async fn open_store(
    config: &StoreConfig,
    data_dir: &std::path::Path,
    read_only: bool,
) -> anyhow::Result<Store> {
    let store = open_store_lazily(config, data_dir, read_only)?;
    check_store(&store).await?;
    Ok(store)
}

/// [`open_store`] without talking to a PostgreSQL server yet.
fn open_store_lazily(
    config: &StoreConfig,
    data_dir: &std::path::Path,
    read_only: bool,
) -> anyhow::Result<Store> {
    match config {
        StoreConfig::Sqlite => {
            let db = database_path(data_dir);
            let opened = if read_only {
                Store::open_read_only(&db)
            } else {
                Store::open(&db, StoreOptions::default())
            };
            opened.with_context(|| format!("cannot open the database {}", db.display()))
        }
        StoreConfig::Postgres { options, .. } => Store::postgres(options)
            .context("store.url: cannot set up the PostgreSQL connection pool"),
    }
}

/// Fails, naming what to do, unless the store is reachable and holds this build's
/// schema.
async fn check_store(store: &Store) -> anyhow::Result<()> {
    match store.check_schema().await {
        Ok(()) => Ok(()),
        Err(StoreError::SchemaVersion { found, supported }) if found < supported => {
            anyhow::bail!(
                "the PostgreSQL database has schema version {found} and this build needs version {supported}: run `switchboard migrate --config <file>` first"
            )
        }
        Err(StoreError::SchemaVersion { found, supported }) => anyhow::bail!(
            "the PostgreSQL database has schema version {found}, newer than this build's version {supported}: run a newer switchboard"
        ),
        Err(e) => {
            Err(anyhow::Error::new(e).context("store.url: cannot reach the PostgreSQL database"))
        }
    }
}

/// Applies `server.max_database_bytes` to the store. The cap is a property of the
/// writer connection, so it is set on every start and a raised cap takes effect with
/// the next one.
pub(crate) async fn apply_size_limit(shared: &Shared) -> anyhow::Result<()> {
    let Some(max) = shared.server.max_database_bytes else {
        return Ok(());
    };
    let cap = shared
        .store
        .set_size_limit(Some(max))
        .await
        .context("cannot apply server.max_database_mb")?;
    if cap > max {
        tracing::warn!(
            cap_bytes = max,
            file_bytes = cap,
            "the database is already larger than server.max_database_mb; deliveries that add to it are answered 503 until the cap is raised"
        );
    } else {
        tracing::info!(cap_bytes = cap, "database size capped");
    }
    Ok(())
}

impl Daemon {
    /// Opens the store, starts the sandbox and loads every channel instance from its
    /// installed component.
    pub fn prepare(config: DaemonConfig) -> anyhow::Result<Daemon> {
        let loader = WasmLoader::new(config.runtime.clone(), config.data_dir.join("cache"))?;
        Daemon::prepare_with(config, Arc::new(loader), Arc::new(SystemClock))
    }

    /// Like [`Daemon::prepare`], with the channels built by `loader` and time read
    /// from `clock`.
    pub fn prepare_with(
        config: DaemonConfig,
        loader: Arc<dyn ChannelLoader>,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Daemon> {
        let store = open_store_lazily(&config.store, &config.data_dir, false)?;
        let blobs_dir = config.data_dir.join("blobs");
        let blobs = BlobStore::open(&blobs_dir)
            .with_context(|| format!("cannot open the blob store {}", blobs_dir.display()))?;
        let egress = Egress::new(EgressOptions {
            max_response_bytes: 4 << 20,
            default_timeout: Duration::from_secs(10),
            // Long polls (Telegram `getUpdates` waits up to 50 s) need more than a
            // reply does; a call's own deadline still bounds every request.
            max_timeout: Duration::from_secs(60),
            user_agent: format!("switchboard/{}", env!("CARGO_PKG_VERSION")),
            dns: DnsOptions::from_env()?,
        })
        .context("cannot build the outbound HTTP client")?;
        let metrics = Metrics::default();
        let cx = BuildContext {
            loader: &*loader,
            egress: &egress,
            blobs: &blobs,
            store: &store,
            server: &config.server,
            metrics: &metrics,
        };
        let mut instances = HashMap::new();
        for instance in &config.instances {
            let built = Instance::build(instance, &cx)?;
            instances.insert(instance.name.clone(), Arc::new(built));
        }
        let (hooks_feed, hooks_inbox) = engine::feed();
        let (turns_feed, turns_inbox) = engine::feed();
        let (replies_feed, replies_inbox) = engine::feed();
        let (downloads_feed, downloads_inbox) = engine::feed();
        let feeds = Feeds {
            hooks: hooks_feed,
            turns: turns_feed,
            replies: replies_feed,
            downloads: downloads_feed,
        };
        let leasing = match &config.store {
            StoreConfig::Sqlite => None,
            StoreConfig::Postgres { lease, .. } => {
                Leasing::for_store(&store, &node_name(&config.data_dir), *lease)
            }
        };
        let shared = Arc::new(Shared {
            store,
            blobs,
            instances: Instances::new(instances),
            agent: config.agent.clone(),
            in_flight: Arc::new(Semaphore::new(config.server.max_in_flight)),
            body_budget: BodyBudget::new(config.server.body_budget_bytes),
            server: config.server.clone(),
            workers: config.workers.clone(),
            feeds,
            clock: clock.clone(),
            metrics,
            admin_url: std::sync::OnceLock::new(),
            api: config.api.token.as_deref().map(ApiToken::new),
            leasing: leasing.clone(),
        });
        let workers_config = &config.workers;
        let settings = Settings {
            concurrency: workers_config.concurrency,
            batch: 256,
            poll_interval: workers_config.poll_interval,
            retry_base: workers_config.retry_base,
            retry_max: workers_config.retry_max,
        };
        let engines = Engines {
            hooks: Engine::new(
                Arc::new(Hooks(shared.clone())),
                clock.clone(),
                settings,
                hooks_inbox,
            )
            .with_leasing(leasing.clone()),
            turns: Engine::new(
                Arc::new(Turns(shared.clone())),
                clock.clone(),
                settings,
                turns_inbox,
            )
            .with_leasing(leasing.clone()),
            replies: Engine::new(
                Arc::new(Replies(shared.clone())),
                clock.clone(),
                settings,
                replies_inbox,
            )
            .with_leasing(leasing.clone()),
            downloads: Engine::new(
                Arc::new(Downloads(shared.clone())),
                clock,
                settings,
                downloads_inbox,
            )
            .with_leasing(leasing.clone()),
        };
        let reloader = workers::reload::Reloader {
            data_dir: config.data_dir.clone(),
            configs: config.instances.clone(),
            loader,
            egress,
        };
        Ok(Daemon {
            shared,
            reloader,
            engines,
        })
    }

    pub(crate) fn shared(&self) -> Arc<Shared> {
        self.shared.clone()
    }

    /// Checks that the store is reachable and holds this build's schema.
    pub async fn check_store(&self) -> anyhow::Result<()> {
        check_store(&self.shared.store).await
    }

    /// Serves webhooks on `listener` and runs the background workers until
    /// `shutdown` resolves; then stops accepting, finishes requests in flight, lets
    /// the workers finish their current item, and closes the store.
    ///
    /// With an `admin` listener, `/healthz`, `/readyz`, `/metrics` and the HTTP API
    /// are served there and not on the webhook listener.
    pub async fn serve(
        self,
        listener: TcpListener,
        admin: Option<TcpListener>,
        shutdown: impl Future<Output = ()>,
    ) -> anyhow::Result<()> {
        self.check_store().await?;
        let shared = self.shared;
        apply_size_limit(&shared).await?;
        let (stop_tx, stop_rx) = watch::channel(false);
        let grace = shared.server.shutdown_grace.max(Duration::from_secs(1));
        let Engines {
            hooks,
            turns,
            replies,
            downloads,
        } = self.engines;
        let receivers: Vec<(String, Mode)> = shared
            .instances()
            .values()
            .map(|i| (i.name.clone(), i.mode))
            .collect();
        let mut tasks = Vec::new();
        for (name, mode) in receivers {
            let (shared, stop) = (shared.clone(), stop_rx.clone());
            match mode {
                Mode::Webhook => {}
                Mode::Polling => tasks.push(tokio::spawn(workers::poll::run(shared, name, stop))),
                Mode::Socket => {
                    tasks.push(tokio::spawn(workers::session::run(shared, name, stop)));
                }
            }
        }
        tasks.extend([
            tokio::spawn(hooks.run(stop_rx.clone(), grace)),
            tokio::spawn(turns.run(stop_rx.clone(), grace)),
            tokio::spawn(replies.run(stop_rx.clone(), grace)),
            tokio::spawn(downloads.run(stop_rx.clone(), grace)),
            tokio::spawn(workers::prune::run(shared.clone(), stop_rx.clone())),
            tokio::spawn(workers::lease::renew(shared.clone(), stop_rx.clone())),
            tokio::spawn(workers::reload::run(shared.clone(), self.reloader, stop_rx)),
        ]);

        let (admin_stop_tx, admin_stop_rx) = watch::channel(false);
        let admin_task = admin.map(|admin| {
            if let Ok(addr) = admin.local_addr() {
                // silent-ok: set once per daemon; a second serve keeps the first.
                let _ = shared.admin_url.set(format!("http://{addr}"));
            }
            let shared = shared.clone();
            let mut stop = admin_stop_rx;
            tokio::spawn(async move {
                let stopped = async move {
                    // silent-ok: a dropped sender also means stop.
                    let _ = stop.wait_for(|s| *s).await;
                };
                server::serve(admin, Surface::Admin, shared, stopped).await;
            })
        });
        api::announce(&shared, admin_task.is_some());
        let surface = if admin_task.is_some() {
            Surface::Webhooks
        } else {
            Surface::WebhooksAndHealth
        };
        server::serve(listener, surface, shared.clone(), shutdown).await;
        // silent-ok: the admin server has already stopped if the receiver is gone.
        let _ = admin_stop_tx.send(true);
        if let Some(task) = admin_task {
            // silent-ok: a panicked admin server has nothing left to clean up.
            let _ = task.await;
        }

        // silent-ok: every worker has already exited if the receiver is gone.
        let _ = stop_tx.send(true);
        // Each engine gives its items in flight `grace` and then abandons them; the
        // extra second covers the abandoning itself.
        for task in tasks {
            if tokio::time::timeout(grace + Duration::from_secs(1), task)
                .await
                .is_err()
            {
                tracing::warn!(
                    "a worker did not stop in time; its item will be retried after restart"
                );
            }
        }
        let store = shared.store.clone();
        drop(shared);
        store
            .close()
            .await
            .context("cannot close the store cleanly")?;
        tracing::info!("stopped");
        Ok(())
    }
}
