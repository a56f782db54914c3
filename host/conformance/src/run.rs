//! Running one case: the host's verification, the call, and the comparison.

use std::collections::{BTreeMap, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};
use switchboard_egress::{Policy, Secret};
use switchboard_registry::{Manifest, read_manifest};
use switchboard_runtime::{CallError, CallLimits, ChannelComponent, Runtime};
use switchboard_types::WebhookRequest;
use switchboard_verify::{HandshakeVerifier, Verifier};

use crate::case::{Call, Case, WebhookInput};
use crate::compare::{Mismatch, compare};
use crate::error::SubjectError;
use crate::render::{body_value, headers_value, message_value};
use crate::services::{MockServices, RecordedRequest, lock};

/// A component and its manifest, loaded once for every case.
pub struct Subject {
    channel: ChannelComponent,
    manifest: Manifest,
    limits: CallLimits,
}

/// What one case came to.
#[derive(Debug)]
pub struct CaseOutcome {
    pub name: String,
    pub description: Option<String>,
    /// Everything the call produced, in the shape expectations are written in.
    pub actual: Value,
    /// Expected fields that differ.
    pub mismatches: Vec<Mismatch>,
    /// What went wrong beyond a field: a trap the case did not expect, a fetch
    /// with no recorded answer, a secret the case did not give.
    pub problems: Vec<String>,
}

impl CaseOutcome {
    pub fn passed(&self) -> bool {
        self.mismatches.is_empty() && self.problems.is_empty()
    }
}

impl Subject {
    /// Reads the manifest, compiles the component and checks that both name the
    /// same contract version, as `switchboard registry build` would.
    pub fn load(runtime: &Runtime, wasm: &Path, manifest: &Path) -> Result<Subject, SubjectError> {
        let parsed = read_manifest(manifest).map_err(|source| SubjectError::Manifest {
            path: manifest.to_owned(),
            source: Box::new(source),
        })?;
        let bytes = std::fs::read(wasm).map_err(|source| SubjectError::Read {
            path: wasm.to_owned(),
            source,
        })?;
        let channel =
            runtime
                .load(&parsed.name, &bytes, None)
                .map_err(|source| SubjectError::Load {
                    path: wasm.to_owned(),
                    source,
                })?;
        if *channel.wit_version() != parsed.wit {
            return Err(SubjectError::WitMismatch {
                manifest: manifest.to_owned(),
                component: wasm.to_owned(),
                declared: parsed.wit.to_string(),
                actual: channel.wit_version().to_string(),
            });
        }
        let mut limits = CallLimits::default();
        if let Some(ms) = parsed.limits.call_timeout_ms {
            limits.deadline = Duration::from_millis(ms);
        }
        Ok(Subject {
            channel,
            manifest: parsed,
            limits,
        })
    }

    /// The component's name, from its manifest.
    pub fn name(&self) -> &str {
        &self.manifest.name
    }

    /// Runs `case` on a fresh instance with fresh mock services.
    pub async fn run(&self, case: &Case) -> CaseOutcome {
        let mut problems = Vec::new();
        let services = match self.services(case) {
            Ok(services) => Arc::new(services),
            Err(problem) => return failed(case, problem),
        };
        let mut actual = Map::new();
        match &case.call {
            Call::Webhook(input) => {
                self.webhook(case, input, &services, &mut actual, &mut problems)
                    .await;
            }
            Call::Respond(message) => {
                let result = self
                    .channel
                    .on_respond(services.clone(), &self.limits, message)
                    .await;
                record_result(
                    &mut actual,
                    result.map(|r| match r {
                        Ok(receipt) => json!({ "ok": receipt }),
                        Err(error) => json!({ "error": error }),
                    }),
                );
            }
            Call::Persisted(message) => {
                let result = self
                    .channel
                    .on_message_persisted(services.clone(), &self.limits, message)
                    .await;
                record_result(
                    &mut actual,
                    result.map(|r| match r {
                        Ok(()) => json!({ "ok": null }),
                        Err(error) => json!({ "error": error }),
                    }),
                );
            }
            Call::Poll(cursor) => {
                let result = self
                    .channel
                    .poll(services.clone(), &self.limits.for_poll(), cursor.as_deref())
                    .await;
                if let Ok(polled) = &result {
                    let messages: Vec<Value> = polled.messages.iter().map(message_value).collect();
                    actual.insert("messages".to_owned(), Value::Array(messages));
                }
                record_result(
                    &mut actual,
                    result.map(|polled| match polled.outcome {
                        Ok(outcome) => json!({ "ok": {
                                "next_cursor": outcome.next_cursor,
                                "unmapped": outcome.unmapped.iter().map(|u| json!({
                                    "reason": u.reason,
                                    "payload": body_value(&u.payload),
                                })).collect::<Vec<_>>(),
                            } }),
                        Err(error) => json!({ "error": error }),
                    }),
                );
            }
            Call::Open(context) => {
                let result = self
                    .channel
                    .session_open(services.clone(), &self.limits, context)
                    .await;
                record_result(
                    &mut actual,
                    result.map(|r| match r {
                        Ok(target) => json!({ "ok": target }),
                        Err(error) => json!({ "error": error }),
                    }),
                );
            }
            Call::Frame(..) | Call::Tick(_) => {
                let (frame, context) = match &case.call {
                    Call::Frame(text, context) => (Some(text.as_str()), context),
                    Call::Tick(context) => (None, context),
                    _ => unreachable!("matched above"),
                };
                let result = self
                    .channel
                    .session_call(services.clone(), &self.limits, frame, context)
                    .await;
                if let Ok(framed) = &result {
                    let messages: Vec<Value> = framed.messages.iter().map(message_value).collect();
                    actual.insert("messages".to_owned(), Value::Array(messages));
                }
                record_result(
                    &mut actual,
                    result.map(|framed| match framed.outcome {
                        Ok(outcome) => json!({ "ok": {
                            "send": outcome.send.iter().map(|f| body_value(f.as_bytes())).collect::<Vec<_>>(),
                            "send_after_commit": outcome.send_after_commit.iter().map(|f| body_value(f.as_bytes())).collect::<Vec<_>>(),
                            "cursor": outcome.cursor,
                            "memo": outcome.memo,
                            "tick_ms": outcome.tick_ms,
                            "reconnect": outcome.reconnect,
                            "unmapped": outcome.unmapped.iter().map(|u| json!({
                                "reason": u.reason,
                                "payload": body_value(&u.payload),
                            })).collect::<Vec<_>>(),
                        } }),
                        Err(error) => json!({ "error": error }),
                    }),
                );
            }
            Call::Download(attachment) => {
                let result = self
                    .channel
                    .download_request(services.clone(), &self.limits, attachment)
                    .await;
                record_result(
                    &mut actual,
                    result.map(|r| match r {
                        Ok(request) => json!({ "ok": RecordedRequest {
                        request,
                        blob_body: None,
                        denied: None,
                    }.to_json() }),
                        Err(error) => json!({ "error": error }),
                    }),
                );
            }
        }
        let requests: Vec<Value> = lock(&services.requests)
            .iter()
            .map(RecordedRequest::to_json)
            .collect();
        actual.insert("requests".to_owned(), Value::Array(requests));
        let state: Map<String, Value> = lock(&services.state)
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    Value::String(String::from_utf8_lossy(v).into_owned()),
                )
            })
            .collect();
        actual.insert("state".to_owned(), Value::Object(state));
        for summary in lock(&services.unanswered).iter() {
            problems.push(format!(
                "the channel fetched {summary}, but the case's `fetch` has no answer left for it"
            ));
        }
        let actual = Value::Object(actual);
        let mismatches = self.compare(case, &actual, &mut problems);
        CaseOutcome {
            name: case.name.clone(),
            description: case.spec.description.clone(),
            actual,
            mismatches,
            problems,
        }
    }

    fn services(&self, case: &Case) -> Result<MockServices, String> {
        let spec = &case.spec;
        let verification = self.verification_secrets();
        // As in the daemon: the secrets that verify webhooks are never placeable.
        let secrets: BTreeMap<String, Secret> = spec
            .secrets
            .iter()
            .filter(|(name, _)| !verification.contains(&name.as_str()))
            .map(|(name, value)| {
                let placed = Secret::new(value.clone()).placed(self.manifest.placement_of(name));
                (name.clone(), placed)
            })
            .collect();
        let policy = Policy::new(&self.manifest.capabilities.http, &spec.allow, secrets)
            .map_err(|e| format!("`allow` or `secrets`: {e}"))?;
        let mut settings: BTreeMap<String, String> = self
            .manifest
            .settings
            .iter()
            .filter_map(|s| s.default.clone().map(|d| (s.name.clone(), d)))
            .collect();
        settings.extend(spec.settings.clone());
        let state = spec
            .state
            .iter()
            .map(|(k, v)| (k.clone(), v.as_bytes().to_vec()))
            .collect();
        Ok(MockServices {
            instance: spec.instance.clone(),
            settings,
            policy,
            answers: Mutex::new(spec.fetch.iter().cloned().collect::<VecDeque<_>>()),
            requests: Mutex::new(Vec::new()),
            state: Mutex::new(state),
            unanswered: Mutex::new(Vec::new()),
        })
    }

    fn verification_secrets(&self) -> Vec<&str> {
        let verification = &self.manifest.verification;
        let mut names = vec![verification.post.secret_name()];
        if let Some(get) = &verification.get {
            names.push(get.secret_name());
        }
        names
    }

    async fn webhook(
        &self,
        case: &Case,
        input: &WebhookInput,
        services: &Arc<MockServices>,
        actual: &mut Map<String, Value>,
        problems: &mut Vec<String>,
    ) {
        let now = case.spec.now.unwrap_or_else(unix_now);
        let mut headers = input.headers.clone();
        if input.sign {
            match self.sign(case, input, now) {
                Ok(signed) => {
                    headers.retain(|(name, _)| !signed.iter().any(|(n, _)| n == name));
                    headers.extend(signed);
                }
                Err(problem) => {
                    problems.push(problem);
                    return;
                }
            }
        }
        match self.verify(case, input, &headers, now) {
            Verdict::Unchecked => {}
            Verdict::Passed => {}
            Verdict::Refused { status, reason } => {
                actual.insert("status".to_owned(), json!(status));
                actual.insert("rejected".to_owned(), json!(reason));
                actual.insert("messages".to_owned(), json!([]));
                return;
            }
        }
        let request = WebhookRequest {
            method: input.method.clone(),
            path: input.path.clone(),
            query: input.query.clone(),
            headers,
            body: input.body.clone().into(),
        };
        match self
            .channel
            .on_http_request(services.clone(), &self.limits, &request)
            .await
        {
            Ok(handled) => {
                let response = handled.response;
                actual.insert("status".to_owned(), json!(response.status));
                actual.insert("headers".to_owned(), headers_value(&response.headers));
                actual.insert("body".to_owned(), body_value(&response.body));
                actual.insert(
                    "body_text".to_owned(),
                    json!(String::from_utf8_lossy(&response.body)),
                );
                let messages: Vec<Value> = handled.messages.iter().map(message_value).collect();
                actual.insert("messages".to_owned(), Value::Array(messages));
                if let Some(reason) = handled.dead_letter {
                    actual.insert("dead_letter".to_owned(), json!(reason));
                }
            }
            Err(error) => {
                actual.insert("trap".to_owned(), json!(error.to_string()));
            }
        }
    }

    fn sign(
        &self,
        case: &Case,
        input: &WebhookInput,
        now: i64,
    ) -> Result<Vec<(String, String)>, String> {
        let scheme = &self.manifest.verification.post;
        let secret = case.spec.secrets.get(scheme.secret_name()).ok_or_else(|| {
            format!(
                "`webhook.sign` needs the secret `{}` in the case's `secrets`",
                scheme.secret_name()
            )
        })?;
        let verifier = Verifier::new(scheme, secret.as_bytes())
            .map_err(|e| format!("secrets.{}: {e}", scheme.secret_name()))?;
        let message_id = input
            .headers
            .iter()
            .find(|(name, _)| name == "webhook-id")
            .map_or_else(|| format!("msg_{}", case.name), |(_, v)| v.clone());
        verifier
            .sign(&input.body, now, &message_id)
            .map_err(|e| format!("cannot sign: {e}"))
    }

    /// The daemon's check before any guest code runs, when the case gives the
    /// secret it needs; without it the request goes in as if verified.
    fn verify(
        &self,
        case: &Case,
        input: &WebhookInput,
        headers: &[(String, String)],
        now: i64,
    ) -> Verdict {
        let verification = &self.manifest.verification;
        let secrets = &case.spec.secrets;
        if input.method == "GET" {
            let Some(handshake) = &verification.get else {
                return Verdict::Refused {
                    status: 405,
                    reason: "the manifest declares no GET handshake".to_owned(),
                };
            };
            let Some(secret) = secrets.get(handshake.secret_name()) else {
                return Verdict::Unchecked;
            };
            return match HandshakeVerifier::new(handshake, secret.as_bytes())
                .map_err(|e| e.to_string())
                .and_then(|v| v.verify(&input.query).map_err(|e| e.to_string()))
            {
                Ok(()) => Verdict::Passed,
                Err(reason) => Verdict::Refused {
                    status: 403,
                    reason,
                },
            };
        }
        let scheme = &verification.post;
        let Some(secret) = secrets.get(scheme.secret_name()) else {
            return Verdict::Unchecked;
        };
        let mut map = http::HeaderMap::new();
        for (name, value) in headers {
            if let (Ok(name), Ok(value)) = (
                http::HeaderName::from_bytes(name.as_bytes()),
                http::HeaderValue::from_str(value),
            ) {
                map.append(name, value);
            }
        }
        match Verifier::new(scheme, secret.as_bytes())
            .map_err(|e| e.to_string())
            .and_then(|v| v.verify(&map, &input.body, now).map_err(|e| e.to_string()))
        {
            Ok(()) => Verdict::Passed,
            Err(reason) => Verdict::Refused {
                status: 401,
                reason,
            },
        }
    }

    fn compare(&self, case: &Case, actual: &Value, problems: &mut Vec<String>) -> Vec<Mismatch> {
        let expect = &case.spec.expect;
        let mut out = Vec::new();
        let keyed: [(&str, Option<Value>); 9] = [
            ("status", expect.status.map(|s| json!(s))),
            ("headers", expect.headers.clone()),
            ("body", expect.body.clone()),
            ("body_text", expect.body_text.clone().map(Value::String)),
            ("messages", expect.messages.clone()),
            ("dead_letter", expect.dead_letter.clone()),
            ("requests", expect.requests.clone()),
            ("result", expect.result.clone()),
            ("state", expect.state.clone()),
        ];
        for (key, expected) in keyed {
            if let Some(expected) = expected {
                if key == "result" {
                    result_variant(&expected, actual.get(key), &mut out);
                }
                compare(key, &expected, actual.get(key), &mut out);
            }
        }
        let trap = actual.get("trap").and_then(Value::as_str);
        match (&expect.trap, trap) {
            (Some(want), Some(got)) if got.contains(want.as_str()) => {}
            (Some(want), got) => out.push(Mismatch {
                path: "trap".to_owned(),
                expected: format!("a trap containing {want:?}"),
                actual: got.map(|g| format!("{g:?}")),
                siblings: Vec::new(),
            }),
            (None, Some(got)) => problems.push(format!("{} trapped: {got}", case.call.export())),
            (None, None) => {}
        }
        out
    }
}

enum Verdict {
    /// The case gives no secret for the scheme: the request goes in as is.
    Unchecked,
    Passed,
    Refused {
        status: u16,
        reason: String,
    },
}

/// `{"ok": null}` is how a case says a hook succeeded, but `null` also matches an
/// absent key, so without this a hook's `error` would pass it. (`"error": null`
/// keeps meaning "no error".)
fn result_variant(expected: &Value, actual: Option<&Value>, out: &mut Vec<Mismatch>) {
    let (Some(want), Some(got)) = (expected.as_object(), actual.and_then(Value::as_object)) else {
        return;
    };
    if want.get("ok").is_some_and(Value::is_null) && !got.contains_key("ok") {
        out.push(Mismatch {
            path: "result.ok".to_owned(),
            expected: "null".to_owned(),
            actual: None,
            siblings: got.keys().map(|k| format!("`{k}`")).collect(),
        });
    }
}

fn record_result(actual: &mut Map<String, Value>, result: Result<Value, CallError>) {
    match result {
        Ok(value) => {
            actual.insert("result".to_owned(), value);
        }
        Err(error) => {
            actual.insert("trap".to_owned(), json!(error.to_string()));
        }
    }
}

fn failed(case: &Case, problem: String) -> CaseOutcome {
    CaseOutcome {
        name: case.name.clone(),
        description: case.spec.description.clone(),
        actual: Value::Null,
        mismatches: Vec::new(),
        problems: vec![problem],
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
