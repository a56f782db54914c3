//! Slack through the real daemon: `slack-v0` signatures and their replay window,
//! the `url_verification` challenge, events stored once however often Slack sends
//! them, bots that must never be answered, interactivity form bodies, and replies
//! and reactions at a mock Web API; and Socket Mode, with no webhook.

mod events;
mod media;
mod outbound;
mod socket;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::harness::{TestDaemon, eventually, fixture, fixture_json};
use crate::mock::{MockApi, Recorded, Rule};

/// The signing secret of Slack's documented example, so that its published
/// signature vector can be checked against this daemon.
const SIGNING_SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
const BOT_TOKEN: &str = "xoxb-e2e-1234567890-secretbottoken";
/// This app's bot user, as `authorizations` names it.
const BOT_USER: &str = "UBOTSELF1";
/// The `ts` the mock Web API gives every posted message.
const POSTED_TS: &str = "1700000999.000100";

/// What a test varies in the daemon's config.
struct Options {
    /// The Web API origin; the mock's unless a test brings its own server.
    api_origin: Option<String>,
    /// `settings.ack_reaction`, if set.
    ack_reaction: Option<&'static str>,
    /// An `[agent]` table instead of the echo agent.
    agent: Option<String>,
    /// The body of `[channels.sl.access]`; without it, everyone is answered.
    access: Option<&'static str>,
}

const DEFAULT: Options = Options {
    api_origin: None,
    ack_reaction: None,
    agent: None,
    access: None,
};

struct Setup {
    daemon: TestDaemon,
    mock: MockApi,
    http: reqwest::Client,
}

async fn setup_with(options: Options) -> Setup {
    let mock = MockApi::start().await;
    mock.rule(Rule {
        path: "/api/chat.postMessage".to_owned(),
        status: 200,
        body: json!({"ok": true, "channel": "C0REPLIED", "ts": POSTED_TS}).to_string(),
        headers: Vec::new(),
        times: None,
    });
    let origin = options.api_origin.unwrap_or_else(|| mock.origin.clone());
    let ack = options
        .ack_reaction
        .map(|a| format!(", ack_reaction = \"{a}\""))
        .unwrap_or_default();
    let agent = options
        .agent
        .unwrap_or_else(|| "[agent]\nkind = \"echo\"".to_owned());
    let access = options
        .access
        .map(|table| format!("\n[channels.sl.access]\n{table}\n"))
        .unwrap_or_default();
    let config = format!(
        r#"
[server]
listen = "127.0.0.1:0"
data_dir = "data"

{agent}

[channels.sl]
component = "slack"
secrets = {{ signing_secret = {{ env = "E2E_SLACK_SIGNING_SECRET" }}, bot_token = "{BOT_TOKEN}" }}
settings = {{ api_base = "{origin}/api"{ack} }}
allow = ["{origin}"]
{access}
"#
    );
    let mut daemon = TestDaemon::new(&config).env("E2E_SLACK_SIGNING_SECRET", SIGNING_SECRET);
    daemon.install("slack");
    daemon.start();
    Setup {
        daemon,
        mock,
        // Generous: the webhook answers in milliseconds; this only stops a test
        // from hanging if the ACK ever waited for work it must not wait for.
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("client"),
    }
}

async fn setup() -> Setup {
    setup_with(DEFAULT).await
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

/// `v0=` and the hex HMAC-SHA256 of `v0:{timestamp}:{body}`.
fn sign(timestamp: u64, body: &[u8]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, SIGNING_SECRET.as_bytes());
    let mut context = ring::hmac::Context::with_key(&key);
    context.update(format!("v0:{timestamp}:").as_bytes());
    context.update(body);
    format!("v0={}", hex::encode(context.sign().as_ref()))
}

const JSON: &str = "application/json";
const FORM: &str = "application/x-www-form-urlencoded";

impl Setup {
    /// Posts `body` with exactly these Slack headers.
    async fn post_raw(
        &self,
        body: &[u8],
        content_type: &str,
        headers: &[(&str, String)],
    ) -> (u16, String) {
        let mut req = self
            .http
            .post(self.daemon.url("/webhooks/sl"))
            .header("content-type", content_type)
            .body(body.to_vec());
        for (name, value) in headers {
            req = req.header(*name, value);
        }
        let resp = req.send().await.expect("the webhook answers");
        let status = resp.status().as_u16();
        (status, resp.text().await.unwrap_or_default())
    }

    /// Posts `body` signed now, with extra headers such as `x-slack-retry-num`.
    async fn post_signed(
        &self,
        body: &[u8],
        content_type: &str,
        extra: &[(&str, String)],
    ) -> (u16, String) {
        let ts = now();
        let mut headers = vec![
            ("x-slack-request-timestamp", ts.to_string()),
            ("x-slack-signature", sign(ts, body)),
        ];
        headers.extend(extra.iter().cloned());
        self.post_raw(body, content_type, &headers).await
    }

    async fn deliver(&self, event: &Value) {
        let body = serde_json::to_vec(event).expect("json");
        let (status, _) = self.post_signed(&body, JSON, &[]).await;
        assert_eq!(status, 200, "log:\n{}", self.daemon.log());
    }

    fn posts(&self) -> Vec<Recorded> {
        self.mock.requests_to("/api/chat.postMessage")
    }

    fn reactions(&self) -> Vec<Recorded> {
        self.mock.requests_to("/api/reactions.add")
    }

    /// Waits for `reactions` and `posts`, then a little longer, and checks that no
    /// more arrived.
    async fn expect_outbound(&self, reactions: usize, posts: usize) {
        let arrived = eventually(Duration::from_secs(20), || {
            (self.reactions().len() >= reactions && self.posts().len() >= posts).then_some(())
        })
        .await;
        assert!(
            arrived.is_some(),
            "expected {reactions} reactions and {posts} posts; mock saw {:?}\nlog:\n{}",
            self.mock.requests(),
            self.daemon.log()
        );
        self.daemon.wait_idle().await;
        assert_eq!(self.reactions().len(), reactions, "{:?}", self.reactions());
        assert_eq!(self.posts().len(), posts, "{:?}", self.posts());
    }
}

/// An `event_callback` envelope around `event`, delivered to this app.
fn envelope(event_id: &str, event: Value) -> Value {
    json!({
        "token": "legacy-verification-token",
        "team_id": "T0TEAM",
        "api_app_id": "A0APP",
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": 1_700_000_000,
        "authorizations": [
            {"team_id": "T0TEAM", "user_id": BOT_USER, "is_bot": true, "is_enterprise_install": false}
        ]
    })
}

/// A person's `message` event.
fn message(channel: &str, ts: &str, text: &str) -> Value {
    json!({
        "type": "message",
        "channel": channel,
        "user": "U0PERSON",
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "channel_type": "channel",
        "client_msg_id": "5c1a3c2e-0000-4000-8000-000000000001",
    })
}

/// The `app_mention` Slack sends alongside the `message` of an @mention.
fn mention(channel: &str, ts: &str, text: &str) -> Value {
    json!({
        "type": "app_mention",
        "channel": channel,
        "user": "U0PERSON",
        "text": text,
        "ts": ts,
        "event_ts": ts,
    })
}

fn form(payload: &Value) -> Vec<u8> {
    let encoded: String =
        url::form_urlencoded::byte_serialize(payload.to_string().as_bytes()).collect();
    format!("payload={encoded}").into_bytes()
}

#[tokio::test]
async fn signatures_are_checked_and_old_or_forged_requests_refused() {
    let s = setup().await;
    // The documented example: the signature is right, but from 2018.
    let vector = fixture_json("slack/slackdocs-signing-example.vector.json");
    let example = fixture("slack/slackdocs-signing-example.body.txt");
    let old: u64 = vector["x_slack_request_timestamp"]
        .as_str()
        .expect("timestamp")
        .parse()
        .expect("number");
    assert_eq!(
        sign(old, &example),
        vector["x_slack_signature"],
        "this test signs as Slack does"
    );
    let documented = [
        ("x-slack-request-timestamp", old.to_string()),
        ("x-slack-signature", sign(old, &example)),
    ];
    assert_eq!(s.post_raw(&example, FORM, &documented).await.0, 401);

    let body = serde_json::to_vec(&envelope(
        "Ev1",
        message("C0CHAN", "1700000001.000100", "hi"),
    ))
    .expect("json");
    // Six minutes old, correctly signed.
    let stale = now() - 360;
    let replayed = [
        ("x-slack-request-timestamp", stale.to_string()),
        ("x-slack-signature", sign(stale, &body)),
    ];
    assert_eq!(s.post_raw(&body, JSON, &replayed).await.0, 401);
    // Fresh timestamp, signature of another timestamp or body.
    let ts = now();
    let forged = [
        ("x-slack-request-timestamp", ts.to_string()),
        ("x-slack-signature", sign(ts - 1, &body)),
    ];
    assert_eq!(s.post_raw(&body, JSON, &forged).await.0, 401);
    let mut tampered = body.clone();
    let at = tampered.len() - 5;
    tampered[at] ^= 0x01;
    let signed_original = [
        ("x-slack-request-timestamp", ts.to_string()),
        ("x-slack-signature", sign(ts, &body)),
    ];
    assert_eq!(s.post_raw(&tampered, JSON, &signed_original).await.0, 401);
    assert_eq!(s.post_raw(&body, JSON, &[]).await.0, 401);
    let no_timestamp = [("x-slack-signature", sign(ts, &body))];
    assert_eq!(s.post_raw(&body, JSON, &no_timestamp).await.0, 401);

    assert!(s.daemon.messages().is_empty());
    s.daemon.wait_idle().await;
    assert!(
        s.mock.requests().is_empty(),
        "no guest code may run for an unverified request"
    );
    let log = s.daemon.log();
    for reason in ["away from now", "signature mismatch", "missing header"] {
        assert!(log.contains(reason), "the log says {reason:?}:\n{log}");
    }
    assert!(!log.contains(SIGNING_SECRET) && !log.contains(BOT_TOKEN));

    // The same bytes signed four minutes ago, within the window, are accepted.
    let recent = now() - 240;
    let in_window = [
        ("x-slack-request-timestamp", recent.to_string()),
        ("x-slack-signature", sign(recent, &body)),
    ];
    assert_eq!(s.post_raw(&body, JSON, &in_window).await.0, 200);
    assert_eq!(s.daemon.messages().len(), 1);
}

#[tokio::test]
async fn url_verification_answers_the_challenge_only_when_signed() {
    let s = setup().await;
    let body = fixture("slack/slackeventsapi-url_challenge.json");
    let (status, answer) = s.post_signed(&body, JSON, &[]).await;
    assert_eq!(status, 200);
    let answer: Value = serde_json::from_str(&answer).expect("JSON answer");
    assert_eq!(answer["challenge"], "valid_challenge_token");

    let (status, answer) = s.post_raw(&body, JSON, &[]).await;
    assert_eq!(status, 401);
    assert!(!answer.contains("valid_challenge_token"));
    assert!(s.daemon.messages().is_empty());
}
