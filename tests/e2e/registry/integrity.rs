//! Installed artifacts changed behind the installer's back are not loaded.

use super::support::Registry;
use super::support::{hostile, rebuilt, serve_expecting_refusal, sha256};
use super::{hostile_daemon, install};

#[tokio::test]
async fn an_artifact_whose_digest_differs_from_installed_json_stops_the_start() {
    let (manifest, wasm) = hostile();
    let (_registry, index) = Registry::new().add(&manifest, &wasm).build();
    let daemon = hostile_daemon();
    let (ok, out, err) = install(&daemon, "hostile", &index);
    assert!(ok, "{out}\n{err}");
    let file_name = format!("0.1.0-{}.wasm", &sha256(&wasm)[..16]);
    let installed = daemon
        .dir
        .path()
        .join("data/components/hostile")
        .join(&file_name);
    // A working component, only not the one that was verified at install.
    let tampered = rebuilt(&wasm, "swapped-in");
    std::fs::write(&installed, &tampered).expect("tamper");

    let refusal = serve_expecting_refusal(&daemon);
    assert!(
        !refusal.listened && !refusal.success,
        "the daemon started with a changed artifact:\n{}",
        refusal.stderr
    );
    assert!(
        refusal.stderr.contains(&file_name),
        "the error names the file:\n{}",
        refusal.stderr
    );
    assert!(
        refusal.stderr.contains(&sha256(&wasm)) && refusal.stderr.contains(&sha256(&tampered)),
        "the error names the expected and the actual digest:\n{}",
        refusal.stderr
    );
}
