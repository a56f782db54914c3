//! The whole benchmark, in one run on one machine: S0 and the fsync probe, T0,
//! T2 and T3 sweeps, cold start, memory, the plugin languages, and a closing
//! fsync probe.
//!
//! Targets run on the server core and this process (the load generator) on the
//! client core; see [`crate::process::Pinning`].

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::coldstart;
use crate::daemon::DaemonSetup;
use crate::error::BenchError;
use crate::languages::{self, LanguageBudget, LanguageSetup};
use crate::machine;
use crate::memory;
use crate::mock::MockApi;
use crate::postgres::{self, PostgresBudget, PostgresSetup};
use crate::process::{self, Pinning, Server};
use crate::procstat;
use crate::report::{CpuPerRequest, Goals, Report, Sweeps};
use crate::store_bench::StoreReport;
use crate::sweep::{self, Sweep, SweepOptions, Target};

/// How a run is set up.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The short run for CI (well under a minute).
    pub quick: bool,
    /// The workspace root: `target/release/switchboard` and
    /// `target/registry/index.json` must exist.
    pub root: PathBuf,
    /// This benchmark's own executable, started again for the in-crate targets.
    pub bench_exe: PathBuf,
    /// Which cores to use.
    pub pinning: Pinning,
}

/// How long each part runs; `quick` shortens everything.
struct Budget {
    sweep: SweepOptions,
    store_for: Duration,
    store_tasks: usize,
    fsync_commits: u64,
    cold_starts: usize,
    memory_in_flight: usize,
    burst_for: Duration,
}

impl Budget {
    fn new(quick: bool) -> Budget {
        let sweep = SweepOptions {
            probe: Duration::from_millis(if quick { 500 } else { 1500 }),
            step: Duration::from_millis(if quick { 1000 } else { 5000 }),
            max_steps: if quick { 3 } else { 7 },
            connections: 64,
            max_requests: if quick { 150_000 } else { 600_000 },
            settle_limit: Duration::from_secs(if quick { 5 } else { 20 }),
            request_timeout: Duration::from_secs(10),
        };
        Budget {
            sweep,
            store_for: Duration::from_millis(if quick { 1000 } else { 5000 }),
            store_tasks: 64,
            fsync_commits: if quick { 200 } else { 1000 },
            cold_starts: if quick { 2 } else { 5 },
            memory_in_flight: if quick { 128 } else { 256 },
            burst_for: Duration::from_millis(if quick { 500 } else { 2000 }),
        }
    }
}

const TARGET_START: Duration = Duration::from_secs(30);
const STOP_LIMIT: Duration = Duration::from_secs(15);

/// Runs everything and returns the report (not yet written anywhere).
pub fn run(options: &RunOptions) -> Result<Report, BenchError> {
    let started = Instant::now();
    let load_before = load_average();
    let budget = Budget::new(options.quick);
    let daemon_binary = options.root.join("target/release/switchboard");
    let index = options.root.join("target/registry/index.json");
    for needed in [&daemon_binary, &index] {
        if !needed.is_file() {
            return Err(BenchError::Failed {
                what: "finding the build".to_owned(),
                detail: format!("{} is missing: run `just build` first", needed.display()),
            });
        }
    }
    // A missing example channel fails a full run now, not after the sweeps.
    languages::preflight(&options.root, options.quick)?;
    let work = options.root.join("target/bench/work");
    fresh_dir(&work)?;
    let logs = work.join("logs");
    fresh_dir(&logs)?;
    let machine = machine::describe(&options.root, &work);
    let server_cores = options.pinning.server.as_deref();

    progress("S0: store writer alone, and the fsync probe");
    let store = store_bench(
        options,
        &work.join("s0"),
        budget.fsync_commits,
        budget.store_tasks,
        budget.store_for,
    )?;

    progress("T0: raw hyper answering 200");
    let raw_http = in_crate_target(options, &budget, "raw", &["serve-raw"], &logs)?;

    let mock = MockApi::start()?;

    progress("T2: the daemon with the WhatsApp channel compiled natively");
    let native_setup = daemon_setup(&work.join("t2"), &daemon_binary, &index, &mock.origin)?;
    let daemon =
        native_setup.spawn_native(&options.bench_exe, server_cores, &logs.join("t2.log"))?;
    let native = sweep::sweep(target("native", &daemon), &budget.sweep)?;
    sweep::settle(daemon.pid, budget.sweep.settle_limit);
    let native_peak_rss_kib = procstat::peak_rss_kib(daemon.pid);
    let native_outbound_requests = mock.requests();
    daemon.terminate(STOP_LIMIT);

    progress("T3: switchboard serve with the WhatsApp component");
    let wasm_setup = daemon_setup(&work.join("t3"), &daemon_binary, &index, &mock.origin)?;
    let daemon = wasm_setup.spawn("switchboard serve (T3)", server_cores, &logs.join("t3.log"))?;
    let wasm = sweep::sweep(target("wasm", &daemon), &budget.sweep)?;
    sweep::settle(daemon.pid, budget.sweep.settle_limit);
    let daemon_peak_rss_kib = procstat::peak_rss_kib(daemon.pid);
    let wasm_outbound_requests = mock.requests() - native_outbound_requests;
    daemon.terminate(STOP_LIMIT);

    progress("cold start, without and with the compiled-code cache");
    let cold_setup = daemon_setup(&work.join("cold"), &daemon_binary, &index, &mock.origin)?;
    let cold_start = coldstart::measure(&cold_setup, server_cores, budget.cold_starts, &logs)?;

    progress("memory per in-flight request");
    let memory_setup = daemon_setup(&work.join("memory"), &daemon_binary, &index, &mock.origin)?;
    let memory = memory::measure(
        &memory_setup,
        server_cores,
        budget.memory_in_flight,
        budget.burst_for,
        &logs,
    )?;

    progress("plugin languages: the webhook example in Rust, Python and JavaScript");
    let languages_work = work.join("languages");
    let languages = languages::measure(
        &LanguageSetup {
            root: &options.root,
            daemon_binary: &daemon_binary,
            work: &languages_work,
            logs: &logs,
            cores: server_cores,
            mock: &mock,
        },
        &LanguageBudget::new(options.quick),
    )?;
    progress("PostgreSQL: one node on SQLite, one and two nodes on PostgreSQL");
    let postgres_work = work.join("postgres");
    fresh_dir(&postgres_work)?;
    let postgres = postgres::measure(
        &PostgresSetup {
            root: &options.root,
            daemon_binary: &daemon_binary,
            index: &index,
            work: &postgres_work,
            logs: &logs,
            mock: &mock,
        },
        &PostgresBudget::new(options.quick),
    )?;
    drop(mock);

    progress("closing fsync probe");
    let end = store_bench(
        options,
        &work.join("s0-end"),
        budget.fsync_commits,
        0,
        Duration::ZERO,
    )?;

    let sandbox_ratio = ratio(wasm.max_rps, native.max_rps);
    let sandbox_ratio_keeps_up = ratio(wasm.keeps_up_rps, native.keeps_up_rps);
    let wasm_p99_ms = p99_at_half(&wasm);
    let writer = store.writer.clone();
    let report = Report {
        raw_http_rps: raw_http.max_rps,
        raw_http_p99_ms: p99_at_half(&raw_http),
        native_rps: native.max_rps,
        native_p99_ms: p99_at_half(&native),
        wasm_rps: wasm.max_rps,
        wasm_p99_ms,
        p99_at_fraction_of_max: 0.5,
        cpu_us_per_request: CpuPerRequest {
            raw_http: cpu_at_half(&raw_http),
            native: cpu_at_half(&native),
            wasm: cpu_at_half(&wasm),
        },
        sandbox_ratio,
        sandbox_ratio_keeps_up,
        sandbox_ratio_capacity: ratio(wasm.probe.achieved_rps, native.probe.achieved_rps),
        http_ceiling_fraction: ratio(wasm.max_rps, raw_http.max_rps),
        sqlite_rows_per_s: writer.as_ref().map_or(0.0, |w| w.rows_per_s),
        sqlite_rows_per_commit: writer.as_ref().map_or(0.0, |w| w.rows_per_commit),
        fsync_probe_p50_us: store.fsync_probe.as_ref().map_or(0.0, |p| p.p50_us),
        fsync_probe_end_p50_us: end.fsync_probe.as_ref().map(|p| p.p50_us),
        cold_start_ms: cold_start.cached.first_2xx_ms,
        cold_start_uncached_ms: cold_start.uncached.first_2xx_ms,
        rss_per_inflight_kib: memory.burst.per_request_kib,
        rss_per_slow_body_kib: memory.slow_body.per_request_kib,
        daemon_idle_rss_kib: memory.burst.idle_rss_kib,
        daemon_peak_rss_kib,
        native_peak_rss_kib,
        wasm_outbound_requests,
        native_outbound_requests,
        quick: options.quick,
        pinned: options.pinning.server.is_some(),
        run_seconds: started.elapsed().as_secs_f64(),
        load_average: [load_before, load_average()],
        machine,
        goals: Goals::judge(
            sandbox_ratio.or(sandbox_ratio_keeps_up),
            wasm_p99_ms,
            cold_start.cached.first_2xx_ms,
        ),
        sweeps: Sweeps {
            raw_http,
            native,
            wasm,
        },
        store,
        cold_start,
        memory,
        languages,
        postgres,
    };
    Ok(report)
}

/// Only the plugin-languages stage, with its own mock, on a fresh work directory.
pub fn languages_only(
    root: &Path,
    pinning: &Pinning,
    quick: bool,
) -> Result<languages::Languages, BenchError> {
    let daemon_binary = root.join("target/release/switchboard");
    if !daemon_binary.is_file() {
        return Err(BenchError::Failed {
            what: "finding the build".to_owned(),
            detail: format!(
                "{} is missing: run `just build` first",
                daemon_binary.display()
            ),
        });
    }
    languages::preflight(root, quick)?;
    let work = root.join("target/bench/work-languages");
    fresh_dir(&work)?;
    let logs = work.join("logs");
    fresh_dir(&logs)?;
    let mock = MockApi::start()?;
    languages::measure(
        &LanguageSetup {
            root,
            daemon_binary: &daemon_binary,
            work: &work.join("daemons"),
            logs: &logs,
            cores: pinning.server.as_deref(),
            mock: &mock,
        },
        &LanguageBudget::new(quick),
    )
}

/// The 1, 5 and 15 minute load averages.
fn load_average() -> Option<String> {
    let loadavg = std::fs::read_to_string("/proc/loadavg").ok()?;
    Some(
        loadavg
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
    )
}

fn progress(what: &str) {
    eprintln!("switchboard-bench: {what}");
}

fn ratio(numerator: f64, denominator: f64) -> Option<f64> {
    (denominator > 0.0).then(|| numerator / denominator)
}

fn p99_at_half(sweep: &Sweep) -> Option<f64> {
    sweep.at_half.as_ref().map(|step| step.load.latency.p99_ms)
}

fn cpu_at_half(sweep: &Sweep) -> Option<f64> {
    sweep
        .at_half
        .as_ref()
        .and_then(|step| step.server_cpu_us_per_request)
}

fn target<'a>(name: &'a str, server: &Server) -> Target<'a> {
    Target {
        name,
        addr: server.addr,
        pid: server.pid,
    }
}

/// Starts this executable as a target on the server core, sweeps it, stops it.
fn in_crate_target(
    options: &RunOptions,
    budget: &Budget,
    name: &str,
    args: &[&str],
    logs: &Path,
) -> Result<Sweep, BenchError> {
    let mut command = Pinning::command(options.pinning.server.as_deref(), &options.bench_exe);
    command.args(args).args(["--listen", "127.0.0.1:0"]);
    let server = Server::spawn(
        name,
        command,
        &logs.join(format!("{name}.log")),
        TARGET_START,
    )?;
    let result = sweep::sweep(target(name, &server), &budget.sweep);
    server.close_stdin(STOP_LIMIT);
    result
}

/// Runs the store benchmark in its own process on the server core.
fn store_bench(
    options: &RunOptions,
    dir: &Path,
    commits: u64,
    tasks: usize,
    duration: Duration,
) -> Result<StoreReport, BenchError> {
    fresh_dir(dir)?;
    let mut command = Pinning::command(options.pinning.server.as_deref(), &options.bench_exe);
    command
        .args(["store", "--dir", path_str(dir)?])
        .args(["--probe", &commits.to_string()])
        .args(["--tasks", &tasks.to_string()])
        .args(["--duration-ms", &duration.as_millis().to_string()]);
    let out = process::output("switchboard-bench store", &mut command)?;
    serde_json::from_str(&out).map_err(|source| BenchError::Json {
        what: "switchboard-bench store".to_owned(),
        source,
    })
}

fn daemon_setup(
    dir: &Path,
    binary: &Path,
    index: &Path,
    mock_origin: &str,
) -> Result<DaemonSetup, BenchError> {
    fresh_dir(dir)?;
    DaemonSetup::create(dir, binary, index, mock_origin)
}

/// Removes `dir` if it exists and creates it empty.
pub(crate) fn fresh_dir(dir: &Path) -> Result<(), BenchError> {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(source) => {
            return Err(BenchError::Io {
                action: "cannot remove",
                path: dir.to_owned(),
                source,
            });
        }
    }
    std::fs::create_dir_all(dir).map_err(|source| BenchError::Io {
        action: "cannot create",
        path: dir.to_owned(),
        source,
    })
}

fn path_str(path: &Path) -> Result<&str, BenchError> {
    path.to_str().ok_or_else(|| BenchError::Failed {
        what: "preparing the work directory".to_owned(),
        detail: format!("{} is not valid UTF-8", path.display()),
    })
}
