//! A real `switchboard` daemon in a temp directory: config file, installed
//! components, SQLite database, and the process itself.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use switchboard_testkit::SocketServer;

/// The `switchboard` binary under test.
pub(crate) fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_switchboard"))
}

/// The repository root.
pub(crate) fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The first-party registry index written by `just build`.
pub(crate) fn registry_index() -> PathBuf {
    let index = repo_root().join("target/registry/index.json");
    assert!(
        index.is_file(),
        "{} is missing: run `just build` (or `just test`, which builds first)",
        index.display()
    );
    index
}

/// A fixture file from `tests/fixtures/` (each folder's README names its public source).
pub(crate) fn fixture(path: &str) -> Vec<u8> {
    let full = repo_root().join("tests/fixtures").join(path);
    std::fs::read(&full).unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", full.display()))
}

/// A fixture parsed as JSON.
pub(crate) fn fixture_json(path: &str) -> Value {
    serde_json::from_slice(&fixture(path)).expect("fixture is JSON")
}

/// Runs the CLI to completion and returns (success, stdout, stderr).
pub(crate) fn cli(args: &[&str], envs: &[(&str, &str)]) -> (bool, String, String) {
    let out = Command::new(binary())
        .args(args)
        .envs(envs.iter().copied())
        .output()
        .expect("run switchboard");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A daemon's working directory with its config; start and stop it at will.
pub(crate) struct TestDaemon {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) envs: Vec<(String, String)>,
    child: Option<Child>,
    pub(crate) addr: Option<String>,
    /// The admin listener's address (`/readyz`, `/metrics`), when one is configured.
    pub(crate) admin: Option<String>,
    log: Arc<Mutex<String>>,
}

/// The line [`TestDaemon::new`] adds to `[server]` so that every test daemon serves
/// `/readyz` and `/metrics`, which only the admin listener answers.
const ADMIN_LINE: &str = "admin_listen = \"127.0.0.1:0\"";

/// What [`TestDaemon::new`] gives every channel instance whose config has no
/// `access` table: everyone may talk to the agent, without limits, so that tests of
/// other features are not about access. The access tests write their own tables.
const OPEN_ACCESS: &str = "dm = \"open\"\ngroups = \"open\"\nrequire_mention = false\nrate = \"none\"\nmax_turns_per_day = 0\nreply_burst = \"none\"\n";

/// What [`TestDaemon::new`] and [`TestDaemon::reconfigure`] write for `config`.
fn test_config(config: &str) -> String {
    let config = if config.contains("admin_listen") {
        config.to_owned()
    } else {
        config.replacen("[server]\n", &format!("[server]\n{ADMIN_LINE}\n"), 1)
    };
    with_open_access(&config)
}

/// `config` with an open `[channels.<name>.access]` table for every instance that
/// has none.
fn with_open_access(config: &str) -> String {
    let mut config = config.to_owned();
    let names: Vec<String> = config
        .lines()
        .filter_map(|l| l.trim().strip_prefix("[channels.")?.strip_suffix(']'))
        .filter(|name| !name.contains('.'))
        .map(str::to_owned)
        .collect();
    for name in names {
        if !config.contains(&format!("[channels.{name}.access]")) {
            config.push_str(&format!("\n[channels.{name}.access]\n{OPEN_ACCESS}"));
        }
    }
    config
}

impl TestDaemon {
    /// Writes `config` (TOML) to `switchboard.toml` in a fresh temp dir, with an admin
    /// listener on a free loopback port unless the config sets `admin_listen` itself,
    /// and open access for every instance without an access table.
    pub(crate) fn new(config: &str) -> TestDaemon {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("switchboard.toml"), test_config(config))
            .expect("write config");
        TestDaemon {
            dir,
            envs: Vec::new(),
            child: None,
            addr: None,
            admin: None,
            log: Arc::new(Mutex::new(String::new())),
        }
    }

    /// Removes the admin listener [`TestDaemon::new`] added, for tests of a daemon
    /// that has none.
    pub(crate) fn without_admin_listener(self) -> TestDaemon {
        let path = self.dir.path().join("switchboard.toml");
        let config = std::fs::read_to_string(&path).expect("read config");
        let config = config.replacen(&format!("{ADMIN_LINE}\n"), "", 1);
        std::fs::write(&path, config).expect("write config");
        self
    }

    pub(crate) fn config_path(&self) -> String {
        self.dir
            .path()
            .join("switchboard.toml")
            .display()
            .to_string()
    }

    /// Replaces `switchboard.toml` as [`TestDaemon::new`] writes it; takes effect at
    /// the next start, or within seconds for a running daemon's installed components.
    pub(crate) fn reconfigure(&self, config: &str) {
        self.write("switchboard.toml", &test_config(config));
    }

    pub(crate) fn write(&self, name: &str, contents: &str) {
        std::fs::write(self.dir.path().join(name), contents).expect("write file");
    }

    pub(crate) fn env(mut self, key: &str, value: &str) -> TestDaemon {
        self.envs.push((key.to_owned(), value.to_owned()));
        self
    }

    fn env_refs(&self) -> Vec<(&str, &str)> {
        self.envs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    /// Runs a CLI command with `--config` pointing at this daemon's config.
    pub(crate) fn cli(&self, args: &[&str]) -> (bool, String, String) {
        let config = self.config_path();
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--config", &config]);
        cli(&all, &self.env_refs())
    }

    /// Installs a first-party component from the built registry.
    pub(crate) fn install(&self, component: &str) {
        let index = registry_index().display().to_string();
        let (ok, out, err) = self.cli(&["install", component, "--registry", &index]);
        assert!(ok, "install {component} failed:\n{out}\n{err}");
    }

    /// Starts `switchboard serve` and waits until it listens.
    pub(crate) fn start(&mut self) {
        assert!(self.child.is_none(), "already running");
        let mut child = Command::new(binary())
            .args(["serve", "--config", &self.config_path()])
            .envs(self.env_refs())
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn switchboard serve");
        let stderr = child.stderr.take().expect("stderr");
        let log = self.log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Ok(mut l) = log.lock() {
                    l.push_str(&line);
                    l.push('\n');
                }
            }
        });
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        let admin = Arc::new(Mutex::new(None));
        let admin_seen = admin.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                // The admin listener's line comes first, when there is one.
                if let Some(addr) = line.strip_prefix("admin listening on ") {
                    if let Ok(mut seen) = admin_seen.lock() {
                        *seen = Some(addr.to_owned());
                    }
                } else if let Some(addr) = line.strip_prefix("listening on ") {
                    let _ = tx.send(addr.to_owned());
                }
            }
        });
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(addr) => {
                self.addr = Some(addr);
                self.admin = admin.lock().ok().and_then(|a| a.clone());
            }
            Err(_) => {
                let _ = child.kill();
                let status = child.wait().ok();
                panic!(
                    "daemon did not start (exit {status:?}); log:\n{}",
                    self.log()
                );
            }
        }
        self.child = Some(child);
    }

    /// Whether `needle` shows up in the log within a few seconds. The daemon logs a
    /// rejection as it answers, so the line can trail the response slightly.
    pub(crate) async fn log_shows(&self, needle: &str) -> bool {
        eventually(Duration::from_secs(5), || {
            self.log().contains(needle).then_some(())
        })
        .await
        .is_some()
    }

    /// Waits until the daemon has nothing left to do: every queue holds nothing in
    /// memory and the store has no pending hook, turn or reply, on three scrapes of
    /// `/metrics` in a row. What a test asserts after this cannot still be on its way.
    /// Not for tests that leave retries scheduled (those stay pending).
    pub(crate) async fn wait_idle(&self) {
        let client = reqwest::Client::new();
        let url = self.url("/metrics");
        let started = Instant::now();
        let mut quiet = 0;
        let mut last = String::new();
        while quiet < 3 {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the daemon did not go idle within 30 s\nmetrics:\n{last}\nlog:\n{}",
                self.log()
            );
            last = match client.get(&url).send().await {
                Ok(response) => response.text().await.unwrap_or_default(),
                Err(e) => format!("cannot scrape: {e}"),
            };
            quiet = if is_idle(&last) { quiet + 1 } else { 0 };
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
    }

    /// The daemon's log so far (stderr).
    pub(crate) fn log(&self) -> String {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// A URL on the daemon: the admin endpoints on the admin listener when there is
    /// one (`/readyz` and `/metrics` are served nowhere else), anything else on the
    /// webhook listener.
    pub(crate) fn url(&self, path: &str) -> String {
        let admin = matches!(path, "/healthz" | "/readyz" | "/metrics");
        let addr = match (&self.admin, admin) {
            (Some(admin), true) => admin,
            _ => self.addr.as_ref().expect("daemon started"),
        };
        format!("http://{addr}{path}")
    }

    /// A URL on the webhook listener, whatever the path.
    pub(crate) fn public_url(&self, path: &str) -> String {
        format!(
            "http://{}{path}",
            self.addr.as_ref().expect("daemon started")
        )
    }

    /// The running daemon's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.as_ref().expect("daemon running").id()
    }

    /// Sends SIGTERM and returns the exit status.
    pub(crate) fn stop(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("daemon running");
        let pid = child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        wait_exit(&mut child, Duration::from_secs(30))
    }

    /// Kills the daemon with SIGKILL (a crash).
    pub(crate) fn kill9(&mut self) {
        let mut child = self.child.take().expect("daemon running");
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Waits until at least `count` messages are stored (20 s at most, then fails
    /// with what is stored and the log).
    pub(crate) async fn wait_for_messages(&self, count: usize) {
        let stored = eventually(Duration::from_secs(20), || {
            (self.messages().len() >= count).then_some(())
        })
        .await;
        assert!(
            stored.is_some(),
            "expected {count} stored messages, have {:?}\nlog:\n{}",
            self.messages(),
            self.log()
        );
    }

    /// Waits until `socket` has accepted at least `count` connections from the
    /// daemon (20 s at most).
    pub(crate) async fn wait_for_connections(&self, socket: &SocketServer, count: usize) {
        let reached = eventually(Duration::from_secs(20), || {
            (socket.connections() >= count).then_some(())
        })
        .await;
        assert!(
            reached.is_some(),
            "expected {count} connections, saw {}\nframes: {:?}\nlog:\n{}",
            socket.connections(),
            socket.received(),
            self.log()
        );
    }

    /// The value of one `/metrics` sample (name and labels as rendered), 0 if absent.
    pub(crate) async fn metric(&self, series: &str) -> f64 {
        let metrics = reqwest::get(self.url("/metrics"))
            .await
            .expect("metrics")
            .text()
            .await
            .expect("metrics body");
        sample(&metrics, series).unwrap_or(0.0)
    }

    /// Stored messages, as printed by `switchboard messages --json`.
    pub(crate) fn messages(&self) -> Vec<Value> {
        self.json_lines(&["messages", "--json"])
    }

    /// Replies, as printed by `switchboard replies --json`.
    pub(crate) fn replies(&self) -> Vec<Value> {
        self.json_lines(&["replies", "--json"])
    }

    pub(crate) fn json_lines(&self, args: &[&str]) -> Vec<Value> {
        let (ok, out, err) = self.cli(args);
        assert!(ok, "{args:?} failed: {err}");
        out.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).expect("JSON line"))
            .collect()
    }
}

impl Drop for TestDaemon {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn wait_exit(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let started = Instant::now();
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("daemon did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The value of the sample `series` (name with its labels, exactly as rendered) in a
/// `/metrics` text.
pub(crate) fn sample(metrics: &str, series: &str) -> Option<f64> {
    metrics.lines().find_map(|line| {
        line.strip_prefix(series)
            .and_then(|rest| rest.strip_prefix(' '))
            .and_then(|value| value.trim().parse().ok())
    })
}

/// Whether a `/metrics` text shows empty queues, in memory and in the store.
fn is_idle(metrics: &str) -> bool {
    let gauges = [
        "switchboard_hooks_pending ",
        "switchboard_turns_pending ",
        "switchboard_outbox_pending ",
        "switchboard_queue_items{queue=\"hooks\"} ",
        "switchboard_queue_items{queue=\"turns\"} ",
        "switchboard_queue_items{queue=\"replies\"} ",
    ];
    gauges.iter().all(|gauge| {
        metrics
            .lines()
            .find_map(|line| line.strip_prefix(gauge))
            .is_some_and(|value| value.trim() == "0")
    })
}

/// Polls `check` until it returns `Some`, for at most `limit`.
pub(crate) async fn eventually<T>(
    limit: Duration,
    mut check: impl FnMut() -> Option<T>,
) -> Option<T> {
    let started = Instant::now();
    loop {
        if let Some(v) = check() {
            return Some(v);
        }
        if started.elapsed() > limit {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
