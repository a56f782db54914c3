//! Plugin languages: the same channel written in Rust, Python and JavaScript
//! (`examples/webhook-channel`, `examples/python-channel`, `examples/js-channel`),
//! each installed into the real `switchboard serve` from the examples' registry
//! index, with the echo agent and `reply_url` pointed at the loopback mock.
//!
//! For each: the component's size; cold start without and with the
//! compiled-code cache ([`coldstart::measure_with`]); and, on a daemon started
//! with the cache warm and warmed up, a fixed number of sequential signed
//! deliveries on one keep-alive connection: their latency, the daemon's CPU time
//! per delivery (counting the reply each one causes, which is waited for) and
//! the daemon's resident memory after them. Every figure is also given as a
//! multiple of the Rust one, which is what an operator choosing a language for a
//! channel wants to know.

use std::path::Path;
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde::Serialize;
use switchboard_verify::{Scheme, Verifier};

use crate::coldstart::{self, ColdStart, Probe};
use crate::daemon::DaemonSetup;
use crate::error::BenchError;
use crate::loadgen::{self, Latency, LoadPlan, Pace};
use crate::mock::MockApi;
use crate::payload::{SignedRequest, signed_json};
use crate::process::Server;
use crate::procstat;
use crate::run::fresh_dir;
use crate::sweep;

/// The Standard Webhooks secret every language's instance is configured with
/// (`whsec_` and the base64 of `bench-languages-signing-secret`).
pub const SIGNING_SECRET: &str = "whsec_YmVuY2gtbGFuZ3VhZ2VzLXNpZ25pbmctc2VjcmV0";

/// The instance name, so deliveries go to `/webhooks/app`.
pub const INSTANCE: &str = "app";

/// Where the registry index of the three examples is written (`just examples-index`).
pub const EXAMPLES_INDEX: &str = "target/examples-registry/index.json";

/// How many conversations the deliveries cycle through: agent turns run one
/// conversation at a time, so a single conversation would serialise the replies.
const CONVERSATIONS: u64 = 20;
const STOP_LIMIT: Duration = Duration::from_secs(15);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// One example channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Language {
    /// The language, as the report names it.
    pub name: &'static str,
    /// The component name in its manifest and the registry index.
    pub component: &'static str,
    /// The built component, relative to the workspace root.
    pub wasm: &'static str,
    /// The `just` recipe that builds it.
    pub recipe: &'static str,
}

/// The three examples, Rust first: the others are compared with it.
pub const LANGUAGES: [Language; 3] = [
    Language {
        name: "Rust",
        component: "webhook",
        wasm: "target/examples/wasm32-wasip2/release/webhook_channel.wasm",
        recipe: "just example",
    },
    Language {
        name: "Python",
        component: "webhook-py",
        wasm: "target/examples/python/webhook_py.wasm",
        recipe: "just example-python",
    },
    Language {
        name: "JavaScript",
        component: "webhook-js",
        wasm: "target/examples/js/webhook_js.wasm",
        recipe: "just example-js",
    },
];

/// How much to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LanguageBudget {
    /// Starts each way (without and with the compiled-code cache).
    pub cold_starts: usize,
    /// Deliveries sent before measuring.
    pub warm_up: usize,
    /// Deliveries measured: 1,000 in a full run, because `/proc` counts CPU in
    /// 10 ms ticks and a Rust delivery costs about 1 ms, and so that the p99
    /// rests on ten samples.
    pub requests: usize,
    /// How long to wait for replies and for the daemon to go idle.
    pub settle_limit: Duration,
    /// Whether a missing Python or JavaScript component may be skipped (quick
    /// runs, which must not fail while an example is being rebuilt); a full run
    /// fails instead.
    pub allow_missing: bool,
}

impl LanguageBudget {
    /// The budget of a full run or of `--quick`.
    pub fn new(quick: bool) -> LanguageBudget {
        LanguageBudget {
            cold_starts: if quick { 1 } else { 3 },
            warm_up: if quick { 10 } else { 50 },
            requests: if quick { 60 } else { 1000 },
            settle_limit: Duration::from_secs(if quick { 5 } else { 20 }),
            allow_missing: quick,
        }
    }
}

/// What is needed to run the stage.
#[derive(Debug)]
pub struct LanguageSetup<'a> {
    /// The workspace root.
    pub root: &'a Path,
    /// `target/release/switchboard`.
    pub daemon_binary: &'a Path,
    /// Where the daemon directories go (emptied first).
    pub work: &'a Path,
    /// Where the daemon logs go.
    pub logs: &'a Path,
    /// The server core list, if pinning.
    pub cores: Option<&'a str>,
    /// The loopback mock the replies go to.
    pub mock: &'a MockApi,
}

/// The whole stage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Languages {
    /// Deliveries measured per language.
    pub requests: usize,
    /// Deliveries sent before measuring.
    pub warm_up: usize,
    /// Starts each way per language.
    pub cold_starts: usize,
    /// Each language measured, Rust first.
    pub measured: Vec<LanguageResult>,
    /// Components that were not built (quick runs only; a full run fails).
    pub skipped: Vec<Skipped>,
    /// Wall time of the stage.
    pub stage_seconds: f64,
}

/// A component a quick run did without.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// The language.
    pub language: String,
    /// The missing file.
    pub file: String,
    /// The recipe that builds it.
    pub recipe: String,
}

/// One language's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LanguageResult {
    /// The language.
    pub language: String,
    /// The component name.
    pub component: String,
    /// Size of the `.wasm` file.
    pub wasm_bytes: u64,
    /// Every start, without and with the compiled-code cache.
    pub cold_start: ColdStart,
    /// The measured deliveries' latency (one at a time, keep-alive).
    pub latency: Latency,
    /// Deliveries answered 2xx.
    pub ok: u64,
    /// Deliveries sent.
    pub sent: u64,
    /// Replies the mock received for the measured deliveries (one each).
    pub replies: u64,
    /// Daemon CPU time per delivery, its reply included, in µs.
    pub cpu_us_per_request: Option<f64>,
    /// The daemon's resident memory after the deliveries.
    pub rss_kib: Option<u64>,
    /// Each figure over Rust's.
    pub vs_rust: VsRust,
}

/// A language's figures as multiples of Rust's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct VsRust {
    /// Component size.
    pub size: Option<f64>,
    /// Cold start with an empty cache.
    pub cold_start_uncached: Option<f64>,
    /// Cold start with the cache warm.
    pub cold_start_cached: Option<f64>,
    /// CPU per delivery.
    pub cpu: Option<f64>,
    /// Median latency.
    pub p50: Option<f64>,
    /// 99th percentile latency.
    pub p99: Option<f64>,
    /// Resident memory after the deliveries.
    pub rss: Option<f64>,
}

impl LanguageResult {
    /// Exec to first 2xx with an empty cache (median).
    pub fn cold_start_uncached_ms(&self) -> f64 {
        self.cold_start.uncached.first_2xx_ms
    }

    /// Exec to first 2xx with the cache warm (median).
    pub fn cold_start_cached_ms(&self) -> f64 {
        self.cold_start.cached.first_2xx_ms
    }

    /// Each figure of `self` over the same figure of `rust`.
    pub fn ratios_to(&self, rust: &LanguageResult) -> VsRust {
        let optional = |a: Option<f64>, b: Option<f64>| a.zip(b).and_then(|(a, b)| ratio(a, b));
        let kib = |kib: Option<u64>| kib.map(|kib| kib as f64);
        VsRust {
            size: ratio(self.wasm_bytes as f64, rust.wasm_bytes as f64),
            cold_start_uncached: ratio(
                self.cold_start_uncached_ms(),
                rust.cold_start_uncached_ms(),
            ),
            cold_start_cached: ratio(self.cold_start_cached_ms(), rust.cold_start_cached_ms()),
            cpu: optional(self.cpu_us_per_request, rust.cpu_us_per_request),
            p50: ratio(self.latency.p50_ms, rust.latency.p50_ms),
            p99: ratio(self.latency.p99_ms, rust.latency.p99_ms),
            rss: optional(kib(self.rss_kib), kib(rust.rss_kib)),
        }
    }
}

fn ratio(numerator: f64, denominator: f64) -> Option<f64> {
    (denominator > 0.0).then(|| numerator / denominator)
}

/// Which components are there to measure. Rust's must be; a missing Python or
/// JavaScript one is skipped when `allow_missing`, an error otherwise. The error
/// names the file and the recipe that builds it.
pub fn find_components(
    root: &Path,
    allow_missing: bool,
) -> Result<(Vec<Language>, Vec<Skipped>), BenchError> {
    let mut found = Vec::new();
    let mut skipped = Vec::new();
    for (position, language) in LANGUAGES.into_iter().enumerate() {
        if root.join(language.wasm).is_file() {
            found.push(language);
        } else if allow_missing && position > 0 {
            skipped.push(Skipped {
                language: language.name.to_owned(),
                file: language.wasm.to_owned(),
                recipe: language.recipe.to_owned(),
            });
        } else {
            return Err(missing(language.wasm, language.recipe));
        }
    }
    Ok((found, skipped))
}

fn missing(file: &str, recipe: &str) -> BenchError {
    BenchError::Failed {
        what: "finding the example channels".to_owned(),
        detail: format!(
            "{file} is missing: build it with `{recipe}` (`just build` builds all three \
             example channels and the index)"
        ),
    }
}

/// Checks, before anything is measured, that the stage can run: the components
/// (see [`find_components`]) and the examples' registry index.
pub fn preflight(
    root: &Path,
    allow_missing: bool,
) -> Result<(Vec<Language>, Vec<Skipped>), BenchError> {
    let found = find_components(root, allow_missing)?;
    if !root.join(EXAMPLES_INDEX).is_file() {
        return Err(missing(EXAMPLES_INDEX, "just examples-index"));
    }
    Ok(found)
}

/// Measures every built example, one after the other.
pub fn measure(
    setup: &LanguageSetup<'_>,
    budget: &LanguageBudget,
) -> Result<Languages, BenchError> {
    let started = Instant::now();
    let (languages, skipped) = preflight(setup.root, budget.allow_missing)?;
    let index = setup.root.join(EXAMPLES_INDEX);
    for skip in &skipped {
        eprintln!(
            "switchboard-bench: plugin languages: {} skipped, {} is missing (build it with `{}`)",
            skip.language, skip.file, skip.recipe
        );
    }
    let mut measured: Vec<LanguageResult> = Vec::with_capacity(languages.len());
    for language in &languages {
        eprintln!("switchboard-bench: plugin languages: {}", language.name);
        let mut result = measure_one(setup, budget, &index, language)?;
        if let Some(rust) = measured.first() {
            result.vs_rust = result.ratios_to(rust);
        } else {
            result.vs_rust = result.ratios_to(&result);
        }
        measured.push(result);
    }
    Ok(Languages {
        requests: budget.requests,
        warm_up: budget.warm_up,
        cold_starts: budget.cold_starts,
        measured,
        skipped,
        stage_seconds: started.elapsed().as_secs_f64(),
    })
}

fn measure_one(
    setup: &LanguageSetup<'_>,
    budget: &LanguageBudget,
    index: &Path,
    language: &Language,
) -> Result<LanguageResult, BenchError> {
    let wasm = setup.root.join(language.wasm);
    let wasm_bytes = std::fs::metadata(&wasm)
        .map_err(|source| BenchError::Io {
            action: "cannot read",
            path: wasm.clone(),
            source,
        })?
        .len();
    let dir = setup.work.join(language.component);
    let logs = setup.logs.join(language.component);
    for fresh in [&dir, &logs] {
        fresh_dir(fresh)?;
    }
    let config = config_text(language.component, &setup.mock.origin);
    let daemon = DaemonSetup::create_with(
        &dir,
        setup.daemon_binary,
        index,
        language.component,
        &config,
    )
    .map_err(|e| BenchError::Failed {
        what: format!("installing {} from {EXAMPLES_INDEX}", language.component),
        detail: format!("{e}; rebuild the index with `just examples-index`"),
    })?;
    let path = webhook_path();

    let cold_signer = WebhookSigner::new(&format!("{}-cold", language.component))?;
    let request = |seq| cold_signer.request(seq);
    let probe = Probe {
        path: &path,
        request: &request,
    };
    let cold_start =
        coldstart::measure_with(&daemon, setup.cores, budget.cold_starts, &logs, &probe)?;

    // The cache is warm now: this start maps the compiled code.
    let server = daemon.spawn(
        &format!("switchboard serve ({})", language.component),
        setup.cores,
        &logs.join("per-call.log"),
    )?;
    let per_call = per_call(setup, budget, &server, language);
    let log_tail = server.log_tail();
    server.terminate(STOP_LIMIT);
    let per_call = per_call.map_err(|e| BenchError::Failed {
        what: format!("the {} channel's deliveries", language.name),
        detail: format!("{e}; daemon log:\n{log_tail}"),
    })?;
    Ok(LanguageResult {
        language: language.name.to_owned(),
        component: language.component.to_owned(),
        wasm_bytes,
        cold_start,
        latency: per_call.latency,
        ok: per_call.ok,
        sent: per_call.sent,
        replies: per_call.replies,
        cpu_us_per_request: per_call.cpu_us_per_request,
        rss_kib: per_call.rss_kib,
        vs_rust: VsRust::default(),
    })
}

struct PerCall {
    latency: Latency,
    ok: u64,
    sent: u64,
    replies: u64,
    cpu_us_per_request: Option<f64>,
    rss_kib: Option<u64>,
}

/// Warm-up, then the measured deliveries one at a time; the daemon's CPU time is
/// read before them and after their replies arrived and the daemon went idle.
fn per_call(
    setup: &LanguageSetup<'_>,
    budget: &LanguageBudget,
    server: &Server,
    language: &Language,
) -> Result<PerCall, BenchError> {
    let signer = WebhookSigner::new(language.component)?;
    let warm_up = signer.batch(0, budget.warm_up)?;
    let replies_before = setup.mock.requests();
    let result = send_sequentially(server, warm_up)?;
    expect_all_ok(result.ok, result.sent, budget.warm_up, "warm-up")?;
    wait_for_replies(
        setup.mock,
        replies_before,
        budget.warm_up,
        budget.settle_limit,
    );
    sweep::settle(server.pid, budget.settle_limit);

    let requests = signer.batch(budget.warm_up as u64, budget.requests)?;
    let cpu_before = procstat::process_cpu_ticks(server.pid);
    let replies_before = setup.mock.requests();
    let result = send_sequentially(server, requests)?;
    expect_all_ok(result.ok, result.sent, budget.requests, "measured")?;
    let replies = wait_for_replies(
        setup.mock,
        replies_before,
        budget.requests,
        budget.settle_limit,
    );
    sweep::settle(server.pid, budget.settle_limit);
    let cpu_after = procstat::process_cpu_ticks(server.pid);
    if replies < budget.requests as u64 {
        return Err(BenchError::Failed {
            what: "waiting for the replies".to_owned(),
            detail: format!(
                "reply_url got {replies} of {} replies within {:?}",
                budget.requests, budget.settle_limit
            ),
        });
    }
    let cpu_us_per_request = cpu_before.zip(cpu_after).map(|(before, after)| {
        procstat::ticks_to_secs(after.saturating_sub(before)) * 1e6 / budget.requests as f64
    });
    Ok(PerCall {
        latency: result.latency,
        ok: result.ok,
        sent: result.sent,
        replies,
        cpu_us_per_request,
        rss_kib: procstat::rss_kib(server.pid),
    })
}

/// One keep-alive connection, each delivery sent once the previous one is
/// answered.
fn send_sequentially(
    server: &Server,
    requests: Vec<SignedRequest>,
) -> Result<loadgen::LoadResult, BenchError> {
    let plan = LoadPlan {
        addr: server.addr,
        path: webhook_path(),
        pace: Pace::Closed,
        // A bound, not a target: the run ends when the deliveries run out.
        duration: REQUEST_TIMEOUT * 4,
        connections: 1,
        request_timeout: REQUEST_TIMEOUT,
    };
    loadgen::run_blocking(&plan, requests)
}

fn expect_all_ok(ok: u64, sent: u64, wanted: usize, what: &str) -> Result<(), BenchError> {
    if ok == wanted as u64 {
        return Ok(());
    }
    Err(BenchError::Failed {
        what: format!("the {what} deliveries"),
        detail: format!("{ok} of {wanted} answered 2xx ({sent} sent)"),
    })
}

/// Waits (up to `limit`) until the mock has received `count` requests more than
/// `before`, and returns how many more it received.
fn wait_for_replies(mock: &MockApi, before: u64, count: usize, limit: Duration) -> u64 {
    let started = Instant::now();
    loop {
        let received = mock.requests().saturating_sub(before);
        if received >= count as u64 || started.elapsed() >= limit {
            return received;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// `/webhooks/<instance>`.
pub fn webhook_path() -> String {
    format!("/webhooks/{INSTANCE}")
}

/// The daemon's config: as T3's (defaults, `warn` logs, echo agent, every sender
/// answered), with the example channel and `reply_url` on the mock.
pub fn config_text(component: &str, mock_origin: &str) -> String {
    format!(
        r#"# Written by switchboard-bench.
[server]
listen = "127.0.0.1:0"
data_dir = "data"

[log]
level = "warn"

[agent]
kind = "echo"

[channels.{INSTANCE}]
component = "{component}"
secrets = {{ signing_secret = "{SIGNING_SECRET}" }}
settings = {{ reply_url = "{mock_origin}/replies" }}
allow = ["{mock_origin}"]
# The pipeline's cost is measured, not the access policy's: every sender is answered.
access = {{ dm = "open", rate = "none", max_turns_per_day = 0, reply_burst = "none" }}
"#
    )
}

/// Builds deliveries in the examples' format and signs them with Standard
/// Webhooks under [`SIGNING_SECRET`].
#[derive(Debug, Clone)]
pub struct WebhookSigner {
    verifier: Verifier,
    tag: String,
}

impl WebhookSigner {
    /// A signer whose delivery ids all start with `<tag>-`.
    pub fn new(tag: &str) -> Result<WebhookSigner, BenchError> {
        let verifier = Verifier::new(&standard_webhooks_scheme(), SIGNING_SECRET.as_bytes())
            .map_err(|source| BenchError::Signer { source })?;
        Ok(WebhookSigner {
            verifier,
            tag: tag.to_owned(),
        })
    }

    /// The `id` (and `webhook-id`) of delivery `seq`.
    pub fn delivery_id(&self, seq: u64) -> String {
        format!("{}-{seq}", self.tag)
    }

    /// Delivery `seq`: a unique body and its signature headers.
    pub fn request(&self, seq: u64) -> Result<SignedRequest, BenchError> {
        let id = self.delivery_id(seq);
        let conversation = seq % CONVERSATIONS;
        let body = serde_json::json!({
            "id": id,
            "conversation_id": format!("bench-conversation-{conversation}"),
            "sender_id": format!("bench-user-{conversation}"),
            "sender_name": format!("Bench User {conversation}"),
            "text": format!("message {seq}: does it come in another color?"),
        });
        signed_json(&self.verifier, Bytes::from(body.to_string()), &id)
    }

    /// Deliveries `first .. first + count`, all signed before any is sent.
    pub fn batch(&self, first: u64, count: usize) -> Result<Vec<SignedRequest>, BenchError> {
        (first..first.saturating_add(count as u64))
            .map(|seq| self.request(seq))
            .collect()
    }
}

/// The `verification.post` of the examples' manifests.
pub fn standard_webhooks_scheme() -> Scheme {
    Scheme::StandardWebhooks {
        secret: "signing_secret".to_owned(),
        tolerance_secs: 300,
    }
}
