//! The `switchboard` command: runs the daemon and manages channel components.
//!
//! The binary is [`main`]. [`serve_with`] runs `switchboard serve` with channels from
//! a loader of the caller's, for embedders and the benchmark's native baseline.

mod commands;
mod config;
mod logging;
mod secrets;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Switchboard connects messaging platforms to agents through sandboxed
/// WebAssembly channels.
#[derive(Debug, Parser)]
#[command(name = "switchboard", version, about)]
struct Cli {
    /// Log format: `text` (default) or `json`.
    #[arg(long, global = true, value_name = "FORMAT")]
    log_format: Option<logging::Format>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the daemon in the foreground until SIGTERM or SIGINT.
    Serve(ConfigArg),
    /// Validate the config, resolve every secret and check every component, then exit.
    Check(ConfigArg),
    /// Bring the database to this build's schema (PostgreSQL needs it before `serve`).
    Migrate(ConfigArg),
    /// Install a component (`NAME` or `NAME@VERSION`) from a registry.
    Install(commands::install::Args),
    /// Remove an installed component.
    Uninstall(commands::uninstall::Args),
    /// List installed components.
    List(commands::list::Args),
    /// Work with registry indexes.
    #[command(subcommand)]
    Registry(commands::registry::Command),
    /// Describe a component file: WIT version, exports, imports.
    Inspect(commands::inspect::Args),
    /// Tools for channel authors: `channel test` runs recorded cases.
    #[command(subcommand)]
    Channel(commands::channel::Command),
    /// Print stored messages.
    Messages(commands::messages::Args),
    /// Print queued and sent replies.
    Replies(commands::messages::Args),
    /// Write a stored attachment (by sha256) to stdout.
    Blob(commands::blob::Args),
    /// Inspect and replay dead letters.
    #[command(subcommand, name = "dead-letters")]
    DeadLetters(commands::dead_letters::Command),
    /// Give messages that got no turn for an access reason a turn after all.
    Answer(commands::answer::Args),
    /// Pairing codes of unknown senders: list, approve, deny; revoke a sender.
    #[command(subcommand)]
    Pairing(commands::pairing::Command),
    /// Show or remove the key-value state channels keep.
    #[command(subcommand)]
    State(commands::state::Command),
    /// Send a message first (no message to answer), with files if any; prints its id.
    Send(commands::send::Args),
    /// Send a realistic signed test delivery to a running daemon.
    #[command(name = "send-test")]
    SendTest(commands::send_test::Args),
}

/// The config file argument shared by most commands.
#[derive(Debug, clap::Args)]
struct ConfigArg {
    /// Path to switchboard.toml.
    #[arg(long, short, value_name = "FILE", default_value = "switchboard.toml")]
    config: PathBuf,
}

/// The `switchboard` command line: parses the arguments and runs the command.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    block_on(run(cli))
}

/// `switchboard serve --config <config>`, with the channels built by the loader that
/// `make_loader` returns for the lowered configuration (the benchmark's native
/// baseline builds one channel natively this way). Runs until SIGTERM or SIGINT.
pub fn serve_with(
    config: &Path,
    make_loader: impl FnOnce(
        &switchboard_daemon::DaemonConfig,
    )
        -> anyhow::Result<std::sync::Arc<dyn switchboard_daemon::ChannelLoader>>,
) -> ExitCode {
    block_on(commands::serve::run(config, None, make_loader))
}

fn block_on(work: impl std::future::Future<Output = anyhow::Result<ExitCode>>) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(work);
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve(arg) => {
            commands::serve::run(&arg.config, cli.log_format, commands::serve::wasm_loader).await
        }
        Command::Check(arg) => commands::check::run(&arg.config).await,
        Command::Migrate(arg) => commands::migrate::run(&arg.config).await,
        Command::Install(args) => commands::install::run(args).await,
        Command::Uninstall(args) => commands::uninstall::run(&args),
        Command::List(args) => commands::list::run(&args),
        Command::Registry(cmd) => commands::registry::run(cmd).await,
        Command::Inspect(args) => commands::inspect::run(&args),
        Command::Channel(cmd) => commands::channel::run(cmd).await,
        Command::Messages(args) => commands::messages::messages(&args).await,
        Command::Replies(args) => commands::messages::replies(&args).await,
        Command::Blob(args) => commands::blob::run(&args).await,
        Command::DeadLetters(cmd) => commands::dead_letters::run(cmd, cli.log_format).await,
        Command::State(cmd) => commands::state::run(cmd).await,
        Command::Pairing(cmd) => commands::pairing::run(cmd).await,
        Command::Answer(args) => commands::answer::run(&args).await,
        Command::Send(args) => commands::send::run(&args).await,
        Command::SendTest(args) => commands::send_test::run(&args).await,
    }
}
