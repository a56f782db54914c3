//! Prometheus text-format metrics. Labels are limited to the instance name and
//! fixed reason/outcome words, so cardinality stays bounded by the config.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

use switchboard_runtime::CallError;

/// Upper bounds of the latency histogram buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

type Labels = Vec<(&'static str, String)>;

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

#[derive(Default)]
struct Inner {
    counters: BTreeMap<(&'static str, Labels), u64>,
    histograms: BTreeMap<(&'static str, Labels), Histogram>,
    gauges: BTreeMap<(&'static str, Labels), i64>,
}

/// The daemon's metrics.
#[derive(Default)]
pub(crate) struct Metrics {
    inner: Mutex<Inner>,
}

const HELP: &[(&str, &str, &str)] = &[
    (
        "switchboard_deliveries_received_total",
        "counter",
        "Webhook requests routed to an instance.",
    ),
    (
        "switchboard_deliveries_verified_total",
        "counter",
        "Webhook requests that passed verification.",
    ),
    (
        "switchboard_deliveries_rejected_total",
        "counter",
        "Webhook requests rejected, by reason.",
    ),
    (
        "switchboard_guest_log_bytes_dropped_total",
        "counter",
        "Bytes of guest log output dropped because a call exceeded its log budget, since the instance's component was loaded.",
    ),
    (
        "switchboard_store_commits_total",
        "counter",
        "Durable commits (each one fsync of the write-ahead log).",
    ),
    (
        "switchboard_store_commands_total",
        "counter",
        "Store writes; group commit puts many in one commit.",
    ),
    (
        "switchboard_messages_total",
        "counter",
        "Emitted messages by outcome (stored, duplicate, edited).",
    ),
    (
        "switchboard_guest_calls_total",
        "counter",
        "Guest calls by export and outcome.",
    ),
    (
        "switchboard_guest_call_seconds",
        "histogram",
        "Guest call latency by export.",
    ),
    (
        "switchboard_ack_seconds",
        "histogram",
        "Time from request received to response sent, by status class.",
    ),
    (
        "switchboard_dead_letters_total",
        "counter",
        "Dead letters written, by kind.",
    ),
    (
        "switchboard_replies_total",
        "counter",
        "Reply delivery attempts by outcome.",
    ),
    (
        "switchboard_hooks_total",
        "counter",
        "on-message-persisted runs by outcome.",
    ),
    (
        "switchboard_agent_turns_total",
        "counter",
        "Agent turns by outcome.",
    ),
    (
        "switchboard_outbox_pending",
        "gauge",
        "Replies waiting to be delivered.",
    ),
    (
        "switchboard_turns_pending",
        "gauge",
        "Stored messages waiting for their agent turn.",
    ),
    (
        "switchboard_dead_letters",
        "gauge",
        "Dead letters not yet replayed.",
    ),
];

impl Metrics {
    fn inc(&self, name: &'static str, labels: Labels, by: u64) {
        let mut inner = self.lock();
        *inner.counters.entry((name, labels)).or_default() += by;
    }

    fn observe(&self, name: &'static str, labels: Labels, value: Duration) {
        let secs = value.as_secs_f64();
        let mut inner = self.lock();
        let h = inner.histograms.entry((name, labels)).or_default();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if secs <= *bound {
                h.counts[i] += 1;
            }
        }
        h.sum += secs;
        h.count += 1;
    }

    pub(crate) fn set_gauge(&self, name: &'static str, value: i64) {
        self.lock().gauges.insert((name, Vec::new()), value);
    }

    /// Copies in a value counted elsewhere (by the runtime, say), for one instance.
    pub(crate) fn set_for_instance(&self, name: &'static str, instance: &str, value: u64) {
        self.lock().gauges.insert(
            (name, vec![("instance", instance.to_owned())]),
            i64::try_from(value).unwrap_or(i64::MAX),
        );
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        match self.inner.lock() {
            Ok(g) => g,
            // Counters stay meaningful even if a holder panicked mid-update.
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    pub(crate) fn received(&self, instance: &str) {
        self.inc(
            "switchboard_deliveries_received_total",
            vec![("instance", instance.to_owned())],
            1,
        );
    }

    pub(crate) fn verified(&self, instance: &str) {
        self.inc(
            "switchboard_deliveries_verified_total",
            vec![("instance", instance.to_owned())],
            1,
        );
    }

    pub(crate) fn rejected(&self, instance: &str, reason: &'static str) {
        // Anyone can put any name in `/webhooks/<name>`; only configured names may
        // become label values, or each probe would add a series.
        let instance = if reason == "unknown_instance" {
            ""
        } else {
            instance
        };
        self.inc(
            "switchboard_deliveries_rejected_total",
            vec![
                ("instance", instance.to_owned()),
                ("reason", reason.to_owned()),
            ],
            1,
        );
    }

    pub(crate) fn persisted(&self, instance: &str, stored: u64, duplicates: u64, edited: u64) {
        for (outcome, n) in [
            ("stored", stored),
            ("duplicate", duplicates),
            ("edited", edited),
        ] {
            if n > 0 {
                self.inc(
                    "switchboard_messages_total",
                    vec![
                        ("instance", instance.to_owned()),
                        ("outcome", outcome.to_owned()),
                    ],
                    n,
                );
            }
        }
    }

    pub(crate) fn guest_call(
        &self,
        instance: &str,
        export: &'static str,
        took: Duration,
        error: Option<&CallError>,
    ) {
        let outcome = error.map_or("ok", CallError::label);
        self.inc(
            "switchboard_guest_calls_total",
            vec![
                ("instance", instance.to_owned()),
                ("export", export.to_owned()),
                ("outcome", outcome.to_owned()),
            ],
            1,
        );
        self.observe(
            "switchboard_guest_call_seconds",
            vec![
                ("instance", instance.to_owned()),
                ("export", export.to_owned()),
            ],
            took,
        );
    }

    pub(crate) fn ack(&self, instance: &str, status: u16, took: Duration) {
        let class = format!("{}xx", status / 100);
        self.observe(
            "switchboard_ack_seconds",
            vec![("instance", instance.to_owned()), ("status", class)],
            took,
        );
    }

    pub(crate) fn dead_letter(&self, instance: &str, kind: &'static str) {
        self.inc(
            "switchboard_dead_letters_total",
            vec![("instance", instance.to_owned()), ("kind", kind.to_owned())],
            1,
        );
    }

    pub(crate) fn outcome(&self, metric: &'static str, instance: &str, outcome: &'static str) {
        self.inc(
            metric,
            vec![
                ("instance", instance.to_owned()),
                ("outcome", outcome.to_owned()),
            ],
            1,
        );
    }

    /// Renders every metric in the Prometheus text exposition format.
    pub(crate) fn render(&self) -> String {
        let inner = self.lock();
        let mut out = String::new();
        for (name, kind, help) in HELP {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for ((n, labels), value) in inner.counters.iter().filter(|((n, _), _)| n == name) {
                let _ = writeln!(out, "{n}{} {value}", render_labels(labels, None));
            }
            for ((n, labels), value) in inner.gauges.iter().filter(|((n, _), _)| n == name) {
                let _ = writeln!(out, "{n}{} {value}", render_labels(labels, None));
            }
            for ((n, labels), h) in inner.histograms.iter().filter(|((n, _), _)| n == name) {
                for (i, bound) in BUCKETS.iter().enumerate() {
                    let le = bound.to_string();
                    let _ = writeln!(
                        out,
                        "{n}_bucket{} {}",
                        render_labels(labels, Some(&le)),
                        h.counts[i]
                    );
                }
                let _ = writeln!(
                    out,
                    "{n}_bucket{} {}",
                    render_labels(labels, Some("+Inf")),
                    h.count
                );
                let _ = writeln!(out, "{n}_sum{} {}", render_labels(labels, None), h.sum);
                let _ = writeln!(out, "{n}_count{} {}", render_labels(labels, None), h.count);
            }
        }
        out
    }
}

fn render_labels(labels: &Labels, le: Option<&str>) -> String {
    let mut parts: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\"")))
        .collect();
    if let Some(le) = le {
        parts.push(format!("le=\"{le}\""));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("{{{}}}", parts.join(","))
    }
}
