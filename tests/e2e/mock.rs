//! A local stand-in for a platform API: records every request and answers from a
//! scripted list (first matching path substring wins; default 200 `{"ok":true}`),
//! on the shared test server.

use std::sync::{Arc, Mutex};

pub(crate) use switchboard_testkit::Recorded;
use switchboard_testkit::{Answer, MockServer};

/// A scripted answer: for paths containing `path`, answer `status` + `body`,
/// `times` times (then fall through to later rules).
#[derive(Debug, Clone)]
pub(crate) struct Rule {
    pub(crate) path: String,
    pub(crate) status: u16,
    pub(crate) body: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) times: Option<usize>,
}

impl Rule {
    /// Paths containing `path` are answered `status` + `body`, every time.
    pub(crate) fn always(path: &str, status: u16, body: impl Into<String>) -> Rule {
        Rule {
            path: path.to_owned(),
            status,
            body: body.into(),
            headers: Vec::new(),
            times: None,
        }
    }
}

/// The running mock.
#[derive(Clone)]
pub(crate) struct MockApi {
    pub(crate) origin: String,
    server: MockServer,
    rules: Arc<Mutex<Vec<Rule>>>,
}

impl MockApi {
    pub(crate) async fn start() -> MockApi {
        let rules: Arc<Mutex<Vec<Rule>>> = Arc::default();
        let scripted = rules.clone();
        let server = MockServer::start(move |request, _| answer(&scripted, &request.path)).await;
        MockApi {
            origin: server.origin.clone(),
            server,
            rules,
        }
    }

    /// Adds a scripted answer.
    pub(crate) fn rule(&self, rule: Rule) {
        self.rules.lock().expect("mock rules").push(rule);
    }

    /// Every request so far.
    pub(crate) fn requests(&self) -> Vec<Recorded> {
        self.server.requests()
    }

    /// Requests whose path contains `part`.
    pub(crate) fn requests_to(&self, part: &str) -> Vec<Recorded> {
        self.server.requests_to(part)
    }
}

fn answer(rules: &Mutex<Vec<Rule>>, path: &str) -> Answer {
    let mut rules = rules.lock().expect("mock rules");
    let chosen = rules
        .iter_mut()
        .find(|rule| path.contains(&rule.path) && rule.times != Some(0));
    let Some(rule) = chosen else {
        return Answer::ok(r#"{"ok":true,"success":true}"#);
    };
    if let Some(times) = rule.times.as_mut() {
        *times -= 1;
    }
    let mut answer = Answer::status(rule.status, &rule.body);
    for (name, value) in &rule.headers {
        answer = answer.header(name, value);
    }
    answer
}
