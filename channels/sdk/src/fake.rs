//! An in-memory [`Host`] for native tests: records what the channel did and
//! answers fetches from a script.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};

use crate::delivery::FetchFailure;
use crate::host::{Host, Level};
use crate::message::Inbound;
use crate::request::Request;
use crate::response::Response;

/// A [`Host`] whose settings and refusals a test sets up front and whose effects
/// (log lines, emitted messages, requests, state) it inspects afterwards.
#[derive(Debug, Default)]
pub struct FakeHost {
    /// What `setting` answers.
    pub settings: HashMap<String, String>,
    /// The instance's key-value state.
    pub state: RefCell<HashMap<String, Vec<u8>>>,
    /// Every log line, in order.
    pub logs: RefCell<Vec<(Level, String)>>,
    /// Every message the host accepted, in order.
    pub emitted: RefCell<Vec<Inbound>>,
    /// Messages `emit` refuses, by external id, with the reason it gives.
    pub reject: HashMap<String, String>,
    /// Every `dead_letter` reason, in order.
    pub dead_letters: RefCell<Vec<String>>,
    /// Every request fetched, in order.
    pub requests: RefCell<Vec<Request>>,
    /// Answers to successive fetches, in order; running out is a test bug.
    pub answers: RefCell<VecDeque<Result<Response, FetchFailure>>>,
}

impl FakeHost {
    /// A host that answers successive fetches with `answers`.
    pub fn answering(answers: Vec<Result<Response, FetchFailure>>) -> Self {
        Self {
            answers: RefCell::new(answers.into()),
            ..Self::default()
        }
    }

    /// Whether a line at `level` containing `needle` was logged.
    pub fn logged(&self, level: Level, needle: &str) -> bool {
        self.logs
            .borrow()
            .iter()
            .any(|(at, line)| *at == level && line.contains(needle))
    }

    /// The JSON bodies of every request made so far.
    ///
    /// # Panics
    ///
    /// If a body is not JSON.
    pub fn sent_bodies(&self) -> Vec<serde_json::Value> {
        self.requests
            .borrow()
            .iter()
            .map(|r| {
                let body = r.body.bytes().expect("request bodies are bytes");
                serde_json::from_slice(body).expect("request bodies are JSON")
            })
            .collect()
    }
}

/// An answer with a JSON body, as platform APIs send.
pub fn answer(status: u16, body: &str) -> Result<Response, FetchFailure> {
    Ok(Response {
        status,
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.as_bytes().to_vec(),
    })
}

/// A `200` answer with a JSON body.
pub fn ok(body: &str) -> Result<Response, FetchFailure> {
    answer(200, body)
}

impl Host for FakeHost {
    fn log(&self, level: Level, message: &str) {
        self.logs.borrow_mut().push((level, message.to_owned()));
    }

    fn emit(&self, message: Inbound) -> Result<(), String> {
        if let Some(reason) = self.reject.get(&message.external_id) {
            return Err(reason.clone());
        }
        self.emitted.borrow_mut().push(message);
        Ok(())
    }

    fn dead_letter(&self, reason: &str) -> Result<(), String> {
        self.dead_letters.borrow_mut().push(reason.to_owned());
        Ok(())
    }

    fn fetch(&self, request: Request) -> Result<Response, FetchFailure> {
        self.requests.borrow_mut().push(request);
        self.answers
            .borrow_mut()
            .pop_front()
            .expect("the test scripted an answer for every fetch")
    }

    fn setting(&self, name: &str) -> Option<String> {
        self.settings.get(name).cloned()
    }

    fn state_get(&self, key: &str) -> Option<Vec<u8>> {
        self.state.borrow().get(key).cloned()
    }

    fn state_set(&self, key: &str, value: &[u8]) -> Result<(), String> {
        self.state
            .borrow_mut()
            .insert(key.to_owned(), value.to_vec());
        Ok(())
    }

    fn state_delete(&self, key: &str) {
        self.state.borrow_mut().remove(key);
    }
}
