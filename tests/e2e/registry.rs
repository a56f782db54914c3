//! Registries and installation through the real binary: `registry list`, `install`
//! from a path and over HTTP, `list`, `inspect`, and the refusals (tampered
//! artifact, incompatible WIT, no matching version). Upgrades and uninstalls picked
//! up by a running daemon are in `live`, the compiled-code cache in `cache`,
//! artifacts changed after install in `integrity`, plain-http registries in
//! `plain_http`, an https registry and its redirects in `https`.

mod cache;
mod ceilings;
mod https;
mod integrity;
mod live;
mod plain_http;
mod support;

use std::path::{Path, PathBuf};

use crate::harness::{TestDaemon, cli};
use support::{FileServer, Registry, first_party, hostile, rebuilt, sha256, variant};

const TOKEN: &str = "registry-e2e-token";

/// A daemon whose one instance `h` runs the hostile guest (well-behaved by default).
fn hostile_daemon() -> TestDaemon {
    TestDaemon::new(&format!(
        r#"
[server]
listen = "127.0.0.1:0"
data_dir = "data"

[channels.h]
component = "hostile"
secrets = {{ token = "{TOKEN}" }}
"#
    ))
}

fn install(daemon: &TestDaemon, spec: &str, index: &Path) -> (bool, String, String) {
    daemon.cli(&[
        "install",
        spec,
        "--registry",
        index.to_str().expect("utf-8"),
    ])
}

/// Posts `body` to instance `h`; returns the status and the response body.
async fn post(daemon: &TestDaemon, body: &str) -> (u16, String) {
    let resp = reqwest::Client::new()
        .post(daemon.url("/webhooks/h"))
        .header("x-test-token", TOKEN)
        .body(body.to_owned())
        .send()
        .await
        .expect("post");
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap_or_default())
}

/// `.wasm` files under the data directory's components directory.
fn installed_files(daemon: &TestDaemon) -> Vec<String> {
    let mut found = Vec::new();
    let root = daemon.dir.path().join("data/components");
    for dir in std::fs::read_dir(&root).into_iter().flatten().flatten() {
        for file in std::fs::read_dir(dir.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let name = file.file_name().to_string_lossy().into_owned();
            if name.ends_with(".wasm") {
                found.push(name);
            }
        }
    }
    found
}

/// Version 0.1.0 of `hostile` stores each request ("stored"); 0.2.0 defaults to
/// `read-env` and answers with the environment it sees instead. With `same_bytes`
/// both versions are the same component and differ only in their manifests.
/// The registry directory lives as long as the returned `Registry`.
fn two_versions(same_bytes: bool) -> (Registry, PathBuf) {
    let (manifest, wasm) = hostile();
    let newer = variant(&manifest, "0.2.0", "mode", "read-env");
    let newer_wasm = if same_bytes {
        wasm.clone()
    } else {
        rebuilt(&wasm, "0.2.0")
    };
    Registry::new()
        .add(&manifest, &wasm)
        .add(&newer, &newer_wasm)
        .build()
}

#[tokio::test]
async fn install_from_the_configured_local_index_and_list_what_is_installed() {
    let (wa_manifest, wa_wasm) = first_party("whatsapp");
    let (tg_manifest, tg_wasm) = first_party("telegram");
    let mut daemon = TestDaemon::new(
        r#"
[server]
listen = "127.0.0.1:0"
data_dir = "data"

[registry]
index = "registry/index.json"

[channels.wa]
component = "whatsapp"
secrets = { app_secret = "a", verify_token = "b", access_token = "c" }
allow = ["http://127.0.0.1:9"]
"#,
    );
    // The registry sits next to the config; the relative `index` resolves against
    // the config file, not the working directory of the command.
    let (registry, _) = Registry::new()
        .add(&wa_manifest, &wa_wasm)
        .add(&tg_manifest, &tg_wasm)
        .build();
    std::fs::rename(registry.dir.path(), daemon.dir.path().join("registry")).expect("move");

    let (ok, out, err) = daemon.cli(&["registry", "list"]);
    assert!(ok, "registry list failed:\n{out}\n{err}");
    let listed: Vec<Vec<&str>> = out
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert!(
        listed.iter().any(|l| l[..2] == ["whatsapp", "0.3.0"])
            && listed.iter().any(|l| l[..2] == ["telegram", "0.4.0"]),
        "registry list shows name and latest version of each:\n{out}"
    );
    assert!(
        out.contains("WhatsApp Cloud API"),
        "and a description:\n{out}"
    );

    let (ok, out, err) = daemon.cli(&["install", "whatsapp"]);
    assert!(ok, "install from [registry] index failed:\n{out}\n{err}");
    let digest = sha256(&wa_wasm);
    assert!(
        out.contains("installed whatsapp 0.3.0 (switchboard:channel@0.2.1)"),
        "{out}"
    );
    assert!(out.contains(&digest), "install shows the digest:\n{out}");
    assert!(
        out.contains("https://graph.facebook.com/ (GET, POST)")
            && out.contains("https://lookaside.fbsbx.com/whatsapp_business/attachments/ (GET)"),
        "install shows the requested capabilities:\n{out}"
    );
    let installed = daemon.dir.path().join(format!(
        "data/components/whatsapp/0.3.0-{}.wasm",
        &digest[..16]
    ));
    assert_eq!(
        std::fs::read(&installed).expect("installed artifact"),
        wa_wasm
    );

    let (ok, out, err) = daemon.cli(&["list"]);
    assert!(ok, "list failed: {err}");
    assert!(
        out.contains("whatsapp 0.3.0  switchboard:channel@0.2.1"),
        "version and WIT version:\n{out}"
    );
    assert!(
        out.contains(&format!("sha256   {digest}")),
        "full digest:\n{out}"
    );
    assert!(
        out.contains("https://graph.facebook.com/ (GET, POST)")
            && out.contains("https://lookaside.fbsbx.com/whatsapp_business/attachments/ (GET)"),
        "requested grants:\n{out}"
    );
    assert!(
        out.contains("channels.wa, which also allows http://127.0.0.1:9"),
        "operator grants:\n{out}"
    );
    assert!(!out.contains("telegram"), "only what is installed:\n{out}");
    let json = daemon.json_lines(&["list", "--json"]);
    assert_eq!(json.len(), 1);
    assert_eq!(json[0]["name"], "whatsapp");
    assert_eq!(json[0]["version"], "0.3.0");
    assert_eq!(json[0]["wit"], "0.2.1");
    assert_eq!(json[0]["sha256"], digest.as_str());
    assert_eq!(
        json[0]["capabilities"][0]["origin"],
        "https://graph.facebook.com"
    );

    let (ok, out, _) = daemon.cli(&["install", "whatsapp"]);
    assert!(ok && out.contains("already installed"), "{out}");

    // What was installed is what the daemon runs.
    daemon.start();
    let ready = reqwest::get(daemon.url("/readyz")).await.expect("readyz");
    assert_eq!(ready.status().as_u16(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn install_from_an_http_registry_fetches_the_index_and_the_artifact() {
    let (manifest, wasm) = hostile();
    let (registry, _) = Registry::new().add(&manifest, &wasm).build();
    let server = FileServer::start(registry.dir.path()).await;
    let url = format!("{}/index.json", server.origin);
    let mut daemon = hostile_daemon();

    let (ok, out, err) = daemon.cli(&["registry", "list", "--registry", &url, "--allow-http"]);
    assert!(ok, "registry list over http failed:\n{out}\n{err}");
    assert!(out.starts_with("hostile"), "{out}");

    let (ok, out, err) = daemon.cli(&[
        "install",
        "hostile@0.1.0",
        "--registry",
        &url,
        "--allow-http",
    ]);
    assert!(ok, "install over http failed:\n{out}\n{err}");
    assert!(out.contains("installed hostile 0.1.0"), "{out}");
    assert!(out.contains("requests no outbound network access"), "{out}");
    let requests = server.requests();
    assert!(
        requests.contains(&"/index.json".to_owned())
            && requests.contains(&"/hostile-0.1.0.wasm".to_owned()),
        "the artifact is fetched relative to the index URL: {requests:?}"
    );
    let json = daemon.json_lines(&["list", "--json"]);
    assert_eq!(
        json[0]["sha256"],
        registry.recorded_sha256("hostile", "0.1.0").as_str()
    );

    daemon.start();
    assert_eq!(
        post(&daemon, "over-http-1").await,
        (200, "stored".to_owned())
    );
    assert_eq!(daemon.messages()[0]["external_id"], "over-http-1");
}

#[tokio::test]
async fn tampered_artifact_is_refused_and_nothing_is_installed() {
    let (manifest, wasm) = hostile();
    let (registry, index) = Registry::new().add(&manifest, &wasm).build();
    let artifact = registry.path("hostile-0.1.0.wasm");
    let mut tampered = wasm.clone();
    let at = tampered.len() / 2;
    tampered[at] ^= 0x01;
    std::fs::write(&artifact, &tampered).expect("tamper");
    let daemon = hostile_daemon();

    let (ok, out, err) = install(&daemon, "hostile", &index);
    assert!(!ok, "a tampered artifact was installed:\n{out}");
    assert!(err.contains("checksum mismatch"), "{err}");
    assert!(
        err.contains(&sha256(&wasm)) && err.contains(&sha256(&tampered)),
        "the message names the expected and the actual digest:\n{err}"
    );
    assert!(
        installed_files(&daemon).is_empty(),
        "nothing may be written before the digest is verified: {:?}",
        installed_files(&daemon)
    );
    let (ok, out, _) = daemon.cli(&["list"]);
    assert!(ok && out.contains("no components installed"), "{out}");
    let (ok, _, err) = daemon.cli(&["check"]);
    assert!(!ok && err.contains("not installed"), "{err}");
}

#[tokio::test]
async fn incompatible_wit_version_is_refused_naming_both_versions() {
    let (manifest, wasm) = hostile();
    let mut future = variant(&manifest, "0.3.0", "mode", "well-behaved");
    future["wit"] = "0.9.0".into();
    let (_registry, index) = Registry::new()
        .add(&manifest, &wasm)
        .add(&future, &rebuilt(&wasm, "0.3.0"))
        .build();
    let daemon = hostile_daemon();

    let (ok, out, _) = daemon.cli(&[
        "registry",
        "list",
        "--registry",
        index.to_str().expect("utf-8"),
    ]);
    assert!(
        ok && out.contains("0.3.0") && out.contains("needs a newer host"),
        "{out}"
    );

    let (ok, out, err) = install(&daemon, "hostile@0.3", &index);
    assert!(!ok, "an incompatible component was installed:\n{out}");
    assert!(
        err.contains("hostile 0.3.0 targets switchboard:channel@0.9.0"),
        "names the component's version and its WIT version:\n{err}"
    );
    assert!(
        err.contains("this host supports 0.1.x"),
        "names the supported range:\n{err}"
    );
    assert!(installed_files(&daemon).is_empty());

    // Without a version requirement the newest compatible version is chosen.
    let (ok, out, err) = install(&daemon, "hostile", &index);
    assert!(ok, "{out}\n{err}");
    assert!(out.contains("installed hostile 0.1.0"), "{out}");
}

#[tokio::test]
async fn inspect_shows_the_wit_package_hooks_and_imports() {
    let wasm = support::built_wasm("switchboard_channel_whatsapp.wasm");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("whatsapp.wasm");
    std::fs::write(&path, &wasm).expect("write");
    let file = path.to_str().expect("utf-8");

    let (ok, out, err) = cli(&["inspect", file], &[]);
    assert!(ok, "inspect failed: {err}");
    assert!(
        out.contains("WIT package: switchboard:channel@0.2.1 (supported by this host)"),
        "{out}"
    );
    assert!(
        out.contains("optional hooks: switchboard:channel/persistence@0.2.1"),
        "{out}"
    );
    let section = |name: &str| -> Vec<String> {
        out.split(&format!("{name}:\n"))
            .nth(1)
            .unwrap_or_default()
            .lines()
            .take_while(|l| l.starts_with("  "))
            .map(|l| l.trim().to_owned())
            .collect()
    };
    let exports = section("exports");
    assert!(
        exports.contains(&"switchboard:channel/channel@0.2.1".to_owned()),
        "{out}"
    );
    assert!(
        exports.contains(&"switchboard:channel/persistence@0.2.1".to_owned()),
        "{out}"
    );
    let imports = section("imports");
    assert!(
        imports.contains(&"switchboard:channel/host@0.2.1".to_owned()),
        "{out}"
    );
    assert!(imports.iter().any(|i| i.starts_with("wasi:")), "{out}");

    let (ok, out, err) = cli(&["inspect", file, "--json"], &[]);
    assert!(ok, "{err}");
    let info: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(info["wit"], "0.2.1");
    assert_eq!(info["supported"], true);

    // Something that is not a component is named as such, without a byte dump.
    let not_wasm = dir.path().join("switchboard.toml");
    std::fs::write(&not_wasm, "[server]\n").expect("write");
    let (ok, _, err) = cli(&["inspect", not_wasm.to_str().expect("utf-8")], &[]);
    assert!(!ok);
    assert!(
        err.contains("switchboard.toml") && err.contains("not a WebAssembly component"),
        "{err}"
    );
}

#[tokio::test]
async fn several_versions_install_by_requirement() {
    let (_registry, index) = two_versions(false);
    let daemon = hostile_daemon();
    let (ok, out, err) = install(&daemon, "hostile@^0.1", &index);
    assert!(
        ok && out.contains("installed hostile 0.1.0"),
        "{out}\n{err}"
    );
    let (ok, out, err) = install(&daemon, "hostile@9", &index);
    assert!(!ok, "{out}");
    assert!(
        err.contains("no version of `hostile` matches") && err.contains("0.1.0, 0.2.0"),
        "lists what is available:\n{err}"
    );
    let (ok, out, err) = install(&daemon, "hostile", &index);
    assert!(
        ok && out.contains("upgraded hostile 0.1.0 -> 0.2.0"),
        "{out}\n{err}"
    );
    let (ok, out, err) = install(&daemon, "hostile@0.1.0", &index);
    assert!(
        ok && out.contains("downgraded hostile 0.2.0 -> 0.1.0"),
        "{out}\n{err}"
    );
}
