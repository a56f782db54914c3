//! `switchboard blob SHA256`: a stored attachment's content, to stdout.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use switchboard_store::BlobStore;
use tokio::io::AsyncWriteExt as _;

use crate::config::ConfigFile;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The blob's sha256, as `switchboard messages --json` shows it.
    sha256: String,
    /// Path to switchboard.toml.
    #[arg(long, short, value_name = "FILE", default_value = "switchboard.toml")]
    config: PathBuf,
}

pub(crate) async fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let file = ConfigFile::load(&args.config)?;
    let dir = file.data_dir().join("blobs");
    let blobs = BlobStore::open(&dir)
        .with_context(|| format!("cannot open the blob store {}", dir.display()))?;
    let Some((mut blob, _size)) = blobs.open_read(&args.sha256).await? else {
        eprintln!(
            "no blob {} in {} (not downloaded, or pruned)",
            args.sha256,
            dir.display()
        );
        return Ok(ExitCode::from(1));
    };
    let mut stdout = tokio::io::stdout();
    tokio::io::copy(&mut blob, &mut stdout)
        .await
        .context("cannot write the blob to stdout")?;
    stdout.flush().await?;
    Ok(ExitCode::SUCCESS)
}
