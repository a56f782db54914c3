//! Slack Socket Mode (`mode = "socket"`): no webhook, no public URL. A loopback
//! WebSocket server plays Slack as its Socket Mode docs describe it: `hello` on each
//! connection, `events_api` envelopes redelivered until acknowledged, `disconnect`
//! before it closes a connection. The daemon must store each event once, answer it
//! once, acknowledge an envelope only once its message is durable, reconnect when
//! asked, after a drop, a frame over the size cap and a flood, and after `kill -9`.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use switchboard_testkit::{Answer, MockServer, Received, SocketConn, SocketServer};

use super::{BOT_TOKEN, BOT_USER, POSTED_TS, SIGNING_SECRET, now, sign};
use crate::harness::{TestDaemon, eventually};

const APP_TOKEN: &str = "xapp-1-A0E2E-1234-socketmodeappleveltoken";

/// What the test asks of the connection that is open.
enum Command {
    /// Sends an envelope (and keeps it for redelivery until it is acknowledged).
    Send(Value),
    /// Sends `disconnect` and waits for the client to close.
    Disconnect,
    /// Drops the TCP connection without a close frame.
    Drop,
    /// Sends one frame of 2 MiB.
    Oversize,
    /// Sends 1000 small frames as fast as it can.
    Flood,
}

/// Slack's side: envelopes not yet acknowledged, and the acknowledgements seen.
#[derive(Default)]
struct Platform {
    pending: Mutex<Vec<Value>>,
    acked: Mutex<Vec<String>>,
    commands: Mutex<VecDeque<Command>>,
}

impl Platform {
    fn command(&self, command: Command) {
        self.commands.lock().unwrap().push_back(command);
    }

    fn acked(&self) -> Vec<String> {
        self.acked.lock().unwrap().clone()
    }

    fn ack(&self, text: &str) {
        let Ok(frame) = serde_json::from_str::<Value>(text) else {
            return;
        };
        let Some(id) = frame["envelope_id"].as_str() else {
            return;
        };
        self.pending
            .lock()
            .unwrap()
            .retain(|e| e["envelope_id"] != json!(id));
        self.acked.lock().unwrap().push(id.to_owned());
    }
}

/// One connection as Slack runs it.
async fn slack_side(mut conn: SocketConn, platform: Arc<Platform>) {
    let hello =
        json!({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0E2E"}});
    if !conn.send(&hello.to_string()).await {
        return;
    }
    let redeliver: Vec<Value> = platform.pending.lock().unwrap().clone();
    for mut envelope in redeliver {
        envelope["retry_attempt"] = json!(envelope["retry_attempt"].as_u64().unwrap_or(0) + 1);
        envelope["retry_reason"] = json!("timeout");
        conn.send(&envelope.to_string()).await;
    }
    loop {
        match conn.recv(Duration::from_millis(30)).await {
            Received::Text(text) => platform.ack(&text),
            Received::Closed => return,
            Received::Nothing => {}
        }
        let command = platform.commands.lock().unwrap().pop_front();
        match command {
            None => {}
            Some(Command::Send(envelope)) => {
                platform.pending.lock().unwrap().push(envelope.clone());
                conn.send(&envelope.to_string()).await;
            }
            Some(Command::Disconnect) => {
                let frame = json!({"type": "disconnect", "reason": "refresh_requested", "debug_info": {"host": "e2e"}});
                conn.send(&frame.to_string()).await;
                conn.closed_by_client(Duration::from_secs(10)).await;
                return;
            }
            Some(Command::Drop) => {
                conn.drop_abruptly();
                return;
            }
            Some(Command::Oversize) => {
                let big = format!("{{\"type\":\"hello\",\"pad\":\"{}\"}}", "x".repeat(2 << 20));
                conn.send(&big).await;
                conn.closed_by_client(Duration::from_secs(10)).await;
                return;
            }
            Some(Command::Flood) => {
                for _ in 0..1000 {
                    if !conn.send(r#"{"type":"hello"}"#).await {
                        break;
                    }
                }
                conn.closed_by_client(Duration::from_secs(10)).await;
                return;
            }
        }
    }
}

/// An `events_api` envelope carrying a direct message (`ts` makes it unique).
fn envelope(envelope_id: &str, ts: &str, text: &str) -> Value {
    json!({
        "envelope_id": envelope_id,
        "type": "events_api",
        "accepts_response_payload": false,
        "retry_attempt": 0,
        "retry_reason": "",
        "payload": {
            "token": "one-long-verification-token",
            "team_id": "T061EG9R6",
            "api_app_id": "A0E2E",
            "type": "event_callback",
            "event_id": format!("Ev{envelope_id}"),
            "event_time": 1_700_000_000,
            "authorizations": [{"team_id": "T061EG9R6", "user_id": BOT_USER, "is_bot": true}],
            "event": {
                "type": "message",
                "channel": "D024BE91L",
                "channel_type": "im",
                "user": "U2147483697",
                "text": text,
                "ts": ts,
                "event_ts": ts,
            }
        }
    })
}

struct Rig {
    daemon: TestDaemon,
    web: MockServer,
    socket: SocketServer,
    platform: Arc<Platform>,
}

async fn rig() -> Rig {
    let platform = Arc::new(Platform::default());
    let side = platform.clone();
    let socket = SocketServer::start(move |conn| slack_side(conn, side.clone())).await;
    let ws_url = format!("{}/link/?ticket=e2e-ticket&app_id=A0E2E", socket.url);
    let web = MockServer::start(move |request, _| {
        if request.path.contains("apps.connections.open") {
            Answer::ok(&json!({"ok": true, "url": ws_url}).to_string())
        } else if request.path.contains("chat.postMessage") {
            Answer::ok(&json!({"ok": true, "channel": "D024BE91L", "ts": POSTED_TS}).to_string())
        } else {
            Answer::ok(r#"{"ok":true}"#)
        }
    })
    .await;
    let config = format!(
        r#"
[server]
listen = "127.0.0.1:0"
data_dir = "data"

[agent]
kind = "echo"

[delivery]
retry_base_ms = 50
retry_max_ms = 500

[channels.sl]
component = "slack"
secrets = {{ bot_token = "{BOT_TOKEN}", app_token = {{ env = "E2E_SLACK_APP_TOKEN" }} }}
settings = {{ api_base = "{web}/api", mode = "socket", bot_user_id = "{BOT_USER}", ack_reaction = "" }}
allow = ["{web}", "{ws}"]

# A neighbour that receives by webhook, to show a refused session harms no other
# instance.
[channels.hooked]
component = "slack"
secrets = {{ signing_secret = "{SIGNING_SECRET}", bot_token = "{BOT_TOKEN}" }}
settings = {{ api_base = "{web}/api", bot_user_id = "{BOT_USER}", ack_reaction = "" }}
allow = ["{web}"]
"#,
        web = web.origin,
        ws = socket.origin,
    );
    let mut daemon = TestDaemon::new(&config).env("E2E_SLACK_APP_TOKEN", APP_TOKEN);
    daemon.install("slack");
    daemon.start();
    Rig {
        daemon,
        web,
        socket,
        platform,
    }
}

impl Rig {
    /// Waits for the acknowledgement of `envelope_id`, then checks that the message
    /// it carried was already stored: an envelope is acknowledged only after its
    /// commit.
    async fn acked_after_commit(&self, envelope_id: &str, text: &str) {
        let acked = eventually(Duration::from_secs(20), || {
            self.platform
                .acked()
                .iter()
                .any(|id| id == envelope_id)
                .then_some(())
        })
        .await;
        assert!(
            acked.is_some(),
            "{envelope_id} never acknowledged; frames {:?}\nlog:\n{}",
            self.socket.received(),
            self.daemon.log()
        );
        let stored = self
            .daemon
            .messages()
            .iter()
            .any(|m| m["text"] == json!(text));
        assert!(
            stored,
            "{envelope_id} acknowledged before {text:?} was stored"
        );
    }

    fn replies(&self) -> Vec<String> {
        self.web
            .requests_to("chat.postMessage")
            .iter()
            .map(|r| r.json()["text"].as_str().unwrap_or_default().to_owned())
            .collect()
    }
}

#[tokio::test]
async fn socket_mode_stores_and_acknowledges_each_event_once_and_reconnects_after_disconnect_drop_and_refused_frames()
 {
    let rig = rig().await;
    let p = &rig.platform;

    p.command(Command::Send(envelope("e1", "1700000001.000100", "one")));
    p.command(Command::Send(envelope("e2", "1700000002.000100", "two")));
    rig.acked_after_commit("e1", "one").await;
    rig.acked_after_commit("e2", "two").await;

    // Slack asks for a fresh connection: the daemon opens one at once.
    p.command(Command::Disconnect);
    rig.daemon.wait_for_connections(&rig.socket, 2).await;
    // The same event again in a new envelope (Slack's retry of an event): stored once.
    p.command(Command::Send(envelope(
        "e2-again",
        "1700000002.000100",
        "two",
    )));
    p.command(Command::Send(envelope("e3", "1700000003.000100", "three")));
    rig.acked_after_commit("e3", "three").await;

    // A dropped connection: reconnected, and whatever was not acknowledged is
    // redelivered by the platform and stored once.
    p.command(Command::Send(envelope("e4", "1700000004.000100", "four")));
    p.command(Command::Drop);
    rig.daemon.wait_for_connections(&rig.socket, 3).await;
    rig.acked_after_commit("e4", "four").await;

    // A frame over the size cap, then a flood: each closes the connection, which comes
    // back, and the session goes on.
    p.command(Command::Oversize);
    rig.daemon.wait_for_connections(&rig.socket, 4).await;
    p.command(Command::Flood);
    rig.daemon.wait_for_connections(&rig.socket, 5).await;
    // The neighbour kept working all along.
    let body =
        serde_json::to_vec(&envelope("n1", "1700000009.000100", "neighbour")["payload"]).unwrap();
    let ts = now();
    let status = reqwest::Client::new()
        .post(rig.daemon.public_url("/webhooks/hooked"))
        .header("content-type", "application/json")
        .header("x-slack-request-timestamp", ts.to_string())
        .header("x-slack-signature", sign(ts, &body))
        .body(body)
        .send()
        .await
        .expect("post")
        .status()
        .as_u16();
    assert_eq!(
        status,
        200,
        "log:
{}",
        rig.daemon.log()
    );
    p.command(Command::Send(envelope("e5", "1700000005.000100", "five")));
    rig.acked_after_commit("e5", "five").await;
    rig.daemon.wait_idle().await;

    let texts: Vec<Value> = rig
        .daemon
        .messages()
        .iter()
        .filter(|m| m["instance"] == "sl")
        .map(|m| m["text"].clone())
        .collect();
    assert_eq!(texts.len(), 5, "each event stored once: {texts:?}");
    let replies: Vec<String> = rig
        .replies()
        .into_iter()
        .filter(|r| !r.contains("neighbour"))
        .collect();
    assert_eq!(replies.len(), 5, "each event answered once: {replies:?}");
    for (reply, text) in replies.iter().zip(["one", "two", "three", "four", "five"]) {
        assert!(reply.contains(text), "answers in order: {replies:?}");
    }
    assert!(
        rig.daemon
            .metric(r#"switchboard_session_events_total{instance="sl",event="refused"}"#)
            .await
            >= 2.0,
        "the oversized frame and the flood were refused"
    );

    // The app-level token went only into apps.connections.open, filled in by the host.
    let opens = rig.web.requests_to("apps.connections.open");
    assert!(opens.len() >= 5, "one open per connection: {}", opens.len());
    assert!(
        opens
            .iter()
            .all(|r| r.header("authorization") == Some(&format!("Bearer {APP_TOKEN}"))),
        "{opens:?}"
    );
    assert!(
        !rig.daemon.log().contains(APP_TOKEN),
        "app token in the log"
    );

    // No webhook: the instance's URL is refused.
    let status = reqwest::Client::new()
        .post(rig.daemon.public_url("/webhooks/sl"))
        .body("{}")
        .send()
        .await
        .expect("post")
        .status()
        .as_u16();
    assert_eq!(status, 404);
}

#[tokio::test]
async fn after_kill_9_the_platform_redelivers_what_was_not_acknowledged_and_it_is_stored_once_and_answered()
 {
    let mut rig = rig().await;
    let p = rig.platform.clone();
    p.command(Command::Send(envelope("k1", "1700000101.000100", "before")));
    rig.acked_after_commit("k1", "before").await;
    rig.daemon.wait_idle().await;

    // Envelopes sent as the daemon dies: whichever it had not acknowledged, Slack
    // sends again on the next connection.
    p.command(Command::Send(envelope("k2", "1700000102.000100", "during")));
    p.command(Command::Send(envelope(
        "k3",
        "1700000103.000100",
        "during too",
    )));
    tokio::time::sleep(Duration::from_millis(40)).await;
    rig.daemon.kill9();
    rig.daemon.start();
    rig.acked_after_commit("k2", "during").await;
    rig.acked_after_commit("k3", "during too").await;
    rig.daemon.wait_idle().await;

    let texts: Vec<Value> = rig
        .daemon
        .messages()
        .iter()
        .map(|m| m["text"].clone())
        .collect();
    assert_eq!(texts.len(), 3, "each event stored once: {texts:?}");
    // Every message is answered. A reply that was on its way when the daemon died may
    // go out once more after the restart (the outbox had not recorded it as sent, and
    // chat.postMessage has no idempotency key); one that was finished never does.
    let replies = rig.replies();
    let answered = |text: &str| replies.iter().filter(|r| r.as_str() == text).count();
    assert_eq!(answered("before"), 1, "{replies:?}");
    assert!(
        answered("during") >= 1 && answered("during too") >= 1,
        "{replies:?}"
    );
    assert!(
        replies.len() <= 5,
        "at most the replies in flight again: {replies:?}"
    );
    assert!(
        p.pending.lock().unwrap().is_empty(),
        "everything acknowledged"
    );
}
