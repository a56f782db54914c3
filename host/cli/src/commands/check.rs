use std::path::Path;
use std::process::ExitCode;

use switchboard_daemon::{Clock as _, DaemonConfig, StoreConfig, SystemClock, installed_summary};

use crate::config::ConfigFile;

/// Runs every check `serve` runs before it starts, without starting. With a
/// PostgreSQL store it also reaches the database and compares this node's components
/// with what the other nodes serving it reported.
pub(crate) async fn run(path: &Path) -> anyhow::Result<ExitCode> {
    let file = ConfigFile::load(path)?;
    match file.lower() {
        Ok(config) => {
            println!(
                "{}: ok ({} channel instance(s), agent {})",
                path.display(),
                config.instances.len(),
                config.agent.kind()
            );
            for instance in &config.instances {
                let mode = switchboard_daemon::ReceiveMode::of(
                    &instance.component.manifest,
                    &instance.settings,
                );
                let receives = match mode {
                    Ok(switchboard_daemon::ReceiveMode::Webhook) | Err(_) => {
                        format!("/webhooks/{}", instance.name)
                    }
                    Ok(mode) => format!("{} ({})", instance.name, mode.as_str()),
                };
                println!(
                    "  {receives} -> {} {} (switchboard:channel@{})",
                    instance.component.name,
                    instance.component.version,
                    instance.component.manifest.wit
                );
            }
            check_shared_store(&config).await
        }
        Err(problems) => {
            eprintln!(
                "{}: {} problem(s):\n{problems}",
                path.display(),
                problems.0.len()
            );
            Ok(ExitCode::FAILURE)
        }
    }
}

/// For a PostgreSQL store: the database is reachable and migrated, and every node seen
/// recently runs the same components as this one (a warning otherwise: a delivery
/// could be handled by either version).
async fn check_shared_store(config: &DaemonConfig) -> anyhow::Result<ExitCode> {
    let StoreConfig::Postgres { lease, .. } = &config.store else {
        return Ok(ExitCode::SUCCESS);
    };
    let store = match switchboard_daemon::open_store(&config.store, &config.data_dir, true).await {
        Ok(store) => store,
        Err(e) => {
            eprintln!("store: {e:#}");
            return Ok(ExitCode::FAILURE);
        }
    };
    println!("  store: PostgreSQL, schema up to date");
    let ours = installed_summary(config.instances.iter().map(|i| &i.component));
    // Nodes announce themselves every third of the lease; three leases back is "now".
    let since = SystemClock.now_ms()
        - i64::try_from(lease.as_millis().saturating_mul(3)).unwrap_or(i64::MAX);
    for node in store.nodes_seen_since(since).await? {
        if node.installed != ours {
            println!(
                "  warning: node {} on {} runs different components:\n    it:   {}\n    here: {}",
                node.node,
                node.host,
                one_line(&node.installed),
                one_line(&ours)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn one_line(summary: &str) -> String {
    if summary.is_empty() {
        "(none)".to_owned()
    } else {
        summary.replace('\n', ", ")
    }
}
