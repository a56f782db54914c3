use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use switchboard_runtime::{Runtime, RuntimeConfig, inspect, supported_range};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The component file.
    file: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let wasm = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    check_kind(&wasm).with_context(|| args.file.display().to_string())?;
    let runtime = Runtime::new(RuntimeConfig {
        max_concurrent_calls: 1,
        ..RuntimeConfig::default()
    })?;
    let info = inspect(&runtime, &wasm).with_context(|| args.file.display().to_string())?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&info)?);
        return Ok(ExitCode::SUCCESS);
    }
    match &info.wit {
        Some(v) => println!(
            "WIT package: switchboard:channel@{v} ({})",
            if info.supported {
                "supported by this host".to_owned()
            } else {
                format!("NOT supported; this host runs {}", supported_range())
            }
        ),
        None => println!("WIT package: none (not a switchboard channel)"),
    }
    println!(
        "optional hooks: {}",
        if info.hooks.is_empty() {
            "none".to_owned()
        } else {
            info.hooks.join(", ")
        }
    );
    println!("exports:");
    for e in &info.exports {
        println!("  {e}");
    }
    println!("imports:");
    for i in &info.imports {
        println!("  {i}");
    }
    Ok(ExitCode::SUCCESS)
}

/// Says in plain words what a file is when it is not a component, instead of
/// the compiler's byte dump.
fn check_kind(bytes: &[u8]) -> anyhow::Result<()> {
    // A wasm binary starts with `\0asm`, then a 2-byte version and a 2-byte layer:
    // layer 0 is a core module, layer 1 a component.
    match bytes {
        [0, b'a', b's', b'm', _, _, 1, 0, ..] => Ok(()),
        [0, b'a', b's', b'm', _, _, 0, 0, ..] => anyhow::bail!(
            "this is a core WebAssembly module, not a component; build channels for the wasm32-wasip2 target"
        ),
        _ => anyhow::bail!("this is not a WebAssembly component (no wasm header)"),
    }
}

#[cfg(test)]
mod tests {
    use super::check_kind;

    #[test]
    fn tells_components_from_modules_and_other_files() {
        assert!(check_kind(b"\0asm\x0d\x00\x01\x00").is_ok());
        let module = check_kind(b"\0asm\x01\x00\x00\x00").expect_err("core module");
        assert!(module.to_string().contains("core WebAssembly module"));
        let text = check_kind(b"[server]").expect_err("not wasm");
        assert!(text.to_string().contains("not a WebAssembly component"));
    }
}
