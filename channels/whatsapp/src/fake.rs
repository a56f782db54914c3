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
    pub(crate) state: RefCell<HashMap<String, Vec<u8>>>,
    pub(crate) logs: RefCell<Vec<(Level, String)>>,
    pub(crate) emitted: RefCell<Vec<Inbound>>,
    /// Messages the host refuses, by external id, with the reason it gives.
    pub(crate) reject: HashMap<String, String>,
    pub(crate) requests: RefCell<Vec<Request>>,
    /// Answers to successive fetches; running out is a test bug.
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
}

/// A `200` answer with a JSON body.
pub(crate) fn ok(body: &str) -> Result<Response, FetchFailure> {
    Ok(Response {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.as_bytes().to_vec(),
    })
}

/// A non-2xx answer.
pub(crate) fn status(status: u16, body: &str) -> Result<Response, FetchFailure> {
    Ok(Response {
        status,
        headers: vec![],
        body: body.as_bytes().to_vec(),
    })
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
