//! Memory per in-flight request: the daemon's resident set (`VmRSS`) at rest and
//! while N requests are in flight, each on a freshly started, warmed-up daemon.
//!
//! Two ways of holding N requests in flight, because neither alone is the whole
//! story:
//! - *slow body*: N connections each send the headers and half the body, then
//!   pause. Every request is parked in the ingress (connection, parser state,
//!   partly collected body); none has reached the sandbox yet.
//! - *burst*: N connections in a closed loop, each sending its next request as
//!   soon as the previous one is answered, for a while; the daemon's RSS is
//!   sampled every few milliseconds and the peak kept. Requests are then in every
//!   stage: being read, in the guest, waiting for the group commit.

use std::path::Path;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::daemon::{DaemonSetup, parse_status, post_blocking, request_head};
use crate::error::BenchError;
use crate::loadgen::{self, LoadPlan, Pace};
use crate::payload::{Signer, WEBHOOK_PATH};
use crate::process::Server;
use crate::procstat;
use crate::sweep;

/// Requests sent one by one before the resting RSS is read, so the sandbox pool,
/// the store and the HTTP client have all been used once.
const WARM_UP_REQUESTS: u64 = 32;
const REQUEST_LIMIT: Duration = Duration::from_secs(30);
const STOP_LIMIT: Duration = Duration::from_secs(15);
const SETTLE_LIMIT: Duration = Duration::from_secs(10);

/// What was measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Memory {
    /// Requests in flight.
    pub in_flight: usize,
    /// Slow-body requests.
    pub slow_body: Held,
    /// Closed-loop burst.
    pub burst: Held,
}

/// One way of holding requests in flight.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Held {
    /// RSS of the warmed-up daemon at rest.
    pub idle_rss_kib: u64,
    /// Highest RSS seen with the requests in flight.
    pub loaded_rss_kib: u64,
    /// `(loaded - idle) / in_flight`.
    pub per_request_kib: f64,
    /// Requests that got a 2xx in the end.
    pub ok: u64,
    /// Requests sent.
    pub sent: u64,
}

/// Measures both ways, each on a fresh daemon of `setup` running on `cores`.
pub fn measure(
    setup: &DaemonSetup,
    cores: Option<&str>,
    in_flight: usize,
    burst_for: Duration,
    log_dir: &Path,
) -> Result<Memory, BenchError> {
    let signer = Signer::new("memory")?;
    let daemon = setup.spawn(
        "switchboard serve (memory, slow body)",
        cores,
        &log_dir.join("memory-slow-body.log"),
    )?;
    let idle = warm_up(&daemon, &signer, 0)?;
    let slow_body = slow_body(&daemon, &signer, in_flight, idle)?;
    daemon.terminate(STOP_LIMIT);

    let daemon = setup.spawn(
        "switchboard serve (memory, burst)",
        cores,
        &log_dir.join("memory-burst.log"),
    )?;
    let idle = warm_up(&daemon, &signer, 1_000_000)?;
    let burst = burst(&daemon, &signer, in_flight, burst_for, idle)?;
    daemon.terminate(STOP_LIMIT);
    Ok(Memory {
        in_flight,
        slow_body,
        burst,
    })
}

/// Sends the warm-up requests one by one, lets the daemon finish its follow-up
/// work, and returns its resting RSS.
fn warm_up(daemon: &Server, signer: &Signer, first: u64) -> Result<u64, BenchError> {
    for seq in first..first + WARM_UP_REQUESTS {
        let status = post_blocking(daemon.addr, &signer.request(seq)?, REQUEST_LIMIT)?;
        if !(200..300).contains(&status) {
            return Err(BenchError::Failed {
                what: "a memory warm-up request".to_owned(),
                detail: format!("answered {status}; daemon log:\n{}", daemon.log_tail()),
            });
        }
    }
    // Read receipts and replies for the warm-up messages go out after the answers;
    // the resting RSS is read once they are done.
    sweep::settle(daemon.pid, SETTLE_LIMIT);
    rss(daemon)
}

fn rss(daemon: &Server) -> Result<u64, BenchError> {
    procstat::rss_kib(daemon.pid).ok_or_else(|| BenchError::Failed {
        what: "reading the daemon's memory".to_owned(),
        detail: format!("no VmRSS in /proc/{}/status", daemon.pid),
    })
}

fn held(idle: u64, loaded: u64, in_flight: usize, ok: u64, sent: u64) -> Held {
    Held {
        idle_rss_kib: idle,
        loaded_rss_kib: loaded,
        per_request_kib: loaded.saturating_sub(idle) as f64 / in_flight.max(1) as f64,
        ok,
        sent,
    }
}

fn slow_body(
    daemon: &Server,
    signer: &Signer,
    in_flight: usize,
    idle: u64,
) -> Result<Held, BenchError> {
    let requests = signer.batch(500_000, in_flight)?;
    let addr = daemon.addr;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|source| BenchError::Runtime { source })?;
    let (loaded, ok) = runtime.block_on(async {
        let mut streams = Vec::with_capacity(in_flight);
        for request in &requests {
            let io = |source| BenchError::Connect { addr, source };
            let mut stream = TcpStream::connect(addr).await.map_err(io)?;
            let half = request.body.len() / 2;
            stream
                .write_all(&request_head(addr, request, request.body.len()))
                .await
                .map_err(io)?;
            stream.write_all(&request.body[..half]).await.map_err(io)?;
            streams.push((stream, half));
        }
        // Give the daemon time to accept and start reading every connection.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let mut loaded = 0;
        for _ in 0..10 {
            loaded = loaded.max(rss(daemon)?);
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let mut ok = 0;
        for ((mut stream, half), request) in streams.into_iter().zip(&requests) {
            if finish(&mut stream, &request.body[half..])
                .await
                .is_some_and(|s| (200..300).contains(&s))
            {
                ok += 1;
            }
        }
        Ok::<_, BenchError>((loaded, ok))
    })?;
    Ok(held(idle, loaded, in_flight, ok, in_flight as u64))
}

/// Sends the rest of a body and reads the status; `None` if the exchange failed.
async fn finish(stream: &mut TcpStream, rest: &[u8]) -> Option<u16> {
    let exchange = async {
        stream.write_all(rest).await.ok()?;
        let mut seen = Vec::new();
        let mut buffer = [0u8; 512];
        while seen.len() < 16 * 1024 {
            let read = stream.read(&mut buffer).await.ok()?;
            if read == 0 {
                return None;
            }
            seen.extend_from_slice(&buffer[..read]);
            if let Some(status) = parse_status(&seen) {
                return Some(status);
            }
        }
        None
    };
    tokio::time::timeout(REQUEST_LIMIT, exchange)
        .await
        .ok()
        .flatten()
}

fn burst(
    daemon: &Server,
    signer: &Signer,
    in_flight: usize,
    burst_for: Duration,
    idle: u64,
) -> Result<Held, BenchError> {
    // Enough for the burst at well above any rate this pipeline reaches on a core.
    let budget = (burst_for.as_secs_f64() * 50_000.0).ceil() as usize;
    let requests = signer.batch(2_000_000, budget)?;
    let plan = LoadPlan {
        addr: daemon.addr,
        path: WEBHOOK_PATH.to_owned(),
        pace: Pace::Closed,
        duration: burst_for,
        connections: in_flight,
        request_timeout: REQUEST_LIMIT,
    };
    let load = std::thread::spawn(move || loadgen::run_blocking(&plan, requests));
    let mut loaded = idle;
    let started = Instant::now();
    let limit = burst_for + REQUEST_LIMIT + Duration::from_secs(5);
    while !load.is_finished() && started.elapsed() < limit {
        if let Some(now) = procstat::rss_kib(daemon.pid) {
            loaded = loaded.max(now);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let result = load
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
    Ok(held(idle, loaded, in_flight, result.ok, result.sent))
}
