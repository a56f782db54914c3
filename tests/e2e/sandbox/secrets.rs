//! Where a secret may go: only to the places (header, path segment, query
//! parameter) and origins its manifest declares, never into a body, and a
//! manifest that declares nothing gets its secrets sent nowhere.

use serde_json::{Value, json};
use switchboard_testkit::{Answer as Served, MockServer};

use crate::harness::cli;

use super::support::{
    API_KEY, Answer, EchoServer, ExtraManifest, Sandbox, assert_no_secret, channel,
    hostile_manifest, hostile_wasm,
};

/// Stand-ins for a platform API and an attacker's server that a manifest asks
/// for. They are documentation addresses, so a request that passes the secret
/// checks is still refused before it leaves (only an operator grant reaches
/// them): nothing in this test touches a network.
const PLATFORM: &str = "http://192.0.2.1";
const ATTACKER: &str = "http://198.51.100.7";

/// The hostile manifest as `name`, asking for both origins, with `placement` as
/// the `api_key` secret's declaration (`None`: an older manifest without one).
fn manifest(name: &str, placement: Option<Value>) -> ExtraManifest {
    let text = std::fs::read(hostile_manifest()).expect("read hostile manifest");
    let mut manifest: Value = serde_json::from_slice(&text).expect("manifest is JSON");
    manifest["name"] = Value::String(name.to_owned());
    manifest["capabilities"]["http"] = json!([
        { "origin": PLATFORM, "path_prefix": "/", "methods": ["GET", "POST"] },
        { "origin": ATTACKER, "path_prefix": "/", "methods": ["GET", "POST"] },
    ]);
    let secrets = manifest["secrets"].as_array_mut().expect("secrets");
    let api_key = secrets
        .iter_mut()
        .find(|s| s["name"] == "api_key")
        .expect("the hostile manifest declares api_key");
    match placement {
        Some(placement) => api_key["placement"] = placement,
        None => {
            api_key.as_object_mut().expect("object").remove("placement");
        }
    }
    ExtraManifest {
        name: name.to_owned(),
        manifest,
    }
}

/// The guest's fetch was refused with every part of `why` in the refusal.
fn assert_refused(answer: &Answer, why: &[&str]) {
    assert_eq!(answer.status, 200, "the guest answers normally: {answer:?}");
    assert!(
        answer.body.starts_with("fetch error: FetchError::Denied(")
            && why.iter().all(|part| answer.body.contains(part)),
        "expected a refusal naming {why:?}, the guest got: {}",
        answer.body
    );
    assert_no_secret(answer);
}

#[tokio::test]
async fn a_secret_goes_only_where_its_manifest_places_it() {
    let echo = EchoServer::start().await;
    let sink = MockServer::start(|_, _| Served::ok("received")).await;
    let placed = manifest(
        "hostile-placed",
        Some(json!([
            { "header": "x-leak", "origins": [PLATFORM] },
            { "query": "leak", "origins": [PLATFORM] },
        ])),
    );
    let header_only = manifest(
        "hostile-header-only",
        Some(json!([{ "header": "x-leak", "origins": [PLATFORM] }])),
    );
    let unplaced = manifest("hostile-unplaced", None);
    let sandbox = Sandbox::start(
        &[
            channel("platform", "secret-echo")
                .component("hostile-placed")
                .target(&format!("{PLATFORM}/echo")),
            channel("attacker", "secret-echo")
                .component("hostile-placed")
                .target(&format!("{ATTACKER}/echo")),
            channel("query", "secret-echo")
                .component("hostile-header-only")
                .target(&format!("{PLATFORM}/echo")),
            channel("unplaced", "secret-echo")
                .component("hostile-unplaced")
                .target(&format!("{}/echo", echo.origin))
                .allow(&echo.origin),
            channel("body", "secret-body")
                .target(&format!("{}/body", sink.origin))
                .allow(&sink.origin),
            channel("good", "well-behaved"),
        ],
        "",
        &[placed, header_only, unplaced],
    );

    // Declared places towards a declared origin pass the secret checks; the
    // address check then stops the request (a documentation address).
    let answer = sandbox.post("platform", "p-1").await;
    assert_refused(&answer, &["192.0.2.1 is a documentation address"]);

    // The same places towards another origin the manifest asks for are refused,
    // naming the secret and where it was headed.
    let answer = sandbox.post("attacker", "a-1").await;
    assert_refused(&answer, &["secret `api_key`", "http://198.51.100.7"]);

    // A place the manifest does not declare is refused, naming the secret and the
    // place.
    let answer = sandbox.post("query", "q-1").await;
    assert_refused(&answer, &["secret `api_key`", "query parameter `leak`"]);

    // An older manifest that declares no placement: the secret goes nowhere, not
    // even to an origin the operator granted.
    let answer = sandbox.post("unplaced", "u-1").await;
    assert_refused(&answer, &["secret `api_key`", "no placement"]);
    assert!(
        echo.seen().is_empty(),
        "nothing may be sent: {:?}",
        echo.seen()
    );

    // A body is never filled in: the placeholder goes out as the text it is.
    let answer = sandbox.post("body", "b-1").await;
    assert!(answer.body.starts_with("status 200"), "{}", answer.body);
    let sent = sink.requests();
    assert_eq!(sent.len(), 1, "{sent:?}");
    let body = String::from_utf8_lossy(&sent[0].body);
    assert!(
        body.contains("{{secret:api_key}}") && !body.contains(API_KEY),
        "the body went out as written: {body}"
    );

    sandbox.assert_good_still_works("after-placements").await;
    sandbox.assert_no_secret_in_log();
}

/// Runs `registry build` on one manifest and returns whether it passed and what
/// it printed.
fn build_index(manifest: &ExtraManifest) -> (bool, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("manifest.json");
    std::fs::write(
        &path,
        serde_json::to_vec_pretty(&manifest.manifest).expect("json"),
    )
    .expect("write manifest");
    let component = format!("{}={}", path.display(), hostile_wasm().display());
    let out = dir.path().join("index.json").display().to_string();
    let (ok, stdout, stderr) = cli(
        &[
            "registry",
            "build",
            "--component",
            &component,
            "--out",
            &out,
        ],
        &[],
    );
    (ok, format!("{stdout}{stderr}"))
}

#[tokio::test]
async fn placements_are_checked_when_a_manifest_is_built_and_installed() {
    let refused = |name: &str, manifest: ExtraManifest, why: &[&str]| {
        let (ok, out) = build_index(&manifest);
        assert!(!ok, "{name}: the manifest must be refused:\n{out}");
        assert!(
            why.iter().all(|part| out.contains(part)),
            "{name}: the error names {why:?}:\n{out}"
        );
    };
    refused(
        "no {secret} in the segment",
        manifest("bad-segment", Some(json!([{ "path_segment": "bot" }]))),
        &["secret `api_key`", "placement[0].path_segment", "{secret}"],
    );
    refused(
        "two places in one entry",
        manifest(
            "bad-places",
            Some(json!([{ "header": "x-a", "query": "a" }])),
        ),
        &["secret `api_key`", "placement[0]", "header", "query"],
    );
    refused(
        "an origin the manifest does not ask for",
        manifest(
            "bad-origin",
            Some(json!([{ "header": "authorization", "origins": ["https://elsewhere.example"] }])),
        ),
        &[
            "secret `api_key`",
            "placement[0].origins",
            "https://elsewhere.example",
        ],
    );
    let mut verification = manifest("bad-verification", None);
    let secrets = verification.manifest["secrets"]
        .as_array_mut()
        .expect("secrets");
    secrets[0]["placement"] = json!([{ "header": "x-token" }]);
    refused(
        "a verification secret",
        verification,
        &["secret `token`", "verification", "placement"],
    );

    let (ok, out) = build_index(&manifest(
        "fine",
        Some(
            json!([{ "header": "authorization", "value": "Bearer {secret}", "origins": [PLATFORM] }]),
        ),
    ));
    assert!(ok, "a valid placement is accepted:\n{out}");
    let (ok, out) = build_index(&manifest("older", None));
    assert!(ok, "a manifest without placements still installs:\n{out}");
}
