//! `report.json` and the table printed at the end of a run.

use std::fmt::Write as _;

use serde::Serialize;

use crate::coldstart::ColdStart;
use crate::languages::{LanguageResult, Languages};
use crate::machine::Machine;
use crate::memory::Memory;
use crate::postgres::PostgresStage;
use crate::store_bench::StoreReport;
use crate::sweep::{P99_LIMIT_MS, Sweep};

/// The goal for `sandbox_ratio` on a 2-core machine.
pub const SANDBOX_RATIO_GOAL: f64 = 0.6;
/// The goal for cold start with the compiled-code cache, in milliseconds.
pub const COLD_START_GOAL_MS: f64 = 200.0;

/// Everything one run measured. The flat fields are the headline numbers; the
/// nested ones hold every step for whoever wants to check them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// T0: highest sustained rate of hyper answering 200.
    pub raw_http_rps: f64,
    /// T0: p99 at half of `raw_http_rps`.
    pub raw_http_p99_ms: Option<f64>,
    /// T2: highest sustained rate of the pipeline with the native handler.
    pub native_rps: f64,
    /// T2: p99 at half of `native_rps`.
    pub native_p99_ms: Option<f64>,
    /// T3: highest sustained rate of the daemon with the WhatsApp component.
    pub wasm_rps: f64,
    /// T3: p99 at half of `wasm_rps`.
    pub wasm_p99_ms: Option<f64>,
    /// The fraction of the maximum rate the `*_p99_ms` figures were measured at.
    pub p99_at_fraction_of_max: f64,
    /// Server CPU time per request at half the maximum rate, counting the work
    /// left behind after the answer (T0, T2, T3), in µs.
    pub cpu_us_per_request: CpuPerRequest,
    /// `wasm_rps / native_rps`.
    pub sandbox_ratio: Option<f64>,
    /// The same ratio on the rates that kept up whatever their p99
    /// (`keeps_up_rps`): the throughput ratio when a slow disk makes the latency
    /// bound unreachable for either target.
    pub sandbox_ratio_keeps_up: Option<f64>,
    /// The ratio of the closed-loop capacities (every connection sends again as
    /// soon as it is answered): T3's over T2's.
    pub sandbox_ratio_capacity: Option<f64>,
    /// `wasm_rps / raw_http_rps`.
    pub http_ceiling_fraction: Option<f64>,
    /// S0: durable rows per second from concurrent `persist` calls.
    pub sqlite_rows_per_s: f64,
    /// S0: rows per commit (group-commit batch).
    pub sqlite_rows_per_commit: f64,
    /// Median single-row durable commit, at the start of the run.
    pub fsync_probe_p50_us: f64,
    /// The same at the end of the run, after everything else wrote to the disk.
    pub fsync_probe_end_p50_us: Option<f64>,
    /// Exec to first 2xx with the compiled-code cache (median).
    pub cold_start_ms: f64,
    /// Exec to first 2xx with an empty cache (median).
    pub cold_start_uncached_ms: f64,
    /// Resident memory per request in flight (closed-loop burst).
    pub rss_per_inflight_kib: f64,
    /// Resident memory per request parked mid-body in the ingress.
    pub rss_per_slow_body_kib: f64,
    /// The warmed-up daemon's resident memory at rest.
    pub daemon_idle_rss_kib: u64,
    /// The daemon's peak resident memory over the T3 sweep.
    pub daemon_peak_rss_kib: Option<u64>,
    /// The native daemon's peak resident memory over the T2 sweep.
    pub native_peak_rss_kib: Option<u64>,
    /// Read receipts and replies the daemon sent to the mock Graph API during T3.
    pub wasm_outbound_requests: u64,
    /// The same during T2: both targets do the same follow-up work.
    pub native_outbound_requests: u64,
    /// Whether this was the short `--quick` run.
    pub quick: bool,
    /// Whether targets and load generator ran on separate cores.
    pub pinned: bool,
    /// Wall time of the whole run.
    pub run_seconds: f64,
    /// `/proc/loadavg` before and after the run: anything else running on the
    /// machine shows up here and in every number above.
    pub load_average: [Option<String>; 2],
    /// Where it ran.
    pub machine: Machine,
    /// Each goal and whether this run met it.
    pub goals: Goals,
    /// T0, T2 and T3 in full.
    pub sweeps: Sweeps,
    /// S0 and the first fsync probe in full.
    pub store: StoreReport,
    /// Every cold start.
    pub cold_start: ColdStart,
    /// Both memory measurements.
    pub memory: Memory,
    /// The webhook example channel in Rust, Python and JavaScript.
    pub languages: Languages,
    /// T3 on SQLite, on PostgreSQL, and as two nodes on one PostgreSQL database.
    pub postgres: PostgresStage,
}

/// The goals of the benchmark and whether this run met them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Goals {
    /// `sandbox_ratio >= 0.6`; where neither target has a rate within the p99
    /// bound (a slow disk), `sandbox_ratio_keeps_up >= 0.6`.
    pub sandbox_ratio_at_least_0_6: bool,
    /// `wasm_p99_ms < 10`.
    pub wasm_p99_under_10_ms: bool,
    /// `cold_start_ms < 200`.
    pub cold_start_under_200_ms: bool,
}

/// Server CPU per request of each HTTP target, in µs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CpuPerRequest {
    /// T0.
    pub raw_http: Option<f64>,
    /// T2, including read receipts, agent turns and replies.
    pub native: Option<f64>,
    /// T3, including read receipts, agent turns and replies.
    pub wasm: Option<f64>,
}

/// The three HTTP targets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sweeps {
    /// T0.
    pub raw_http: Sweep,
    /// T2.
    pub native: Sweep,
    /// T3.
    pub wasm: Sweep,
}

impl Goals {
    /// Judges the headline numbers.
    pub fn judge(
        sandbox_ratio: Option<f64>,
        wasm_p99_ms: Option<f64>,
        cold_start_ms: f64,
    ) -> Goals {
        Goals {
            sandbox_ratio_at_least_0_6: sandbox_ratio.is_some_and(|r| r >= SANDBOX_RATIO_GOAL),
            wasm_p99_under_10_ms: wasm_p99_ms.is_some_and(|p| p < P99_LIMIT_MS),
            cold_start_under_200_ms: cold_start_ms > 0.0 && cold_start_ms < COLD_START_GOAL_MS,
        }
    }
}

/// The table printed at the end of a run.
pub fn table(report: &Report) -> String {
    let mut out = String::new();
    let machine = &report.machine;
    // Writing to a String cannot fail.
    let _ = writeln!(
        out,
        "switchboard-bench{} on {} ({} cores{}, sha_ni {}), kernel {}, {}",
        if report.quick { " --quick" } else { "" },
        machine.cpu_model.as_deref().unwrap_or("unknown CPU"),
        machine.cores,
        if report.pinned {
            ", server and client pinned to separate cores"
        } else {
            ", not pinned"
        },
        if machine.sha_ni { "yes" } else { "no" },
        machine.kernel.as_deref().unwrap_or("?"),
        machine
            .filesystem
            .as_deref()
            .unwrap_or("unknown filesystem"),
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:<44} {:>14} {:>12}  goal",
        "measure", "value", "p99 @ 1/2"
    );
    let _ = writeln!(out, "{}", "-".repeat(86));
    let p99 = |value: Option<f64>| value.map_or("-".to_owned(), |ms| format!("{ms:.2} ms"));
    let rows = [
        (
            "T0 raw hyper 200 (req/s)",
            format!("{:.0}", report.raw_http_rps),
            p99(report.raw_http_p99_ms),
            String::new(),
        ),
        (
            "T2 pipeline, native handler (req/s)",
            format!("{:.0}", report.native_rps),
            p99(report.native_p99_ms),
            String::new(),
        ),
        (
            "T3 pipeline, WhatsApp component (req/s)",
            format!("{:.0}", report.wasm_rps),
            p99(report.wasm_p99_ms),
            goal(report.goals.wasm_p99_under_10_ms, "p99 < 10 ms"),
        ),
        (
            "sandbox ratio T3/T2",
            report
                .sandbox_ratio
                .map_or("-".to_owned(), |r| format!("{r:.2}")),
            String::new(),
            if report.sandbox_ratio.is_some() {
                goal(report.goals.sandbox_ratio_at_least_0_6, ">= 0.6")
            } else {
                "(T2 met no p99 bound: judged below)".to_owned()
            },
        ),
        (
            "sandbox ratio without the p99 bound",
            report
                .sandbox_ratio_keeps_up
                .map_or("-".to_owned(), |r| format!("{r:.2}")),
            String::new(),
            if report.sandbox_ratio.is_none() {
                goal(report.goals.sandbox_ratio_at_least_0_6, ">= 0.6")
            } else {
                String::new()
            },
        ),
        (
            "sandbox ratio of closed-loop capacity",
            report
                .sandbox_ratio_capacity
                .map_or("-".to_owned(), |r| format!("{r:.2}")),
            String::new(),
            String::new(),
        ),
        (
            "T0 / T2 / T3 keep up without the p99 bound",
            format!(
                "{:.0} / {:.0} / {:.0}",
                report.sweeps.raw_http.keeps_up_rps,
                report.sweeps.native.keeps_up_rps,
                report.sweeps.wasm.keeps_up_rps
            ),
            String::new(),
            String::new(),
        ),
        (
            "server CPU per request T0 / T2 / T3 (us)",
            format!(
                "{} / {} / {}",
                us(report.cpu_us_per_request.raw_http),
                us(report.cpu_us_per_request.native),
                us(report.cpu_us_per_request.wasm)
            ),
            String::new(),
            String::new(),
        ),
        (
            "T3 / T0 (fraction of the HTTP ceiling)",
            report
                .http_ceiling_fraction
                .map_or("-".to_owned(), |r| format!("{r:.2}")),
            String::new(),
            String::new(),
        ),
        (
            "S0 store writer alone (rows/s)",
            format!("{:.0}", report.sqlite_rows_per_s),
            String::new(),
            format!("{:.1} rows/commit", report.sqlite_rows_per_commit),
        ),
        (
            "fsync probe, start / end (p50)",
            format!("{:.0} us", report.fsync_probe_p50_us),
            report
                .fsync_probe_end_p50_us
                .map_or("-".to_owned(), |us| format!("{us:.0} us")),
            String::new(),
        ),
        (
            "cold start, cached (exec -> first 2xx)",
            format!("{:.1} ms", report.cold_start_ms),
            String::new(),
            goal(report.goals.cold_start_under_200_ms, "< 200 ms"),
        ),
        (
            "cold start, uncached",
            format!("{:.1} ms", report.cold_start_uncached_ms),
            String::new(),
            String::new(),
        ),
        (
            "RSS per in-flight request (burst)",
            format!("{:.1} KiB", report.rss_per_inflight_kib),
            String::new(),
            format!("N = {}", report.memory.in_flight),
        ),
        (
            "RSS per in-flight request (slow body)",
            format!("{:.1} KiB", report.rss_per_slow_body_kib),
            String::new(),
            String::new(),
        ),
        (
            "daemon RSS idle / peak during T3",
            format!("{} KiB", report.daemon_idle_rss_kib),
            report
                .daemon_peak_rss_kib
                .map_or("-".to_owned(), |kib| format!("{kib} KiB")),
            report
                .native_peak_rss_kib
                .map_or(String::new(), |kib| format!("T2 peak {kib} KiB")),
        ),
        (
            "Graph API requests sent, T2 / T3",
            format!(
                "{} / {}",
                report.native_outbound_requests, report.wasm_outbound_requests
            ),
            String::new(),
            String::new(),
        ),
    ];
    for (name, value, at_half, goal) in rows {
        let _ = writeln!(out, "{name:<44} {value:>14} {at_half:>12}  {goal}");
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", steps_table(&report.sweeps));
    let _ = writeln!(out, "{}", languages_table(&report.languages));
    let _ = writeln!(out, "{}", postgres_table(&report.postgres));
    let _ = writeln!(
        out,
        "run took {:.0} s; load average before: {}, after: {}",
        report.run_seconds,
        report.load_average[0].as_deref().unwrap_or("?"),
        report.load_average[1].as_deref().unwrap_or("?"),
    );
    out
}

fn us(value: Option<f64>) -> String {
    value.map_or("-".to_owned(), |us| format!("{us:.0}"))
}

fn goal(met: bool, text: &str) -> String {
    format!("{text}: {}", if met { "met" } else { "MISSED" })
}

/// Every open-loop step of every target.
fn steps_table(sweeps: &Sweeps) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<8} {:>10} {:>10} {:>8} {:>8} {:>8} {:>6} {:>6} {:>6} {:>8}  sustained",
        "target",
        "offered",
        "achieved",
        "p50 ms",
        "p99 ms",
        "max ms",
        "non2xx",
        "srvCPU",
        "cliCPU",
        "us/req"
    );
    for (name, sweep) in [
        ("T0", &sweeps.raw_http),
        ("T2", &sweeps.native),
        ("T3", &sweeps.wasm),
    ] {
        let _ = writeln!(
            out,
            "{name:<8} {:>10} {:>10.0} {:>8.2} {:>8.2} {:>8.2} {:>6} {:>6} {:>6} {:>8}  (closed-loop probe)",
            "-",
            sweep.probe.achieved_rps,
            sweep.probe.latency.p50_ms,
            sweep.probe.latency.p99_ms,
            sweep.probe.latency.max_ms,
            sweep.probe.sent - sweep.probe.ok,
            "-",
            cpu(sweep.probe.client_cpu),
            "-",
        );
        let half = sweep.at_half.iter().map(|step| (step, " (half of max)"));
        for (step, note) in sweep.steps.iter().map(|step| (step, "")).chain(half) {
            let load = &step.load;
            let _ = writeln!(
                out,
                "{name:<8} {:>10.0} {:>10.0} {:>8.2} {:>8.2} {:>8.2} {:>6} {:>6} {:>6} {:>8}  {}{note}",
                load.offered_rps.unwrap_or(0.0),
                load.achieved_rps,
                load.latency.p50_ms,
                load.latency.p99_ms,
                load.latency.max_ms,
                load.sent - load.ok + load.unsent,
                cpu(step.server_cpu),
                cpu(load.client_cpu),
                step.server_cpu_us_per_request
                    .map_or("-".to_owned(), |us| format!("{us:.0}")),
                if step.sustained { "yes" } else { "no" },
            );
        }
    }
    out
}

fn cpu(value: Option<f64>) -> String {
    value.map_or("-".to_owned(), |v| format!("{:.0}%", v * 100.0))
}

/// The PostgreSQL stage as a Markdown table (as `BENCHMARKS.md` records it).
pub fn postgres_table(stage: &PostgresStage) -> String {
    let mut out = String::new();
    if let Some(why) = &stage.skipped {
        let _ = writeln!(out, "PostgreSQL stage skipped: {why}");
        return out;
    }
    let _ = writeln!(
        out,
        "store: the same fixed rate of deliveries, every follow-up action done before \
         the counters are read; CPU and commits per delivery answered 200\n"
    );
    let _ = writeln!(
        out,
        "| run | nodes | offered / achieved req/s | 200 / failed | p50 / p99 ms | daemon CPU µs/msg | database CPU µs/msg | transactions/msg | WAL flushes/msg | lease writes/msg | Graph API requests |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|---|---|");
    let opt = |v: Option<f64>, digits: usize| v.map_or("-".to_owned(), |v| format!("{v:.digits$}"));
    for run in &stage.runs {
        let _ = writeln!(
            out,
            "| {} | {} | {:.0} / {:.0} | {} / {} | {:.1} / {:.1} | {} | {} | {} | {} | {} | {} |",
            run.name,
            run.nodes,
            run.offered_rps,
            run.achieved_rps,
            run.ok,
            run.failed,
            run.p50_ms,
            run.p99_ms,
            opt(run.daemon_cpu_us_per_message, 0),
            opt(run.database_cpu_us_per_message, 0),
            opt(run.database_transactions_per_message, 1),
            opt(run.database_wal_flushes_per_message, 1),
            opt(run.lease_writes_per_message, 1),
            run.outbound_requests,
        );
    }
    out
}

/// The plugin-languages stage as a Markdown table (as `BENCHMARKS.md` records it),
/// with the ratios to Rust in the last column.
pub fn languages_table(languages: &Languages) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "plugin languages: {} sequential signed deliveries each after {} to warm up, \
         median of {} start(s) each way; stage took {:.1} s",
        languages.requests, languages.warm_up, languages.cold_starts, languages.stage_seconds
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "| language | size | cold start uncached / cached | CPU µs/request | p50 / p99 ms | RSS | ×Rust (size, uncached, cached, CPU, p50, p99, RSS) |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---|");
    for result in &languages.measured {
        let _ = writeln!(out, "{}", language_row(result));
    }
    for skipped in &languages.skipped {
        let _ = writeln!(
            out,
            "| {} | not built: {} (`{}`) | | | | | |",
            skipped.language, skipped.file, skipped.recipe
        );
    }
    out
}

fn language_row(result: &LanguageResult) -> String {
    let vs = &result.vs_rust;
    let ratios = [
        vs.size,
        vs.cold_start_uncached,
        vs.cold_start_cached,
        vs.cpu,
        vs.p50,
        vs.p99,
        vs.rss,
    ]
    .map(times)
    .join(", ");
    format!(
        "| {} | {} | {:.0} / {:.0} ms | {} | {:.2} / {:.2} | {} | {ratios} |",
        result.language,
        size(result.wasm_bytes),
        result.cold_start_uncached_ms(),
        result.cold_start_cached_ms(),
        us(result.cpu_us_per_request),
        result.latency.p50_ms,
        result.latency.p99_ms,
        result.rss_kib.map_or("-".to_owned(), |kib| format!(
            "{:.0} MiB",
            kib as f64 / 1024.0
        )),
    )
}

/// A file size in KiB below a MiB, in MiB above.
pub fn size(bytes: u64) -> String {
    let kib = bytes as f64 / 1024.0;
    if kib < 1024.0 {
        format!("{kib:.0} KiB")
    } else {
        format!("{:.1} MiB", kib / 1024.0)
    }
}

/// A ratio as `1.0×`, `12×` (two significant digits are all one run supports).
pub fn times(ratio: Option<f64>) -> String {
    match ratio {
        None => "-".to_owned(),
        Some(r) if r < 10.0 => format!("{r:.1}×"),
        Some(r) => format!("{r:.0}×"),
    }
}
