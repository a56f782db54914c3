//! Prometheus text-format metrics.
//!
//! Every series belongs to a [`Family`] constant, so a metric name exists once and a
//! typo does not compile. Counting is lock-free: each configured instance has an
//! [`InstanceMetrics`] of atomic counters, handed out once and kept by the instance;
//! label values are fixed words (the enums of `labels.rs`), so cardinality stays bounded by the
//! config. Values counted elsewhere (queue depths, store commits, guest log bytes
//! dropped) are read at scrape time and passed to [`Metrics::render`].

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

mod labels;

use switchboard_runtime::CallError;

use labels::{ACCESS_OUTCOMES, CALL_OUTCOMES, call_outcome};
pub(crate) use labels::{Access, DeadLetter, Export, Outcome, Poll, SessionEvent, Work};

/// One metric family: its name, type and help text.
#[derive(Debug, Clone, Copy)]
struct Family {
    name: &'static str,
    kind: &'static str,
    help: &'static str,
}

const fn family(name: &'static str, kind: &'static str, help: &'static str) -> Family {
    Family { name, kind, help }
}

const RECEIVED: Family = family(
    "switchboard_deliveries_received_total",
    "counter",
    "Webhook requests routed to an instance.",
);
const VERIFIED: Family = family(
    "switchboard_deliveries_verified_total",
    "counter",
    "Webhook requests that passed verification.",
);
const REJECTED: Family = family(
    "switchboard_deliveries_rejected_total",
    "counter",
    "Webhook requests rejected, by reason.",
);
const STATE_KEYS: Family = family(
    "switchboard_state_keys",
    "gauge",
    "Keys of key-value state an instance's guest keeps (quota: state_max_keys).",
);
const STATE_BYTES: Family = family(
    "switchboard_state_bytes",
    "gauge",
    "Bytes of key-value state (keys and values) an instance's guest keeps (quota: state_max_mb).",
);
const LOG_BYTES_DROPPED: Family = family(
    "switchboard_guest_log_bytes_dropped_total",
    "counter",
    "Bytes of guest log output dropped because a call exceeded its log budget, since the instance's component was loaded.",
);
const BODY_BYTES_RESERVED: Family = family(
    "switchboard_body_budget_bytes_in_use",
    "gauge",
    "Bytes of server.body_budget_mb taken by request bodies being read or processed.",
);
const STORE_COMMITS: Family = family(
    "switchboard_store_commits_total",
    "counter",
    "Durable commits (each one fsync of the write-ahead log).",
);
const STORE_COMMANDS: Family = family(
    "switchboard_store_commands_total",
    "counter",
    "Store writes; group commit puts many in one commit.",
);
const MESSAGES: Family = family(
    "switchboard_messages_total",
    "counter",
    "Emitted messages by outcome (stored, duplicate, edited).",
);
const GUEST_CALLS: Family = family(
    "switchboard_guest_calls_total",
    "counter",
    "Guest calls by export and outcome.",
);
const GUEST_CALL_SECONDS: Family = family(
    "switchboard_guest_call_seconds",
    "histogram",
    "Guest call latency by export.",
);
const ACK_SECONDS: Family = family(
    "switchboard_ack_seconds",
    "histogram",
    "Time from request received to response sent, by status class.",
);
const DEAD_LETTERS_TOTAL: Family = family(
    "switchboard_dead_letters_total",
    "counter",
    "Dead letters written, by kind.",
);
const ACCESS: Family = family(
    "switchboard_access_total",
    "counter",
    "Access decisions on stored messages by outcome (turn, or why there was none).",
);
const REPLIES: Family = family(
    "switchboard_replies_total",
    "counter",
    "Reply delivery attempts by outcome.",
);
const HOOKS: Family = family(
    "switchboard_hooks_total",
    "counter",
    "on-message-persisted runs by outcome.",
);
const DOWNLOADS: Family = family(
    "switchboard_downloads_total",
    "counter",
    "Attachment downloads by outcome (done: stored, skipped: too large or not fetchable).",
);
const POLLS: Family = family(
    "switchboard_polls_total",
    "counter",
    "Polls of instances that receive by polling, by outcome: messages (something was stored), empty, platform_error (the channel returned an error), call_failed (trap or deadline), store_failed (nothing stored; the batch is fetched again).",
);
const SESSIONS: Family = family(
    "switchboard_session_events_total",
    "counter",
    "WebSocket sessions of instances that receive over one, by event: connected, frame (a text frame handed to the channel), reconnect_asked (the channel or platform asked), dropped (the connection ended or failed), refused (a frame over the size or rate cap closed it), failed (open or a frame's call failed; retried with backoff).",
);
const TURNS: Family = family(
    "switchboard_agent_turns_total",
    "counter",
    "Agent turns by outcome.",
);
const OUTBOX_PENDING: Family = family(
    "switchboard_outbox_pending",
    "gauge",
    "Replies waiting to be delivered.",
);
const TURNS_PENDING: Family = family(
    "switchboard_turns_pending",
    "gauge",
    "Stored messages waiting for their agent turn.",
);
const DEAD_LETTERS: Family = family(
    "switchboard_dead_letters",
    "gauge",
    "Dead letters not yet replayed.",
);
const HOOKS_PENDING: Family = family(
    "switchboard_hooks_pending",
    "gauge",
    "Stored messages whose on-message-persisted hook has not finished.",
);
const QUEUE_ITEMS: Family = family(
    "switchboard_queue_items",
    "gauge",
    "Items a queue holds in memory, queued or running, by queue; 0 when it is idle.",
);

/// Upper bounds of the latency histogram buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

#[derive(Debug, Default)]
struct Histogram {
    /// Cumulative: bucket `i` counts observations `<= BUCKETS[i]`.
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_nanos: AtomicU64,
}

impl Histogram {
    fn observe(&self, value: Duration) {
        let secs = value.as_secs_f64();
        for (bucket, bound) in self.buckets.iter().zip(BUCKETS) {
            if secs <= bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(value.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let count = self.count.load(Ordering::Relaxed);
        if count == 0 {
            return;
        }
        for (bucket, bound) in self.buckets.iter().zip(BUCKETS) {
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels},le=\"{bound}\"}} {}",
                bucket.load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(out, "{name}_bucket{{{labels},le=\"+Inf\"}} {count}");
        let sum = self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        let _ = writeln!(out, "{name}_sum{{{labels}}} {sum}");
        let _ = writeln!(out, "{name}_count{{{labels}}} {count}");
    }
}

fn add(counter: &AtomicU64, by: u64) {
    counter.fetch_add(by, Ordering::Relaxed);
}

/// The counters of one channel instance. Kept across reloads of the instance.
#[derive(Debug, Default)]
pub(crate) struct InstanceMetrics {
    received: AtomicU64,
    verified: AtomicU64,
    /// By reason word; rejections are the rare path, so a lock is fine here.
    rejected: Mutex<BTreeMap<&'static str, u64>>,
    /// Stored, duplicate, edited.
    messages: [AtomicU64; 3],
    guest_calls: [[AtomicU64; CALL_OUTCOMES.len()]; Export::ALL.len()],
    guest_seconds: [Histogram; Export::ALL.len()],
    /// By status class, 1xx to 5xx.
    ack_seconds: [Histogram; 5],
    dead_letters: [AtomicU64; DeadLetter::ALL.len()],
    hooks: [AtomicU64; Outcome::ALL.len()],
    turns: [AtomicU64; Outcome::ALL.len()],
    replies: [AtomicU64; Outcome::ALL.len()],
    downloads: [AtomicU64; Outcome::ALL.len()],
    access: [AtomicU64; ACCESS_OUTCOMES],
    polls: [AtomicU64; Poll::ALL.len()],
    sessions: [AtomicU64; SessionEvent::ALL.len()],
}

impl InstanceMetrics {
    pub(crate) fn received(&self) {
        add(&self.received, 1);
    }

    pub(crate) fn verified(&self) {
        add(&self.verified, 1);
    }

    pub(crate) fn rejected(&self, reason: &'static str) {
        let mut rejected = self
            .rejected
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *rejected.entry(reason).or_default() += 1;
    }

    pub(crate) fn persisted(&self, stored: u64, duplicates: u64, edited: u64) {
        add(&self.messages[0], stored);
        add(&self.messages[1], duplicates);
        add(&self.messages[2], edited);
    }

    pub(crate) fn guest_call(&self, export: Export, took: Duration, error: Option<&CallError>) {
        let at = export as usize;
        add(&self.guest_calls[at][call_outcome(error)], 1);
        self.guest_seconds[at].observe(took);
    }

    pub(crate) fn ack(&self, status: u16, took: Duration) {
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        self.ack_seconds[class].observe(took);
    }

    pub(crate) fn access(&self, decision: Access) {
        add(&self.access[decision.index()], 1);
    }

    pub(crate) fn poll(&self, outcome: Poll) {
        add(&self.polls[outcome as usize], 1);
    }

    pub(crate) fn session(&self, event: SessionEvent) {
        add(&self.sessions[event as usize], 1);
    }

    pub(crate) fn dead_letter(&self, kind: DeadLetter) {
        add(&self.dead_letters[kind as usize], 1);
    }

    pub(crate) fn outcome(&self, work: Work, outcome: Outcome) {
        let counters = match work {
            Work::Hooks => &self.hooks,
            Work::Turns => &self.turns,
            Work::Replies => &self.replies,
            Work::Downloads => &self.downloads,
        };
        add(&counters[outcome as usize], 1);
    }
}

/// Values read at scrape time from elsewhere.
#[derive(Debug, Default)]
pub(crate) struct Scraped {
    /// `None` when the store could not be read; the gauges are then left out.
    pub(crate) outbox_pending: Option<u64>,
    pub(crate) turns_pending: Option<u64>,
    pub(crate) dead_letters: Option<u64>,
    pub(crate) hooks_pending: Option<u64>,
    /// Per queue (`hooks`, `turns`, `replies`).
    pub(crate) queue_items: Vec<(&'static str, u64)>,
    pub(crate) store_commits: u64,
    pub(crate) body_bytes_in_use: u64,
    pub(crate) store_commands: u64,
    /// Per configured instance.
    pub(crate) log_bytes_dropped: Vec<(String, u64)>,
    /// Keys and bytes of state per instance with any; `None` when unreadable.
    pub(crate) state: Option<Vec<(String, u64, u64)>>,
}

/// The daemon's metrics.
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    instances: RwLock<HashMap<String, Arc<InstanceMetrics>>>,
    /// Requests for names no instance has; counted without the name, or each probe
    /// of `/webhooks/<anything>` would add a series.
    unknown_instance: AtomicU64,
}

impl Metrics {
    /// The counters of `instance`, created on first use.
    pub(crate) fn of(&self, instance: &str) -> Arc<InstanceMetrics> {
        let found = self
            .instances
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(instance)
            .cloned();
        if let Some(found) = found {
            return found;
        }
        self.instances
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(instance.to_owned())
            .or_default()
            .clone()
    }

    /// Counts a rejection. Requests for unknown names are counted without the name.
    pub(crate) fn rejected(&self, instance: &str, reason: &'static str) {
        if reason == "unknown_instance" {
            add(&self.unknown_instance, 1);
        } else {
            self.of(instance).rejected(reason);
        }
    }

    /// Renders every family in the Prometheus text exposition format. Counters that
    /// never moved are left out, as they would be if they were created on first use.
    pub(crate) fn render(&self, scraped: &Scraped) -> String {
        let instances: BTreeMap<String, Arc<InstanceMetrics>> = self
            .instances
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .map(|(name, metrics)| (name.clone(), metrics.clone()))
            .collect();
        let mut out = String::new();
        let each = |out: &mut String,
                    family: Family,
                    write: &dyn Fn(&mut String, &str, &InstanceMetrics)| {
            header(out, family);
            for (name, metrics) in &instances {
                write(out, &escape(name), metrics);
            }
        };

        each(&mut out, RECEIVED, &|out, name, m| {
            counter(
                out,
                RECEIVED.name,
                &format!("instance=\"{name}\""),
                &m.received,
            );
        });
        each(&mut out, VERIFIED, &|out, name, m| {
            counter(
                out,
                VERIFIED.name,
                &format!("instance=\"{name}\""),
                &m.verified,
            );
        });
        each(&mut out, REJECTED, &|out, name, m| {
            let rejected = m
                .rejected
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            for (reason, n) in rejected.iter() {
                let _ = writeln!(
                    out,
                    "{}{{instance=\"{name}\",reason=\"{reason}\"}} {n}",
                    REJECTED.name
                );
            }
        });
        let unknown = self.unknown_instance.load(Ordering::Relaxed);
        if unknown > 0 {
            let _ = writeln!(
                out,
                "{}{{instance=\"\",reason=\"unknown_instance\"}} {unknown}",
                REJECTED.name
            );
        }
        if let Some(state) = &scraped.state {
            for (family, pick) in [(STATE_KEYS, 0), (STATE_BYTES, 1)] {
                header(&mut out, family);
                for (name, keys, bytes) in state {
                    let value = if pick == 0 { keys } else { bytes };
                    let _ = writeln!(
                        out,
                        "{}{{instance=\"{}\"}} {value}",
                        family.name,
                        escape(name)
                    );
                }
            }
        }
        header(&mut out, LOG_BYTES_DROPPED);
        for (name, dropped) in &scraped.log_bytes_dropped {
            let _ = writeln!(
                out,
                "{}{{instance=\"{}\"}} {dropped}",
                LOG_BYTES_DROPPED.name,
                escape(name)
            );
        }
        header(&mut out, BODY_BYTES_RESERVED);
        let _ = writeln!(
            out,
            "{} {}",
            BODY_BYTES_RESERVED.name, scraped.body_bytes_in_use
        );
        header(&mut out, STORE_COMMITS);
        let _ = writeln!(out, "{} {}", STORE_COMMITS.name, scraped.store_commits);
        header(&mut out, STORE_COMMANDS);
        let _ = writeln!(out, "{} {}", STORE_COMMANDS.name, scraped.store_commands);
        each(&mut out, MESSAGES, &|out, name, m| {
            for (outcome, n) in ["stored", "duplicate", "edited"].iter().zip(&m.messages) {
                counter(
                    out,
                    MESSAGES.name,
                    &format!("instance=\"{name}\",outcome=\"{outcome}\""),
                    n,
                );
            }
        });
        each(&mut out, GUEST_CALLS, &|out, name, m| {
            for (export, outcomes) in Export::ALL.iter().zip(&m.guest_calls) {
                for (outcome, n) in CALL_OUTCOMES.iter().zip(outcomes) {
                    counter(
                        out,
                        GUEST_CALLS.name,
                        &format!(
                            "instance=\"{name}\",export=\"{}\",outcome=\"{outcome}\"",
                            export.label()
                        ),
                        n,
                    );
                }
            }
        });
        each(&mut out, GUEST_CALL_SECONDS, &|out, name, m| {
            for (export, histogram) in Export::ALL.iter().zip(&m.guest_seconds) {
                histogram.render(
                    out,
                    GUEST_CALL_SECONDS.name,
                    &format!("instance=\"{name}\",export=\"{}\"", export.label()),
                );
            }
        });
        each(&mut out, ACK_SECONDS, &|out, name, m| {
            for (class, histogram) in m.ack_seconds.iter().enumerate() {
                histogram.render(
                    out,
                    ACK_SECONDS.name,
                    &format!("instance=\"{name}\",status=\"{}xx\"", class + 1),
                );
            }
        });
        each(&mut out, ACCESS, &|out, name, m| {
            for (index, n) in m.access.iter().enumerate() {
                counter(
                    out,
                    ACCESS.name,
                    &format!("instance=\"{name}\",outcome=\"{}\"", Access::label(index)),
                    n,
                );
            }
        });
        each(&mut out, POLLS, &|out, name, m| {
            for (outcome, n) in Poll::ALL.iter().zip(&m.polls) {
                counter(
                    out,
                    POLLS.name,
                    &format!("instance=\"{name}\",outcome=\"{}\"", outcome.label()),
                    n,
                );
            }
        });
        each(&mut out, SESSIONS, &|out, name, m| {
            for (event, n) in SessionEvent::ALL.iter().zip(&m.sessions) {
                counter(
                    out,
                    SESSIONS.name,
                    &format!("instance=\"{name}\",event=\"{}\"", event.label()),
                    n,
                );
            }
        });
        each(&mut out, DEAD_LETTERS_TOTAL, &|out, name, m| {
            for (kind, n) in DeadLetter::ALL.iter().zip(&m.dead_letters) {
                counter(
                    out,
                    DEAD_LETTERS_TOTAL.name,
                    &format!("instance=\"{name}\",kind=\"{}\"", kind.label()),
                    n,
                );
            }
        });
        for (family, work) in [
            (REPLIES, Work::Replies),
            (HOOKS, Work::Hooks),
            (TURNS, Work::Turns),
            (DOWNLOADS, Work::Downloads),
        ] {
            each(&mut out, family, &|out, name, m| {
                let counters = match work {
                    Work::Hooks => &m.hooks,
                    Work::Turns => &m.turns,
                    Work::Replies => &m.replies,
                    Work::Downloads => &m.downloads,
                };
                for (outcome, n) in Outcome::ALL.iter().zip(counters) {
                    counter(
                        out,
                        family.name,
                        &format!("instance=\"{name}\",outcome=\"{}\"", outcome.label()),
                        n,
                    );
                }
            });
        }
        for (family, value) in [
            (OUTBOX_PENDING, scraped.outbox_pending),
            (TURNS_PENDING, scraped.turns_pending),
            (DEAD_LETTERS, scraped.dead_letters),
            (HOOKS_PENDING, scraped.hooks_pending),
        ] {
            header(&mut out, family);
            if let Some(value) = value {
                let _ = writeln!(out, "{} {value}", family.name);
            }
        }
        header(&mut out, QUEUE_ITEMS);
        for (queue, items) in &scraped.queue_items {
            let _ = writeln!(out, "{}{{queue=\"{queue}\"}} {items}", QUEUE_ITEMS.name);
        }
        out
    }
}

fn header(out: &mut String, family: Family) {
    let _ = writeln!(
        out,
        "# HELP {} {}\n# TYPE {} {}",
        family.name, family.help, family.name, family.kind
    );
}

fn counter(out: &mut String, name: &str, labels: &str, value: &AtomicU64) {
    let value = value.load(Ordering::Relaxed);
    if value > 0 {
        let _ = writeln!(out, "{name}{{{labels}}} {value}");
    }
}

/// Escapes a label value (instance names are validated, but the format demands it).
fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_render_under_their_family_and_untouched_series_stay_out() {
        let metrics = Metrics::default();
        let wa = metrics.of("wa");
        wa.received();
        wa.received();
        wa.guest_call(Export::Respond, Duration::from_millis(3), None);
        wa.outcome(Work::Replies, Outcome::Sent);
        metrics.rejected("probe", "unknown_instance");
        let text = metrics.render(&Scraped {
            outbox_pending: Some(4),
            ..Scraped::default()
        });

        assert!(text.contains("switchboard_deliveries_received_total{instance=\"wa\"} 2\n"));
        assert!(text.contains(
            "switchboard_guest_calls_total{instance=\"wa\",export=\"on_respond\",outcome=\"ok\"} 1\n"
        ));
        assert!(text.contains(
            "switchboard_guest_call_seconds_bucket{instance=\"wa\",export=\"on_respond\",le=\"0.005\"} 1\n"
        ));
        assert!(text.contains(
            "switchboard_guest_call_seconds_bucket{instance=\"wa\",export=\"on_respond\",le=\"0.0025\"} 0\n"
        ));
        assert!(text.contains("switchboard_replies_total{instance=\"wa\",outcome=\"sent\"} 1\n"));
        assert!(text.contains(
            "switchboard_deliveries_rejected_total{instance=\"\",reason=\"unknown_instance\"} 1\n"
        ));
        assert!(text.contains("switchboard_outbox_pending 4\n"));
        assert!(
            !text.contains("probe"),
            "an unknown name never becomes a label"
        );
        assert!(!text.contains("outcome=\"dead\""));
        assert!(!text.contains("\nswitchboard_turns_pending "));
    }
}
