//! Tests of the benchmark's own parts: that it sends what a platform sends, counts
//! what it claims to count, and that the native target is a faithful pipeline.
//! None of them asserts a time.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use switchboard_bench::daemon::DaemonSetup;
use switchboard_bench::daemon::{parse_status, post_blocking, post_blocking_to};
use switchboard_bench::languages::{
    self, LANGUAGES, LanguageResult, Languages, VsRust, WebhookSigner,
};
use switchboard_bench::loadgen::{self, Latency, LoadPlan, LoadResult, Pace};
use switchboard_bench::mock::MockApi;
use switchboard_bench::payload::{self, BODY_BYTES, Signer, WEBHOOK_PATH};
use switchboard_bench::process::Server;
use switchboard_bench::report::{self, Goals};
use switchboard_bench::targets::native_channel::messages_of;
use switchboard_bench::{coldstart, machine, procstat, store_bench, sweep};
use switchboard_types::MessageKind;
use switchboard_verify::Verifier;

#[test]
fn requests_are_signed_like_whatsapp_and_verify() {
    let signer = Signer::new("test").expect("signer");
    let request = signer.request(7).expect("request");
    let mut headers = http::HeaderMap::new();
    for (name, value) in &request.headers {
        headers.insert(name.clone(), value.clone());
    }
    let signature = headers["x-hub-signature-256"].to_str().expect("ascii");
    assert!(signature.starts_with("sha256="), "{signature}");
    let verifier = Verifier::new(&payload::whatsapp_scheme(), payload::APP_SECRET.as_bytes())
        .expect("verifier");
    assert!(
        verifier
            .verify(&headers, &request.body, payload::unix_now())
            .is_ok()
    );

    let mut tampered = request.body.to_vec();
    tampered[100] ^= 1;
    assert!(
        verifier
            .verify(&headers, &tampered, payload::unix_now())
            .is_err()
    );
}

#[test]
fn every_request_carries_its_own_message_id_in_a_realistic_body() {
    let signer = Signer::new("ids").expect("signer");
    let requests = signer.batch(10, 3).expect("batch");
    let mut ids = Vec::new();
    for (seq, request) in (10..).zip(&requests) {
        assert_eq!(request.body.len(), BODY_BYTES);
        let json: serde_json::Value = serde_json::from_slice(&request.body).expect("JSON body");
        let message = &json["entry"][0]["changes"][0]["value"]["messages"][0];
        assert_eq!(message["id"], signer.message_id(seq));
        assert_eq!(message["type"], "text");
        ids.push(message["id"].as_str().expect("id").to_owned());
    }
    ids.dedup();
    assert_eq!(ids.len(), 3, "ids repeat: {ids:?}");
}

#[test]
fn the_native_parser_reads_the_payload_as_the_channel_does() {
    let signer = Signer::new("parse").expect("signer");
    let body = signer.request(42).expect("request").body;
    let messages = messages_of(&body);
    assert_eq!(messages.len(), 1);
    let message = &messages[0];
    assert_eq!(message.external_id, signer.message_id(42));
    assert_eq!(message.kind, MessageKind::Text);
    assert_eq!(message.sender_id, "15550000042");
    assert_eq!(
        message.conversation_id,
        format!("{}:15550000042", payload::PHONE_NUMBER_ID)
    );
    assert!(
        message
            .text
            .as_deref()
            .is_some_and(|text| text.starts_with("message 42: "))
    );
    assert!(messages_of(b"not json").is_empty());
}

#[test]
fn proc_files_are_parsed() {
    let stat = "42 (tokio (worker) 1) S 1 42 42 0 -1 4194560 100 0 0 0 250 30 0 0 20 0 3 0";
    assert_eq!(procstat::parse_stat_cpu_ticks(stat), Some(280));
    let status = "Name:\tswitchboard\nVmHWM:\t   20480 kB\nVmRSS:\t   16384 kB\n";
    assert_eq!(procstat::parse_status_kib(status, "VmRSS:"), Some(16384));
    assert_eq!(procstat::parse_status_kib(status, "VmHWM:"), Some(20480));
    assert_eq!(procstat::parse_status_kib(status, "VmSwap:"), None);
    assert!(procstat::rss_kib(std::process::id()).is_some_and(|kib| kib > 0));
}

#[test]
fn versions_are_read_from_a_lock_file() {
    let lock = "[[package]]\nname = \"hyper\"\nversion = \"1.12.0\"\n\n[[package]]\nname = \"wasmtime\"\nversion = \"48.0.8\"\n";
    assert_eq!(
        machine::locked_version(lock, "wasmtime").as_deref(),
        Some("48.0.8")
    );
    assert_eq!(
        machine::locked_version(lock, "hyper").as_deref(),
        Some("1.12.0")
    );
    assert_eq!(machine::locked_version(lock, "tokio"), None);
}

#[test]
fn status_lines_are_parsed_only_when_complete() {
    assert_eq!(
        parse_status(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n"),
        Some(200)
    );
    assert_eq!(
        parse_status(b"HTTP/1.1 503 Service Unavailable\r\n"),
        Some(503)
    );
    assert_eq!(parse_status(b"HTTP/1.1 200 O"), None);
    assert_eq!(parse_status(b"garbage\r\n"), None);
}

#[test]
fn medians_take_the_lower_middle() {
    assert_eq!(coldstart::median([3.0, 1.0, 2.0].into_iter()), 2.0);
    assert_eq!(coldstart::median([4.0, 1.0, 3.0, 2.0].into_iter()), 2.0);
    assert_eq!(coldstart::median(std::iter::empty()), 0.0);
}

fn load(offered: f64, achieved: f64, ok: u64, status_5xx: u64, p99_ms: f64) -> LoadResult {
    LoadResult {
        offered_rps: Some(offered),
        achieved_rps: achieved,
        sent: ok + status_5xx,
        ok,
        status_4xx: 0,
        status_5xx,
        status_other: 0,
        errors: 0,
        first_error: None,
        unsent: 0,
        latency: Latency {
            count: ok + status_5xx,
            p99_ms,
            ..Latency::default()
        },
        elapsed_s: 1.0,
        client_cpu: None,
    }
}

#[test]
fn a_rate_is_sustained_only_if_every_criterion_holds() {
    assert!(sweep::sustained(&load(1000.0, 995.0, 1000, 0, 4.0), 1000));
    // Fell behind the offered rate.
    assert!(!sweep::sustained(&load(1000.0, 980.0, 1000, 0, 4.0), 1000));
    // One 503 is enough to fail.
    assert!(!sweep::sustained(&load(1000.0, 1000.0, 999, 1, 4.0), 1000));
    // Too slow at the tail, though it kept up.
    assert!(!sweep::sustained(
        &load(1000.0, 1000.0, 1000, 0, 10.5),
        1000
    ));
    assert!(sweep::keeps_up(&load(1000.0, 1000.0, 1000, 0, 10.5), 1000));
    assert!(!sweep::keeps_up(&load(1000.0, 980.0, 1000, 0, 4.0), 1000));
}

#[test]
fn goals_are_judged_against_the_issue_targets() {
    let met = Goals::judge(Some(0.7), Some(3.0), 40.0);
    assert!(
        met.sandbox_ratio_at_least_0_6 && met.wasm_p99_under_10_ms && met.cold_start_under_200_ms
    );
    let missed = Goals::judge(Some(0.5), None, 250.0);
    assert!(!missed.sandbox_ratio_at_least_0_6);
    assert!(!missed.wasm_p99_under_10_ms);
    assert!(!missed.cold_start_under_200_ms);
}

/// A server answering 200, except 503 for every fifth request it sees.
async fn flaky_server() -> (SocketAddr, Arc<AtomicU64>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let seen = Arc::new(AtomicU64::new(0));
    let counter = seen.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let counter = counter.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                    let counter = counter.clone();
                    async move {
                        let _ = request.into_body().collect().await;
                        let n = counter.fetch_add(1, Ordering::SeqCst);
                        let mut response = hyper::Response::new(Full::new(Bytes::new()));
                        if n % 5 == 4 {
                            *response.status_mut() = http::StatusCode::SERVICE_UNAVAILABLE;
                        }
                        Ok::<_, Infallible>(response)
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (addr, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_open_loop_generator_sends_each_request_once_and_counts_every_answer() {
    let (addr, seen) = flaky_server().await;
    let requests = Signer::new("loadgen")
        .expect("signer")
        .batch(0, 200)
        .expect("batch");
    let plan = LoadPlan {
        addr,
        path: WEBHOOK_PATH.to_owned(),
        pace: Pace::Open { rate: 2000.0 },
        duration: Duration::from_millis(100),
        connections: 8,
        request_timeout: Duration::from_secs(10),
    };
    let result = tokio::task::spawn_blocking(move || loadgen::run_blocking(&plan, requests))
        .await
        .expect("join")
        .expect("load run");
    assert_eq!(seen.load(Ordering::SeqCst), 200);
    assert_eq!(result.sent, 200);
    assert_eq!(result.unsent, 0);
    assert_eq!(result.ok, 160);
    assert_eq!(result.status_5xx, 40);
    assert_eq!(result.errors, 0);
    assert_eq!(result.latency.count, 200);
    assert_eq!(result.offered_rps, Some(2000.0));
    assert!(
        !sweep::sustained(&result, 200),
        "5xx answers cannot be sustained"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_closed_loop_generator_stops_when_its_requests_run_out() {
    let (addr, seen) = flaky_server().await;
    let requests = Signer::new("closed")
        .expect("signer")
        .batch(0, 50)
        .expect("batch");
    let plan = LoadPlan {
        addr,
        path: WEBHOOK_PATH.to_owned(),
        pace: Pace::Closed,
        duration: Duration::from_secs(30),
        connections: 4,
        request_timeout: Duration::from_secs(10),
    };
    let result = tokio::task::spawn_blocking(move || loadgen::run_blocking(&plan, requests))
        .await
        .expect("join")
        .expect("load run");
    assert_eq!(seen.load(Ordering::SeqCst), 50);
    assert_eq!(result.sent, 50);
    assert_eq!(result.ok + result.status_5xx, 50);
    assert_eq!(result.offered_rps, None);
}

#[test]
fn the_store_benchmark_counts_durable_rows_and_commits() {
    let dir = tempfile::tempdir().expect("temp dir");
    let report = store_bench::run(dir.path(), 5, 4, Duration::from_millis(200)).expect("store run");
    let probe = report.fsync_probe.expect("probe ran");
    assert_eq!(probe.commits, 5);
    assert!(probe.p50_us > 0.0 && probe.p50_us <= probe.max_us);
    let writer = report.writer.expect("writer ran");
    assert_eq!(writer.tasks, 4);
    assert!(writer.rows > 0);
    assert_eq!(writer.commands, writer.rows, "one command per persist call");
    assert!(writer.commits >= 1 && writer.commits <= writer.commands);
}

fn bench_exe() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_switchboard-bench"))
}

/// The workspace's release build, made by `just build` before the tests run.
fn workspace_file(relative: &str) -> std::path::PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative);
    assert!(
        path.is_file(),
        "{} is missing: run `just build` first",
        path.display()
    );
    path
}

#[test]
fn the_native_target_is_the_daemon_with_the_channel_compiled_natively() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mock = MockApi::start().expect("mock Graph API");
    let setup = DaemonSetup::create(
        dir.path(),
        &workspace_file("target/release/switchboard"),
        &workspace_file("target/registry/index.json"),
        &mock.origin,
    )
    .expect("daemon directory with WhatsApp installed");
    let server = setup
        .spawn_native(bench_exe(), None, &dir.path().join("native.log"))
        .expect("native target starts");
    let signer = Signer::new("native").expect("signer");
    let request = signer.request(1).expect("request");
    let limit = Duration::from_secs(10);
    assert_eq!(
        post_blocking(server.addr, &request, limit).expect("post"),
        200
    );
    // A redelivery is stored once and still acknowledged.
    assert_eq!(
        post_blocking(server.addr, &request, limit).expect("post"),
        200
    );
    let mut forged = signer.request(2).expect("request");
    forged.body = Bytes::from(payload::text_message_body("wamid.forged", 2));
    assert_eq!(
        post_blocking(server.addr, &forged, limit).expect("post"),
        401
    );
    // The follow-up work runs too, natively: a read receipt, the typing indicator
    // while the agent works, and the echo reply.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while mock.requests() < 3 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = server.terminate(Duration::from_secs(15)).expect("exited");
    assert!(status.success(), "{status:?}");
    assert_eq!(
        mock.requests(),
        3,
        "one read receipt, one typing indicator and one reply"
    );

    let database = dir.path().join("data").join("switchboard.db");
    let store = switchboard_store::Store::open_read_only(&database).expect("database exists");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let stored = runtime
        .block_on(store.messages(Some("wa"), 10))
        .expect("read messages");
    let ids: Vec<_> = stored
        .iter()
        .map(|m| m.message.external_id.clone())
        .collect();
    assert_eq!(ids, vec![signer.message_id(1)]);
    let replies = runtime
        .block_on(store.replies(Some("wa"), 10))
        .expect("read replies");
    assert_eq!(replies.len(), 1, "{replies:?}");
    assert_eq!(replies[0].status, switchboard_store::ReplyStatus::Sent);
    assert!(
        replies[0].text.contains("message 1: "),
        "{}",
        replies[0].text
    );
}

#[test]
fn the_raw_target_exits_when_its_input_closes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut command = Command::new(bench_exe());
    command.args(["serve-raw", "--listen", "127.0.0.1:0"]);
    let server = Server::spawn(
        "serve-raw",
        command,
        &dir.path().join("raw.log"),
        Duration::from_secs(30),
    )
    .expect("raw target starts");
    let request = Signer::new("raw")
        .expect("signer")
        .request(0)
        .expect("request");
    assert_eq!(
        post_blocking(server.addr, &request, Duration::from_secs(10)).expect("post"),
        200
    );
    let status = server.close_stdin(Duration::from_secs(10)).expect("exited");
    assert!(status.success(), "{status:?}");
}

#[test]
fn deliveries_for_the_example_channels_are_signed_with_standard_webhooks() {
    let signer = WebhookSigner::new("py").expect("signer");
    let requests = signer.batch(0, 3).expect("batch");
    let verifier = Verifier::new(
        &languages::standard_webhooks_scheme(),
        languages::SIGNING_SECRET.as_bytes(),
    )
    .expect("the benchmark's secret is a valid whsec_ secret");
    let mut ids = Vec::new();
    for (seq, request) in (0..).zip(&requests) {
        let mut headers = http::HeaderMap::new();
        for (name, value) in &request.headers {
            headers.insert(name.clone(), value.clone());
        }
        assert!(
            verifier
                .verify(&headers, &request.body, payload::unix_now())
                .is_ok()
        );
        let body: serde_json::Value = serde_json::from_slice(&request.body).expect("JSON body");
        // The examples' required fields, and the delivery id doubling as webhook-id.
        for field in ["id", "conversation_id", "sender_id", "text"] {
            assert!(
                body[field].as_str().is_some_and(|v| !v.is_empty()),
                "{field} in {body}"
            );
        }
        assert_eq!(body["id"], signer.delivery_id(seq));
        assert_eq!(headers["webhook-id"], signer.delivery_id(seq).as_str());
        ids.push(signer.delivery_id(seq));
    }
    ids.dedup();
    assert_eq!(ids.len(), 3, "ids repeat: {ids:?}");
}

#[test]
fn a_missing_example_component_names_its_file_and_recipe() {
    let root = tempfile::tempdir().expect("temp dir");
    let place = |relative: &str| {
        let path = root.path().join(relative);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, b"\0asm").expect("write");
    };
    let error = languages::find_components(root.path(), true)
        .expect_err("Rust is the baseline: never skipped")
        .to_string();
    assert!(
        error.contains("webhook_channel.wasm") && error.contains("`just example`"),
        "{error}"
    );

    place(LANGUAGES[0].wasm);
    // A full run fails on the first missing one, naming it and its recipe.
    let error = languages::find_components(root.path(), false)
        .expect_err("a full run needs all three")
        .to_string();
    assert!(
        error.contains("target/examples/python/webhook_py.wasm")
            && error.contains("`just example-python`")
            && error.contains("`just build`"),
        "{error}"
    );
    // A quick run measures what is there and says what it skipped.
    let (found, skipped) = languages::find_components(root.path(), true).expect("quick run");
    assert_eq!(found, vec![LANGUAGES[0]]);
    let skipped: Vec<_> = skipped.iter().map(|s| s.recipe.as_str()).collect();
    assert_eq!(skipped, ["just example-python", "just example-js"]);

    place(LANGUAGES[1].wasm);
    place(LANGUAGES[2].wasm);
    let (found, skipped) = languages::find_components(root.path(), false).expect("all three");
    assert_eq!(found.len(), 3);
    assert!(skipped.is_empty());
    // The index is checked too.
    let error = languages::preflight(root.path(), false)
        .expect_err("no index")
        .to_string();
    assert!(error.contains("`just examples-index`"), "{error}");
}

fn language_result(name: &str, bytes: u64, cold: [f64; 2], cpu: f64, p50: f64) -> LanguageResult {
    let variant = |ms: f64| coldstart::Variant {
        starts: Vec::new(),
        listening_ms: ms,
        first_2xx_ms: ms,
    };
    LanguageResult {
        language: name.to_owned(),
        component: name.to_lowercase(),
        wasm_bytes: bytes,
        cold_start: coldstart::ColdStart {
            uncached: variant(cold[0]),
            cached: variant(cold[1]),
        },
        latency: Latency {
            count: 300,
            p50_ms: p50,
            p99_ms: p50 * 2.0,
            ..Latency::default()
        },
        ok: 300,
        sent: 300,
        replies: 300,
        cpu_us_per_request: Some(cpu),
        rss_kib: Some(25 * 1024),
        vs_rust: VsRust::default(),
    }
}

#[test]
fn each_language_is_compared_with_rust_in_the_table() {
    let rust = language_result("Rust", 200 * 1024, [200.0, 12.0], 800.0, 1.0);
    let mut python = language_result("Python", 18 * 1024 * 1024, [9000.0, 120.0], 4000.0, 4.0);
    python.vs_rust = python.ratios_to(&rust);
    assert_eq!(python.vs_rust.cold_start_uncached, Some(45.0));
    assert_eq!(python.vs_rust.cpu, Some(5.0));
    assert_eq!(python.vs_rust.rss, Some(1.0));
    let mut rust = rust;
    rust.vs_rust = rust.ratios_to(&rust.clone());
    let languages = Languages {
        requests: 300,
        warm_up: 30,
        cold_starts: 3,
        measured: vec![rust, python],
        skipped: vec![languages::Skipped {
            language: "JavaScript".to_owned(),
            file: LANGUAGES[2].wasm.to_owned(),
            recipe: LANGUAGES[2].recipe.to_owned(),
        }],
        stage_seconds: 20.0,
    };
    let table = report::languages_table(&languages);
    let rows: Vec<&str> = table.lines().filter(|l| l.starts_with("| ")).collect();
    assert_eq!(rows.len(), 4, "{table}");
    assert!(
        rows[1].starts_with("| Rust | 200 KiB | 200 / 12 ms | 800 |"),
        "{table}"
    );
    assert!(
        rows[2].starts_with("| Python | 18.0 MiB | 9000 / 120 ms | 4000 | 4.00 / 8.00 | 25 MiB |"),
        "{table}"
    );
    assert!(
        rows[2].contains("| 92×, 45×, 10×, 5.0×, 4.0×, 4.0×, 1.0× |"),
        "{table}"
    );
    assert!(
        rows[3].contains("JavaScript") && rows[3].contains("`just example-js`"),
        "{table}"
    );
}

#[test]
fn the_rust_example_answers_the_benchmark_deliveries_and_replies_to_the_mock() {
    let dir = tempfile::tempdir().expect("temp dir");
    let binary = workspace_file("target/release/switchboard");
    let rust = LANGUAGES[0];
    // An index of the Rust example alone, so a stale entry of another example
    // cannot fail this test.
    let index = dir.path().join("index.json");
    let component = format!(
        "{}={}",
        workspace_file("examples/webhook-channel/manifest.json").display(),
        workspace_file(rust.wasm).display()
    );
    let built = Command::new(&binary)
        .args(["registry", "build", "--out"])
        .arg(&index)
        .args(["--component", &component])
        .output()
        .expect("switchboard registry build");
    assert!(built.status.success(), "{built:?}");
    let mock = MockApi::start().expect("mock");
    let daemon_dir = dir.path().join("daemon");
    std::fs::create_dir_all(&daemon_dir).expect("mkdir");
    let setup = DaemonSetup::create_with(
        &daemon_dir,
        &binary,
        &index,
        rust.component,
        &languages::config_text(rust.component, &mock.origin),
    )
    .expect("daemon directory with the example installed");
    let server = setup
        .spawn("switchboard serve", None, &dir.path().join("serve.log"))
        .expect("daemon starts");
    let signer = WebhookSigner::new("test").expect("signer");
    let path = languages::webhook_path();
    let limit = Duration::from_secs(10);
    let request = signer.request(1).expect("request");
    assert_eq!(
        post_blocking_to(server.addr, &path, &request, limit).expect("post"),
        200,
        "{}",
        server.log_tail()
    );
    let mut forged = signer.request(2).expect("request");
    forged.body =
        Bytes::from_static(br#"{"id":"x","conversation_id":"c","sender_id":"s","text":"t"}"#);
    assert_eq!(
        post_blocking_to(server.addr, &path, &forged, limit).expect("post"),
        401
    );
    // The echo agent's reply reaches reply_url on the mock.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while mock.requests() < 1 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let log = server.log_tail();
    server.terminate(Duration::from_secs(15));
    assert_eq!(mock.requests(), 1, "one reply; log:\n{log}");
}
