//! Local stand-ins for the WhatsApp Graph API and an HTTP agent whose answers the
//! tests change while the daemon runs: fail the next few calls, go down, come back,
//! or hold a call open. Every request is recorded with the status it got.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
pub(crate) use switchboard_testkit::Answer;
use switchboard_testkit::MockServer as Server;

/// How the mock Graph API answers one kind of call.
#[derive(Default)]
struct Script {
    /// Answers for the next calls, in order; then `down`, else success.
    next: Mutex<VecDeque<Answer>>,
    /// While set, every further call gets this.
    down: Mutex<Option<Answer>>,
}

impl Script {
    fn answer(&self, ok: impl FnOnce() -> Answer) -> Answer {
        if let Some(a) = self.next.lock().expect("script").pop_front() {
            return a;
        }
        self.down.lock().expect("script").clone().unwrap_or_else(ok)
    }
}

/// The WhatsApp Graph API: text messages (replies) and read receipts (the
/// `on-message-persisted` hook) are scripted separately.
pub(crate) struct GraphApi {
    pub(crate) server: Server,
    sends: Arc<Script>,
    reads: Arc<Script>,
}

impl GraphApi {
    pub(crate) async fn start() -> GraphApi {
        let sends = Arc::new(Script::default());
        let reads = Arc::new(Script::default());
        let counter = Arc::new(AtomicUsize::new(0));
        let (s, r) = (sends.clone(), reads.clone());
        let server = Server::start(move |req, _| {
            let body = req.json();
            let ok = || {
                let n = counter.fetch_add(1, Ordering::SeqCst);
                let body = json!({
                    "messaging_product": "whatsapp",
                    "contacts": [{ "input": "x", "wa_id": "x" }],
                    "messages": [{ "id": format!("wamid.OUT{n}") }],
                    "success": true,
                });
                Answer::status(200, &body.to_string())
            };
            if body["status"] == "read" {
                r.answer(ok)
            } else {
                s.answer(ok)
            }
        })
        .await;
        GraphApi {
            server,
            sends,
            reads,
        }
    }

    /// The next replies get these answers, in order.
    pub(crate) fn fail_next_sends(&self, answers: Vec<Answer>) {
        self.sends.next.lock().expect("script").extend(answers);
    }

    /// Every reply gets `answer` until called again with `None`.
    pub(crate) fn sends_down(&self, answer: Option<Answer>) {
        *self.sends.down.lock().expect("script") = answer;
    }

    /// Every read receipt gets `answer` until called again with `None`.
    pub(crate) fn reads_down(&self, answer: Option<Answer>) {
        *self.reads.down.lock().expect("script") = answer;
    }

    /// Reply attempts: (request body, status answered).
    pub(crate) fn sends(&self) -> Vec<(Value, u16)> {
        self.calls(|b| b["type"] == "text")
    }

    /// Read-receipt attempts: (request body, status answered).
    pub(crate) fn reads(&self) -> Vec<(Value, u16)> {
        // A typing indicator is a read receipt with `typing_indicator`; not counted.
        self.calls(|b| b["status"] == "read" && b["typing_indicator"].is_null())
    }

    /// Texts of the replies the API accepted, in the order it accepted them.
    pub(crate) fn delivered(&self) -> Vec<String> {
        self.sends()
            .into_iter()
            .filter(|(_, status)| *status == 200)
            .map(|(b, _)| b["text"]["body"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    fn calls(&self, which: impl Fn(&Value) -> bool) -> Vec<(Value, u16)> {
        self.server
            .answered()
            .into_iter()
            .map(|(r, status)| (r.json(), status))
            .filter(|(b, _)| which(b))
            .collect()
    }
}

/// An HTTP agent (`[agent] kind = "http"`) that answers `re: <text>`. It can fail
/// the first call for chosen texts, fail every call, or hold calls open.
pub(crate) struct AgentApi {
    pub(crate) server: Server,
    fail_once: Arc<Mutex<Vec<String>>>,
    down: Arc<Mutex<Option<Answer>>>,
    hold: Arc<AtomicBool>,
}

impl AgentApi {
    pub(crate) async fn start() -> AgentApi {
        let fail_once: Arc<Mutex<Vec<String>>> = Arc::default();
        let down: Arc<Mutex<Option<Answer>>> = Arc::default();
        let hold = Arc::new(AtomicBool::new(false));
        let (f, d, h) = (fail_once.clone(), down.clone(), hold.clone());
        let server = Server::start(move |req, _| {
            let text = req.json()["message"]["text"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            if h.load(Ordering::SeqCst) {
                // Longer than any test waits: the call is still open when the daemon dies.
                let mut a = Answer::status(503, "{}");
                a.delay = Duration::from_secs(60);
                return a;
            }
            if let Some(a) = d.lock().expect("agent").clone() {
                return a;
            }
            let mut fail_once = f.lock().expect("agent");
            if let Some(at) = fail_once.iter().position(|t| *t == text) {
                fail_once.remove(at);
                return Answer::status(503, r#"{"error":"overloaded"}"#);
            }
            Answer::status(
                200,
                &json!({ "replies": [{ "text": format!("re: {text}") }] }).to_string(),
            )
        })
        .await;
        AgentApi {
            server,
            fail_once,
            down,
            hold,
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("{}/agent", self.server.origin)
    }

    /// The first call for a message with this text answers 503.
    pub(crate) fn fail_once_for(&self, text: &str) {
        self.fail_once.lock().expect("agent").push(text.to_owned());
    }

    /// Every call gets `answer` until called again with `None`.
    pub(crate) fn down(&self, answer: Option<Answer>) {
        *self.down.lock().expect("agent") = answer;
    }

    /// While set, calls are held open and never answered in time.
    pub(crate) fn hold(&self, on: bool) {
        self.hold.store(on, Ordering::SeqCst);
    }

    /// Texts of the messages handed to the agent, in call order (answered calls only).
    pub(crate) fn calls(&self) -> Vec<(String, u16)> {
        self.server
            .answered()
            .into_iter()
            .map(|(r, status)| {
                (
                    r.json()["message"]["text"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    status,
                )
            })
            .collect()
    }
}
