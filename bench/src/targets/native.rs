//! T2: `switchboard serve` itself, with the WhatsApp channel's logic compiled
//! natively in place of the component.
//!
//! Same config file as T3, lowered by the same code, the same daemon: ingress,
//! verification, in-flight bounds, the store and its group commit, the hook,
//! agent-turn and outbox workers, egress with grants and secret placeholders.
//! Only the channel calls differ: they go to [`NativeWhatsApp`] instead of a
//! fresh sandboxed instance. The component is still installed and loaded (the
//! daemon checks it at startup), just never called.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use super::native_channel::NativeWhatsApp;

/// Runs the daemon for `config` until SIGTERM, every `whatsapp` instance served
/// natively.
pub fn serve(config: &Path) -> ExitCode {
    switchboard_cli::serve_with(config, |daemon| {
        for instance in &mut daemon.instances {
            if instance.component.name == "whatsapp" {
                instance.native = Some(Arc::new(NativeWhatsApp));
            }
        }
    })
}
