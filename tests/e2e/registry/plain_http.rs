//! A plain `http://` index or artifact is fetched only with `--allow-http`: anyone on
//! the network path could read and change it, and the index is what pins the
//! artifact's digest.

use super::support::{FileServer, Registry, hostile};
use super::{hostile_daemon, installed_files};

fn refused_for(err: &str, url: &str) -> bool {
    err.contains(url) && err.contains("plain http") && err.contains("--allow-http")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_http_index_is_refused_without_allow_http() {
    let (manifest, wasm) = hostile();
    let (registry, _) = Registry::new().add(&manifest, &wasm).build();
    let server = FileServer::start(registry.dir.path()).await;
    let url = format!("{}/index.json", server.origin);
    let daemon = hostile_daemon();

    let (ok, out, err) = daemon.cli(&["registry", "list", "--registry", &url]);
    assert!(!ok, "registry list read a plain-http index:\n{out}");
    assert!(refused_for(&err, &url), "{err}");
    let (ok, out, err) = daemon.cli(&["install", "hostile", "--registry", &url]);
    assert!(!ok, "install used a plain-http index:\n{out}");
    assert!(refused_for(&err, &url), "{err}");

    assert_eq!(
        server.requests(),
        Vec::<String>::new(),
        "nothing is requested over plain http without the flag"
    );
    assert!(installed_files(&daemon).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_http_artifact_of_a_local_index_needs_allow_http_too() {
    let (manifest, wasm) = hostile();
    let (registry, index) = Registry::new().add(&manifest, &wasm).build();
    let server = FileServer::start(registry.dir.path()).await;
    let artifact = format!("{}/hostile-0.1.0.wasm", server.origin);
    let mut json = registry.index();
    json["components"][0]["versions"][0]["artifact"] = artifact.clone().into();
    std::fs::write(&index, serde_json::to_vec_pretty(&json).expect("json")).expect("index");
    let index = index.to_str().expect("utf-8");
    let daemon = hostile_daemon();

    let (ok, out, err) = daemon.cli(&["install", "hostile", "--registry", index]);
    assert!(!ok, "an artifact was fetched over plain http:\n{out}");
    assert!(refused_for(&err, &artifact), "{err}");
    assert_eq!(server.requests(), Vec::<String>::new());
    assert!(installed_files(&daemon).is_empty());

    let (ok, out, err) = daemon.cli(&["install", "hostile", "--registry", index, "--allow-http"]);
    assert!(ok, "{out}\n{err}");
    assert!(out.contains("installed hostile 0.1.0"), "{out}");
    assert_eq!(server.requests(), ["/hostile-0.1.0.wasm"]);
}
