//! End-to-end tests: `switchboard channel test`, the conformance runner channel
//! authors use, run as they run it: a component file, its manifest, a folder of
//! cases. The first-party channels' and the examples' own cases run in `just test`
//! (`just cases`); these tests show what an author sees when a case fails.

use std::path::{Path, PathBuf};

use crate::harness::{cli, repo_root};

fn example_wasm() -> PathBuf {
    let wasm = repo_root().join("target/examples/wasm32-wasip2/release/webhook_channel.wasm");
    assert!(
        wasm.is_file(),
        "{} is missing: run `just build`",
        wasm.display()
    );
    wasm
}

fn example_manifest() -> PathBuf {
    repo_root().join("examples/webhook-channel/manifest.json")
}

fn example_case(name: &str) -> String {
    let path = repo_root()
        .join("examples/webhook-channel/cases")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `switchboard channel test WASM --manifest MANIFEST --cases CASES [extra]`.
fn channel_test(
    wasm: &Path,
    manifest: &Path,
    cases: &Path,
    extra: &[&str],
) -> (bool, String, String) {
    let (wasm, manifest, cases) = (
        wasm.display().to_string(),
        manifest.display().to_string(),
        cases.display().to_string(),
    );
    let mut args = vec![
        "channel",
        "test",
        &wasm,
        "--manifest",
        &manifest,
        "--cases",
        &cases,
    ];
    args.extend_from_slice(extra);
    cli(&args, &[])
}

#[test]
fn the_example_passes_its_recorded_cases() {
    let cases = repo_root().join("examples/webhook-channel/cases");
    let (ok, out, err) = channel_test(&example_wasm(), &example_manifest(), &cases, &[]);
    assert!(ok, "{out}\n{err}");
    assert!(out.contains("ok   01-text-message"), "{out}");
    assert!(out.contains("ok   04-bad-signature"), "{out}");
    assert!(out.contains("webhook: 12 passed, 0 failed"), "{out}");
}

#[test]
fn a_failing_case_names_each_field_that_differs() {
    let dir = tempfile::tempdir().unwrap();
    // The channel keeps the text as sent and writes the token only as a placeholder;
    // an author expecting otherwise is told so, field by field.
    let text = example_case("01-text-message.json").replace(
        "\"text\": \"hi there\", \"kind\"",
        "\"text\": \"Hi there\", \"kind\"",
    );
    std::fs::write(dir.path().join("01-text.json"), text).unwrap();
    let reply = example_case("10-reply-bearer.json")
        .replace(
            "Bearer {{secret:reply_token}}",
            "Bearer reply-token-for-cases",
        )
        .replace(
            r#""fetch": [ { "status": 200, "body": { "id": "app-reply-1" } } ],"#,
            "",
        );
    std::fs::write(dir.path().join("02-reply.json"), reply).unwrap();

    let (ok, out, _) = channel_test(&example_wasm(), &example_manifest(), dir.path(), &[]);
    assert!(!ok, "a failing case must fail the command:\n{out}");
    assert!(out.contains("FAIL 01-text"), "{out}");
    assert!(
        out.contains(r#"messages[0].text: expected "Hi there", got "hi there""#),
        "{out}"
    );
    assert!(out.contains("FAIL 02-reply"), "{out}");
    assert!(
        out.contains(r#"requests[0].headers.authorization: expected "Bearer reply-token-for-cases", got "Bearer {{secret:reply_token}}""#),
        "{out}"
    );
    assert!(
        out.contains("the channel fetched POST https://app.example/replies, but the case's `fetch` has no answer left for it"),
        "{out}"
    );
    assert!(
        out.contains(
            "result.ok: expected {\"external_id\":\"app-reply-1\"}, got nothing (there is `error`)"
        ),
        "{out}"
    );
    assert!(out.contains("webhook: 0 passed, 2 failed"), "{out}");
}

#[test]
fn print_shows_everything_a_call_produced() {
    let cases = repo_root().join("examples/webhook-channel/cases/05-missing-field.json");
    let (ok, out, err) = channel_test(&example_wasm(), &example_manifest(), &cases, &["--print"]);
    assert!(ok, "{out}\n{err}");
    assert!(out.contains("what the call produced:"), "{out}");
    assert!(out.contains(r#""status": 400"#), "{out}");
    assert!(out.contains(r#""messages": []"#), "{out}");
}

#[test]
fn a_case_file_with_a_typo_is_refused_naming_file_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let case =
        example_case("02-required-fields-only.json").replace("\"messages\":", "\"mesages\":");
    std::fs::write(dir.path().join("typo.json"), case).unwrap();
    let (ok, out, err) = channel_test(&example_wasm(), &example_manifest(), dir.path(), &[]);
    assert!(!ok, "{out}");
    assert!(err.contains("typo.json"), "{err}");
    assert!(err.contains("unknown field `mesages`"), "{err}");
}

#[test]
fn a_manifest_for_another_contract_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = std::fs::read_to_string(example_manifest())
        .unwrap()
        .replace("\"wit\": \"0.2.0\"", "\"wit\": \"0.1.1\"");
    let path = dir.path().join("manifest.json");
    std::fs::write(&path, manifest).unwrap();
    let cases = repo_root().join("examples/webhook-channel/cases");
    let (ok, out, err) = channel_test(&example_wasm(), &path, &cases, &[]);
    assert!(!ok, "{out}");
    assert!(
        err.contains("says `wit` 0.1.1, but") && err.contains("targets switchboard:channel@0.2.0"),
        "{err}"
    );
}
