//! An in-memory [`Host`] for native tests: records what the channel did and
//! answers fetches from a script.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};

use switchboard_channel_sdk::{FetchFailure, Request, Response};

use crate::host::{Host, Level};
use crate::message::Inbound;

#[derive(Default)]
pub(crate) struct FakeHost {
    pub(crate) settings: HashMap<String, String>,
    pub(crate) logs: RefCell<Vec<(Level, String)>>,
    pub(crate) emitted: RefCell<Vec<Inbound>>,
    /// When set, `emit` refuses every message with this reason.
    pub(crate) reject_emit: Option<String>,
    pub(crate) requests: RefCell<Vec<Request>>,
    /// Answers to successive fetches, in order; running out is a test bug.
    pub(crate) answers: RefCell<VecDeque<Result<Response, FetchFailure>>>,
}

impl FakeHost {
    pub(crate) fn answering(answers: Vec<Result<Response, FetchFailure>>) -> Self {
        Self {
            answers: RefCell::new(answers.into()),
            ..Self::default()
        }
    }

    pub(crate) fn logged(&self, level: Level, needle: &str) -> bool {
        self.logs
            .borrow()
            .iter()
            .any(|(at, line)| *at == level && line.contains(needle))
    }

    /// The JSON bodies of every request made so far.
    pub(crate) fn sent_bodies(&self) -> Vec<serde_json::Value> {
        self.requests
            .borrow()
            .iter()
            .map(|r| serde_json::from_slice(&r.body).expect("request bodies are JSON"))
            .collect()
    }
}

/// An HTTP answer with a body.
pub(crate) fn answer(status: u16, body: &str) -> Result<Response, FetchFailure> {
    Ok(Response {
        status,
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.as_bytes().to_vec(),
    })
}

impl Host for FakeHost {
    fn log(&self, level: Level, message: &str) {
        self.logs.borrow_mut().push((level, message.to_owned()));
    }

    fn emit(&self, message: Inbound) -> Result<(), String> {
        if let Some(reason) = &self.reject_emit {
            return Err(reason.clone());
        }
        self.emitted.borrow_mut().push(message);
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
}
