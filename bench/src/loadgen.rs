//! The load generator: HTTP/1.1 keep-alive connections sending pre-signed requests,
//! either open loop at a fixed arrival rate or closed loop as fast as answers come.
//!
//! Open loop is what a platform does: deliveries arrive on their own schedule,
//! whether or not the server is keeping up. Request `i` is due at `start + i / rate`
//! and its latency is measured from that *intended* time, not from when a free
//! connection finally sent it, so a stall shows up in the latency of every request
//! it delayed (no coordinated omission). A pacer releases one permit per due
//! request; each connection takes the next due request as soon as it is free.
//!
//! Closed loop (every connection sends its next request when the previous answer
//! arrives) is only used to estimate a target's capacity quickly.
//!
//! Runs on the calling thread (a current-thread runtime), so pinning the caller
//! pins the whole generator.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

use crate::error::BenchError;
use crate::payload::SignedRequest;
use crate::procstat;

/// How requests are paced.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pace {
    /// A fixed arrival rate, in requests per second.
    Open {
        /// Requests per second.
        rate: f64,
    },
    /// Each connection sends as soon as its previous answer arrived, until the
    /// requests or the duration run out.
    Closed,
}

/// One load run against one target.
#[derive(Debug, Clone)]
pub struct LoadPlan {
    /// Where to send.
    pub addr: SocketAddr,
    /// The request path.
    pub path: String,
    /// How requests are paced.
    pub pace: Pace,
    /// How long to offer load (closed loop stops sending after this).
    pub duration: Duration,
    /// Keep-alive connections; bounds the requests outstanding at once.
    pub connections: usize,
    /// A request unanswered after this counts as an error.
    pub request_timeout: Duration,
}

/// Latency percentiles of one run, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Latency {
    /// Responses measured.
    pub count: u64,
    /// Mean.
    pub mean_ms: f64,
    /// Median.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// 99.9th percentile.
    pub p999_ms: f64,
    /// Slowest.
    pub max_ms: f64,
}

impl Latency {
    /// Percentiles of a histogram recorded in microseconds.
    pub fn from_micros(histogram: &Histogram<u64>) -> Latency {
        let ms = |micros: u64| micros as f64 / 1000.0;
        if histogram.is_empty() {
            return Latency::default();
        }
        Latency {
            count: histogram.len(),
            mean_ms: histogram.mean() / 1000.0,
            p50_ms: ms(histogram.value_at_quantile(0.50)),
            p90_ms: ms(histogram.value_at_quantile(0.90)),
            p99_ms: ms(histogram.value_at_quantile(0.99)),
            p999_ms: ms(histogram.value_at_quantile(0.999)),
            max_ms: ms(histogram.max()),
        }
    }
}

/// What one load run measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoadResult {
    /// The arrival rate asked for (open loop only).
    pub offered_rps: Option<f64>,
    /// Answers received per second, from the first due time to the last answer.
    pub achieved_rps: f64,
    /// Requests sent.
    pub sent: u64,
    /// 2xx answers.
    pub ok: u64,
    /// 4xx answers.
    pub status_4xx: u64,
    /// 5xx answers.
    pub status_5xx: u64,
    /// Answers with any other status.
    pub status_other: u64,
    /// Connection failures and timeouts.
    pub errors: u64,
    /// The first of those, for the log.
    pub first_error: Option<String>,
    /// Due requests never sent because the run's time ran out.
    pub unsent: u64,
    /// Latency from the intended send time (open loop) or the send time (closed).
    pub latency: Latency,
    /// Wall time from the first due time to the last answer.
    pub elapsed_s: f64,
    /// The generator's own CPU use over the run (1.0 = one core busy).
    pub client_cpu: Option<f64>,
}

/// Counters and latencies of one connection.
struct Tally {
    histogram: Histogram<u64>,
    sent: u64,
    ok: u64,
    status_4xx: u64,
    status_5xx: u64,
    status_other: u64,
    errors: u64,
    first_error: Option<String>,
    last_answer: Option<Instant>,
}

impl Tally {
    fn new() -> Result<Tally, BenchError> {
        Ok(Tally {
            histogram: micros_histogram()?,
            sent: 0,
            ok: 0,
            status_4xx: 0,
            status_5xx: 0,
            status_other: 0,
            errors: 0,
            first_error: None,
            last_answer: None,
        })
    }

    fn merge(&mut self, other: Tally) {
        // Both use the same bounds, so adding cannot fail; a failure would only lose
        // that connection's latencies, never its counts.
        let _ = self.histogram.add(&other.histogram);
        self.sent += other.sent;
        self.ok += other.ok;
        self.status_4xx += other.status_4xx;
        self.status_5xx += other.status_5xx;
        self.status_other += other.status_other;
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
        self.last_answer = self.last_answer.max(other.last_answer);
    }
}

/// A latency histogram in microseconds: 1 µs to 1 h at 3 significant digits
/// (`saturating_record` clamps anything slower).
pub fn micros_histogram() -> Result<Histogram<u64>, BenchError> {
    Histogram::new_with_bounds(1, 3_600_000_000, 3)
        .map_err(|source| BenchError::Histogram { source })
}

/// Runs `plan` on a fresh current-thread runtime on this thread.
pub fn run_blocking(
    plan: &LoadPlan,
    requests: Vec<SignedRequest>,
) -> Result<LoadResult, BenchError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|source| BenchError::Runtime { source })?;
    runtime.block_on(run(plan, requests))
}

/// Runs `plan`: sends each of `requests` at most once, in order.
pub async fn run(plan: &LoadPlan, requests: Vec<SignedRequest>) -> Result<LoadResult, BenchError> {
    let total = requests.len();
    let requests = Arc::new(requests);
    let mut senders = Vec::with_capacity(plan.connections);
    for _ in 0..plan.connections.max(1) {
        senders.push(connect(plan.addr).await?);
    }
    let cpu_before = procstat::thread_cpu_ticks();
    // A short lead so every connection task is parked on the pacer before the first
    // request is due.
    let start = Instant::now() + Duration::from_millis(5);
    let deadline = start + plan.duration;
    let permits = Arc::new(Semaphore::new(0));
    let next = Arc::new(AtomicUsize::new(0));
    let shared = Shared {
        plan: plan.clone(),
        requests,
        next: next.clone(),
        permits: permits.clone(),
        start,
        deadline,
    };
    let shared = Arc::new(shared);
    let mut tasks = Vec::with_capacity(senders.len());
    for sender in senders {
        let tally = Tally::new()?;
        tasks.push(tokio::spawn(connection_loop(shared.clone(), sender, tally)));
    }
    if let Pace::Open { rate } = plan.pace {
        tokio::spawn(pace(permits, rate, total, plan.connections, start));
    }
    // Every request is bounded by the request timeout, so this only trips if a
    // connection task is wedged; its requests then count as unsent.
    let limit = plan.duration + plan.request_timeout + Duration::from_secs(5);
    let mut tally = Tally::new()?;
    let joined = tokio::time::timeout_at((deadline + limit).into(), join_all(tasks)).await;
    if let Ok(results) = joined {
        for result in results.into_iter().flatten() {
            tally.merge(result);
        }
    }
    let cpu_after = procstat::thread_cpu_ticks();
    let end = tally.last_answer.unwrap_or_else(Instant::now).max(start);
    let elapsed = end.saturating_duration_since(start).as_secs_f64().max(1e-9);
    let answered = tally.ok + tally.status_4xx + tally.status_5xx + tally.status_other;
    let due = match plan.pace {
        Pace::Open { .. } => total as u64,
        Pace::Closed => tally.sent,
    };
    Ok(LoadResult {
        offered_rps: match plan.pace {
            Pace::Open { rate } => Some(rate),
            Pace::Closed => None,
        },
        achieved_rps: answered as f64 / elapsed,
        sent: tally.sent,
        ok: tally.ok,
        status_4xx: tally.status_4xx,
        status_5xx: tally.status_5xx,
        status_other: tally.status_other,
        errors: tally.errors,
        first_error: tally.first_error,
        unsent: due.saturating_sub(tally.sent),
        latency: Latency::from_micros(&tally.histogram),
        elapsed_s: elapsed,
        client_cpu: match (cpu_before, cpu_after) {
            (Some(before), Some(after)) => {
                Some(procstat::ticks_to_secs(after.saturating_sub(before)) / elapsed)
            }
            _ => None,
        },
    })
}

/// Waits for every task; a task that panicked contributes nothing.
async fn join_all(tasks: Vec<tokio::task::JoinHandle<Tally>>) -> Vec<Option<Tally>> {
    let mut results = Vec::with_capacity(tasks.len());
    for task in tasks {
        results.push(task.await.ok());
    }
    results
}

struct Shared {
    plan: LoadPlan,
    requests: Arc<Vec<SignedRequest>>,
    next: Arc<AtomicUsize>,
    permits: Arc<Semaphore>,
    start: Instant,
    deadline: Instant,
}

/// Releases one permit per request as it falls due, then one per connection so
/// every connection wakes up, finds no request left and stops.
async fn pace(
    permits: Arc<Semaphore>,
    rate: f64,
    total: usize,
    connections: usize,
    start: Instant,
) {
    let interval = 1.0 / rate;
    let mut released = 0usize;
    while released < total {
        let elapsed = Instant::now()
            .saturating_duration_since(start)
            .as_secs_f64();
        let due = if Instant::now() < start {
            0
        } else {
            ((elapsed * rate).floor() as usize + 1).min(total)
        };
        if due > released {
            permits.add_permits(due - released);
            released = due;
            continue;
        }
        let next_due = start + Duration::from_secs_f64(released as f64 * interval);
        wait_until(next_due).await;
    }
    permits.add_permits(connections.max(1));
}

/// Sleeps until `at` with microsecond precision: the timer wheel ticks in
/// milliseconds, so the last stretch is spent yielding to the connections.
async fn wait_until(at: Instant) {
    loop {
        let now = Instant::now();
        if now >= at {
            return;
        }
        let left = at - now;
        if left > Duration::from_micros(1500) {
            tokio::time::sleep(left - Duration::from_millis(1)).await;
        } else {
            tokio::task::yield_now().await;
        }
    }
}

async fn connect(addr: SocketAddr) -> Result<SendRequest<Full<Bytes>>, BenchError> {
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|source| BenchError::Connect { addr, source })?;
    // silent-ok: without NODELAY latency is worse, but the run still measures something.
    let _ = stream.set_nodelay(true);
    let (sender, connection) = http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|source| BenchError::Handshake { addr, source })?;
    tokio::spawn(async move {
        // The connection ends when its sender is dropped or the server closes it;
        // a failure shows up as an error on the next request.
        let _ = connection.await;
    });
    Ok(sender)
}

async fn connection_loop(
    shared: Arc<Shared>,
    mut sender: SendRequest<Full<Bytes>>,
    mut tally: Tally,
) -> Tally {
    let plan = &shared.plan;
    let total = shared.requests.len();
    let interval = match plan.pace {
        Pace::Open { rate } => Some(1.0 / rate),
        Pace::Closed => None,
    };
    if interval.is_none() {
        wait_until(shared.start).await;
    }
    loop {
        if interval.is_some() {
            match shared.permits.acquire().await {
                Ok(permit) => permit.forget(),
                Err(_) => break,
            }
        } else if Instant::now() >= shared.deadline {
            break;
        }
        let index = shared.next.fetch_add(1, Ordering::Relaxed);
        if index >= total {
            break;
        }
        let intended = match interval {
            Some(interval) => shared.start + Duration::from_secs_f64(index as f64 * interval),
            None => Instant::now(),
        };
        let request = &shared.requests[index];
        tally.sent += 1;
        match send(&mut sender, plan, request).await {
            Ok(status) => {
                let now = Instant::now();
                let micros = now.saturating_duration_since(intended).as_micros();
                tally
                    .histogram
                    .saturating_record(u64::try_from(micros).unwrap_or(u64::MAX));
                tally.last_answer = Some(now);
                match status {
                    200..=299 => tally.ok += 1,
                    400..=499 => tally.status_4xx += 1,
                    500..=599 => tally.status_5xx += 1,
                    _ => tally.status_other += 1,
                }
            }
            Err(error) => {
                tally.errors += 1;
                if tally.first_error.is_none() {
                    tally.first_error = Some(error.to_string());
                }
                // A failed connection is replaced; if that fails too, this connection
                // stops and its share of the requests goes to the others.
                match connect(plan.addr).await {
                    Ok(fresh) => sender = fresh,
                    Err(_) => break,
                }
            }
        }
    }
    tally
}

/// Why one request got no answer.
#[derive(Debug, thiserror::Error)]
enum SendError {
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("request failed: {0}")]
    Http(#[from] hyper::Error),
    #[error("cannot build the request: {0}")]
    Build(#[from] http::Error),
}

/// Sends one request and reads the whole answer.
async fn send(
    sender: &mut SendRequest<Full<Bytes>>,
    plan: &LoadPlan,
    signed: &SignedRequest,
) -> Result<u16, SendError> {
    let exchange = async {
        sender.ready().await?;
        let mut request = http::Request::post(plan.path.as_str())
            .header(http::header::HOST, plan.addr.to_string())
            .body(Full::new(signed.body.clone()))?;
        for (name, value) in &signed.headers {
            request.headers_mut().insert(name.clone(), value.clone());
        }
        let response = sender.send_request(request).await?;
        let status = response.status().as_u16();
        response.into_body().collect().await?;
        Ok::<u16, SendError>(status)
    };
    tokio::time::timeout(plan.request_timeout, exchange)
        .await
        .unwrap_or(Err(SendError::Timeout(plan.request_timeout)))
}
