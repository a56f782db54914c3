//! Installs, upgrades and uninstalls picked up by a running daemon.

use std::time::Duration;

use super::cache::cache_entries;
use super::support::{Registry, hostile, plain, poll, rebuilt, variant};
use super::{hostile_daemon, install, post, two_versions};
use crate::harness::{TestDaemon, eventually};

/// Installs 0.1.0, starts the daemon, upgrades to 0.2.0 and waits until new
/// requests get 0.2.0's answer, without a restart.
async fn upgrade_while_serving(same_bytes: bool) -> TestDaemon {
    let (_registry, index) = two_versions(same_bytes);
    let mut daemon = hostile_daemon();
    let (ok, out, err) = install(&daemon, "hostile@0.1.0", &index);
    assert!(ok, "{out}\n{err}");
    daemon.start();
    assert_eq!(post(&daemon, "before-1").await, (200, "stored".to_owned()));

    let (ok, out, err) = install(&daemon, "hostile", &index);
    assert!(ok, "{out}\n{err}");
    assert!(out.contains("upgraded hostile 0.1.0 -> 0.2.0"), "{out}");

    let served = poll(Duration::from_secs(20), || async {
        let (status, body) = post(&daemon, "probe").await;
        (status == 200 && body.starts_with("env:")).then_some(())
    })
    .await;
    assert!(
        served.is_some(),
        "new requests never reached 0.2.0; log:\n{}",
        daemon.log()
    );
    let logged = eventually(Duration::from_secs(10), || {
        plain(&daemon.log())
            .lines()
            .any(|l| {
                l.contains("now serving the newly installed version") && l.contains("version=0.2.0")
            })
            .then_some(())
    })
    .await;
    assert!(logged.is_some(), "log:\n{}", daemon.log());
    for n in 0..3 {
        let (status, body) = post(&daemon, &format!("after-{n}")).await;
        assert_eq!(status, 200);
        assert!(
            body.starts_with("env:"),
            "request {n} went back to 0.1.0: {body}"
        );
    }
    let ids: Vec<String> = daemon
        .messages()
        .iter()
        .map(|m| m["external_id"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(
        ids.contains(&"before-1".to_owned()) && !ids.iter().any(|i| i.starts_with("after-")),
        "only 0.1.0 stores messages: {ids:?}"
    );
    daemon
}

#[tokio::test]
async fn upgrade_while_serving_moves_new_requests_to_the_new_version() {
    let daemon = upgrade_while_serving(false).await;
    // The new build got its own compiled-code cache entry.
    assert_eq!(
        cache_entries(&daemon).len(),
        2,
        "{:?}",
        cache_entries(&daemon)
    );
}

#[tokio::test]
async fn upgrade_that_changes_only_the_manifest_is_picked_up_while_serving() {
    // A republished version with the same component bytes but a new manifest (here a
    // new setting default; it could be a new capability or limit) must be served too.
    upgrade_while_serving(true).await;
}

#[tokio::test]
async fn uninstall_while_serving_stops_serving_the_instance() {
    let (_registry, index) = two_versions(false);
    let mut daemon = hostile_daemon();
    let (ok, out, err) = install(&daemon, "hostile@0.1.0", &index);
    assert!(ok, "{out}\n{err}");
    daemon.start();
    assert_eq!(post(&daemon, "u-1").await.0, 200);

    let (ok, out, err) = daemon.cli(&["uninstall", "hostile"]);
    assert!(ok, "{out}\n{err}");
    assert!(out.contains("uninstalled hostile 0.1.0"), "{out}");
    assert!(out.contains("channels.h still name it"), "{out}");

    let gone = poll(Duration::from_secs(20), || async {
        (post(&daemon, "u-2").await.0 == 404).then_some(())
    })
    .await;
    assert!(
        gone.is_some(),
        "still served after uninstall; log:\n{}",
        daemon.log()
    );
    let ready = reqwest::get(daemon.url("/readyz")).await.expect("readyz");
    assert_eq!(
        ready.status().as_u16(),
        503,
        "no channel is loaded any more"
    );
    let (ok, out, _) = daemon.cli(&["list"]);
    assert!(ok && out.contains("no components installed"), "{out}");
    let (ok, _, err) = daemon.cli(&["check"]);
    assert!(
        !ok && err.contains("channels.h.component") && err.contains("not installed"),
        "the next start would fail, and check says why:\n{err}"
    );
    let ids: Vec<_> = daemon
        .messages()
        .iter()
        .map(|m| m["external_id"].clone())
        .collect();
    assert!(
        ids.contains(&"u-1".into()),
        "what was stored before stays stored: {ids:?}"
    );
}

#[tokio::test]
async fn an_upgrade_that_widens_permissions_waits_for_yes_and_the_old_version_serves_meanwhile() {
    let (manifest, wasm) = hostile();
    let mut wider = variant(&manifest, "0.2.0", "mode", "read-env");
    wider["capabilities"]["http"] = serde_json::json!([
        { "origin": "https://api.example.org", "path_prefix": "/v1/", "methods": ["POST"] }
    ]);
    let (_registry, index) = Registry::new()
        .add(&manifest, &wasm)
        .add(&wider, &rebuilt(&wasm, "0.2.0"))
        .build();
    let mut daemon = hostile_daemon();
    let (ok, out, err) = install(&daemon, "hostile@0.1.0", &index);
    assert!(ok, "{out}\n{err}");
    daemon.start();
    assert_eq!(post(&daemon, "v1-1").await, (200, "stored".to_owned()));

    let (ok, out, err) = install(&daemon, "hostile", &index);
    assert!(
        !ok,
        "a wider version was installed without confirmation:\n{out}"
    );
    assert!(
        out.contains("hostile 0.1.0 -> 0.2.0")
            && out.contains("+ outbound https://api.example.org/v1/ (POST)"),
        "the permission diff is shown:\n{out}"
    );
    assert!(err.contains("--yes"), "and how to accept it:\n{err}");
    // The daemon looks for installs every second; after three, it must still be
    // serving 0.1.0.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(post(&daemon, "v1-2").await, (200, "stored".to_owned()));
    let (ok, out, _) = daemon.cli(&["list"]);
    assert!(ok && out.contains("hostile 0.1.0"), "{out}");

    let index = index.to_str().expect("utf-8");
    let (ok, out, err) = daemon.cli(&["install", "hostile", "--registry", index, "--yes"]);
    assert!(ok, "{out}\n{err}");
    assert!(out.contains("upgraded hostile 0.1.0 -> 0.2.0"), "{out}");
    let served = poll(Duration::from_secs(20), || async {
        let (status, body) = post(&daemon, "probe").await;
        (status == 200 && body.starts_with("env:")).then_some(())
    })
    .await;
    assert!(
        served.is_some(),
        "0.2.0 was never served after --yes; log:\n{}",
        daemon.log()
    );
}
