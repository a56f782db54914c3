//! An https registry, with the test CA trusted through `SWITCHBOARD_REGISTRY_CA`: an
//! index fetched over https is read, and a redirect from it to plain http is never
//! followed, even with `--allow-http`.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::ring;

use super::support::{FileServer, Registry, hostile};
use super::{hostile_daemon, installed_files};
use crate::harness::repo_root;

/// A minimal https server on loopback: each request path maps to a raw HTTP answer.
struct HttpsServer {
    origin: String,
    seen: Arc<Mutex<Vec<String>>>,
}

impl HttpsServer {
    async fn start(answer: impl Fn(&str) -> Vec<u8> + Send + Sync + 'static) -> HttpsServer {
        let tls = repo_root().join("tests/fixtures/tls");
        let certs: Vec<CertificateDer<'static>> =
            CertificateDer::pem_file_iter(tls.join("server.pem"))
                .expect("server.pem")
                .collect::<Result<_, _>>()
                .expect("certificates");
        let key = PrivateKeyDer::from_pem_file(tls.join("server.key")).expect("server.key");
        let config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .expect("server config");
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr: SocketAddr = listener.local_addr().expect("address");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let recorded = seen.clone();
        let answer = Arc::new(answer);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (acceptor, recorded, answer) =
                    (acceptor.clone(), recorded.clone(), answer.clone());
                tokio::spawn(async move {
                    // A client that does not trust the CA fails the handshake; fine.
                    let Ok(mut tls) = acceptor.accept(stream).await else {
                        return;
                    };
                    let mut head = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match tls.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let text = String::from_utf8_lossy(&head);
                    let path = text.split(' ').nth(1).unwrap_or("/").to_owned();
                    if let Ok(mut seen) = recorded.lock() {
                        seen.push(path.clone());
                    }
                    let _ = tls.write_all(&answer(&path)).await;
                    let _ = tls.shutdown().await;
                });
            }
        });
        HttpsServer {
            origin: format!("https://127.0.0.1:{}", addr.port()),
            seen,
        }
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

fn ok(body: &[u8]) -> Vec<u8> {
    let mut answer = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    answer.extend_from_slice(body);
    answer
}

fn redirect(to: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 302 Found\r\nlocation: {to}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
    )
    .into_bytes()
}

fn test_ca() -> String {
    repo_root()
        .join("tests/fixtures/tls/ca.pem")
        .display()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_https_registry_never_redirects_to_plain_http() {
    let (manifest, wasm) = hostile();
    let (registry, _) = Registry::new().add(&manifest, &wasm).build();
    let plain = FileServer::start(registry.dir.path()).await;
    let downgrade = format!("{}/index.json", plain.origin);
    let index = serde_json::to_vec(&registry.index()).expect("json");
    let https = HttpsServer::start(move |path| match path {
        "/index.json" => ok(&index),
        _ => redirect(&downgrade),
    })
    .await;
    let direct = format!("{}/index.json", https.origin);
    let moved = format!("{}/moved/index.json", https.origin);

    // Without the test CA the built-in roots do not know this server.
    let daemon = hostile_daemon();
    let (ok, out, err) = daemon.cli(&["registry", "list", "--registry", &direct]);
    assert!(!ok, "an unknown CA was trusted:\n{out}");
    assert!(err.contains(&direct), "{err}");

    // With it, the https index is read: the server and the trust setup work.
    let daemon = hostile_daemon().env("SWITCHBOARD_REGISTRY_CA", &test_ca());
    let (ok, out, err) = daemon.cli(&["registry", "list", "--registry", &direct]);
    assert!(ok, "{out}\n{err}");
    assert!(out.contains("hostile"), "{out}");

    // A redirect to plain http is refused, flag or not, before anything is asked of
    // the plain-http server.
    for extra in [&[][..], &["--allow-http"][..]] {
        let mut args = vec!["registry", "list", "--registry", moved.as_str()];
        args.extend_from_slice(extra);
        let (ok, out, err) = daemon.cli(&args);
        assert!(!ok, "{extra:?}: followed a redirect to plain http:\n{out}");
        assert!(
            err.contains("a redirect from https to plain http is never followed"),
            "{extra:?}: {err}"
        );
        let mut args = vec!["install", "hostile", "--registry", moved.as_str()];
        args.extend_from_slice(extra);
        let (ok, out, err) = daemon.cli(&args);
        assert!(
            !ok,
            "{extra:?}: installed through a redirect to plain http:\n{out}"
        );
        assert!(err.contains("never followed"), "{extra:?}: {err}");
    }
    assert_eq!(
        plain.requests(),
        Vec::<String>::new(),
        "nothing went over plain http"
    );
    assert!(https.seen().iter().any(|p| p == "/moved/index.json"));
    assert!(installed_files(&daemon).is_empty());

    // A CA file that holds no certificate is an error that names it.
    let daemon = hostile_daemon().env("SWITCHBOARD_REGISTRY_CA", "/nonexistent/ca.pem");
    let (ok, _, err) = daemon.cli(&["registry", "list", "--registry", &direct]);
    assert!(!ok);
    assert!(
        err.contains("SWITCHBOARD_REGISTRY_CA=/nonexistent/ca.pem"),
        "{err}"
    );
}
