use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use switchboard_registry::{
    ComponentSpec, InstallOutcome, InstallRequest, PlainHttp, Source, load_index, plan_install,
};

use crate::commands::wit_support;
use crate::config::ConfigFile;

mod confirm;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The component: `NAME` (newest compatible version) or `NAME@VERSION` (a semver requirement).
    spec: String,
    /// Path to switchboard.toml (its data directory receives the component).
    #[arg(long, short, value_name = "FILE", default_value = "switchboard.toml")]
    config: PathBuf,
    /// Registry index: a path, `file:` or `http(s):` URL. Defaults to `[registry] index`.
    #[arg(long, value_name = "PATH_OR_URL")]
    registry: Option<String>,
    /// Accept an index or artifact over plain `http://` (anyone on the way can change it).
    #[arg(long)]
    allow_http: bool,
    /// Accept an upgrade that widens the installed component's permissions (new
    /// origins, higher limits, other verification) without asking.
    #[arg(long, short)]
    yes: bool,
}

/// `--allow-http` as the registry crate takes it.
pub(crate) fn plain_http(allow: bool) -> PlainHttp {
    if allow {
        PlainHttp::Allow
    } else {
        PlainHttp::Refuse
    }
}

pub(crate) async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let file = ConfigFile::load(&args.config)?;
    let source = registry_source(&file, args.registry.as_deref())?;
    let spec: ComponentSpec = args.spec.parse()?;
    let index = load_index(&source, plain_http(args.allow_http)).await?;
    let data_dir = file.data_dir();
    let wit = wit_support();
    let ceilings = file.ceilings();
    let plan = plan_install(
        &index,
        InstallRequest {
            name: &spec.name,
            version: spec.version.clone(),
            data_dir: &data_dir,
            wit: &wit,
            ceilings,
        },
    )
    .await?;
    confirm::approve(&plan, args.yes)?;
    let report = plan.apply().await?;
    let c = &report.component;
    match &report.outcome {
        InstallOutcome::Installed => println!(
            "installed {} {} (switchboard:channel@{})",
            c.name, c.version, c.wit
        ),
        InstallOutcome::Replaced { previous } => {
            let verb = match previous.cmp(&c.version) {
                std::cmp::Ordering::Less => "upgraded",
                std::cmp::Ordering::Greater => "downgraded",
                // Same version, another build (or a repaired artifact).
                std::cmp::Ordering::Equal => "reinstalled",
            };
            println!(
                "{verb} {} {previous} -> {} (switchboard:channel@{})",
                c.name, c.version, c.wit
            );
        }
        InstallOutcome::AlreadyInstalled => {
            println!("{} {} is already installed", c.name, c.version)
        }
    }
    println!("  sha256 {}", c.sha256);
    if report.capabilities.http.is_empty() {
        println!("  requests no outbound network access");
    } else {
        println!("  requests outbound access to:");
        for cap in &report.capabilities.http {
            println!("    {cap}");
        }
    }
    let limits: Vec<String> = ceilings
        .asked(&c.manifest)
        .into_iter()
        .map(|(limit, asked, ceiling)| match asked {
            Some(asked) => format!("{limit} = {asked} (ceiling {ceiling})"),
            None => format!("{limit} = host default"),
        })
        .collect();
    println!("  asks for limits: {}", limits.join(", "));
    println!("  a running daemon picks this up within a few seconds");
    Ok(ExitCode::SUCCESS)
}

/// The registry to use: the flag, else the config's `[registry] index`.
pub(crate) fn registry_source(file: &ConfigFile, flag: Option<&str>) -> anyhow::Result<Source> {
    let text = match (flag, file.raw.registry.index.as_deref()) {
        (Some(r), _) => r.to_owned(),
        (None, Some(r)) => {
            // A relative index path in the config is relative to the config file.
            if r.contains(':') {
                r.to_owned()
            } else {
                file.base_dir().join(r).display().to_string()
            }
        }
        (None, None) => anyhow::bail!(
            "no registry given: pass --registry PATH_OR_URL or set [registry] index in {}",
            file.path.display()
        ),
    };
    Source::parse(&text).with_context(|| format!("registry {text:?}"))
}
