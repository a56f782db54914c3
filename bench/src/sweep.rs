//! Finding a target's maximum sustainable rate, then measuring latency at half
//! of it.
//!
//! A short closed-loop probe estimates the capacity `C`. Open-loop steps then
//! search for the highest offered rate that the target sustains: every request
//! answered 2xx (no 5xx, no errors), achieved rate at least 99 % of offered, and
//! p99 at most 10 ms. The search starts at 0.8 C, climbs by 0.1 C while steps
//! pass, backs off while they fail, and bisects between the best pass and the
//! lowest fail until they are within 5 % of C or the step budget is spent.
//!
//! Before every step the target must settle (its CPU use below 10 % of a core):
//! the daemon keeps sending read receipts and replies after the webhooks were
//! answered, and that backlog must not be charged to the next step.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::error::BenchError;
use crate::loadgen::{self, LoadPlan, LoadResult, Pace};
use crate::payload::{SignedRequest, Signer, WEBHOOK_PATH};
use crate::procstat;

/// The latency bound of a sustainable rate.
pub const P99_LIMIT_MS: f64 = 10.0;
/// The fraction of the offered rate that must be achieved.
pub const ACHIEVED_FRACTION: f64 = 0.99;

/// Requests per second no target reaches from one client core; sizes the
/// probe's pre-signed requests.
const PROBE_RATE_BOUND: f64 = 200_000.0;

/// How long and how hard to sweep.
#[derive(Debug, Clone)]
pub struct SweepOptions {
    /// The closed-loop capacity probe.
    pub probe: Duration,
    /// Each open-loop step.
    pub step: Duration,
    /// Open-loop steps at most, not counting the half-rate run.
    pub max_steps: usize,
    /// Keep-alive connections of the load generator.
    pub connections: usize,
    /// Requests pre-signed for one step at most (memory); longer steps at high
    /// rates are shortened to fit.
    pub max_requests: usize,
    /// The longest wait for the target to settle before a step.
    pub settle_limit: Duration,
    /// A request unanswered after this is an error.
    pub request_timeout: Duration,
}

/// One open-loop step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    /// What the load generator saw.
    pub load: LoadResult,
    /// The target's CPU use during the step (1.0 = one core).
    pub server_cpu: Option<f64>,
    /// The target's CPU time per request answered, counting the step and the
    /// work it left behind (the daemon's read receipts and replies), in µs.
    pub server_cpu_us_per_request: Option<f64>,
    /// How long the target took to settle after the step.
    pub drain_s: f64,
    /// Requests the step offered.
    pub requests: usize,
    /// Whether the step met every criterion.
    pub sustained: bool,
    /// How long the target took to settle before the step.
    pub settle_s: f64,
    /// Whether it settled within the limit.
    pub settled: bool,
}

/// A target's sweep.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sweep {
    /// The closed-loop probe.
    pub probe: LoadResult,
    /// The open-loop steps, in the order run.
    pub steps: Vec<Step>,
    /// The highest sustained offered rate (0 if none was).
    pub max_rps: f64,
    /// The highest offered rate among the steps that kept up (every answer 2xx,
    /// achieved at least 99 % of offered) whatever their latency: where the
    /// latency bound, not throughput, is what limits `max_rps`, this shows it.
    pub keeps_up_rps: f64,
    /// The run at half of `max_rps`.
    pub at_half: Option<Step>,
}

/// A target under test: where it listens and which process does the work.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// Short name, also part of the message ids.
    pub name: &'a str,
    /// Where it listens.
    pub addr: SocketAddr,
    /// The process whose CPU is charged to it.
    pub pid: u32,
}

/// Probes, searches and measures at half rate; every step is bounded in time.
pub fn sweep(target: Target<'_>, options: &SweepOptions) -> Result<Sweep, BenchError> {
    let mut runner = Runner {
        target,
        options,
        signer: Signer::new(target.name)?,
        next_seq: 0,
    };
    let probe = runner.probe()?;
    let capacity = probe.achieved_rps.max(1.0);
    let mut steps = Vec::new();
    let mut best_pass: Option<f64> = None;
    let mut lowest_fail: Option<f64> = None;
    let mut rate = 0.8 * capacity;
    while steps.len() < options.max_steps {
        let step = runner.open_loop(rate)?;
        let sustained = step.sustained;
        steps.push(step);
        if sustained {
            best_pass = Some(best_pass.map_or(rate, |best| best.max(rate)));
        } else {
            lowest_fail = Some(lowest_fail.map_or(rate, |low| low.min(rate)));
        }
        let next = match (best_pass, lowest_fail) {
            (Some(pass), Some(fail)) if fail > pass => (pass + fail) / 2.0,
            // A pass above a fail (noise): the search has done what it can.
            (Some(_), Some(_)) => break,
            (Some(pass), None) => pass + 0.1 * capacity,
            (None, Some(fail)) => fail * 0.6,
            (None, None) => break,
        };
        let close = match (best_pass, lowest_fail) {
            (Some(pass), Some(fail)) => (fail - pass).abs() < 0.05 * capacity,
            _ => false,
        };
        if close || next > 2.0 * capacity || next < 0.01 * capacity {
            break;
        }
        rate = next;
    }
    let max_rps = best_pass.unwrap_or(0.0);
    let keeps_up_rps = steps
        .iter()
        .filter(|step| keeps_up(&step.load, step.requests))
        .filter_map(|step| step.load.offered_rps)
        .fold(0.0, f64::max);
    let at_half = if max_rps > 0.0 {
        Some(runner.open_loop(max_rps / 2.0)?)
    } else {
        None
    };
    Ok(Sweep {
        probe,
        steps,
        max_rps,
        keeps_up_rps,
        at_half,
    })
}

struct Runner<'a> {
    target: Target<'a>,
    options: &'a SweepOptions,
    signer: Signer,
    next_seq: u64,
}

impl Runner<'_> {
    fn plan(&self, pace: Pace, duration: Duration) -> LoadPlan {
        LoadPlan {
            addr: self.target.addr,
            path: WEBHOOK_PATH.to_owned(),
            pace,
            duration,
            connections: self.options.connections,
            request_timeout: self.options.request_timeout,
        }
    }

    fn sign(&mut self, count: usize) -> Result<Vec<SignedRequest>, BenchError> {
        let requests = self.signer.batch(self.next_seq, count)?;
        self.next_seq += count as u64;
        Ok(requests)
    }

    fn probe(&mut self) -> Result<LoadResult, BenchError> {
        // Enough for the probe at a rate above what the load generator can send.
        let budget = (self.options.probe.as_secs_f64() * PROBE_RATE_BOUND).ceil() as usize;
        let requests = self.sign(budget.min(self.options.max_requests))?;
        settle(self.target.pid, self.options.settle_limit);
        loadgen::run_blocking(&self.plan(Pace::Closed, self.options.probe), requests)
    }

    fn open_loop(&mut self, rate: f64) -> Result<Step, BenchError> {
        let wanted = (rate * self.options.step.as_secs_f64()).ceil() as usize;
        let count = wanted.clamp(1, self.options.max_requests);
        let duration = Duration::from_secs_f64(count as f64 / rate);
        let requests = self.sign(count)?;
        let settle_started = Instant::now();
        let settled = settle(self.target.pid, self.options.settle_limit);
        let settle_s = settle_started.elapsed().as_secs_f64();
        let cpu_before = procstat::process_cpu_ticks(self.target.pid);
        let load = loadgen::run_blocking(&self.plan(Pace::Open { rate }, duration), requests)?;
        let cpu_after = procstat::process_cpu_ticks(self.target.pid);
        let drain_started = Instant::now();
        settle(self.target.pid, self.options.settle_limit);
        let drain_s = drain_started.elapsed().as_secs_f64();
        let cpu_drained = procstat::process_cpu_ticks(self.target.pid);
        let cpu_secs = |from: Option<u64>, to: Option<u64>| {
            Some(procstat::ticks_to_secs(to?.saturating_sub(from?)))
        };
        let answered = load.ok + load.status_4xx + load.status_5xx + load.status_other;
        Ok(Step {
            requests: count,
            sustained: sustained(&load, count),
            server_cpu: cpu_secs(cpu_before, cpu_after).map(|secs| secs / load.elapsed_s),
            server_cpu_us_per_request: cpu_secs(cpu_before, cpu_drained)
                .filter(|_| answered > 0)
                .map(|secs| secs * 1e6 / answered as f64),
            drain_s,
            load,
            settle_s,
            settled,
        })
    }
}

/// Whether a run met every criterion of a sustainable rate.
pub fn sustained(load: &LoadResult, requests: usize) -> bool {
    keeps_up(load, requests) && load.latency.p99_ms <= P99_LIMIT_MS
}

/// Whether a run met the throughput criteria: every request answered 2xx and
/// the achieved rate at least 99 % of the offered one.
pub fn keeps_up(load: &LoadResult, requests: usize) -> bool {
    let offered = load.offered_rps.unwrap_or(0.0);
    load.ok == requests as u64
        && load.errors == 0
        && load.unsent == 0
        && load.achieved_rps >= ACHIEVED_FRACTION * offered
}

/// Waits until `pid` uses less than a tenth of a core over 250 ms, for at most
/// `limit`; `false` if it did not.
pub fn settle(pid: u32, limit: Duration) -> bool {
    // `/proc` counts CPU in 10 ms ticks, so the window must span several.
    let window = Duration::from_millis(250);
    let started = Instant::now();
    while started.elapsed() < limit {
        let Some(before) = procstat::process_cpu_ticks(pid) else {
            return false;
        };
        std::thread::sleep(window);
        let Some(after) = procstat::process_cpu_ticks(pid) else {
            return false;
        };
        if procstat::ticks_to_secs(after.saturating_sub(before)) < 0.1 * window.as_secs_f64() {
            return true;
        }
    }
    false
}
