//! Child processes: the targets, the daemon and the store benchmark, each pinned
//! to its core when `taskset` is available.
//!
//! A child that prints `listening on ADDR` is ready; its standard error goes to a
//! log file under the run's work directory so a failure can be read afterwards.
//! Children are stopped when their handle is dropped, so an aborted run leaves
//! nothing behind.

use std::fs::File;
use std::io::{BufRead as _, BufReader, Read as _};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::error::BenchError;

/// Which cores the server side and the client side run on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pinning {
    /// The core list (`taskset -c`) for targets; `None` when not pinning.
    pub server: Option<String>,
    /// The core list for the load generator.
    pub client: Option<String>,
}

impl Pinning {
    /// Pins the server to core 0 and the client to core 1 when `taskset` runs and
    /// the machine has at least two cores; otherwise pins nothing.
    ///
    /// Counts the machine's cores, not the ones this process may use: the run
    /// restarts itself pinned to the client core and must still pin its targets.
    pub fn detect() -> Pinning {
        let cores = std::fs::read_to_string("/proc/cpuinfo")
            .map(|info| {
                info.lines()
                    .filter(|line| line.starts_with("processor"))
                    .count()
            })
            .unwrap_or(0)
            .max(std::thread::available_parallelism().map_or(1, usize::from));
        let taskset = Command::new("taskset")
            .arg("-V")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if taskset && cores >= 2 {
            Pinning {
                server: Some("0".to_owned()),
                client: Some("1".to_owned()),
            }
        } else {
            Pinning::none()
        }
    }

    /// No pinning at all.
    pub fn none() -> Pinning {
        Pinning {
            server: None,
            client: None,
        }
    }

    /// `program args...`, run under `taskset -c <cores>` when `cores` is set.
    pub fn command(cores: Option<&str>, program: &Path) -> Command {
        match cores {
            Some(cores) => {
                let mut command = Command::new("taskset");
                command.arg("-c").arg(cores).arg(program);
                command
            }
            None => Command::new(program),
        }
    }
}

/// A running child that announced its address.
#[derive(Debug)]
pub struct Server {
    name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its process id (`taskset` execs the program, so it is the program's).
    pub pid: u32,
    /// From spawning to the `listening on` line.
    pub started_in: Duration,
    log: PathBuf,
}

impl Server {
    /// Spawns `command` (standard error to `log`) and waits up to `limit` for its
    /// `listening on ADDR` line.
    pub fn spawn(
        name: &str,
        mut command: Command,
        log: &Path,
        limit: Duration,
    ) -> Result<Server, BenchError> {
        let stderr = File::create(log).map_err(|source| BenchError::Io {
            action: "cannot create",
            path: log.to_owned(),
            source,
        })?;
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr);
        let started = Instant::now();
        let mut child = command.spawn().map_err(|source| BenchError::Spawn {
            program: name.to_owned(),
            source,
        })?;
        let stdin = child.stdin.take();
        let (tx, rx) = mpsc::channel();
        if let Some(stdout) = child.stdout.take() {
            std::thread::spawn(move || {
                // Keeps reading after the address so the child never blocks on a
                // full pipe.
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    if let Some(addr) = line.strip_prefix("listening on ") {
                        // silent-ok: the receiver is gone once the address arrived.
                        let _ = tx.send(addr.trim().to_owned());
                    }
                }
            });
        }
        let pid = child.id();
        let mut server = Server {
            name: name.to_owned(),
            child,
            stdin,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            pid,
            started_in: Duration::ZERO,
            log: log.to_owned(),
        };
        let announced = rx.recv_timeout(limit);
        server.started_in = started.elapsed();
        match announced.ok().and_then(|addr| addr.parse().ok()) {
            Some(addr) => {
                server.addr = addr;
                Ok(server)
            }
            None => {
                let status = server.kill();
                Err(BenchError::NotReady {
                    what: name.to_owned(),
                    detail: format!(
                        "no `listening on` line within {limit:?} (exit: {status:?}); log {}:\n{}",
                        server.log.display(),
                        tail(&server.log)
                    ),
                })
            }
        }
    }

    /// Closes its standard input (the in-crate targets exit on that) and waits up
    /// to `limit`, then kills it.
    pub fn close_stdin(mut self, limit: Duration) -> Option<ExitStatus> {
        drop(self.stdin.take());
        self.wait_or_kill(limit)
    }

    /// Sends SIGTERM (the daemon's graceful shutdown) and waits up to `limit`,
    /// then kills it.
    pub fn terminate(mut self, limit: Duration) -> Option<ExitStatus> {
        // std offers only SIGKILL; `kill` is in every base system.
        // silent-ok: if this fails, `wait_or_kill` falls back to SIGKILL.
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .stderr(Stdio::null())
            .status();
        self.wait_or_kill(limit)
    }

    fn wait_or_kill(&mut self, limit: Duration) -> Option<ExitStatus> {
        let started = Instant::now();
        while started.elapsed() < limit {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        self.kill()
    }

    fn kill(&mut self) -> Option<ExitStatus> {
        // silent-ok: it may have exited already; `wait` reports either way.
        let _ = self.child.kill();
        self.child.wait().ok()
    }

    /// The end of its log, for error messages.
    pub fn log_tail(&self) -> String {
        tail(&self.log)
    }

    /// Its name, as given to [`Server::spawn`].
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.kill();
        }
    }
}

/// The last 2,000 bytes of a log file.
pub fn tail(path: &Path) -> String {
    let mut text = String::new();
    if let Ok(mut file) = File::open(path) {
        // silent-ok: a log we cannot read just makes the message shorter.
        let _ = file.read_to_string(&mut text);
    }
    let start = text.len().saturating_sub(2000);
    let start = (start..text.len())
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(text.len());
    text[start..].to_owned()
}

/// Runs `command` to completion and returns its standard output; a non-zero exit
/// is an error carrying its standard error.
pub fn output(what: &str, command: &mut Command) -> Result<String, BenchError> {
    let out = command.output().map_err(|source| BenchError::Spawn {
        program: what.to_owned(),
        source,
    })?;
    if !out.status.success() {
        return Err(BenchError::Command {
            command: what.to_owned(),
            detail: format!(
                "{}: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
