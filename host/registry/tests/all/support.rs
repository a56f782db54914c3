//! Fixtures shared by the tests: fake artifacts, manifests, index files and a
//! loopback HTTP server.

use std::collections::HashMap;
use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use semver::Version;
use switchboard_registry::{
    ComponentEntry, Index, InstallReport, InstallRequest, LimitCeilings, LoadedIndex, Manifest,
    PlainHttp, RegistryError, SCHEMA_VERSION, Sha256Digest, Source, VersionEntry, WitSupport,
    install, load_index,
};

/// The host under test runs `switchboard:channel@0.1.0`.
pub(crate) fn host_wit() -> WitSupport {
    WitSupport {
        supported: vec![Version::new(0, 1, 0)],
    }
}

/// Bytes that stand in for a built component.
pub(crate) fn fake_wasm(name: &str, version: &str) -> Vec<u8> {
    format!("\0asm fake component {name} {version}").into_bytes()
}

/// A valid manifest in the shape of the first-party WhatsApp one.
pub(crate) fn manifest(name: &str, version: &str, wit: &str) -> Manifest {
    serde_json::from_value(serde_json::json!({
        "name": name,
        "version": version,
        "wit": wit,
        "description": format!("{name} channel"),
        "verification": {
            "post": { "scheme": "hmac-sha256", "header": "x-hub-signature-256",
                      "prefix": "sha256=", "secret": "app_secret" }
        },
        "secrets": [ { "name": "app_secret" }, { "name": "access_token" } ],
        "capabilities": { "http": [
            { "origin": "https://graph.facebook.com", "path_prefix": "/", "methods": ["POST"] }
        ] }
    }))
    .expect("test manifest parses")
}

/// One version to publish: its manifest, artifact bytes, and the `artifact` text the
/// index should carry.
pub(crate) struct Published {
    pub(crate) manifest: Manifest,
    pub(crate) bytes: Vec<u8>,
    pub(crate) artifact: String,
}

impl Published {
    /// `name` `version` targeting `wit`, stored at `artifacts/<name>-<version>.wasm`.
    pub(crate) fn new(name: &str, version: &str, wit: &str) -> Self {
        Self {
            manifest: manifest(name, version, wit),
            bytes: fake_wasm(name, version),
            artifact: format!("artifacts/{name}-{version}.wasm"),
        }
    }

    fn entry(&self) -> VersionEntry {
        VersionEntry {
            version: self.manifest.version.clone(),
            wit: self.manifest.wit.clone(),
            description: self.manifest.description.clone(),
            artifact: self.artifact.clone(),
            sha256: Sha256Digest::of(&self.bytes),
            manifest: self.manifest.clone(),
        }
    }
}

/// The index JSON listing `published`, grouped by component name.
pub(crate) fn index_json(published: &[Published]) -> Vec<u8> {
    let mut components: Vec<ComponentEntry> = Vec::new();
    for p in published {
        let entry = p.entry();
        match components.iter_mut().find(|c| c.name == p.manifest.name) {
            Some(component) => component.versions.push(entry),
            None => components.push(ComponentEntry {
                name: p.manifest.name.clone(),
                description: p.manifest.description.clone(),
                versions: vec![entry],
            }),
        }
    }
    let index = Index {
        schema_version: SCHEMA_VERSION,
        components,
    };
    serde_json::to_vec_pretty(&index).expect("index serializes")
}

/// A registry on disk: `index.json` plus the artifacts at their relative paths.
pub(crate) struct LocalRegistry {
    pub(crate) dir: tempfile::TempDir,
}

impl LocalRegistry {
    pub(crate) fn new(published: &[Published]) -> Self {
        let dir = tempfile::tempdir().expect("registry dir");
        let registry = Self { dir };
        registry.publish(published);
        registry
    }

    /// Rewrites the index and the relative artifacts.
    pub(crate) fn publish(&self, published: &[Published]) {
        for p in published.iter().filter(|p| !p.artifact.contains(':')) {
            let path = self.dir.path().join(&p.artifact);
            std::fs::create_dir_all(path.parent().expect("artifact dir")).expect("mkdir");
            std::fs::write(&path, &p.bytes).expect("write artifact");
        }
        std::fs::write(self.index_path(), index_json(published)).expect("write index");
    }

    pub(crate) fn index_path(&self) -> PathBuf {
        self.dir.path().join("index.json")
    }

    pub(crate) fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    pub(crate) async fn load(&self) -> LoadedIndex {
        load_index(&Source::Path(self.index_path()), PlainHttp::Refuse)
            .await
            .expect("index loads")
    }
}

/// Installs `name` (optionally `@requirement`) with the test host's WIT support.
pub(crate) async fn install_spec(
    index: &LoadedIndex,
    spec: &str,
    data_dir: &Path,
) -> Result<InstallReport, RegistryError> {
    let spec: switchboard_registry::ComponentSpec = spec.parse().expect("spec parses");
    install(
        index,
        InstallRequest {
            name: &spec.name,
            version: spec.version,
            data_dir,
            wit: &host_wit(),
            ceilings: LimitCeilings::default(),
        },
    )
    .await
}

/// Every file under `dir`, relative, sorted; empty when `dir` does not exist.
pub(crate) fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(current) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&current) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path.strip_prefix(dir).expect("under dir");
                out.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out.sort();
    out
}

/// A loopback HTTP server serving fixed bodies by path (404 otherwise) and
/// recording the paths requested.
pub(crate) struct MockServer {
    pub(crate) base: String,
    requests: Arc<Mutex<Vec<String>>>,
}

impl MockServer {
    pub(crate) async fn start(files: HashMap<String, Vec<u8>>) -> Self {
        Self::with_redirects(files, HashMap::new()).await
    }

    /// Like `start`, and answers each path in `redirects` with a 302 to its value.
    pub(crate) async fn with_redirects(
        files: HashMap<String, Vec<u8>>,
        redirects: HashMap<String, String>,
    ) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let base = format!("http://{}", listener.local_addr().expect("local addr"));
        let files = Arc::new(files);
        let redirects = Arc::new(redirects);
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&requests);
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let files = Arc::clone(&files);
                let redirects = Arc::clone(&redirects);
                let seen = Arc::clone(&seen);
                let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                    let path = req.uri().path().to_owned();
                    seen.lock().expect("request log").push(path.clone());
                    let response = match (files.get(&path), redirects.get(&path)) {
                        (Some(body), _) => Response::new(Full::new(Bytes::from(body.clone()))),
                        (None, Some(target)) => Response::builder()
                            .status(StatusCode::FOUND)
                            .header("location", target)
                            .body(Full::new(Bytes::new()))
                            .expect("redirect response"),
                        (None, None) => {
                            let mut not_found = Response::new(Full::new(Bytes::new()));
                            *not_found.status_mut() = StatusCode::NOT_FOUND;
                            not_found
                        }
                    };
                    async move { Ok::<_, Infallible>(response) }
                });
                tokio::spawn(async move {
                    // A client that hangs up early is not a test failure by itself;
                    // the client side reports what matters.
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self { base, requests }
    }

    /// Serves a registry: `index.json` at `/registry/index.json` and each relative
    /// artifact under `/registry/`.
    pub(crate) async fn registry(published: &[Published]) -> Self {
        let mut files = HashMap::new();
        files.insert("/registry/index.json".to_owned(), index_json(published));
        for p in published {
            files.insert(format!("/registry/{}", p.artifact), p.bytes.clone());
        }
        Self::start(files).await
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub(crate) fn requests(&self) -> Vec<String> {
        self.requests.lock().expect("request log").clone()
    }
}
