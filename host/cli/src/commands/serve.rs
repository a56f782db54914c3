use std::path::Path;
use std::process::ExitCode;

use std::sync::Arc;

use anyhow::Context as _;
use switchboard_daemon::{ChannelLoader, Daemon, DaemonConfig, SystemClock, WasmLoader};
use tokio::net::TcpListener;
use tokio::signal::unix::{SignalKind, signal};

use crate::config::ConfigFile;
use crate::logging::{self, Format};

pub(crate) async fn run(
    path: &Path,
    format: Option<Format>,
    make_loader: impl FnOnce(&DaemonConfig) -> anyhow::Result<Arc<dyn ChannelLoader>>,
) -> anyhow::Result<ExitCode> {
    let file = ConfigFile::load(path)?;
    let format = match (format, file.raw.log.format.as_deref()) {
        (Some(f), _) => f,
        (None, Some(f)) => Format::parse(f)?,
        (None, None) => Format::Text,
    };
    logging::init(format, file.raw.log.level.as_deref())?;
    let config = match file.lower() {
        Ok(c) => c,
        Err(problems) => {
            eprintln!(
                "error: {} has problems; not starting:\n{problems}",
                path.display()
            );
            return Ok(ExitCode::FAILURE);
        }
    };
    let listen = file.listen()?;
    let _lock = lock_data_dir(&config.data_dir)?;
    let loader = make_loader(&config)?;
    let daemon = Daemon::prepare_with(config, loader, Arc::new(SystemClock))?;
    daemon.check_store().await?;
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("server.listen: cannot listen on {listen}"))?;
    let local = listener
        .local_addr()
        .context("cannot read the bound address")?;
    let admin = match file.admin_listen()? {
        Some(addr) => {
            let admin = TcpListener::bind(addr)
                .await
                .with_context(|| format!("server.admin_listen: cannot listen on {addr}"))?;
            let bound = admin
                .local_addr()
                .context("cannot read the bound admin address")?;
            tracing::info!(address = %bound, "admin endpoints listening");
            println!("admin listening on {bound}");
            Some(admin)
        }
        None => None,
    };
    let mut term = signal(SignalKind::terminate()).context("cannot install the SIGTERM handler")?;
    let mut int = signal(SignalKind::interrupt()).context("cannot install the SIGINT handler")?;
    tracing::info!(address = %local, "listening");
    // One plain line on stdout, for scripts and supervisors that need the port.
    println!("listening on {local}");
    let shutdown = async move {
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM received; shutting down"),
            _ = int.recv() => tracing::info!("SIGINT received; shutting down"),
        }
    };
    daemon.serve(listener, admin, shutdown).await?;
    Ok(ExitCode::SUCCESS)
}

/// Takes the data directory for this process until it exits: two daemons on one
/// directory would run the same queues (and, on PostgreSQL, share a node name).
fn lock_data_dir(data_dir: &Path) -> anyhow::Result<std::fs::File> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("server.data_dir: cannot create {}", data_dir.display()))?;
    let path = data_dir.join("serve.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("server.data_dir: cannot open {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
            "server.data_dir: another switchboard serve is running on {}; each node needs a data directory of its own",
            data_dir.display()
        ),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("server.data_dir: cannot lock {}", path.display()))
        }
    }
}

/// The product's loader: installed wasm components, compiled code cached under the
/// data directory.
pub(crate) fn wasm_loader(config: &DaemonConfig) -> anyhow::Result<Arc<dyn ChannelLoader>> {
    let loader = WasmLoader::new(config.runtime.clone(), config.data_dir.join("cache"))?;
    Ok(Arc::new(loader))
}
