//! T2: `switchboard serve` itself, with the WhatsApp channel's logic compiled
//! natively in place of the component.
//!
//! Same config file as T3, lowered by the same code, the same daemon: ingress,
//! verification, in-flight bounds, the store and its group commit, the hook,
//! turn and reply queues, egress with grants and secret placeholders. Only the
//! channel differs: the daemon's loader seam hands it [`NativeWhatsApp`] for every
//! instance of the `whatsapp` component instead of a sandboxed component, and loads
//! every other instance as usual.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use switchboard_daemon::{ChannelLoader, InstanceConfig, LoadedChannel, WasmLoader};

use super::native_channel::NativeWhatsApp;

/// Builds `whatsapp` instances natively and everything else from its component.
struct NativeLoader {
    wasm: WasmLoader,
}

impl ChannelLoader for NativeLoader {
    fn load(&self, instance: &InstanceConfig) -> anyhow::Result<LoadedChannel> {
        if instance.component.name == "whatsapp" {
            return Ok(LoadedChannel {
                channel: Arc::new(NativeWhatsApp),
                wit_version: None,
                from_cache: false,
            });
        }
        self.wasm.load(instance)
    }
}

/// Runs the daemon for `config` until SIGTERM, every `whatsapp` instance served
/// natively.
pub fn serve(config: &Path) -> ExitCode {
    switchboard_cli::serve_with(config, |daemon| {
        let wasm = WasmLoader::new(daemon.runtime.clone(), daemon.data_dir.join("cache"))?;
        Ok(Arc::new(NativeLoader { wasm }))
    })
}
