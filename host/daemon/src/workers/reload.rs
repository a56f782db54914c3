//! Picks up `switchboard install`, upgrade and `uninstall` without a restart.
//!
//! The installed set is one file, replaced atomically by the installer; when it
//! changes, instances whose component changed are rebuilt (compiled off the async
//! threads) and the instance table is swapped in one step. A request already
//! running keeps the `Arc<Instance>` it started with, so it finishes on the old
//! version; the next request uses the new one.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use switchboard_egress::Egress;

use crate::config::{ComponentRef, InstanceConfig};
use crate::instance::{BuildContext, Instance};
use crate::loader::ChannelLoader;
use crate::shared::Shared;
use crate::workers::Stop;

const POLL: Duration = Duration::from_secs(1);

/// What a rebuild needs besides the shared state.
pub(crate) struct Reloader {
    pub(crate) data_dir: PathBuf,
    pub(crate) configs: Vec<InstanceConfig>,
    pub(crate) loader: Arc<dyn ChannelLoader>,
    pub(crate) egress: Egress,
}

pub(crate) async fn run(shared: Arc<Shared>, reloader: Reloader, mut stop: Stop) {
    let file = switchboard_registry::components_dir(&reloader.data_dir)
        .join(switchboard_registry::INSTALLED_FILE);
    // Start unknown, so an install that raced with startup is still picked up;
    // unchanged instances are kept as they are.
    let mut seen = None;
    let reloader = Arc::new(reloader);
    loop {
        tokio::select! {
            () = tokio::time::sleep(POLL) => {}
            changed = stop.changed() => if changed.is_err() || *stop.borrow() { return },
        }
        let now = stamp(&file);
        if seen.is_some() && now == seen {
            continue;
        }
        if seen.is_none() && now.is_none() {
            continue;
        }
        seen = now;
        let shared2 = shared.clone();
        let reloader2 = reloader.clone();
        match tokio::task::spawn_blocking(move || rebuild(&shared2, &reloader2)).await {
            Ok(Ok(table)) => {
                let before = shared.instances();
                for (name, instance) in &table {
                    if !before
                        .get(name)
                        .is_some_and(|old| Arc::ptr_eq(old, instance))
                    {
                        tracing::info!(instance = %name, component = %instance.source.name, version = %instance.source.version, "now serving the newly installed version");
                    }
                }
                shared.replace_instances(table);
            }
            Ok(Err(e)) => {
                tracing::error!(error = %format!("{e:#}"), "installed components changed but could not be loaded; still serving the previous versions")
            }
            Err(e) => {
                tracing::error!(error = %e, "component reload panicked; still serving the previous versions")
            }
        }
    }
}

fn stamp(file: &std::path::Path) -> Option<(SystemTime, u64)> {
    let meta = std::fs::metadata(file).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

fn rebuild(shared: &Shared, reloader: &Reloader) -> anyhow::Result<HashMap<String, Arc<Instance>>> {
    let installed = switchboard_registry::installed(&reloader.data_dir)?;
    let current = shared.instances();
    let cx = BuildContext {
        loader: &*reloader.loader,
        egress: &reloader.egress,
        blobs: &shared.blobs,
        store: &shared.store,
        server: &shared.server,
        metrics: &shared.metrics,
    };
    let mut table = HashMap::new();
    for config in &reloader.configs {
        let Some(component) = installed.components.get(&config.component.name) else {
            if current.contains_key(&config.name) {
                tracing::warn!(instance = %config.name, component = %config.component.name, "component uninstalled; the instance is no longer served");
            }
            continue;
        };
        // A republished manifest (new version, defaults, grants, limits) with the
        // same bytes is a change too.
        let unchanged = current.get(&config.name).is_some_and(|i| {
            i.source.sha256 == component.sha256.to_string()
                && i.source.version == component.version
                && i.source.manifest == component.manifest
        });
        if unchanged {
            if let Some(existing) = current.get(&config.name) {
                table.insert(config.name.clone(), existing.clone());
            }
            continue;
        }
        let mut config = config.clone();
        config.component = ComponentRef {
            name: component.name.clone(),
            version: component.version.clone(),
            sha256: component.sha256.to_string(),
            wasm_path: component.wasm_path(&reloader.data_dir),
            manifest: component.manifest.clone(),
        };
        let instance = Instance::build(&config, &cx)?;
        table.insert(config.name.clone(), Arc::new(instance));
    }
    Ok(table)
}
