//! `switchboard serve` with extra arguments and a chosen `RUST_LOG`, keeping both
//! output streams: stdout carries `listening on ADDR` and `admin listening on ADDR`,
//! stderr the log.

use std::io::{BufRead as _, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::harness::{TestDaemon, binary, eventually};

/// A running (or exited) `serve` process.
pub(crate) struct Serve {
    child: Child,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
    readers: Vec<JoinHandle<()>>,
}

/// `RUST_LOG` for the child: a value, or unset.
pub(crate) enum RustLog<'a> {
    Set(&'a str),
    Unset,
}

impl Serve {
    /// Starts `serve --config <daemon's config> <extra...>` with the daemon's env.
    pub(crate) fn spawn(daemon: &TestDaemon, extra: &[&str], rust_log: RustLog<'_>) -> Serve {
        let mut command = Command::new(binary());
        command
            .args(["serve", "--config", &daemon.config_path()])
            .args(extra)
            .envs(daemon.envs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        match rust_log {
            RustLog::Set(v) => command.env("RUST_LOG", v),
            RustLog::Unset => command.env_remove("RUST_LOG"),
        };
        let mut child = command.spawn().expect("spawn switchboard serve");
        let (stdout, out_reader) = collect(child.stdout.take().expect("stdout"));
        let (stderr, err_reader) = collect(child.stderr.take().expect("stderr"));
        Serve {
            child,
            stdout,
            stderr,
            readers: vec![out_reader, err_reader],
        }
    }

    /// Waits for the stdout line `<prefix>ADDR` and returns `ADDR`.
    pub(crate) async fn address(&self, prefix: &str) -> String {
        let found = eventually(Duration::from_secs(60), || {
            self.stdout()
                .lines()
                .find_map(|l| l.strip_prefix(prefix))
                .map(str::to_owned)
        })
        .await;
        found.unwrap_or_else(|| {
            panic!(
                "no `{prefix}ADDR` on stdout:\n{}\nlog:\n{}",
                self.stdout(),
                self.stderr()
            )
        })
    }

    pub(crate) fn stdout(&self) -> String {
        self.stdout.lock().map(|s| s.clone()).unwrap_or_default()
    }

    pub(crate) fn stderr(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Waits for the process to exit on its own.
    pub(crate) fn wait_exit(&mut self, limit: Duration) -> ExitStatus {
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                // Both pipes are at end of file now; wait until everything is read.
                for reader in self.readers.drain(..) {
                    let _ = reader.join();
                }
                return status;
            }
            assert!(
                started.elapsed() < limit,
                "serve did not exit within {limit:?}; stdout:\n{}",
                self.stdout()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGTERM, then waits for the exit.
    pub(crate) fn terminate(&mut self) -> ExitStatus {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        self.wait_exit(Duration::from_secs(30))
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn collect(stream: impl Read + Send + 'static) -> (Arc<Mutex<String>>, JoinHandle<()>) {
    let text = Arc::new(Mutex::new(String::new()));
    let sink = text.clone();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            if let Ok(mut t) = sink.lock() {
                t.push_str(&line);
                t.push('\n');
            }
        }
    });
    (text, reader)
}
