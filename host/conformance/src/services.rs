//! The host as a case sees it: settings and state from the case, the operator's
//! grants checked as the daemon checks them, and `http-fetch` answered from the
//! case's recorded answers instead of a network.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;

use serde_json::{Value, json};
use switchboard_egress::{Policy, redact};
use switchboard_runtime::{BodySegment, InstanceServices};
use switchboard_types::{FetchError, IncomingResponse, OutgoingRequest};

use crate::case::{FetchAnswer, FetchFailure};
use crate::render::{body_value, headers_value};

/// One `http-fetch` the channel made, as it wrote it (placeholders unfilled).
#[derive(Debug, Clone)]
pub(crate) struct RecordedRequest {
    pub(crate) request: OutgoingRequest,
    /// The body for display when it names blobs (`{{blob:SHA}}` where each goes).
    pub(crate) blob_body: Option<String>,
    /// Why the daemon would refuse it, if it would.
    pub(crate) denied: Option<String>,
}

impl RecordedRequest {
    /// The request as a case's `expect.requests` item compares it.
    pub(crate) fn to_json(&self) -> Value {
        let headers = headers_value(&self.request.headers);
        let body = match &self.blob_body {
            Some(text) => Value::String(text.clone()),
            None => body_value(&self.request.body),
        };
        let mut out = json!({
            "method": self.request.method,
            "url": self.request.url,
            "headers": headers,
            "body": body,
        });
        if let Some(why) = &self.denied {
            out["denied"] = json!(why);
        }
        out
    }
}

/// The services of one case's call.
pub(crate) struct MockServices {
    pub(crate) instance: String,
    pub(crate) settings: BTreeMap<String, String>,
    pub(crate) policy: Policy,
    pub(crate) answers: Mutex<VecDeque<FetchAnswer>>,
    pub(crate) requests: Mutex<Vec<RecordedRequest>>,
    pub(crate) state: Mutex<BTreeMap<String, Vec<u8>>>,
    /// Fetches that found no recorded answer, for the report.
    pub(crate) unanswered: Mutex<Vec<String>>,
}

impl MockServices {
    fn answer(
        &self,
        request: OutgoingRequest,
        blob_body: Option<String>,
    ) -> Result<IncomingResponse, FetchError> {
        let denied = self.policy.check(&request).err();
        let summary = format!("{} {}", request.method, request.url);
        lock(&self.requests).push(RecordedRequest {
            request,
            blob_body,
            denied: denied.as_ref().map(ToString::to_string),
        });
        if let Some(refusal) = denied {
            return Err(refusal);
        }
        let Some(answer) = lock(&self.answers).pop_front() else {
            lock(&self.unanswered).push(summary.clone());
            return Err(FetchError::Network(format!(
                "the case has no recorded answer for {summary}"
            )));
        };
        match answer.error {
            Some(FetchFailure::Timeout) => Err(FetchError::Timeout),
            Some(FetchFailure::Network) => Err(FetchError::Network(
                "connection refused (recorded)".to_owned(),
            )),
            None => Ok(IncomingResponse {
                status: answer.status,
                headers: answer.headers.pairs(),
                body: answer.bytes,
            }),
        }
    }
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic elsewhere in a case leaves plain data behind; keep reading it.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[async_trait::async_trait]
impl InstanceServices for MockServices {
    fn instance(&self) -> &str {
        &self.instance
    }

    fn setting(&self, name: &str) -> Option<String> {
        self.settings.get(name).cloned()
    }

    async fn fetch(&self, request: OutgoingRequest) -> Result<IncomingResponse, FetchError> {
        self.answer(request, None)
    }

    async fn fetch_with_blobs(
        &self,
        request: OutgoingRequest,
        body: Vec<BodySegment>,
    ) -> Result<IncomingResponse, FetchError> {
        let mut text = String::new();
        for segment in &body {
            match segment {
                BodySegment::Bytes(bytes) => text.push_str(&String::from_utf8_lossy(bytes)),
                BodySegment::Blob(sha) => text.push_str(&format!("{{{{blob:{sha}}}}}")),
            }
        }
        self.answer(request, Some(text))
    }

    async fn state_get(&self, key: &str) -> Result<Option<Vec<u8>>, String> {
        Ok(lock(&self.state).get(key).cloned())
    }

    async fn state_set(&self, key: &str, value: Vec<u8>) -> Result<(), String> {
        lock(&self.state).insert(key.to_owned(), value);
        Ok(())
    }

    async fn state_delete(&self, key: &str) -> Result<(), String> {
        lock(&self.state).remove(key);
        Ok(())
    }

    fn redact(&self, text: &str) -> String {
        redact(text, &self.policy)
    }
}
