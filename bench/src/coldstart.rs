//! Cold start: from exec of `switchboard serve` to the first 2xx on a signed
//! request, with the compiled-code cache emptied before each start (the component
//! is compiled) and with it warm (the compiled code is mapped from `cache/`).
//!
//! The request is signed before the clock starts and sent as soon as the daemon
//! prints its address; the daemon loads its components before it binds, so the
//! first request never waits on a compile. The binary and the component are in
//! the OS page cache after the first start: this is a warm-OS cold start.

use std::path::Path;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::daemon::{DaemonSetup, post_blocking_to};
use crate::error::BenchError;
use crate::payload::{SignedRequest, Signer, WEBHOOK_PATH};

/// How long the first request may take.
const REQUEST_LIMIT: Duration = Duration::from_secs(30);
/// How long a daemon may take to shut down gracefully.
const STOP_LIMIT: Duration = Duration::from_secs(15);

/// One start.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Start {
    /// Exec to the `listening on` line.
    pub listening_ms: f64,
    /// Exec to the first 2xx.
    pub first_2xx_ms: f64,
}

/// Every start of one variant and the medians.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Variant {
    /// Each start in order.
    pub starts: Vec<Start>,
    /// Median exec → listening.
    pub listening_ms: f64,
    /// Median exec → first 2xx.
    pub first_2xx_ms: f64,
}

/// Cold start with and without the compiled-code cache.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ColdStart {
    /// Cache emptied before each start.
    pub uncached: Variant,
    /// Cache filled by the previous start.
    pub cached: Variant,
}

/// The first request of a start: where it goes and how request `seq` is made (a
/// distinct message each time, so no start answers a duplicate).
pub struct Probe<'a> {
    /// The webhook path, e.g. `/webhooks/wa`.
    pub path: &'a str,
    /// Builds and signs request `seq`.
    pub request: &'a dyn Fn(u64) -> Result<SignedRequest, BenchError>,
}

/// Starts the daemon of `setup` `runs` times without the cache, then `runs` times
/// with it, on `cores`, logs in `log_dir`, each time with a signed WhatsApp delivery.
pub fn measure(
    setup: &DaemonSetup,
    cores: Option<&str>,
    runs: usize,
    log_dir: &Path,
) -> Result<ColdStart, BenchError> {
    let signer = Signer::new("coldstart")?;
    let request = |seq| signer.request(seq);
    let probe = Probe {
        path: WEBHOOK_PATH,
        request: &request,
    };
    measure_with(setup, cores, runs, log_dir, &probe)
}

/// [`measure`] with the first request of each start made by `probe`, for a daemon
/// running another channel.
pub fn measure_with(
    setup: &DaemonSetup,
    cores: Option<&str>,
    runs: usize,
    log_dir: &Path,
    probe: &Probe<'_>,
) -> Result<ColdStart, BenchError> {
    let mut seq = 0;
    let mut uncached = Vec::with_capacity(runs);
    for _ in 0..runs {
        setup.clear_cache()?;
        uncached.push(start_once(setup, cores, probe, seq, log_dir)?);
        seq += 1;
    }
    let mut cached = Vec::with_capacity(runs);
    for _ in 0..runs {
        cached.push(start_once(setup, cores, probe, seq, log_dir)?);
        seq += 1;
    }
    Ok(ColdStart {
        uncached: variant(uncached),
        cached: variant(cached),
    })
}

fn start_once(
    setup: &DaemonSetup,
    cores: Option<&str>,
    probe: &Probe<'_>,
    seq: u64,
    log_dir: &Path,
) -> Result<Start, BenchError> {
    let request = (probe.request)(seq)?;
    let log = log_dir.join(format!("coldstart-{seq}.log"));
    let exec = Instant::now();
    let daemon = setup.spawn("switchboard serve (cold start)", cores, &log)?;
    let listening = exec.elapsed();
    let status = post_blocking_to(daemon.addr, probe.path, &request, REQUEST_LIMIT);
    let first_answer = exec.elapsed();
    let log_tail = daemon.log_tail();
    daemon.terminate(STOP_LIMIT);
    let status = status?;
    if !(200..300).contains(&status) {
        return Err(BenchError::Failed {
            what: "the cold-start request".to_owned(),
            detail: format!("answered {status}; daemon log:\n{log_tail}"),
        });
    }
    Ok(Start {
        listening_ms: millis(listening),
        first_2xx_ms: millis(first_answer),
    })
}

fn variant(starts: Vec<Start>) -> Variant {
    Variant {
        listening_ms: median(starts.iter().map(|start| start.listening_ms)),
        first_2xx_ms: median(starts.iter().map(|start| start.first_2xx_ms)),
        starts,
    }
}

/// The median (the lower middle of an even count); 0 for none.
pub fn median(values: impl Iterator<Item = f64>) -> f64 {
    let mut values: Vec<f64> = values.collect();
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => 0.0,
        n => values[(n - 1) / 2],
    }
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
