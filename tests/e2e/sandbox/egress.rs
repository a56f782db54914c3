//! What a guest can reach and read: only granted origins, never a private address
//! through a manifest grant, never a redirect's target, never a secret, a file or
//! the daemon's environment.

use std::time::{Duration, Instant};

use serde_json::json;
use switchboard_testkit::{Answer as Served, MockServer};

use crate::harness::TestDaemon;
use crate::mock::{MockApi, Rule};

use super::support::{
    API_KEY, Answer, EchoServer, ExtraManifest, Sandbox, TOKEN, assert_no_secret, channel,
};

/// Asserts the guest's fetch was refused by the host, with `why` in the refusal.
fn assert_denied(answer: &Answer, why: &str) {
    assert_eq!(answer.status, 200, "the guest answers normally: {answer:?}");
    assert!(
        answer.body.starts_with("fetch error: FetchError::Denied(") && answer.body.contains(why),
        "expected a refusal mentioning {why:?}, the guest got: {}",
        answer.body
    );
    assert_no_secret(answer);
}

#[tokio::test]
async fn only_granted_origins_are_reachable() {
    let mock = MockApi::start().await;
    let sandbox = Sandbox::start(
        &[
            channel("ungranted", "fetch").target(&format!("{}/ungranted", mock.origin)),
            channel("private", "fetch").target("http://127.0.0.1:1/"),
            channel("metadata", "fetch").target("http://169.254.169.254/latest/meta-data/"),
            channel("granted", "fetch")
                .target(&format!("{}/granted", mock.origin))
                .allow(&mock.origin),
            channel("good", "well-behaved"),
        ],
        "",
        &[],
    );
    let answer = sandbox.post("ungranted", "u-1").await;
    assert_denied(&answer, &format!("origin {} is not granted", mock.origin));
    let answer = sandbox.post("private", "p-1").await;
    assert_denied(&answer, "origin http://127.0.0.1:1 is not granted");
    let answer = sandbox.post("metadata", "m-1").await;
    assert_denied(&answer, "origin http://169.254.169.254 is not granted");
    assert!(
        mock.requests().is_empty(),
        "a refused request must not leave the host: {:?}",
        mock.requests()
    );

    // The same request on an operator grant goes out: the refusals above are the
    // policy, not a broken network.
    let answer = sandbox.post("granted", "g-1").await;
    assert!(answer.body.starts_with("status 200"), "{}", answer.body);
    assert_eq!(mock.requests_to("/granted").len(), 1);
    sandbox.assert_good_still_works("after-fetches").await;
    sandbox.assert_no_secret_in_log();
}

#[tokio::test]
async fn manifest_grants_never_reach_private_addresses() {
    let mock = MockApi::start().await;
    let port = mock.origin.rsplit(':').next().expect("port").to_owned();
    // A component whose manifest asks for loopback, link-local and private
    // origins. Installing it grants them, but only public addresses are reachable
    // through a manifest grant; only the operator can open a private one.
    let targets = [
        ("name", format!("http://localhost:{port}"), "/x"),
        ("literal", format!("http://127.0.0.1:{port}"), "/x"),
        ("mapped", format!("http://[::ffff:127.0.0.1]:{port}"), "/x"),
        (
            "metadata",
            "http://169.254.169.254".to_owned(),
            "/latest/meta-data/",
        ),
        ("lan", "http://10.0.0.1".to_owned(), "/x"),
    ];
    let capabilities: Vec<_> = targets
        .iter()
        .map(|(_, origin, _)| json!({ "origin": origin, "path_prefix": "/", "methods": ["GET"] }))
        .collect();
    let ssrf = Sandbox::manifest_with_capabilities("hostile-ssrf", json!(capabilities));
    let mut channels: Vec<_> = targets
        .iter()
        .map(|(name, origin, path)| {
            channel(name, "fetch")
                .component("hostile-ssrf")
                .target(&format!("{origin}{path}"))
        })
        .collect();
    channels.push(channel("good", "well-behaved"));
    let sandbox = Sandbox::start(&channels, "", &[ssrf]);

    for (name, origin, _) in &targets {
        let answer = sandbox.post(name, &format!("{name}-1")).await;
        assert_eq!(answer.status, 200, "{name}: {answer:?}");
        assert!(
            answer.body.starts_with("fetch error: FetchError::Denied(")
                && answer.body.contains("only an operator grant may reach"),
            "{name} ({origin}) must be refused as a restricted address, the guest got: {}",
            answer.body
        );
    }
    assert!(
        mock.requests().is_empty(),
        "nothing may reach the loopback mock through a manifest grant: {:?}",
        mock.requests()
    );
    sandbox.assert_good_still_works("after-ssrf").await;
}

#[tokio::test]
async fn redirects_are_handed_back_not_followed() {
    let granted = MockApi::start().await;
    let elsewhere = MockApi::start().await;
    granted.rule(Rule {
        path: "/moved".to_owned(),
        status: 302,
        body: String::new(),
        headers: vec![(
            "location".to_owned(),
            format!("{}/stolen", elsewhere.origin),
        )],
        times: None,
    });
    let sandbox = Sandbox::start(
        &[
            channel("redirected", "fetch")
                .target(&format!("{}/moved", granted.origin))
                .allow(&granted.origin),
            channel("good", "well-behaved"),
        ],
        "",
        &[],
    );
    let answer = sandbox.post("redirected", "r-1").await;
    assert_eq!(answer.status, 200);
    assert!(
        answer.body.starts_with("status 302")
            && answer
                .body
                .contains(&format!("{}/stolen", elsewhere.origin)),
        "the guest sees the redirect itself: {}",
        answer.body
    );
    assert_eq!(granted.requests_to("/moved").len(), 1);
    assert!(
        elsewhere.requests().is_empty(),
        "the redirect target must not be contacted: {:?}",
        elsewhere.requests()
    );
    sandbox.assert_good_still_works("after-redirect").await;
}

#[tokio::test]
async fn secrets_are_filled_in_for_granted_origins_and_never_come_back() {
    let echo = EchoServer::start().await;
    let sandbox = Sandbox::start(
        &[
            channel("echoed", "secret-echo")
                .target(&format!("{}/echo", echo.origin))
                .allow(&echo.origin),
            channel("ungranted", "secret-echo").target(&format!("{}/echo", echo.origin)),
            channel("in-host", "secret-host"),
            channel("token-thief", "steal-token")
                .target(&format!("{}/echo", echo.origin))
                .allow(&echo.origin),
            channel("good", "well-behaved"),
        ],
        "",
        &[],
    );

    // The webhook verification secret is never a placeholder, even towards a
    // granted origin: no platform API needs it, and whoever holds it can forge
    // deliveries.
    let answer = sandbox.post("token-thief", "e-0").await;
    assert!(
        answer.body.starts_with("fetch error: FetchError::Denied("),
        "{}",
        answer.body
    );
    assert!(
        echo.seen().is_empty(),
        "nothing may be sent: {:?}",
        echo.seen().len()
    );

    let answer = sandbox.post("echoed", "e-1").await;
    assert_eq!(answer.status, 200, "log:\n{}", sandbox.daemon.log());
    assert!(answer.body.starts_with("status 200"), "{}", answer.body);
    assert_no_secret(&answer);
    assert!(
        answer.body.contains("leak=[redacted]") && answer.body.contains("[redacted]\""),
        "the echoed query, header and body are masked: {}",
        answer.body
    );
    // The host did fill the secret in, for the granted origin.
    let seen = echo.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path_and_query, format!("/echo?leak={API_KEY}"));
    assert!(
        seen[0]
            .headers
            .iter()
            .any(|(k, v)| k == "x-leak" && v == API_KEY),
        "{:?}",
        seen[0].headers
    );

    // Towards an origin nobody granted, nothing is sent at all.
    let answer = sandbox.post("ungranted", "e-2").await;
    assert!(
        answer.body.starts_with("fetch error: FetchError::Denied("),
        "{}",
        answer.body
    );
    assert_no_secret(&answer);
    assert_eq!(echo.seen().len(), 1, "no request to an ungranted origin");

    // A secret cannot choose where a request goes.
    let answer = sandbox.post("in-host", "e-3").await;
    assert!(answer.body.starts_with("fetch error: "), "{}", answer.body);
    assert!(
        !answer.body.starts_with("fetch error: FetchError::Network"),
        "{}",
        answer.body
    );
    assert_no_secret(&answer);

    sandbox.assert_good_still_works("after-secrets").await;
    sandbox.assert_no_secret_in_log();
}

#[tokio::test]
async fn a_webhook_token_is_masked_before_the_guest_sees_it() {
    let sandbox = Sandbox::start(
        &[
            channel("echo", "echo-request"),
            channel("logger", "log-request"),
            channel("good", "well-behaved"),
        ],
        "",
        &[],
    );
    // The token arrives in a header the host verifies; a guest that copies every
    // header into the answer, the stored message or the log must not carry it
    // anywhere. The query is masked too (a handshake token travels there).
    let url = sandbox
        .daemon
        .url(&format!("/webhooks/echo?token={TOKEN}&k={API_KEY}"));
    let response = sandbox
        .http
        .post(url)
        .header("x-test-token", TOKEN)
        .header("x-other", "visible")
        .body("w-1")
        .send()
        .await
        .expect("post");
    assert_eq!(response.status().as_u16(), 200);
    let body = response.text().await.expect("body");
    assert!(
        body.contains("visible") && !body.contains(TOKEN) && !body.contains(API_KEY),
        "the guest saw a secret: {body}"
    );
    let stored = sandbox.messages_of("echo");
    assert_eq!(stored.len(), 1);
    let text = stored[0]["text"].as_str().expect("text");
    assert!(
        text.contains("x-test-token") && !text.contains(TOKEN) && !text.contains(API_KEY),
        "a secret was stored: {text}"
    );

    let answer = sandbox.post("logger", "l-1").await;
    assert_eq!(answer.body, "logged");
    assert!(
        sandbox.daemon.log_shows("stdout headers").await,
        "guest stdout is logged:\n{}",
        sandbox.daemon.log()
    );
    sandbox.assert_good_still_works("after-token").await;
    sandbox.assert_no_secret_in_log();
}

#[tokio::test]
async fn response_bytes_handed_to_the_guest_are_capped() {
    let mock = MockApi::start().await;
    mock.rule(Rule {
        path: "/huge".to_owned(),
        status: 200,
        body: "x".repeat(5 << 20),
        headers: Vec::new(),
        times: None,
    });
    let sandbox = Sandbox::start(
        &[
            channel("hostile", "fetch")
                .target(&format!("{}/huge", mock.origin))
                .allow(&mock.origin),
            channel("good", "well-behaved"),
        ],
        "",
        &[],
    );
    let answer = sandbox.post("hostile", "h-1").await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.body, "fetch error: FetchError::TooLarge",
        "a 5 MiB answer is refused"
    );
    sandbox.assert_good_still_works("after-huge-response").await;
}

#[tokio::test]
async fn files_and_environment_are_out_of_reach() {
    let sandbox = Sandbox::start(
        &[
            channel("files", "read-file"),
            channel("env", "read-env"),
            channel("good", "well-behaved"),
        ],
        "",
        &[],
    );
    let answer = sandbox.post("files", "f-1").await;
    assert_eq!(answer.status, 200);
    assert!(
        answer.body.starts_with("file error:"),
        "no file system: {}",
        answer.body
    );
    let answer = sandbox.post("env", "v-1").await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body, "env: []", "no environment variables");
    assert_no_secret(&answer);
    sandbox.assert_good_still_works("after-wasi").await;
}

#[tokio::test]
async fn granted_path_prefixes_cannot_be_escaped_with_ambiguous_paths() {
    let echo = EchoServer::start().await;
    let grant = format!("{}/v1/", echo.origin);
    // Each path passes a lexical `/v1/` prefix check, yet a server that decodes
    // `%2F`, `%5C` or `%2e`, reads `\` as `/` or drops `;` parameters before
    // resolving dot segments serves `/admin`.
    let escapes = [
        ("encoded-slash", "/v1/..%2Fadmin", "encoded slash"),
        ("lower-encoded-slash", "/v1/..%2fadmin", "encoded slash"),
        ("semicolon", "/v1/..;/admin", "`;` parameter"),
        ("encoded-dots", "/v1/%2e%2E/admin", "dot segment"),
        ("half-encoded-dots", "/v1/x/.%2e/%2e./admin", "dot segment"),
        ("encoded-backslash", "/v1/..%5Cadmin", "encoded backslash"),
        ("backslash", "/v1\\..\\admin", "backslash"),
        ("plain-dots", "/v1/x/../../admin", "dot segment"),
    ];
    let mut channels: Vec<_> = escapes
        .iter()
        .map(|(name, path, _)| {
            channel(name, "fetch")
                .target(&format!("{}{path}", echo.origin))
                .allow(&grant)
        })
        .collect();
    channels.push(
        channel("inside", "fetch")
            .target(&format!("{}/v1/status", echo.origin))
            .allow(&grant),
    );
    channels.push(channel("good", "well-behaved"));
    let sandbox = Sandbox::start(&channels, "", &[]);

    for (name, path, what) in escapes {
        let answer = sandbox.post(name, &format!("{name}-1")).await;
        assert_denied(&answer, what);
        assert!(
            answer.body.contains("/v1"),
            "{name} ({path}): the refusal names the granted prefix: {}",
            answer.body
        );
    }
    assert!(
        echo.seen().is_empty(),
        "no ambiguous path may leave the host: {:?}",
        echo.seen()
    );

    // A plain path under the prefix still goes out.
    let answer = sandbox.post("inside", "in-1").await;
    assert!(answer.body.starts_with("status 200"), "{}", answer.body);
    let seen = echo.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path_and_query, "/v1/status");
    sandbox.assert_good_still_works("after-paths").await;
}

/// A sandbox whose `[channels.*]` tables and daemon environment the test writes
/// itself, for what `Sandbox::start` keeps fixed: the secret values and the
/// environment (the name servers of outbound requests).
pub(super) fn start_custom(
    channels: &str,
    envs: &[(&str, &str)],
    extra: &[ExtraManifest],
) -> Sandbox {
    let config = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\ndata_dir = \"data\"\n\n\
         [agent]\nkind = \"echo\"\n\n{channels}"
    );
    let mut daemon = TestDaemon::new(&config);
    for (key, value) in envs {
        daemon = daemon.env(key, value);
    }
    Sandbox::launch(daemon, extra)
}

/// One `[channels.<name>]` table for [`start_custom`], with the webhook token the
/// sandbox posts with and `api_key` set to `api_key`.
pub(super) fn table(
    name: &str,
    component: &str,
    mode: &str,
    target: &str,
    allow: &[&str],
    api_key: &str,
) -> String {
    let allow: Vec<String> = allow.iter().map(|a| format!("{a:?}")).collect();
    format!(
        "[channels.{name}]\ncomponent = {component:?}\n\
         secrets = {{ token = {TOKEN:?}, api_key = {api_key:?} }}\n\
         settings = {{ mode = {mode:?}, target = {target:?} }}\nallow = [{allow}]\n\n",
        allow = allow.join(", "),
    )
}

/// A secret with upper- and lower-case letters and a character that the host
/// percent-encodes in a URL (`/` becomes `%2F`).
const MIXED_CASE_KEY: &str = "Sk-Live/MiXeD-7f3A9c";

#[tokio::test]
async fn a_secret_reflected_into_response_header_names_or_case_folded_is_redacted() {
    // An API under the granted origin that knows the key and hands it back in
    // the forms a transport produces: in a header name (lower-cased on the way,
    // percent-encoded as the host would encode it), and upper- and lower-cased
    // in header values and the body.
    let lower = MIXED_CASE_KEY.to_ascii_lowercase();
    let upper = MIXED_CASE_KEY.to_ascii_uppercase();
    let encoded = MIXED_CASE_KEY.replace('/', "%2F");
    let server = {
        let (lower, upper, encoded) = (lower.clone(), upper.clone(), encoded.clone());
        MockServer::start(move |_, _| {
            Served::ok(&format!("raw {MIXED_CASE_KEY} upper {upper} lower {lower}"))
                .header(&format!("X-Key-{encoded}"), "in-the-name")
                .header("x-upper", &upper)
                .header("x-lower-encoded", &encoded.to_ascii_lowercase())
        })
        .await
    };
    let channels = [
        table(
            "reflect",
            "hostile",
            "fetch",
            &format!("{}/reflect", server.origin),
            &[&server.origin],
            MIXED_CASE_KEY,
        ),
        table("good", "hostile", "well-behaved", "", &[], MIXED_CASE_KEY),
    ]
    .concat();
    let sandbox = start_custom(&channels, &[], &[]);

    let answer = sandbox.post("reflect", "r-1").await;
    assert_eq!(answer.status, 200, "log:\n{}", sandbox.daemon.log());
    assert!(answer.body.starts_with("status 200"), "{}", answer.body);
    let seen = answer.body.to_ascii_lowercase();
    for form in [lower.as_str(), encoded.to_ascii_lowercase().as_str()] {
        assert!(
            !seen.contains(form),
            "the key came back (as {form:?}, case-folded): {}",
            answer.body
        );
    }
    assert!(
        answer.body.contains("\"x-key-[redacted]\""),
        "the header name is redacted, the header kept: {}",
        answer.body
    );
    assert!(
        answer
            .body
            .contains("raw [redacted] upper [redacted] lower [redacted]"),
        "{}",
        answer.body
    );
    let log = sandbox.daemon.log().to_ascii_lowercase();
    assert!(!log.contains(&lower), "the key reached the log");
    sandbox.assert_good_still_works("after-reflection").await;
}

/// Holds a UDP port on loopback that receives DNS queries and never answers.
struct SilentNameServer {
    socket: std::net::UdpSocket,
}

impl SilentNameServer {
    fn start() -> SilentNameServer {
        let socket = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind a loopback UDP port");
        SilentNameServer { socket }
    }

    fn addr(&self) -> String {
        self.socket.local_addr().expect("local address").to_string()
    }
}

#[tokio::test]
async fn a_name_server_that_never_answers_costs_only_the_fetches_that_need_it() {
    let dns = SilentNameServer::start();
    // `.test` is reserved (RFC 6761): nothing real answers for it anywhere.
    let origin = "http://never-answers.test";
    let by_manifest = Sandbox::manifest_with_capabilities(
        "hostile-dns",
        json!([{ "origin": origin, "path_prefix": "/", "methods": ["GET"] }]),
    );
    let target = format!("{origin}/x");
    let channels = [
        table(
            "operator-granted",
            "hostile",
            "fetch",
            &target,
            &[origin],
            API_KEY,
        ),
        table(
            "manifest-granted",
            "hostile-dns",
            "fetch",
            &target,
            &[],
            API_KEY,
        ),
        table("good", "hostile", "well-behaved", "", &[], API_KEY),
    ]
    .concat();
    let sandbox = start_custom(
        &channels,
        &[("SWITCHBOARD_NAME_SERVERS", &dns.addr())],
        &[by_manifest],
    );

    // One fetch first: it fails within the guest's 500 ms request timeout and
    // says that the name did not resolve in time.
    let fetch_fails_in_time = |answer: &Answer, elapsed: Duration| {
        assert_eq!(answer.status, 200, "the guest answers normally: {answer:?}");
        assert!(
            answer.body.starts_with("fetch error: FetchError::Network(")
                && answer.body.contains("never-answers.test")
                && answer.body.contains("no DNS answer"),
            "the guest is told the lookup got no answer: {}",
            answer.body
        );
        assert!(
            elapsed < Duration::from_millis(1500),
            "the fetch outlived its timeout: {elapsed:?}"
        );
    };
    for instance in ["operator-granted", "manifest-granted"] {
        let started = Instant::now();
        let answer = sandbox.post(instance, &format!("{instance}-first")).await;
        fetch_fails_in_time(&answer, started.elapsed());
    }

    // Then many at once, while the well-behaved instance keeps storing messages.
    let mut flood = tokio::task::JoinSet::new();
    for n in 0..40 {
        let instance = if n % 2 == 0 {
            "operator-granted"
        } else {
            "manifest-granted"
        };
        let (http, url) = (
            sandbox.http.clone(),
            sandbox.daemon.url(&format!("/webhooks/{instance}")),
        );
        flood.spawn(async move {
            let started = Instant::now();
            let response = http
                .post(url)
                .header("x-test-token", TOKEN)
                .body(format!("{instance}-{n}"))
                .send()
                .await
                .expect("post to the daemon");
            let status = response.status().as_u16();
            let body = response.text().await.unwrap_or_default();
            let answer = Answer {
                status,
                headers: Vec::new(),
                body,
            };
            (answer, started.elapsed())
        });
    }
    for n in 0..5 {
        let started = Instant::now();
        sandbox
            .assert_good_still_works(&format!("during-dns-{n}"))
            .await;
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "the well-behaved instance slowed down: {:?}",
            started.elapsed()
        );
    }
    let answers = flood.join_all().await;
    assert_eq!(answers.len(), 40);
    for (answer, elapsed) in &answers {
        fetch_fails_in_time(answer, *elapsed);
    }
    sandbox.assert_good_still_works("after-dns").await;
}
