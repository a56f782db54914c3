//! What the plugin tests share: locating the built components, writing a registry
//! index for them the way a third party would (`switchboard registry build`),
//! installing from it, and signing Standard Webhooks deliveries.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;
use switchboard_verify::{DEFAULT_TOLERANCE_SECS, Scheme};

use crate::harness::{TestDaemon, cli, fixture_json, repo_root};

/// A built component file, with a hint if `just build` has not run.
fn built(relative: &str) -> PathBuf {
    let wasm = repo_root().join(relative);
    assert!(
        wasm.is_file(),
        "{} is missing: run `just build` (or `just test`, which builds first)",
        wasm.display()
    );
    wasm
}

/// The example third-party channel, built with plain `cargo build` by `just build`.
pub(crate) fn webhook_wasm() -> PathBuf {
    built("target/examples/wasm32-wasip2/release/webhook_channel.wasm")
}

/// The example's manifest, as its author publishes it.
pub(crate) fn webhook_manifest() -> PathBuf {
    repo_root().join("examples/webhook-channel/manifest.json")
}

/// A test guest from `tests/guests/<name>` and its manifest.
pub(crate) fn guest(name: &str) -> (PathBuf, PathBuf) {
    (
        repo_root().join(format!("tests/guests/{name}/manifest.json")),
        built(&format!(
            "target/wasm32-wasip2/release/switchboard_guest_{name}.wasm"
        )),
    )
}

/// Writes a registry index for `components` (manifest, wasm) into `dir` with the
/// CLI, as a plugin author publishing a registry would, and returns its path.
pub(crate) fn write_index(dir: &Path, components: &[(PathBuf, PathBuf)]) -> PathBuf {
    let out = dir.join("registry/index.json");
    let mut args = vec![
        "registry".to_owned(),
        "build".to_owned(),
        "--out".to_owned(),
        out.display().to_string(),
    ];
    for (manifest, wasm) in components {
        args.push("--component".to_owned());
        args.push(format!("{}={}", manifest.display(), wasm.display()));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (ok, stdout, stderr) = cli(&args, &[]);
    assert!(ok, "registry build failed:\n{stdout}\n{stderr}");
    out
}

/// `switchboard install NAME --registry INDEX` for the daemon's config.
pub(crate) fn install_from(daemon: &TestDaemon, name: &str, index: &Path) -> String {
    let index = index.display().to_string();
    let (ok, stdout, stderr) = daemon.cli(&["install", name, "--registry", &index]);
    assert!(ok, "install {name} failed:\n{stdout}\n{stderr}");
    stdout
}

/// `switchboard inspect --json FILE`.
pub(crate) fn inspect(wasm: &Path) -> Value {
    let file = wasm.display().to_string();
    let (ok, stdout, stderr) = cli(&["inspect", "--json", &file], &[]);
    assert!(ok, "inspect failed:\n{stdout}\n{stderr}");
    serde_json::from_str(&stdout).expect("inspect --json prints JSON")
}

/// A Standard Webhooks secret from the reference libraries' test vectors.
pub(crate) fn signing_secret() -> String {
    fixture_json("standard-webhooks/standard-webhooks-vectors.json")["vectors"][0]["secret"]
        .as_str()
        .expect("the first vector has a secret")
        .to_owned()
}

/// The `webhook-id`, `webhook-timestamp` and `webhook-signature` headers that make
/// `body` verify now under `secret`.
pub(crate) fn standard_webhooks_headers(
    secret: &str,
    delivery_id: &str,
    body: &[u8],
) -> Vec<(String, String)> {
    let scheme = Scheme::StandardWebhooks {
        secret: "signing_secret".to_owned(),
        tolerance_secs: DEFAULT_TOLERANCE_SECS,
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs();
    let now = i64::try_from(now).expect("seconds fit in i64");
    switchboard_verify::sign(&scheme, secret.as_bytes(), body, now, delivery_id)
        .expect("the test secret is valid")
}

/// The Python example channel, built with componentize-py by `just build`.
pub(crate) fn python_wasm() -> PathBuf {
    built("target/examples/python/webhook_py.wasm")
}

/// The examples registry `just build` writes (`just examples-index`): the Rust,
/// Python and JavaScript example channels, published as their authors would.
pub(crate) fn examples_registry() -> PathBuf {
    built("target/examples-registry/index.json")
}
