use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use switchboard_registry::{build_index, load_index, read_manifest};

use crate::commands::install::{plain_http, registry_source};
use crate::commands::wit_support;
use crate::config::ConfigFile;

#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// List the components of a registry: name, latest version, description.
    List {
        /// Path to switchboard.toml (for `[registry] index`).
        #[arg(long, short, value_name = "FILE", default_value = "switchboard.toml")]
        config: PathBuf,
        /// Registry index: a path, `file:` or `http(s):` URL.
        #[arg(long, value_name = "PATH_OR_URL")]
        registry: Option<String>,
        /// Accept an index over plain `http://` (anyone on the way can change it).
        #[arg(long)]
        allow_http: bool,
    },
    /// Write a registry index for built components: one `--component MANIFEST=WASM`
    /// per component; artifact paths are written relative to the index.
    Build {
        /// `path/to/manifest.json=path/to/component.wasm`, repeatable.
        #[arg(long = "component", value_name = "MANIFEST=WASM", required = true)]
        components: Vec<String>,
        /// Where to write the index.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

pub(crate) async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::List {
            config,
            registry,
            allow_http,
        } => {
            let file = ConfigFile::load(&config)?;
            let source = registry_source(&file, registry.as_deref())?;
            let index = load_index(&source, plain_http(allow_http)).await?;
            let wit = wit_support();
            for c in &index.index().components {
                let latest = c.versions.iter().max_by(|a, b| a.version.cmp(&b.version));
                let Some(latest) = latest else { continue };
                let note = if wit.is_compatible(&latest.wit) {
                    ""
                } else {
                    "  (needs a newer host)"
                };
                println!(
                    "{:<16} {:<10} {}{note}",
                    c.name, latest.version, c.description
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Build { components, out } => {
            let mut entries = Vec::new();
            for spec in &components {
                let (manifest, wasm) = spec
                    .split_once('=')
                    .with_context(|| format!("--component {spec:?}: expected MANIFEST=WASM"))?;
                let manifest = read_manifest(manifest.as_ref())?;
                entries.push((manifest, PathBuf::from(wasm)));
            }
            build_index(&entries, &out)?;
            println!("wrote {} ({} component(s))", out.display(), entries.len());
            Ok(ExitCode::SUCCESS)
        }
    }
}
