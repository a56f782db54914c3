//! The PostgreSQL stage: the WhatsApp daemon (T3) on SQLite, on PostgreSQL, and as two
//! nodes on one PostgreSQL database, each under the same fixed rate of signed
//! deliveries, with every follow-up action (mark as read, agent turn, reply) done
//! before the counters are read.
//!
//! On a small machine the nodes, the database and the load generator compete for the
//! same cores, so the stage reports per-message costs (daemon CPU, database CPU,
//! database commits) rather than a throughput ceiling: those are what a larger
//! machine or a separate database host divides among more cores.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde::Serialize;

use crate::daemon::DaemonSetup;
use crate::error::BenchError;
use crate::loadgen::{self, LoadPlan, LoadResult, Pace};
use crate::mock::MockApi;
use crate::payload::{Signer, WEBHOOK_PATH};
use crate::process;
use crate::{procstat, sweep};

/// How much load each run offers.
#[derive(Debug, Clone, Copy)]
pub struct PostgresBudget {
    /// Deliveries per second, across all nodes.
    pub rate: f64,
    pub duration: Duration,
    pub connections: usize,
}

impl PostgresBudget {
    pub fn new(quick: bool) -> PostgresBudget {
        PostgresBudget {
            // A rate every run keeps up with on two cores, so latencies compare.
            rate: if quick { 100.0 } else { 150.0 },
            duration: Duration::from_secs(if quick { 2 } else { 10 }),
            connections: 32,
        }
    }
}

/// One run: a store, a number of nodes, the same offered rate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoreRun {
    pub name: String,
    pub nodes: usize,
    pub offered_rps: f64,
    pub achieved_rps: f64,
    /// Deliveries answered 200.
    pub ok: u64,
    /// Deliveries answered otherwise, or not at all.
    pub failed: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// CPU of every node, from the first delivery until the follow-up work was done,
    /// per delivery answered 200.
    pub daemon_cpu_us_per_message: Option<f64>,
    /// CPU of the PostgreSQL server's processes over the same span, per delivery.
    pub database_cpu_us_per_message: Option<f64>,
    /// Transactions the database committed over the same span, per delivery, reads
    /// included (every statement outside a transaction is one).
    pub database_transactions_per_message: Option<f64>,
    /// WAL flushes to disk over the same span, per delivery: the durable commits.
    pub database_wal_flushes_per_message: Option<f64>,
    /// Rows of `leases` inserted, updated or deleted over the same span, per delivery:
    /// lane claims (granted, renewed or refused and marked wanted) and releases.
    pub lease_writes_per_message: Option<f64>,
    /// Requests the Graph API mock got (mark as read, typing, reply: three per message).
    pub outbound_requests: u64,
}

/// The whole stage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PostgresStage {
    pub runs: Vec<StoreRun>,
    /// Why the stage did not run, when it did not.
    pub skipped: Option<String>,
}

/// Everything a run needs from the caller.
pub struct PostgresSetup<'a> {
    pub root: &'a Path,
    pub daemon_binary: &'a Path,
    pub index: &'a Path,
    pub work: &'a Path,
    pub logs: &'a Path,
    pub mock: &'a MockApi,
}

/// Runs the stage. A machine without PostgreSQL's server programs gets a stage that
/// says so instead of numbers.
pub fn measure(
    setup: &PostgresSetup<'_>,
    budget: &PostgresBudget,
) -> Result<PostgresStage, BenchError> {
    let cluster = match Cluster::start(setup.root, &setup.work.join("cluster")) {
        Ok(cluster) => cluster,
        Err(e) => {
            return Ok(PostgresStage {
                runs: Vec::new(),
                skipped: Some(e.to_string()),
            });
        }
    };
    let runs = vec![
        run_nodes(setup, budget, "sqlite", None, 1)?,
        run_nodes(setup, budget, "postgres", Some(&cluster), 1)?,
        run_nodes(setup, budget, "postgres, two nodes", Some(&cluster), 2)?,
    ];
    Ok(PostgresStage {
        runs,
        skipped: None,
    })
}

fn run_nodes(
    setup: &PostgresSetup<'_>,
    budget: &PostgresBudget,
    name: &str,
    cluster: Option<&Cluster>,
    nodes: usize,
) -> Result<StoreRun, BenchError> {
    let tag = name.replace([' ', ','], "");
    let mut servers = Vec::new();
    for node in 0..nodes {
        let dir = setup.work.join(format!("{tag}-{node}"));
        crate::run::fresh_dir(&dir)?;
        let mut config = crate::daemon::config_text(&setup.mock.origin);
        if let Some(cluster) = cluster {
            config.push_str(&format!(
                "\n[store]\nkind = \"postgres\"\nurl = \"{}\"\npool_size = 32\n",
                cluster.url
            ));
        }
        let daemon =
            DaemonSetup::create_with(&dir, setup.daemon_binary, setup.index, "whatsapp", &config)?;
        if cluster.is_some() && node == 0 {
            let mut migrate = Command::new(setup.daemon_binary);
            migrate
                .arg("migrate")
                .arg("--config")
                .arg(daemon.config_path());
            process::output("switchboard migrate", &mut migrate)?;
        }
        servers.push(daemon.spawn(
            &format!("switchboard serve ({name}, node {node})"),
            None,
            &setup.logs.join(format!("pg-{tag}-{node}.log")),
        )?);
    }
    let outbound_before = setup.mock.requests();
    let daemon_before = cpu_of(servers.iter().map(|s| s.pid));
    let db_before = cluster.map(Cluster::counters);

    let per_node = budget.rate / nodes as f64;
    let count = (per_node * budget.duration.as_secs_f64()).ceil() as usize;
    let results: Vec<Result<LoadResult, BenchError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = servers
            .iter()
            .enumerate()
            .map(|(node, server)| {
                let plan = LoadPlan {
                    addr: server.addr,
                    path: WEBHOOK_PATH.to_owned(),
                    pace: Pace::Open { rate: per_node },
                    duration: budget.duration,
                    connections: budget.connections,
                    request_timeout: Duration::from_secs(10),
                };
                let tag = format!("pg.{tag}.{node}");
                scope.spawn(move || {
                    let requests = Signer::new(&tag)?.batch(0, count)?;
                    loadgen::run_blocking(&plan, requests)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(BenchError::Failed {
                        what: "the load generator".to_owned(),
                        detail: "a load thread panicked".to_owned(),
                    })
                })
            })
            .collect()
    });
    let results = results.into_iter().collect::<Result<Vec<_>, _>>()?;
    for server in &servers {
        sweep::settle(server.pid, Duration::from_secs(30));
    }
    // PostgreSQL publishes its transaction counters within a second of the commits.
    if cluster.is_some() {
        std::thread::sleep(Duration::from_millis(1500));
    }
    let daemon_after = cpu_of(servers.iter().map(|s| s.pid));
    let db_after = cluster.map(Cluster::counters);
    let outbound_requests = setup.mock.requests() - outbound_before;
    for server in servers {
        server.terminate(Duration::from_secs(15));
    }

    let ok: u64 = results.iter().map(|r| r.ok).sum();
    let sent: u64 = results.iter().map(|r| r.sent + r.unsent).sum();
    let per_message = |delta: Option<f64>| {
        delta
            .filter(|_| ok > 0)
            .map(|d| d * 1_000_000.0 / ok as f64)
    };
    let count_per_message = |after: Option<u64>, before: Option<u64>| {
        after
            .zip(before)
            .filter(|_| ok > 0)
            .map(|(a, b)| a.saturating_sub(b) as f64 / ok as f64)
    };
    let (db_cpu, db_transactions, db_flushes, lease_writes) = match (db_before, db_after) {
        (Some(before), Some(after)) => (
            per_message(after.cpu_secs.zip(before.cpu_secs).map(|(a, b)| a - b)),
            count_per_message(after.transactions, before.transactions),
            count_per_message(after.wal_flushes, before.wal_flushes),
            count_per_message(after.lease_writes, before.lease_writes),
        ),
        _ => (None, None, None, None),
    };
    Ok(StoreRun {
        name: name.to_owned(),
        nodes,
        offered_rps: budget.rate,
        achieved_rps: results.iter().map(|r| r.achieved_rps).sum(),
        ok,
        failed: sent.saturating_sub(ok),
        p50_ms: results.iter().map(|r| r.latency.p50_ms).fold(0.0, f64::max),
        p99_ms: results.iter().map(|r| r.latency.p99_ms).fold(0.0, f64::max),
        daemon_cpu_us_per_message: per_message(daemon_after.zip(daemon_before).map(|(a, b)| a - b)),
        database_cpu_us_per_message: db_cpu,
        database_transactions_per_message: db_transactions,
        database_wal_flushes_per_message: db_flushes,
        lease_writes_per_message: lease_writes,
        outbound_requests,
    })
}

/// Summed CPU seconds of the processes, if all could be read.
fn cpu_of(pids: impl Iterator<Item = u32>) -> Option<f64> {
    let mut total = 0;
    for pid in pids {
        total += procstat::process_cpu_ticks(pid)?;
    }
    Some(procstat::ticks_to_secs(total))
}

/// A throwaway cluster of the bench's own (`scripts/postgres-test-cluster`).
struct Cluster {
    script: PathBuf,
    dir: PathBuf,
    url: String,
    psql: PathBuf,
}

#[derive(Debug, Clone, Copy)]
struct Counters {
    cpu_secs: Option<f64>,
    transactions: Option<u64>,
    wal_flushes: Option<u64>,
    lease_writes: Option<u64>,
}

impl Cluster {
    fn start(root: &Path, dir: &Path) -> Result<Cluster, BenchError> {
        let script = root.join("scripts/postgres-test-cluster");
        if dir.exists() {
            fs::remove_dir_all(dir).map_err(|source| BenchError::Io {
                action: "cannot remove",
                path: dir.to_owned(),
                source,
            })?;
        }
        let mut start = Command::new(&script);
        start.arg("start").arg(dir);
        let url = process::output("scripts/postgres-test-cluster start", &mut start)?
            .trim()
            .to_owned();
        let psql = fs::read_dir("/usr/lib/postgresql")
            .ok()
            .and_then(|versions| {
                versions
                    .filter_map(Result::ok)
                    .map(|v| v.path().join("bin/psql"))
                    .find(|p| p.is_file())
            })
            .unwrap_or_else(|| PathBuf::from("psql"));
        Ok(Cluster {
            script,
            dir: dir.to_owned(),
            url,
            psql,
        })
    }

    /// The server's CPU (the postmaster, its live children, and its children that
    /// have exited) and the database's committed transactions.
    fn counters(&self) -> Counters {
        Counters {
            cpu_secs: self.cpu_secs(),
            transactions: self
                .query_count("SELECT xact_commit FROM pg_stat_database WHERE datname = 'postgres'"),
            wal_flushes: self.query_count("SELECT wal_sync FROM pg_stat_wal"),
            lease_writes: self.query_count(
                "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)
                 FROM pg_stat_user_tables WHERE relname = 'leases'",
            ),
        }
    }

    fn cpu_secs(&self) -> Option<f64> {
        let pid_file = fs::read_to_string(self.dir.join("data/postmaster.pid")).ok()?;
        let postmaster: u32 = pid_file.lines().next()?.trim().parse().ok()?;
        let mut ticks = own_and_reaped_ticks(postmaster)?;
        for entry in fs::read_dir("/proc").ok()?.filter_map(Result::ok) {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
                continue;
            };
            if parent_of(&stat) == Some(postmaster) {
                ticks += procstat::parse_stat_cpu_ticks(&stat).unwrap_or(0);
            }
        }
        Some(procstat::ticks_to_secs(ticks))
    }

    /// A counter the server publishes, read with `psql`.
    fn query_count(&self, sql: &str) -> Option<u64> {
        let out = Command::new(&self.psql)
            .args(["-Atc", sql])
            .arg(&self.url)
            .output()
            .ok()?;
        String::from_utf8_lossy(&out.stdout).trim().parse().ok()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // silent-ok: the cluster's directory is removed with the work directory.
        let _ = Command::new(&self.script)
            .arg("stop")
            .arg(&self.dir)
            .status();
    }
}

/// `ppid` of a `/proc/PID/stat` line.
fn parent_of(stat: &str) -> Option<u32> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(1)?.parse().ok()
}

/// `utime + stime + cutime + cstime` of `pid`: its own CPU and that of its children
/// that have exited.
fn own_and_reaped_ticks(pid: u32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // utime, stime, cutime, cstime are fields 14 to 17; the first field here is 3.
    let sum = fields
        .get(11..15)?
        .iter()
        .map(|f| f.parse::<u64>().ok())
        .sum::<Option<u64>>()?;
    Some(sum)
}
