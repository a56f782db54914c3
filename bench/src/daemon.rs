//! T3: the real `switchboard` binary with the real WhatsApp component, installed
//! from the built registry index, an echo agent, and the Graph API pointed at the
//! loopback mock.
//!
//! Sending one signed request to a freshly started daemon is also how cold start
//! is timed, so the request writer here is a plain blocking socket: nothing to
//! set up before the clock starts.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::error::BenchError;
use crate::payload::{APP_SECRET, SignedRequest, WEBHOOK_PATH};
use crate::process::{self, Pinning, Server};

/// How long a daemon may take to start listening.
const START_LIMIT: Duration = Duration::from_secs(60);

/// A daemon's directory: `switchboard.toml`, and `data/` with the installed
/// WhatsApp component.
#[derive(Debug, Clone)]
pub struct DaemonSetup {
    /// The directory.
    pub dir: PathBuf,
    binary: PathBuf,
}

impl DaemonSetup {
    /// Writes the config into `dir` (which must exist) and installs the WhatsApp
    /// component from `index` with `switchboard install`.
    pub fn create(
        dir: &Path,
        binary: &Path,
        index: &Path,
        mock_origin: &str,
    ) -> Result<DaemonSetup, BenchError> {
        DaemonSetup::create_with(dir, binary, index, "whatsapp", &config_text(mock_origin))
    }

    /// Writes `config` into `dir` (which must exist) and installs `component`
    /// from `index` with `switchboard install`.
    pub fn create_with(
        dir: &Path,
        binary: &Path,
        index: &Path,
        component: &str,
        config: &str,
    ) -> Result<DaemonSetup, BenchError> {
        let setup = DaemonSetup {
            dir: dir.to_owned(),
            binary: binary.to_owned(),
        };
        let config_path = setup.config_path();
        std::fs::write(&config_path, config).map_err(|source| BenchError::Io {
            action: "cannot write",
            path: config_path.clone(),
            source,
        })?;
        let mut install = Command::new(binary);
        install
            .args(["install", component, "--config"])
            .arg(&config_path)
            .arg("--registry")
            .arg(index)
            .env_remove("RUST_LOG");
        process::output(&format!("switchboard install {component}"), &mut install)?;
        Ok(setup)
    }

    /// `switchboard.toml`.
    pub fn config_path(&self) -> PathBuf {
        self.dir.join("switchboard.toml")
    }

    /// The compiled-code cache (`data/cache`).
    pub fn cache_dir(&self) -> PathBuf {
        self.dir.join("data").join("cache")
    }

    /// Empties the compiled-code cache, so the next start compiles the component.
    pub fn clear_cache(&self) -> Result<(), BenchError> {
        let cache = self.cache_dir();
        match std::fs::remove_dir_all(&cache) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(BenchError::Io {
                action: "cannot empty",
                path: cache,
                source,
            }),
        }
    }

    /// Starts `switchboard serve` on `cores`, its log in `log`.
    pub fn spawn(&self, name: &str, cores: Option<&str>, log: &Path) -> Result<Server, BenchError> {
        let mut command = Pinning::command(cores, &self.binary);
        command
            .arg("serve")
            .arg("--config")
            .arg(self.config_path())
            .env_remove("RUST_LOG");
        Server::spawn(name, command, log, START_LIMIT)
    }

    /// Starts the same daemon with the same config through `bench_exe
    /// serve-native` (T2): the WhatsApp channel runs natively instead of in the
    /// sandbox.
    pub fn spawn_native(
        &self,
        bench_exe: &Path,
        cores: Option<&str>,
        log: &Path,
    ) -> Result<Server, BenchError> {
        let mut command = Pinning::command(cores, bench_exe);
        command
            .arg("serve-native")
            .arg("--config")
            .arg(self.config_path())
            .env_remove("RUST_LOG");
        Server::spawn(
            "switchboard-bench serve-native (T2)",
            command,
            log,
            START_LIMIT,
        )
    }
}

/// The daemon's config: defaults everywhere except the log level (a line per
/// request at `info` would measure the terminal) and the Graph API origin.
pub fn config_text(mock_origin: &str) -> String {
    format!(
        r#"# Written by switchboard-bench.
[server]
listen = "127.0.0.1:0"
data_dir = "data"

[log]
level = "warn"

[agent]
kind = "echo"

[channels.wa]
component = "whatsapp"
secrets = {{ app_secret = "{APP_SECRET}", verify_token = "bench-verify-token", access_token = "bench-access-token" }}
settings = {{ api_base = "{mock_origin}/v23.0" }}
allow = ["{mock_origin}"]
# The pipeline's cost is measured, not the access policy's: every sender is answered.
access = {{ dm = "open", rate = "none", max_turns_per_day = 0, reply_burst = "none" }}
"#
    )
}

/// Sends one request to the WhatsApp instance's webhook on a new connection and
/// returns the status code.
pub fn post_blocking(
    addr: SocketAddr,
    request: &SignedRequest,
    timeout: Duration,
) -> Result<u16, BenchError> {
    post_blocking_to(addr, WEBHOOK_PATH, request, timeout)
}

/// Sends one request to `path` on a new connection and returns the status code.
pub fn post_blocking_to(
    addr: SocketAddr,
    path: &str,
    request: &SignedRequest,
    timeout: Duration,
) -> Result<u16, BenchError> {
    let io = |source| BenchError::Connect { addr, source };
    let mut stream = TcpStream::connect_timeout(&addr, timeout).map_err(io)?;
    stream.set_nodelay(true).map_err(io)?;
    stream.set_read_timeout(Some(timeout)).map_err(io)?;
    stream
        .write_all(&request_head_to(addr, path, request, request.body.len()))
        .map_err(io)?;
    stream.write_all(&request.body).map_err(io)?;
    read_status(&mut stream).map_err(io)
}

/// The request line and headers of `request` to the WhatsApp instance's webhook,
/// announcing `length` body bytes and asking the server to close the connection
/// after answering.
pub fn request_head(addr: SocketAddr, request: &SignedRequest, length: usize) -> Vec<u8> {
    request_head_to(addr, WEBHOOK_PATH, request, length)
}

/// [`request_head`] for a request to `path`.
pub fn request_head_to(
    addr: SocketAddr,
    path: &str,
    request: &SignedRequest,
    length: usize,
) -> Vec<u8> {
    let mut head = format!("POST {path} HTTP/1.1\r\nhost: {addr}\r\n").into_bytes();
    for (name, value) in &request.headers {
        head.extend_from_slice(name.as_str().as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(value.as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(
        format!("content-length: {length}\r\nconnection: close\r\n\r\n").as_bytes(),
    );
    head
}

/// Reads an HTTP/1.1 response far enough to know its status code.
fn read_status(stream: &mut TcpStream) -> Result<u16, std::io::Error> {
    let mut seen = Vec::with_capacity(256);
    let mut buffer = [0u8; 512];
    // A status line fits in far less; the bound keeps a broken server from
    // holding this loop.
    while seen.len() < 16 * 1024 {
        let read = stream.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        seen.extend_from_slice(&buffer[..read]);
        if let Some(status) = parse_status(&seen) {
            return Ok(status);
        }
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        "no HTTP status line in the answer",
    ))
}

/// The status code of `HTTP/1.1 200 OK\r\n...`, once the first line is complete.
pub fn parse_status(response: &[u8]) -> Option<u16> {
    let end = response.windows(2).position(|pair| pair == b"\r\n")?;
    let line = std::str::from_utf8(&response[..end]).ok()?;
    let mut parts = line.split(' ');
    let version = parts.next()?;
    if !version.starts_with("HTTP/") {
        return None;
    }
    parts.next()?.parse().ok()
}
