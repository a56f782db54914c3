//! S0: the store's writer alone, and the fsync probe.
//!
//! S0 feeds `Store::persist` from many tasks at once, one message per call, as
//! concurrent webhooks do, and reports rows per second and how many commits
//! (fsyncs) carried them: the durable-insert ceiling any pipeline on this disk
//! shares. The fsync probe makes single-row commits one after another, so each is
//! one fsync of the WAL; its median says what this disk charges for durability,
//! which varies a lot between machines and even between runs on one VM.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use switchboard_store::{Store, StoreOptions};
use switchboard_types::InboundMessage;

use crate::error::BenchError;
use crate::loadgen::micros_histogram;
use crate::payload::text_message_body;
use crate::targets::native_channel::messages_of;

/// The instance name rows are stored under.
const INSTANCE: &str = "wa";

/// What S0 measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoreResult {
    /// Concurrent callers of `persist`.
    pub tasks: usize,
    /// Rows made durable.
    pub rows: u64,
    /// Wall time.
    pub elapsed_s: f64,
    /// Rows per second.
    pub rows_per_s: f64,
    /// Transactions committed (one fsync each), from `Store::stats`.
    pub commits: u64,
    /// Commands the writer ran, from `Store::stats`.
    pub commands: u64,
    /// The average group-commit batch.
    pub rows_per_commit: f64,
}

/// What the fsync probe measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FsyncProbe {
    /// Single-row commits made.
    pub commits: u64,
    /// Median time for `persist` of one row to return (one fsync plus the hand-off
    /// to the writer thread).
    pub p50_us: f64,
    /// 99th percentile.
    pub p99_us: f64,
    /// Slowest.
    pub max_us: f64,
}

/// Both parts; either can be skipped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoreReport {
    /// The fsync probe, run first on an empty database.
    pub fsync_probe: Option<FsyncProbe>,
    /// The concurrent writer run.
    pub writer: Option<StoreResult>,
}

/// Runs the fsync probe (`probe_commits` > 0) and then S0 (`tasks` > 0) on a new
/// database in `dir`, on a runtime like the daemon's.
pub fn run(
    dir: &Path,
    probe_commits: u64,
    tasks: usize,
    duration: Duration,
) -> Result<StoreReport, BenchError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| BenchError::Runtime { source })?;
    runtime.block_on(async {
        let store = Store::open(&dir.join("switchboard.db"), StoreOptions::default())
            .map_err(|source| BenchError::Store { source })?;
        let template = template_message()?;
        let fsync_probe = if probe_commits > 0 {
            Some(fsync_probe(&store, &template, probe_commits).await?)
        } else {
            None
        };
        let writer = if tasks > 0 {
            Some(concurrent_writes(&store, &template, tasks, duration).await?)
        } else {
            None
        };
        store
            .close()
            .await
            .map_err(|source| BenchError::Store { source })?;
        Ok(StoreReport {
            fsync_probe,
            writer,
        })
    })
}

/// The message the benchmark's payload parses into, so rows have the real shape.
fn template_message() -> Result<InboundMessage, BenchError> {
    let body = text_message_body("wamid.bench.s0.template", 0);
    messages_of(&body).pop().ok_or_else(|| BenchError::Failed {
        what: "parsing the benchmark payload".to_owned(),
        detail: "the payload parsed into no message".to_owned(),
    })
}

fn row(template: &InboundMessage, id: String) -> Vec<InboundMessage> {
    let mut message = template.clone();
    message.external_id = id;
    vec![message]
}

async fn fsync_probe(
    store: &Store,
    template: &InboundMessage,
    commits: u64,
) -> Result<FsyncProbe, BenchError> {
    let mut histogram = micros_histogram()?;
    for seq in 0..commits {
        let started = Instant::now();
        store
            .persist(INSTANCE, row(template, format!("wamid.bench.probe.{seq}")))
            .await
            .map_err(|source| BenchError::Store { source })?;
        let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        histogram.saturating_record(micros);
    }
    Ok(FsyncProbe {
        commits,
        p50_us: histogram.value_at_quantile(0.5) as f64,
        p99_us: histogram.value_at_quantile(0.99) as f64,
        max_us: histogram.max() as f64,
    })
}

async fn concurrent_writes(
    store: &Store,
    template: &InboundMessage,
    tasks: usize,
    duration: Duration,
) -> Result<StoreResult, BenchError> {
    let before = store.stats();
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + duration;
    let mut handles = Vec::with_capacity(tasks);
    for _ in 0..tasks {
        let store = store.clone();
        let template = template.clone();
        let next = next.clone();
        handles.push(tokio::spawn(async move {
            let mut rows = 0u64;
            while Instant::now() < deadline {
                let seq = next.fetch_add(1, Ordering::Relaxed);
                store
                    .persist(INSTANCE, row(&template, format!("wamid.bench.s0.{seq}")))
                    .await?;
                rows += 1;
            }
            Ok::<u64, switchboard_store::StoreError>(rows)
        }));
    }
    let mut rows = 0;
    for handle in handles {
        match handle.await {
            Ok(Ok(count)) => rows += count,
            Ok(Err(source)) => return Err(BenchError::Store { source }),
            Err(join) => {
                return Err(BenchError::Failed {
                    what: "a store benchmark task".to_owned(),
                    detail: join.to_string(),
                });
            }
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let after = store.stats();
    let commits = after.commits - before.commits;
    let commands = after.commands - before.commands;
    Ok(StoreResult {
        tasks,
        rows,
        elapsed_s: elapsed,
        rows_per_s: rows as f64 / elapsed,
        commits,
        commands,
        rows_per_commit: if commits == 0 {
            0.0
        } else {
            commands as f64 / commits as f64
        },
    })
}
