//! Discord through the real daemon: the Gateway over a WebSocket the daemon holds
//! (`mode = "socket"`) against a loopback server speaking the Gateway as Discord
//! documents it (hello, identify, heartbeats and their acknowledgements, dispatches
//! with sequence numbers, reconnect, invalid session, resume), and slash commands
//! over HTTP verified with Ed25519 (`X-Signature-Ed25519`).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use switchboard_testkit::{Answer, MockServer, Received, SocketConn, SocketServer};

use crate::harness::{TestDaemon, eventually};

const BOT_TOKEN: &str = "MTEzNzQ1.e2e-discord.bot-token-secret-part";
const BOT_ID: &str = "1137450000000000001";
const APPLICATION_ID: &str = "1137450000000000002";
const DM_CHANNEL: &str = "1137450000000000100";
/// The id the mock API gives every message the bot posts.
const POSTED_ID: &str = "1137450000000009999";
/// A fixed Ed25519 key for the interactions endpoint (a test seed, not a real key).
const SEED: [u8; 32] = [7; 32];

/// What the test asks of the open Gateway connection.
enum Command {
    /// Dispatches `MESSAGE_CREATE` with the next sequence number.
    Message(Value),
    /// Op 7: the client should reconnect and resume.
    Reconnect,
    /// Op 9 with `d`: resumable or not.
    InvalidSession(bool),
    /// Drops the TCP connection.
    Drop,
    /// Stops acknowledging heartbeats (a zombie connection).
    Zombie,
}

/// Discord's side: every dispatch with its sequence number, the sessions it knows,
/// and what each connection's client sent.
#[derive(Default)]
struct Gateway {
    dispatched: Mutex<Vec<(u64, Value)>>,
    commands: Mutex<VecDeque<Command>>,
    /// Ops the client sent (2 identify, 6 resume, 1 heartbeat), with their `d`.
    seen: Mutex<Vec<(u64, Value)>>,
    valid_sessions: Mutex<Vec<String>>,
}

impl Gateway {
    fn command(&self, command: Command) {
        self.commands.lock().unwrap().push_back(command);
    }

    fn seen(&self, op: u64) -> Vec<Value> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|(o, _)| *o == op)
            .map(|(_, d)| d.clone())
            .collect()
    }

    fn next_seq(&self) -> u64 {
        self.dispatched
            .lock()
            .unwrap()
            .last()
            .map_or(1, |(s, _)| s + 1)
    }
}

fn frame(op: u64, d: Value, s: Option<u64>, t: Option<&str>) -> String {
    json!({"op": op, "d": d, "s": s, "t": t}).to_string()
}

async fn discord_side(mut conn: SocketConn, gateway: Arc<Gateway>) {
    let hello = frame(10, json!({"heartbeat_interval": 1000}), None, None);
    if !conn.send(&hello).await {
        return;
    }
    let mut zombie = false;
    loop {
        match conn.recv(Duration::from_millis(30)).await {
            Received::Closed => return,
            Received::Nothing => {}
            Received::Text(text) => {
                let Ok(sent) = serde_json::from_str::<Value>(&text) else {
                    continue;
                };
                let op = sent["op"].as_u64().unwrap_or(99);
                gateway.seen.lock().unwrap().push((op, sent["d"].clone()));
                match op {
                    1 if !zombie => {
                        conn.send(&frame(11, Value::Null, None, None)).await;
                    }
                    2 => {
                        let session = format!(
                            "session-{}",
                            gateway.valid_sessions.lock().unwrap().len() + 1
                        );
                        gateway.valid_sessions.lock().unwrap().push(session.clone());
                        let seq = gateway.next_seq();
                        let ready = json!({
                            "v": 10,
                            "session_id": session,
                            "resume_gateway_url": "wss://gateway-resume.discord.invalid",
                            "user": {"id": BOT_ID, "username": "switchboard", "bot": true},
                            "guilds": [],
                        });
                        gateway
                            .dispatched
                            .lock()
                            .unwrap()
                            .push((seq, json!({"t": "READY"})));
                        conn.send(&frame(0, ready, Some(seq), Some("READY"))).await;
                    }
                    6 => {
                        let session = sent["d"]["session_id"]
                            .as_str()
                            .unwrap_or_default()
                            .to_owned();
                        if !gateway.valid_sessions.lock().unwrap().contains(&session) {
                            conn.send(&frame(9, json!(false), None, None)).await;
                            continue;
                        }
                        // Replay every MESSAGE_CREATE after the client's sequence.
                        let after = sent["d"]["seq"].as_u64().unwrap_or(0);
                        let missed: Vec<(u64, Value)> = gateway
                            .dispatched
                            .lock()
                            .unwrap()
                            .iter()
                            .filter(|(s, d)| *s > after && d["t"] == "MESSAGE_CREATE")
                            .cloned()
                            .collect();
                        for (s, d) in missed {
                            conn.send(&frame(0, d["d"].clone(), Some(s), Some("MESSAGE_CREATE")))
                                .await;
                        }
                        let seq = gateway.next_seq();
                        gateway
                            .dispatched
                            .lock()
                            .unwrap()
                            .push((seq, json!({"t": "RESUMED"})));
                        conn.send(&frame(0, json!({}), Some(seq), Some("RESUMED")))
                            .await;
                    }
                    _ => {}
                }
            }
        }
        let command = gateway.commands.lock().unwrap().pop_front();
        match command {
            None => {}
            Some(Command::Message(message)) => {
                let seq = gateway.next_seq();
                gateway
                    .dispatched
                    .lock()
                    .unwrap()
                    .push((seq, json!({"t": "MESSAGE_CREATE", "d": message.clone()})));
                conn.send(&frame(0, message, Some(seq), Some("MESSAGE_CREATE")))
                    .await;
            }
            Some(Command::Reconnect) => {
                conn.send(&frame(7, Value::Null, None, None)).await;
                conn.closed_by_client(Duration::from_secs(10)).await;
                return;
            }
            Some(Command::InvalidSession(resumable)) => {
                if !resumable {
                    gateway.valid_sessions.lock().unwrap().clear();
                }
                conn.send(&frame(9, json!(resumable), None, None)).await;
                conn.closed_by_client(Duration::from_secs(10)).await;
                return;
            }
            Some(Command::Drop) => {
                conn.drop_abruptly();
                return;
            }
            Some(Command::Zombie) => zombie = true,
        }
    }
}

/// A direct message from a person, or, with `guild`, a guild message that mentions
/// the bot.
fn message(id: &str, text: &str, guild: bool) -> Value {
    let mut m = json!({
        "id": id,
        "channel_id": if guild { "1137450000000000200" } else { DM_CHANNEL },
        "author": {"id": "1137450000000000300", "username": "ada", "bot": false},
        "content": text,
        "timestamp": "2026-12-04T10:00:00.000000+00:00",
        "edited_timestamp": null,
        "mentions": [],
        "attachments": [],
        "type": 0,
    });
    if guild {
        m["guild_id"] = json!("1137450000000000400");
        m["mentions"] = json!([{"id": BOT_ID, "username": "switchboard", "bot": true}]);
        m["content"] = json!(format!("<@{BOT_ID}> {text}"));
    }
    m
}

struct Rig {
    daemon: TestDaemon,
    api: MockServer,
    socket: SocketServer,
    gateway: Arc<Gateway>,
}

fn public_key_hex() -> String {
    let pair = ring::signature::Ed25519KeyPair::from_seed_unchecked(&SEED).expect("seed");
    hex::encode(ring::signature::KeyPair::public_key(&pair).as_ref())
}

async fn rig() -> Rig {
    let gateway = Arc::new(Gateway::default());
    let side = gateway.clone();
    let socket = SocketServer::start(move |conn| discord_side(conn, side.clone())).await;
    let api = MockServer::start(|request, _| {
        if request.path.contains("/messages") || request.path.contains("/webhooks/") {
            Answer::ok(&json!({"id": POSTED_ID, "channel_id": DM_CHANNEL}).to_string())
        } else {
            Answer::status(204, "")
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

[channels.dc]
component = "discord"
secrets = {{ bot_token = {{ env = "E2E_DISCORD_TOKEN" }}, public_key = "{key}" }}
settings = {{ api_base = "{api}/api/v10", gateway_url = "{ws}", mode = "socket" }}
allow = ["{api}", "{ws_origin}"]
"#,
        key = public_key_hex(),
        api = api.origin,
        ws = socket.url,
        ws_origin = socket.origin,
    );
    let mut daemon = TestDaemon::new(&config).env("E2E_DISCORD_TOKEN", BOT_TOKEN);
    daemon.install("discord");
    daemon.start();
    Rig {
        daemon,
        api,
        socket,
        gateway,
    }
}

impl Rig {
    async fn identified(&self) {
        let done = eventually(Duration::from_secs(20), || {
            (!self.gateway.seen(2).is_empty()).then_some(())
        })
        .await;
        assert!(done.is_some(), "no identify\nlog:\n{}", self.daemon.log());
    }

    fn posted(&self) -> Vec<Value> {
        self.api
            .requests()
            .iter()
            .filter(|r| r.method == "POST" && r.path.ends_with("/messages"))
            .map(|r| r.json())
            .collect()
    }

    /// Posts a signed interaction; returns the status and the body.
    async fn interaction(&self, body: &Value, tamper: bool, age_secs: u64) -> (u16, Value) {
        let pair = ring::signature::Ed25519KeyPair::from_seed_unchecked(&SEED).expect("seed");
        let timestamp = (SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
            - age_secs)
            .to_string();
        let bytes = serde_json::to_vec(body).unwrap();
        let mut signed = timestamp.as_bytes().to_vec();
        signed.extend_from_slice(&bytes);
        let signature = hex::encode(pair.sign(&signed).as_ref());
        let mut sent = bytes.clone();
        if tamper {
            sent.push(b' ');
        }
        let response = reqwest::Client::new()
            .post(self.daemon.public_url("/webhooks/dc"))
            .header("content-type", "application/json")
            .header("x-signature-ed25519", signature)
            .header("x-signature-timestamp", timestamp)
            .body(sent)
            .send()
            .await
            .expect("post");
        let status = response.status().as_u16();
        let body = response.json().await.unwrap_or(Value::Null);
        (status, body)
    }
}

#[tokio::test]
async fn gateway_messages_are_stored_and_answered_once_through_heartbeats_drops_reconnects_and_resumes()
 {
    let rig = rig().await;
    rig.identified().await;
    // The token went into identify's d.token, filled in by the host, and nowhere else.
    let identify = &rig.gateway.seen(2)[0];
    assert_eq!(identify["token"], BOT_TOKEN);
    assert!(
        identify["intents"].as_u64().unwrap_or(0) & (1 << 15) != 0,
        "message content intent"
    );
    assert!(!rig.daemon.log().contains(BOT_TOKEN), "token in the log");

    let g = &rig.gateway;
    g.command(Command::Message(message("2001", "one", false)));
    g.command(Command::Message(message("2002", "two", true)));
    rig.daemon.wait_for_messages(2).await;

    // Heartbeats carry the last sequence number, every second.
    let beat = eventually(Duration::from_secs(10), || {
        (!g.seen(1).is_empty()).then_some(())
    })
    .await;
    assert!(beat.is_some(), "no heartbeat\nlog:\n{}", rig.daemon.log());

    // A dropped connection: resumed with the committed sequence, and the dispatch
    // sent meanwhile is replayed, stored once.
    g.command(Command::Drop);
    rig.daemon.wait_for_connections(&rig.socket, 2).await;
    g.command(Command::Message(message("2003", "three", false)));
    rig.daemon.wait_for_messages(3).await;
    let resumes = g.seen(6);
    assert!(!resumes.is_empty(), "resumed after the drop");
    assert_eq!(resumes[0]["token"], BOT_TOKEN);

    // Op 7: reconnect and resume; op 9 false: identify anew.
    g.command(Command::Reconnect);
    rig.daemon.wait_for_connections(&rig.socket, 3).await;
    g.command(Command::InvalidSession(false));
    rig.daemon.wait_for_connections(&rig.socket, 4).await;
    let identified_again = eventually(Duration::from_secs(20), || {
        (g.seen(2).len() >= 2).then_some(())
    })
    .await;
    assert!(
        identified_again.is_some(),
        "identify after an invalid session"
    );

    // A zombie connection (heartbeats no longer acknowledged) is replaced.
    let before = rig.socket.connections();
    g.command(Command::Zombie);
    rig.daemon
        .wait_for_connections(&rig.socket, before + 1)
        .await;
    g.command(Command::Message(message("2004", "four", false)));
    rig.daemon.wait_for_messages(4).await;
    rig.daemon.wait_idle().await;

    assert_eq!(rig.daemon.messages().len(), 4);
    let posted = rig.posted();
    assert_eq!(posted.len(), 4, "each message answered once: {posted:?}");
    assert!(
        posted
            .iter()
            .all(|p| p["message_reference"]["message_id"].is_string()),
        "replies reference the message they answer: {posted:?}"
    );
    let bot_auth = rig
        .api
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/messages"))
        .all(|r| r.header("authorization") == Some(&format!("Bot {BOT_TOKEN}")));
    assert!(bot_auth);
}

#[tokio::test]
async fn after_kill_9_the_session_resumes_from_the_committed_sequence_and_nothing_is_lost_or_doubled()
 {
    let mut rig = rig().await;
    rig.identified().await;
    let g = rig.gateway.clone();
    g.command(Command::Message(message("3001", "before", false)));
    rig.daemon.wait_for_messages(1).await;
    rig.daemon.wait_idle().await;

    rig.daemon.kill9();
    // Dispatches while the daemon is down wait in Discord's session.
    let seq = g.next_seq();
    g.dispatched.lock().unwrap().push((
        seq,
        json!({"t": "MESSAGE_CREATE", "d": message("3002", "while down", false)}),
    ));
    rig.daemon.start();
    rig.daemon.wait_for_messages(2).await;
    rig.daemon.wait_idle().await;
    assert!(!g.seen(6).is_empty(), "resumed, not identified anew");
    assert_eq!(rig.daemon.messages().len(), 2);
    assert_eq!(rig.posted().len(), 2, "nothing answered twice");
}

#[tokio::test]
async fn interactions_are_verified_with_ed25519_and_a_slash_command_gets_a_deferred_answer_and_a_follow_up()
 {
    let rig = rig().await;
    // Discord's PING, signed: PONG.
    let (status, body) = rig
        .interaction(
            &json!({"type": 1, "id": "1", "application_id": APPLICATION_ID}),
            false,
            0,
        )
        .await;
    assert_eq!((status, body), (200, json!({"type": 1})));
    // A tampered body and a stale timestamp: 401, and no channel code runs.
    let (status, _) = rig.interaction(&json!({"type": 1}), true, 0).await;
    assert_eq!(status, 401);
    let (status, _) = rig.interaction(&json!({"type": 1}), false, 600).await;
    assert_eq!(status, 401);

    let command = json!({
        "type": 2,
        "id": "1137450000000000500",
        "application_id": APPLICATION_ID,
        "token": "interaction-token-e2e",
        "channel_id": DM_CHANNEL,
        "user": {"id": "1137450000000000300", "username": "ada"},
        "data": {"id": "1", "name": "ask", "options": [{"name": "question", "type": 3, "value": "hello"}]},
    });
    let (status, body) = rig.interaction(&command, false, 0).await;
    assert_eq!((status, body["type"].clone()), (200, json!(5)), "deferred");
    rig.daemon.wait_for_messages(1).await;
    rig.daemon.wait_idle().await;
    let follow_ups: Vec<_> = rig
        .api
        .requests()
        .into_iter()
        .filter(|r| {
            r.path
                .contains(&format!("/webhooks/{APPLICATION_ID}/interaction-token-e2e"))
        })
        .collect();
    assert_eq!(follow_ups.len(), 1, "{:?}", rig.api.requests());
    assert!(
        follow_ups[0].json()["content"]
            .as_str()
            .unwrap_or_default()
            .contains("ask")
    );
}
