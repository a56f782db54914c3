//! What every sandbox test needs: a daemon running the hostile component under
//! several instance names, signed requests to it, its dead letters, a local echo
//! server, and raw TCP for clients that do not behave like HTTP libraries.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;
use switchboard_testkit::{Answer as Served, MockServer};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::harness::{TestDaemon, cli, repo_root};

/// The webhook token every hostile instance verifies (`x-test-token`). The daemon
/// reads it from the environment, so a guest that dumps its environment would
/// find it there if the sandbox let it look.
pub(crate) const TOKEN: &str = "sandbox-webhook-token-5f1c9e";
const TOKEN_ENV: &str = "E2E_SANDBOX_TOKEN";
/// The API key a guest may use through `{{secret:api_key}}` but never read.
pub(crate) const API_KEY: &str = "sk-live-sandbox-93b7d2e1";

/// The hostile component as `just build` leaves it.
pub(crate) fn hostile_wasm() -> PathBuf {
    let wasm = repo_root().join("target/wasm32-wasip2/release/switchboard_guest_hostile.wasm");
    assert!(
        wasm.is_file(),
        "{} is missing: run `just build` (or `just test`, which builds first)",
        wasm.display()
    );
    wasm
}

/// The hostile component's manifest.
pub(crate) fn hostile_manifest() -> PathBuf {
    repo_root().join("tests/guests/hostile/manifest.json")
}

/// One `[channels.<name>]` table running a hostile component.
#[derive(Debug, Clone)]
pub(crate) struct Channel {
    name: String,
    component: String,
    mode: String,
    target: Option<String>,
    allow: Vec<String>,
    settings: Vec<(String, String)>,
    secrets: Vec<(String, String)>,
    extra: Vec<String>,
}

/// An instance of the hostile component in `mode` (`well-behaved` for a normal one).
pub(crate) fn channel(name: &str, mode: &str) -> Channel {
    Channel {
        name: name.to_owned(),
        component: "hostile".to_owned(),
        mode: mode.to_owned(),
        target: None,
        allow: Vec::new(),
        settings: Vec::new(),
        secrets: Vec::new(),
        extra: Vec::new(),
    }
}

impl Channel {
    /// The URL the fetch modes request.
    pub(crate) fn target(mut self, url: &str) -> Channel {
        self.target = Some(url.to_owned());
        self
    }

    /// An origin the operator grants this instance.
    pub(crate) fn allow(mut self, origin: &str) -> Channel {
        self.allow.push(origin.to_owned());
        self
    }

    /// Runs another installed component (same code, another manifest).
    pub(crate) fn component(mut self, component: &str) -> Channel {
        self.component = component.to_owned();
        self
    }

    /// Another setting for the guest (`status`, say).
    pub(crate) fn setting(mut self, name: &str, value: &str) -> Channel {
        self.settings.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Another secret, for a manifest that declares it.
    pub(crate) fn secret(mut self, name: &str, value: &str) -> Channel {
        self.secrets.push((name.to_owned(), value.to_owned()));
        self
    }

    /// A raw `key = value` line for the table, e.g. `call_timeout_ms = 1500`.
    pub(crate) fn option(mut self, line: &str) -> Channel {
        self.extra.push(line.to_owned());
        self
    }

    fn toml(&self) -> String {
        let mut settings = format!("mode = {:?}", self.mode);
        if let Some(target) = &self.target {
            settings.push_str(&format!(", target = {target:?}"));
        }
        for (name, value) in &self.settings {
            settings.push_str(&format!(", {name:?} = {value:?}"));
        }
        let secrets: String = self
            .secrets
            .iter()
            .map(|(name, value)| format!(", {name:?} = {value:?}"))
            .collect();
        let allow: Vec<String> = self.allow.iter().map(|a| format!("{a:?}")).collect();
        format!(
            "[channels.{name}]\ncomponent = {component:?}\n\
             secrets = {{ token = {{ env = {TOKEN_ENV:?} }}, api_key = {API_KEY:?}{secrets} }}\n\
             settings = {{ {settings} }}\nallow = [{allow}]\n{extra}\n",
            name = self.name,
            component = self.component,
            allow = allow.join(", "),
            extra = self.extra.join("\n"),
        )
    }
}

/// A manifest written for one test, installed next to the hostile one.
pub(crate) struct ExtraManifest {
    pub(crate) name: String,
    pub(crate) manifest: Value,
}

/// A started daemon serving the given hostile instances.
pub(crate) struct Sandbox {
    pub(crate) daemon: TestDaemon,
    pub(crate) http: reqwest::Client,
}

/// What a client got back.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
}

impl Answer {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl Sandbox {
    /// Installs the hostile component (and `extra` manifests for the same code) and
    /// starts a daemon with `channels`; `server` holds extra `[server]` lines.
    pub(crate) fn start(channels: &[Channel], server: &str, extra: &[ExtraManifest]) -> Sandbox {
        Sandbox::start_beside(channels, server, extra, "", &[])
    }

    /// Like [`Sandbox::start`], with `tables` (raw TOML, say a `[channels.wa]`) added to
    /// the config and the `first_party` components installed from the built registry.
    pub(crate) fn start_beside(
        channels: &[Channel],
        server: &str,
        extra: &[ExtraManifest],
        tables: &str,
        first_party: &[&str],
    ) -> Sandbox {
        let mut config = format!(
            "[server]\nlisten = \"127.0.0.1:0\"\ndata_dir = \"data\"\n{server}\n\n\
             [agent]\nkind = \"echo\"\n\n"
        );
        for channel in channels {
            config.push_str(&channel.toml());
            config.push('\n');
        }
        config.push_str(tables);
        let daemon = TestDaemon::new(&config).env(TOKEN_ENV, TOKEN);
        for component in first_party {
            daemon.install(component);
        }
        Sandbox::launch(daemon, extra)
    }

    /// Installs the hostile component, and `extra` manifests for the same code, into
    /// `daemon` (whose config the caller wrote) and starts it.
    pub(crate) fn launch(mut daemon: TestDaemon, extra: &[ExtraManifest]) -> Sandbox {
        let wasm = hostile_wasm().display().to_string();
        let mut components = vec![format!("{}={wasm}", hostile_manifest().display())];
        let mut names = vec!["hostile".to_owned()];
        for m in extra {
            let path = daemon.dir.path().join(format!("{}.manifest.json", m.name));
            std::fs::write(&path, serde_json::to_vec_pretty(&m.manifest).expect("json"))
                .expect("write manifest");
            components.push(format!("{}={wasm}", path.display()));
            names.push(m.name.clone());
        }
        let index = daemon.dir.path().join("index.json").display().to_string();
        let mut args = vec!["registry", "build"];
        for c in &components {
            args.extend(["--component", c.as_str()]);
        }
        args.extend(["--out", index.as_str()]);
        let (ok, out, err) = cli(&args, &[]);
        assert!(ok, "registry build failed:\n{out}\n{err}");
        for name in &names {
            let (ok, out, err) = daemon.cli(&["install", name, "--registry", &index]);
            assert!(ok, "install {name} failed:\n{out}\n{err}");
        }
        daemon.start();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("http client");
        Sandbox { daemon, http }
    }

    /// The hostile manifest under another name with other HTTP capabilities.
    pub(crate) fn manifest_with_capabilities(name: &str, http: Value) -> ExtraManifest {
        let text = std::fs::read(hostile_manifest()).expect("read hostile manifest");
        let mut manifest: Value = serde_json::from_slice(&text).expect("manifest is JSON");
        manifest["name"] = Value::String(name.to_owned());
        manifest["capabilities"]["http"] = http;
        ExtraManifest {
            name: name.to_owned(),
            manifest,
        }
    }

    /// POSTs `body` to `/webhooks/<instance>` with the right token.
    pub(crate) async fn post(&self, instance: &str, body: &str) -> Answer {
        let response = self
            .http
            .post(self.daemon.url(&format!("/webhooks/{instance}")))
            .header("x-test-token", TOKEN)
            .body(body.to_owned())
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST to {instance}: {e}\nlog:\n{}", self.daemon.log()));
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = response.text().await.unwrap_or_default();
        Answer {
            status,
            headers,
            body,
        }
    }

    /// Stored messages of one instance.
    pub(crate) fn messages_of(&self, instance: &str) -> Vec<Value> {
        self.daemon
            .messages()
            .into_iter()
            .filter(|m| m["instance"] == instance)
            .collect()
    }

    /// Delivery dead letters of one instance, from `switchboard dead-letters list --json`.
    pub(crate) fn dead_letters_of(&self, instance: &str) -> Vec<Value> {
        self.daemon
            .json_lines(&["dead-letters", "list", "--json"])
            .into_iter()
            .filter(|l| l["instance"] == instance && l["kind"] == "delivery")
            .collect()
    }

    /// The reason of the single delivery dead letter of `instance`.
    pub(crate) fn dead_letter_reason(&self, instance: &str) -> String {
        let letters = self.dead_letters_of(instance);
        assert_eq!(
            letters.len(),
            1,
            "expected one dead letter for {instance}, got {letters:?}\nlog:\n{}",
            self.daemon.log()
        );
        letters[0]["error"].as_str().expect("error text").to_owned()
    }

    /// The daemon is up and a well-behaved instance named `good` stores a message.
    pub(crate) async fn assert_good_still_works(&self, id: &str) {
        let health = self
            .http
            .get(self.daemon.url("/healthz"))
            .send()
            .await
            .expect("healthz");
        assert_eq!(health.status().as_u16(), 200, "daemon unhealthy");
        let answer = self.post("good", id).await;
        assert_eq!(
            (answer.status, answer.body.as_str()),
            (200, "stored"),
            "the well-behaved instance failed; log:\n{}",
            self.daemon.log()
        );
        let stored = self.messages_of("good");
        assert!(
            stored.iter().any(|m| m["external_id"] == id),
            "message {id} not stored: {stored:?}"
        );
    }

    /// Neither secret reached the daemon's log.
    pub(crate) fn assert_no_secret_in_log(&self) {
        let log = self.daemon.log();
        assert!(
            !log.contains(API_KEY),
            "the API key reached the log:\n{log}"
        );
        assert!(
            !log.contains(TOKEN),
            "the webhook token reached the log:\n{log}"
        );
    }

    /// host:port of the daemon's listener.
    pub(crate) fn addr(&self) -> String {
        self.daemon.addr.clone().expect("daemon started")
    }
}

/// Asserts that no secret appears in a response a client received.
pub(crate) fn assert_no_secret(answer: &Answer) {
    let all = format!("{:?} {}", answer.headers, answer.body);
    assert!(!all.contains(API_KEY), "the API key leaked: {all}");
    assert!(!all.contains(TOKEN), "the webhook token leaked: {all}");
}

/// One request the echo server saw.
#[derive(Debug, Clone)]
pub(crate) struct Echoed {
    pub(crate) path_and_query: String,
    pub(crate) headers: Vec<(String, String)>,
}

/// A local API that answers every request with what it received: the path and
/// query in the body and in an `x-echo` header, and the headers in the body, as a
/// careless or malicious API would.
#[derive(Clone)]
pub(crate) struct EchoServer {
    pub(crate) origin: String,
    server: MockServer,
}

impl EchoServer {
    pub(crate) async fn start() -> EchoServer {
        let server = MockServer::start(|request, _| {
            let path_and_query = &request.path;
            let answer = Served::ok(&format!(
                "you sent {path_and_query} with {:?}",
                request.headers
            ));
            if hyper::header::HeaderValue::from_str(path_and_query).is_ok() {
                answer.header("x-echo", path_and_query)
            } else {
                answer
            }
        })
        .await;
        EchoServer {
            origin: server.origin.clone(),
            server,
        }
    }

    pub(crate) fn seen(&self) -> Vec<Echoed> {
        self.server
            .requests()
            .into_iter()
            .map(|r| Echoed {
                path_and_query: r.path,
                headers: r.headers,
            })
            .collect()
    }
}

/// The status code of a raw HTTP/1.1 response.
pub(crate) fn status_of(response: &str) -> Option<u16> {
    response
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
}

/// Writes `request` on a fresh connection to `addr`, then reads until the server
/// closes the connection (or `limit` passes). Returns what was read and whether
/// the server closed within the limit.
pub(crate) async fn raw_exchange(addr: &str, request: &[u8], limit: Duration) -> (String, bool) {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request).await.expect("write request");
    read_until_closed(&mut stream, limit).await
}

/// Reads until EOF, a connection error, or `limit`; returns the text and whether
/// the connection ended within the limit.
pub(crate) async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (String, bool) {
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    let outcome = tokio::time::timeout(limit, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    (
        String::from_utf8_lossy(&received).into_owned(),
        outcome.is_ok(),
    )
}
