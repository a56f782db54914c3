//! Registries for the tests: indexes written by the real `switchboard registry build`
//! from first-party manifests or variants of the hostile test guest, a small file
//! server to publish them over HTTP, and log helpers.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;
use switchboard_testkit::{Answer, MockServer};

use crate::harness::{cli, repo_root};

/// A built component from `target/wasm32-wasip2/release`.
pub(crate) fn built_wasm(file: &str) -> Vec<u8> {
    let path = repo_root().join("target/wasm32-wasip2/release").join(file);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}; run `just build` (or `just test`, which builds first)",
            path.display()
        )
    })
}

/// A first-party channel (`whatsapp`, `telegram`, `slack`): manifest and component.
pub(crate) fn first_party(name: &str) -> (Value, Vec<u8>) {
    let path = repo_root()
        .join("registry")
        .join(name)
        .join("manifest.json");
    let manifest = std::fs::read(&path).expect("first-party manifest");
    (
        serde_json::from_slice(&manifest).expect("manifest is JSON"),
        built_wasm(&format!("switchboard_channel_{name}.wasm")),
    )
}

/// The hostile test guest: its manifest (version 0.1.0, `mode` defaults to
/// `well-behaved`) and component.
pub(crate) fn hostile() -> (Value, Vec<u8>) {
    let path = repo_root().join("tests/guests/hostile/manifest.json");
    let manifest = std::fs::read(&path).expect("hostile manifest");
    (
        serde_json::from_slice(&manifest).expect("manifest is JSON"),
        built_wasm("switchboard_guest_hostile.wasm"),
    )
}

/// `manifest` with another version and another default for setting `setting`.
pub(crate) fn variant(manifest: &Value, version: &str, setting: &str, default: &str) -> Value {
    let mut m = manifest.clone();
    m["version"] = Value::from(version);
    let settings = m["settings"].as_array_mut().expect("settings");
    let s = settings
        .iter_mut()
        .find(|s| s["name"] == setting)
        .expect("setting declared");
    s["default"] = Value::from(default);
    m
}

/// The same component with a custom section appended: different bytes (and so a
/// different sha256) that behave exactly the same, like a rebuild.
pub(crate) fn rebuilt(wasm: &[u8], tag: &str) -> Vec<u8> {
    let name = b"switchboard-test-build";
    let mut payload = leb128(name.len());
    payload.extend_from_slice(name);
    payload.extend_from_slice(tag.as_bytes());
    let mut out = wasm.to_vec();
    out.push(0); // custom section id
    out.extend(leb128(payload.len()));
    out.extend(payload);
    out
}

fn leb128(mut n: usize) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

/// Hex sha256 of `bytes`.
pub(crate) fn sha256(bytes: &[u8]) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref())
}

/// A registry directory: each added version is a `<name>-<version>.wasm` next to
/// `index.json`, so the directory can be published over HTTP as it is.
pub(crate) struct Registry {
    pub(crate) dir: tempfile::TempDir,
    entries: Vec<(PathBuf, PathBuf)>,
}

impl Registry {
    pub(crate) fn new() -> Registry {
        Registry {
            dir: tempfile::tempdir().expect("temp dir"),
            entries: Vec::new(),
        }
    }

    /// Adds a version: `manifest` says which.
    pub(crate) fn add(mut self, manifest: &Value, wasm: &[u8]) -> Registry {
        let stem = format!(
            "{}-{}",
            manifest["name"].as_str().expect("name"),
            manifest["version"].as_str().expect("version")
        );
        let manifest_path = self.dir.path().join(format!("{stem}.json"));
        let wasm_path = self.dir.path().join(format!("{stem}.wasm"));
        std::fs::write(
            &manifest_path,
            serde_json::to_vec_pretty(manifest).expect("json"),
        )
        .expect("write manifest");
        std::fs::write(&wasm_path, wasm).expect("write wasm");
        self.entries.push((manifest_path, wasm_path));
        self
    }

    /// Writes `index.json` with `switchboard registry build` and returns its path.
    pub(crate) fn build(self) -> (Registry, PathBuf) {
        let out = self.dir.path().join("index.json");
        let specs: Vec<String> = self
            .entries
            .iter()
            .map(|(m, w)| format!("{}={}", m.display(), w.display()))
            .collect();
        let mut args = vec!["registry", "build", "--out", out.to_str().expect("utf-8")];
        for spec in &specs {
            args.extend(["--component", spec.as_str()]);
        }
        let (ok, stdout, stderr) = cli(&args, &[]);
        assert!(ok, "registry build failed:\n{stdout}\n{stderr}");
        (self, out)
    }

    pub(crate) fn path(&self, file: &str) -> PathBuf {
        self.dir.path().join(file)
    }

    /// The parsed index.
    pub(crate) fn index(&self) -> Value {
        serde_json::from_slice(&std::fs::read(self.path("index.json")).expect("index"))
            .expect("index is JSON")
    }

    /// The `sha256` the index records for `name` `version`.
    pub(crate) fn recorded_sha256(&self, name: &str, version: &str) -> String {
        let index = self.index();
        let component = index["components"]
            .as_array()
            .expect("components")
            .iter()
            .find(|c| c["name"] == name)
            .expect("component in index");
        let entry = component["versions"]
            .as_array()
            .expect("versions")
            .iter()
            .find(|v| v["version"] == version)
            .expect("version in index");
        entry["sha256"].as_str().expect("sha256").to_owned()
    }
}

/// A static file server for a directory, recording each requested path.
pub(crate) struct FileServer {
    pub(crate) origin: String,
    server: MockServer,
}

impl FileServer {
    pub(crate) async fn start(dir: &Path) -> FileServer {
        let root = dir.to_owned();
        let server = MockServer::start(move |request, _| serve_file(&root, &request.path)).await;
        FileServer {
            origin: server.origin.clone(),
            server,
        }
    }

    /// Paths requested so far (without their query).
    pub(crate) fn requests(&self) -> Vec<String> {
        self.server
            .requests()
            .into_iter()
            .map(|r| r.path.split('?').next().unwrap_or_default().to_owned())
            .collect()
    }
}

fn serve_file(root: &Path, path_and_query: &str) -> Answer {
    let path = path_and_query.split('?').next().unwrap_or_default();
    let name = path.trim_start_matches('/');
    // Flat directory only: nothing outside `root` can be named.
    let file = (!name.contains('/') && !name.starts_with('.'))
        .then(|| std::fs::read(root.join(name)).ok())
        .flatten();
    match file {
        Some(bytes) => Answer {
            body: bytes,
            ..Answer::ok("")
        }
        .header("content-type", "application/octet-stream"),
        None => Answer::status(404, "not found"),
    }
}

/// The log without terminal colour codes, so that `key=value` fields can be matched.
pub(crate) fn plain(log: &str) -> String {
    let mut out = String::with_capacity(log.len());
    let mut chars = log.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI sequence: ESC '[' parameters, ended by a letter.
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Polls an async `check` until it returns `Some`, for at most `limit`.
pub(crate) async fn poll<T, F, Fut>(limit: Duration, mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(v) = check().await {
            return Some(v);
        }
        if started.elapsed() > limit {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// How a `switchboard serve` that is expected to refuse to start ended.
pub(crate) struct Refusal {
    /// Whether it exited with success.
    pub(crate) success: bool,
    /// Whether it printed `listening on` first (it should not have).
    pub(crate) listened: bool,
    /// Its stderr.
    pub(crate) stderr: String,
}

/// Runs `switchboard serve` for the daemon's config and waits up to 60 s for it to
/// exit on its own. A daemon that is still running by then is killed, and the
/// refusal reports what it printed.
pub(crate) fn serve_expecting_refusal(daemon: &crate::harness::TestDaemon) -> Refusal {
    use std::io::Read as _;
    use std::process::{Command, Stdio};

    let mut child = Command::new(crate::harness::binary())
        .args(["serve", "--config", &daemon.config_path()])
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn switchboard serve");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let started = Instant::now();
    let status = loop {
        if let Ok(Some(status)) = child.try_wait() {
            break Some(status);
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stdout = out.join().unwrap_or_default();
    Refusal {
        success: status.is_some_and(|s| s.success()),
        listened: status.is_none() || stdout.contains("listening on"),
        stderr: err.join().unwrap_or_default(),
    }
}
