//! Per-call limits: a guest that spins, hoards memory, recurses, floods the host
//! or panics loses only its own call. The delivery is kept as a dead letter
//! naming the limit, the platform gets its 200, and the well-behaved instance in
//! the same daemon keeps storing messages.

use std::time::{Duration, Instant};

use crate::harness::sample;
use crate::mock::MockApi;

use super::support::{Sandbox, assert_no_secret, channel};

/// Starts `[hostile] mode = <mode>` next to a well-behaved `good` instance, sends
/// one delivery to the hostile one, and checks what every failing mode shares: a
/// 200 after the delivery was dead-lettered, nothing stored for it, and a healthy
/// daemon. Returns the sandbox and the dead letter's reason.
async fn hostile_call_is_dead_lettered(mode: &str, options: &[&str]) -> (Sandbox, String) {
    let mut hostile = channel("hostile", mode);
    for line in options {
        hostile = hostile.option(line);
    }
    let sandbox = Sandbox::start(&[hostile, channel("good", "well-behaved")], "", &[]);
    let answer = sandbox.post("hostile", &format!("{mode}-1")).await;
    assert_eq!(
        answer.status,
        200,
        "a verified delivery is acknowledged once it is kept; log:\n{}",
        sandbox.daemon.log()
    );
    assert_no_secret(&answer);
    let reason = sandbox.dead_letter_reason("hostile");
    assert!(
        sandbox.messages_of("hostile").is_empty(),
        "nothing from a failed call may be stored"
    );
    sandbox
        .assert_good_still_works(&format!("after-{mode}"))
        .await;
    sandbox.assert_no_secret_in_log();
    (sandbox, reason)
}

#[tokio::test]
async fn infinite_loop_is_stopped_at_the_configured_deadline() {
    let (sandbox, reason) =
        hostile_call_is_dead_lettered("loop", &["call_timeout_ms = 1500"]).await;
    assert!(
        reason.contains("deadline of 1500 ms exceeded"),
        "reason names the deadline: {reason}"
    );
    // The deadline is per call: a second spin is cut off the same way. Only an
    // upper bound is checked, generous enough for a loaded machine; a guest that
    // spins forever must not hold the request for long.
    let started = Instant::now();
    let answer = sandbox.post("hostile", "loop-2").await;
    assert_eq!(answer.status, 200);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "a 1.5 s deadline took {:?}",
        started.elapsed()
    );
    assert_eq!(sandbox.dead_letters_of("hostile").len(), 2);
    assert!(
        sandbox
            .daemon
            .log_shows("guest failed; delivery kept as a dead letter")
            .await
            && sandbox
                .daemon
                .log_shows("deadline of 1500 ms exceeded")
                .await,
        "the log says why:\n{}",
        sandbox.daemon.log()
    );
}

#[tokio::test]
async fn memory_growth_traps_at_the_memory_limit() {
    let (_sandbox, reason) = hostile_call_is_dead_lettered("memory", &[]).await;
    assert!(
        reason.contains("limit exceeded") && reason.contains("memory"),
        "reason names the memory limit: {reason}"
    );
}

#[tokio::test]
async fn deep_recursion_traps_without_hurting_the_host() {
    let (_sandbox, reason) = hostile_call_is_dead_lettered("recursion", &[]).await;
    assert!(
        reason.contains("guest trapped"),
        "reason names the trap: {reason}"
    );
}

#[tokio::test]
async fn emit_flood_is_capped_and_nothing_of_it_is_stored() {
    let (_sandbox, reason) = hostile_call_is_dead_lettered("emit-flood", &[]).await;
    assert!(
        reason.contains("more than 2000 messages emitted in one call"),
        "reason names the message cap: {reason}"
    );
}

#[tokio::test]
async fn one_huge_emit_is_capped_by_bytes() {
    let (_sandbox, reason) = hostile_call_is_dead_lettered("huge-emit", &[]).await;
    assert!(
        reason.contains("bytes emitted in one call"),
        "reason names the byte cap: {reason}"
    );
}

#[tokio::test]
async fn a_panic_traps_only_its_call() {
    let (sandbox, reason) = hostile_call_is_dead_lettered("panic", &[]).await;
    assert!(
        reason.contains("guest trapped"),
        "reason names the trap: {reason}"
    );
    // What the guest printed while panicking reaches the log, tagged as guest output.
    assert!(
        sandbox
            .daemon
            .log_shows("deliberate panic in a hostile guest")
            .await,
        "the panic message is logged:\n{}",
        sandbox.daemon.log()
    );
}

/// Occurrences of `needle` in the log, counted in bytes of guest output.
fn logged_bytes(sandbox: &Sandbox, needle: &str) -> usize {
    sandbox.daemon.log().matches(needle).count() * needle.len()
}

#[tokio::test]
async fn log_flood_is_truncated_and_the_delivery_still_stored() {
    let sandbox = Sandbox::start(
        &[
            // 100,000 log calls take a while on a loaded machine; the point here is
            // the log budget, not the deadline.
            channel("hostile", "log-flood").option("call_timeout_ms = 20000"),
            channel("good", "well-behaved"),
        ],
        "",
        &[],
    );
    let answer = sandbox.post("hostile", "log-flood-1").await;
    assert_eq!(answer.status, 200, "log:\n{}", sandbox.daemon.log());
    let stored = sandbox.messages_of("hostile");
    assert_eq!(stored.len(), 1, "dropping log lines is not a failure");
    assert_eq!(stored[0]["text"], "survived the log flood");
    // The guest tried to log 50 MB; the per-call budget is 64 KiB.
    let spam = logged_bytes(&sandbox, "spam ");
    assert!(
        spam > 0 && spam <= 64 << 10,
        "{spam} bytes of guest log output reached the log"
    );
    // What was dropped is counted, per instance, for the operator.
    let metrics = reqwest::get(sandbox.daemon.url("/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics body");
    let dropped = |instance: &str| -> u64 {
        let series =
            format!("switchboard_guest_log_bytes_dropped_total{{instance=\"{instance}\"}} ");
        metrics
            .lines()
            .find_map(|line| line.strip_prefix(series.as_str()))
            .and_then(|value| value.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {series}in:\n{metrics}"))
    };
    // 100,000 lines of 500 bytes were attempted; at most 64 KiB went through.
    assert!(
        dropped("hostile") >= 50_000_000 - (64 << 10),
        "{} bytes counted as dropped",
        dropped("hostile")
    );
    assert_eq!(dropped("good"), 0);
    sandbox.assert_good_still_works("after-log-flood").await;
}

#[tokio::test]
async fn stdout_flood_is_truncated_and_the_delivery_still_stored() {
    let sandbox = Sandbox::start(
        &[
            channel("hostile", "stdout-flood").option("call_timeout_ms = 20000"),
            channel("good", "well-behaved"),
        ],
        "",
        &[],
    );
    let answer = sandbox.post("hostile", "stdout-flood-1").await;
    assert_eq!(answer.status, 200, "log:\n{}", sandbox.daemon.log());
    let stored = sandbox.messages_of("hostile");
    assert_eq!(stored.len(), 1, "a full stdout pipe is not a failure");
    let noise = logged_bytes(&sandbox, "noise ");
    assert!(
        noise > 0 && noise <= 64 << 10,
        "{noise} bytes of guest stdout reached the log"
    );
    sandbox.assert_good_still_works("after-stdout-flood").await;
}

#[tokio::test]
async fn outbound_requests_are_capped_per_call() {
    let mock = MockApi::start().await;
    let sandbox = Sandbox::start(
        &[
            channel("hostile", "fetch-flood")
                .target(&format!("{}/flood", mock.origin))
                .allow(&mock.origin),
            channel("good", "well-behaved"),
        ],
        "",
        &[],
    );
    let answer = sandbox.post("hostile", "fetch-flood-1").await;
    assert_eq!(answer.status, 200, "log:\n{}", sandbox.daemon.log());
    assert!(
        answer.body.starts_with("answered 16; then")
            && answer
                .body
                .contains("at most 16 outbound requests per call"),
        "the guest is told why: {}",
        answer.body
    );
    assert_eq!(
        mock.requests_to("/flood").len(),
        16,
        "the 17th request never left the host"
    );
    // The cap is per call: the next call may fetch again.
    let again = sandbox.post("hostile", "fetch-flood-2").await;
    assert!(again.body.starts_with("answered 16;"), "{}", again.body);
    assert_eq!(mock.requests_to("/flood").len(), 32);
    sandbox.assert_good_still_works("after-fetch-flood").await;
}

#[tokio::test]
async fn guest_strings_reach_logs_and_dead_letters_capped_and_escaped() {
    // The guest logs, fails its hook and fails its reply with 1.6 MB strings that
    // carry a forged log line and a terminal escape.
    let sandbox = Sandbox::start(
        &[
            channel("forger", "error-forge"),
            channel("good", "well-behaved"),
        ],
        "",
        &[],
    );
    let answer = sandbox.post("forger", "forge-1").await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let letter = crate::harness::eventually(Duration::from_secs(10), || {
        sandbox
            .daemon
            .json_lines(&["dead-letters", "list", "--json"])
            .into_iter()
            .find(|l| l["instance"] == "forger" && l["kind"] == "reply")
    })
    .await
    .unwrap_or_else(|| panic!("no reply dead letter; log:\n{}", sandbox.daemon.log()));
    let stored = letter["error"].as_str().expect("error text");
    assert!(
        stored.starts_with("reply failed\\n2026-01-01T00:00:00Z"),
        "{stored:.200}"
    );
    assert!(stored.len() < 4096, "{} bytes stored", stored.len());
    assert!(!stored.chars().any(char::is_control), "{stored:.200}");
    assert!(
        sandbox
            .daemon
            .log_shows("on-message-persisted failed")
            .await,
        "log:\n{}",
        sandbox.daemon.log()
    );
    sandbox.assert_good_still_works("after-forgery").await;

    let log = sandbox.daemon.log();
    for line in log.lines() {
        assert!(
            !line.contains("2026-01-01T00:00:00Z") || line.contains("\\n2026-01-01T00:00:00Z"),
            "a guest forged a log line: {line:.200}"
        );
        assert!(
            !line.contains('\u{1b}'),
            "a terminal escape reached the log: {line:.200}"
        );
        assert!(line.len() < 16 << 10, "a {} byte log line", line.len());
    }
    for what in ["logging failed", "hook failed", "reply failed"] {
        assert!(
            log.contains(&format!("{what}\\n2026")),
            "{what} not logged:\n{log:.2000}"
        );
    }
}

/// A component binary that only instantiates a core module `instances` times; the
/// module defines one linear memory when `memory` is set. Encoded by hand (the
/// component-model binary format: preamble, a core module section, a core instance
/// section), so the test needs no assembler.
fn greedy_component(instances: u8, memory: bool) -> Vec<u8> {
    let mut module = b"\0asm\x01\0\0\0".to_vec();
    if memory {
        // Memory section: one memory, at least one page.
        module.extend_from_slice(&[0x05, 0x03, 0x01, 0x00, 0x01]);
    }
    assert!(
        module.len() < 128 && instances < 128,
        "one-byte LEB sizes only"
    );
    let mut component = b"\0asm\x0d\0\x01\0".to_vec();
    component.push(0x01);
    component.push(module.len() as u8);
    component.extend_from_slice(&module);
    // Each core instance: instantiate module 0 with no arguments.
    let body: Vec<u8> = std::iter::once(instances)
        .chain((0..instances).flat_map(|_| [0x00, 0x00, 0x00]))
        .collect();
    assert!(body.len() < 128, "one-byte LEB sizes only");
    component.push(0x02);
    component.push(body.len() as u8);
    component.extend_from_slice(&body);
    component
}

#[tokio::test]
async fn a_component_that_would_take_the_pool_is_refused_before_the_daemon_listens() {
    for (instances, memory, refusal) in [
        (
            40,
            false,
            "40 core module instances, which exceeds the configured maximum of 32",
        ),
        (
            3,
            true,
            "3 Wasm linear memories, which exceeds the configured maximum of 2",
        ),
    ] {
        let config = "[server]\nlisten = \"127.0.0.1:0\"\ndata_dir = \"data\"\n\n\
                      [agent]\nkind = \"echo\"\n\n\
                      [channels.greedy]\ncomponent = \"greedy\"\n\
                      secrets = { token = \"t0ken\" }\n";
        let daemon = crate::harness::TestDaemon::new(config);
        let dir = daemon.dir.path();
        let wasm = dir.join("greedy.wasm");
        std::fs::write(&wasm, greedy_component(instances, memory)).expect("write component");
        let text = std::fs::read(super::support::hostile_manifest()).expect("manifest");
        let mut manifest: serde_json::Value = serde_json::from_slice(&text).expect("json");
        manifest["name"] = serde_json::json!("greedy");
        let manifest_path = dir.join("greedy.manifest.json");
        std::fs::write(&manifest_path, manifest.to_string()).expect("write manifest");
        let index = dir.join("index.json").display().to_string();
        let component = format!("{}={}", manifest_path.display(), wasm.display());
        let (ok, out, err) = crate::harness::cli(
            &[
                "registry",
                "build",
                "--component",
                &component,
                "--out",
                &index,
            ],
            &[],
        );
        assert!(ok, "{out}{err}");
        let (ok, out, err) = daemon.cli(&["install", "greedy", "--registry", &index]);
        assert!(ok, "{out}{err}");

        let mut serve = std::process::Command::new(crate::harness::binary())
            .args(["serve", "--config", &daemon.config_path()])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn serve");
        let started = Instant::now();
        let status = loop {
            if let Some(status) = serve.try_wait().expect("wait") {
                break status;
            }
            if started.elapsed() > Duration::from_secs(30) {
                let _ = serve.kill();
                panic!("the daemon started with a component over the pool's share");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let output = serve.wait_with_output().expect("output");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!status.success(), "{stdout}{stderr}");
        assert!(!stdout.contains("listening on"), "{stdout}");
        assert!(stderr.contains(refusal), "{stderr}");
        assert!(
            stderr.contains("greedy"),
            "the error names the instance: {stderr}"
        );
    }
}

#[tokio::test]
async fn guest_state_has_a_quota_shown_in_metrics_and_cleared_on_request() {
    let sandbox = Sandbox::start(
        &[
            channel("flood", "state-flood").option("state_max_mb = 1"),
            channel("good", "well-behaved"),
        ],
        "",
        &[],
    );
    // 60 KiB values: 17 fit in 1 MiB with their keys, the 18th does not.
    let answer = sandbox.post("flood", "s").await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert!(
        answer
            .body
            .starts_with("stored 17; then state quota of instance flood exceeded"),
        "{}",
        answer.body
    );
    // Another attempt stores nothing more.
    let again = sandbox.post("flood", "t").await;
    assert!(
        again.body.starts_with("stored 0; then state quota"),
        "{}",
        again.body
    );
    sandbox.assert_good_still_works("after-state-flood").await;

    let scrape = || async {
        sandbox
            .http
            .get(sandbox.daemon.url("/metrics"))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text")
    };
    let text = scrape().await;
    assert_eq!(
        sample(&text, r#"switchboard_state_keys{instance="flood"}"#),
        Some(17.0),
        "{text}"
    );
    let bytes = sample(&text, r#"switchboard_state_bytes{instance="flood"}"#).expect("bytes");
    assert!(
        bytes > 17.0 * 61_440.0 && bytes <= f64::from(1 << 20),
        "{bytes}"
    );

    let (ok, out, err) = sandbox.daemon.cli(&["state", "clear", "flood"]);
    assert!(ok, "{out}{err}");
    assert_eq!(out.trim(), "flood: 17 keys removed");
    let text = scrape().await;
    assert_eq!(
        sample(&text, r#"switchboard_state_keys{instance="flood"}"#),
        None,
        "{text}"
    );
    let answer = sandbox.post("flood", "u").await;
    assert!(
        answer.body.starts_with("stored 17; then"),
        "room again: {}",
        answer.body
    );
}
