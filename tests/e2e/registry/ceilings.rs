//! A manifest's limits stay under the operator's ceilings (`[limits]` in the config):
//! a component that asks for more is refused at install and at start.

use std::path::PathBuf;

use super::support::{Registry, hostile, rebuilt, serve_expecting_refusal};
use super::{install, installed_files};
use crate::harness::TestDaemon;

/// 8 GiB, the body limit that let two unsigned requests grow a daemon to 2.7 GiB.
const HUGE_BODY: u64 = 8 << 30;

fn config(limits: &str) -> String {
    format!(
        r#"
[server]
listen = "127.0.0.1:0"
data_dir = "data"

{limits}

[channels.h]
component = "hostile"
secrets = {{ token = "registry-e2e-token" }}
"#
    )
}

/// `hostile` 0.1.0 as published, and a 0.2.0 that asks for an 8 GiB body limit.
fn greedy_registry() -> (Registry, PathBuf) {
    let (manifest, wasm) = hostile();
    let mut greedy = manifest.clone();
    greedy["version"] = "0.2.0".into();
    greedy["limits"]["max_body_bytes"] = HUGE_BODY.into();
    Registry::new()
        .add(&manifest, &wasm)
        .add(&greedy, &rebuilt(&wasm, "0.2.0"))
        .build()
}

/// Whether `text` names the manifest, the limit, the value asked, the ceiling and
/// the key that raises it.
fn names_everything(text: &str) -> bool {
    text.contains("hostile 0.2.0")
        && text.contains("max_body_bytes")
        && text.contains(&HUGE_BODY.to_string())
        && text.contains("4194304")
        && text.contains("[limits] max_body_bytes")
}

#[tokio::test]
async fn install_shows_the_limits_asked_for_and_refuses_more_than_a_ceiling() {
    let (_registry, index) = greedy_registry();
    let daemon = TestDaemon::new(&config(""));

    let (ok, out, err) = install(&daemon, "hostile@0.1.0", &index);
    assert!(ok, "{out}\n{err}");
    assert!(
        out.contains("max_body_bytes = 65536") && out.contains("call_timeout_ms = 1000"),
        "install shows the limits the manifest asks for:\n{out}"
    );

    let (ok, out, err) = install(&daemon, "hostile@0.2.0", &index);
    assert!(!ok, "a manifest above the ceiling was installed:\n{out}");
    assert!(names_everything(&err), "{err}");
    assert!(
        installed_files(&daemon)
            .iter()
            .all(|f| f.starts_with("0.1.0-")),
        "nothing of 0.2.0 is written: {:?}",
        installed_files(&daemon)
    );
}

#[tokio::test]
async fn a_ceiling_raised_for_the_install_and_lowered_again_stops_the_start() {
    let (_registry, index) = greedy_registry();
    let daemon = TestDaemon::new(&config(&format!("[limits]\nmax_body_bytes = {HUGE_BODY}")));
    let (ok, out, err) = install(&daemon, "hostile@0.2.0", &index);
    assert!(ok, "the operator raised the ceiling:\n{out}\n{err}");
    assert!(
        out.contains(&format!("max_body_bytes = {HUGE_BODY}")),
        "{out}"
    );

    daemon.reconfigure(&config(""));
    let (ok, _, err) = daemon.cli(&["check"]);
    assert!(!ok && names_everything(&err), "check names it:\n{err}");
    let refusal = serve_expecting_refusal(&daemon);
    assert!(
        !refusal.listened && !refusal.success,
        "the daemon started with a manifest above the ceiling:\n{}",
        refusal.stderr
    );
    assert!(names_everything(&refusal.stderr), "{}", refusal.stderr);
}
