//! A fake channel and agent, and a daemon config around them.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use switchboard_agent::{Agent, AgentError, Reply, Turn};
use switchboard_daemon::testing::Harness;
use switchboard_daemon::{
    AccessPolicy, ChannelLoader, ComponentRef, DaemonConfig, InstanceConfig, LoadedChannel,
    ManualClock, ServerLimits, StoreConfig, WorkerConfig,
};
use switchboard_runtime::{
    CallError, CallLimits, Channel, HandledRequest, InstanceServices, Polled, RuntimeConfig,
    WebhookRequest, WebhookResponse,
};
use switchboard_types::{
    DeliveryError, InboundMessage, MessageKind, OutboundMessage, PollOutcome, Receipt, Unmapped,
};
use tempfile::TempDir;

/// The header and value every fake instance accepts.
pub(crate) const TOKEN_HEADER: &str = "x-token";
pub(crate) const TOKEN: &str = "s3cret-token";

/// What the fake channel's `on-respond` does next; after the script, it accepts.
#[derive(Debug, Clone)]
pub(crate) enum Respond {
    Fail {
        retryable: bool,
        retry_after_secs: Option<u32>,
    },
    Trap,
    /// Meets another call: wakes `theirs`, then waits for `mine` to be woken (failing
    /// after a few seconds). Two calls meet only if they run at the same time, in
    /// whichever order they start.
    Meet {
        mine: Arc<tokio::sync::Notify>,
        theirs: Arc<tokio::sync::Notify>,
    },
}

/// What the fake channel's next `poll` returns; after the script, empty polls.
#[derive(Debug, Clone)]
pub(crate) enum PollStep {
    /// Messages `(id, conversation, text)`, updates it cannot map, and the cursor.
    Brought {
        messages: Vec<(&'static str, &'static str, &'static str)>,
        unmapped: Vec<&'static str>,
        cursor: Option<&'static str>,
    },
    Fail {
        retryable: bool,
        retry_after_secs: Option<u32>,
    },
    Trap,
}

/// A channel that takes `{"messages":[{"id","conversation","text"}]}` and records
/// every call.
#[derive(Debug, Default)]
pub(crate) struct FakeChannel {
    pub(crate) requests: Mutex<Vec<WebhookRequest>>,
    pub(crate) sent: Mutex<Vec<OutboundMessage>>,
    pub(crate) hooked: Mutex<Vec<String>>,
    pub(crate) respond: Mutex<VecDeque<Respond>>,
    /// Hook failures still to come.
    pub(crate) hook_failures: Mutex<u32>,
    /// `working:<id>` when a presence call starts, `worked:<id>` when it returns,
    /// `sent:<text>` for each reply, in the order they happened.
    pub(crate) events: Mutex<Vec<String>>,
    /// How long each presence call takes.
    pub(crate) presence_takes: Mutex<Duration>,
    /// What the next polls return, and the cursor each poll was given.
    pub(crate) polls: Mutex<VecDeque<PollStep>>,
    pub(crate) polled_with: Mutex<Vec<Option<String>>>,
}

impl FakeChannel {
    pub(crate) fn sent_texts(&self) -> Vec<String> {
        lock(&self.sent).iter().map(|m| m.text.clone()).collect()
    }

    pub(crate) fn script(&self, steps: impl IntoIterator<Item = Respond>) {
        lock(&self.respond).extend(steps);
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[async_trait::async_trait]
impl Channel for FakeChannel {
    fn has_persistence_hook(&self) -> bool {
        true
    }

    fn has_presence_hook(&self) -> bool {
        true
    }

    fn has_polling_export(&self) -> bool {
        true
    }

    async fn poll(
        &self,
        _services: Arc<dyn InstanceServices>,
        limits: &CallLimits,
        cursor: Option<&str>,
    ) -> Result<Polled, CallError> {
        assert!(
            limits.deadline >= switchboard_runtime::POLL_DEADLINE,
            "a poll gets the long deadline"
        );
        lock(&self.polled_with).push(cursor.map(str::to_owned));
        let step = lock(&self.polls).pop_front();
        match step {
            None => Ok(Polled {
                outcome: Ok(PollOutcome::default()),
                messages: Vec::new(),
            }),
            Some(PollStep::Brought {
                messages,
                unmapped,
                cursor,
            }) => Ok(Polled {
                outcome: Ok(PollOutcome {
                    next_cursor: cursor.map(str::to_owned),
                    unmapped: unmapped
                        .into_iter()
                        .map(|payload| Unmapped {
                            reason: "no sender".to_owned(),
                            payload: payload.as_bytes().to_vec(),
                        })
                        .collect(),
                }),
                messages: messages
                    .into_iter()
                    .map(|(id, conversation, text)| fake_message(id, conversation, text))
                    .collect(),
            }),
            Some(PollStep::Fail {
                retryable,
                retry_after_secs,
            }) => Ok(Polled {
                outcome: Err(DeliveryError {
                    message: "a webhook is set".to_owned(),
                    retryable,
                    retry_after_secs,
                }),
                messages: vec![fake_message("never", "c", "stored")],
            }),
            Some(PollStep::Trap) => Err(CallError::Trap("unreachable".to_owned())),
        }
    }

    async fn on_agent_working(
        &self,
        _services: Arc<dyn InstanceServices>,
        _limits: &CallLimits,
        message: &InboundMessage,
    ) -> Result<Result<(), String>, CallError> {
        let id = &message.external_id;
        lock(&self.events).push(format!("working:{id}"));
        let takes = *lock(&self.presence_takes);
        tokio::time::sleep(takes).await;
        lock(&self.events).push(format!("worked:{id}"));
        Ok(Ok(()))
    }

    async fn on_http_request(
        &self,
        _services: Arc<dyn InstanceServices>,
        _limits: &CallLimits,
        request: &WebhookRequest,
    ) -> Result<HandledRequest, CallError> {
        lock(&self.requests).push(request.clone());
        let body: Value = serde_json::from_slice(&request.body)
            .map_err(|e| CallError::Trap(format!("not JSON: {e}")))?;
        let messages = body["messages"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|m| InboundMessage {
                external_id: m["id"].as_str().unwrap_or_default().to_owned(),
                conversation_id: m["conversation"].as_str().unwrap_or("c").to_owned(),
                sender_id: "someone".to_owned(),
                sender_name: None,
                text: m["text"].as_str().map(str::to_owned),
                timestamp: 1_700_000_000,
                reply_to: None,
                // A fake message may say it is a service event.
                kind: if m["kind"] == "system" {
                    MessageKind::System
                } else {
                    MessageKind::Text
                },
                is_edit: false,
                metadata: "{}".to_owned(),
                ..InboundMessage::default()
            })
            .collect();
        Ok(HandledRequest {
            response: WebhookResponse {
                status: 200,
                headers: Vec::new(),
                body: b"ok".to_vec(),
            },
            messages,
            dead_letter: None,
        })
    }

    async fn on_respond(
        &self,
        _services: Arc<dyn InstanceServices>,
        _limits: &CallLimits,
        message: &OutboundMessage,
    ) -> Result<Result<Receipt, DeliveryError>, CallError> {
        let step = lock(&self.respond).pop_front();
        match step {
            Some(Respond::Fail {
                retryable,
                retry_after_secs,
            }) => {
                return Ok(Err(DeliveryError {
                    message: "the platform said no".to_owned(),
                    retryable,
                    retry_after_secs,
                }));
            }
            Some(Respond::Trap) => return Err(CallError::Trap("unreachable".to_owned())),
            Some(Respond::Meet { mine, theirs }) => {
                theirs.notify_one();
                let met = tokio::time::timeout(Duration::from_secs(5), mine.notified()).await;
                if met.is_err() {
                    return Ok(Err(DeliveryError {
                        message: "the other call never ran alongside this one".to_owned(),
                        retryable: false,
                        retry_after_secs: None,
                    }));
                }
            }
            None => {}
        }
        lock(&self.sent).push(message.clone());
        lock(&self.events).push(format!("sent:{}", message.text));
        Ok(Ok(Receipt {
            external_id: Some(format!("sent-{}", message.idempotency_key)),
        }))
    }

    async fn on_message_persisted(
        &self,
        _services: Arc<dyn InstanceServices>,
        _limits: &CallLimits,
        message: &InboundMessage,
    ) -> Result<Result<(), String>, CallError> {
        let mut failures = lock(&self.hook_failures);
        if *failures > 0 {
            *failures -= 1;
            return Ok(Err("mark-as-read refused".to_owned()));
        }
        lock(&self.hooked).push(message.external_id.clone());
        Ok(Ok(()))
    }
}

fn fake_message(id: &str, conversation: &str, text: &str) -> InboundMessage {
    InboundMessage {
        external_id: id.to_owned(),
        conversation_id: conversation.to_owned(),
        sender_id: "someone".to_owned(),
        text: Some(text.to_owned()),
        timestamp: 1_700_000_000,
        kind: MessageKind::Text,
        metadata: "{}".to_owned(),
        ..InboundMessage::default()
    }
}

/// Hands each instance its fake channel.
#[derive(Debug, Default)]
pub(crate) struct FakeLoader {
    pub(crate) channels: HashMap<String, Arc<FakeChannel>>,
}

impl ChannelLoader for FakeLoader {
    fn load(&self, instance: &InstanceConfig) -> anyhow::Result<LoadedChannel> {
        let channel = self
            .channels
            .get(&instance.name)
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("no fake channel for {}", instance.name))?;
        Ok(LoadedChannel {
            channel,
            wit_version: None,
            from_cache: false,
        })
    }
}

/// An agent that answers "re: <text>", or fails as scripted, and records the order
/// in which it was asked.
#[derive(Debug, Default)]
pub(crate) struct ScriptedAgent {
    pub(crate) asked: Mutex<Vec<String>>,
    /// Texts whose next turns fail (retryable), with how many failures remain.
    pub(crate) failing: Mutex<BTreeMap<String, u32>>,
    /// Texts whose turns fail for good.
    pub(crate) rejecting: Mutex<Vec<String>>,
}

impl ScriptedAgent {
    pub(crate) fn asked(&self) -> Vec<String> {
        lock(&self.asked).clone()
    }
}

#[async_trait::async_trait]
impl Agent for ScriptedAgent {
    fn kind(&self) -> &'static str {
        "scripted"
    }

    async fn respond(&self, turn: &Turn) -> Result<Vec<Reply>, AgentError> {
        let text = turn.message.message.text.clone().unwrap_or_default();
        lock(&self.asked).push(text.clone());
        let url = Arc::new(url::Url::parse("http://agent.invalid/").expect("url"));
        if lock(&self.rejecting).contains(&text) {
            return Err(AgentError::Status {
                url,
                status: 400,
                body_excerpt: "bad request".to_owned(),
                retry_after: None,
            });
        }
        if let Some(left) = lock(&self.failing).get_mut(&text)
            && *left > 0
        {
            *left -= 1;
            return Err(AgentError::Status {
                url,
                status: 503,
                body_excerpt: "busy".to_owned(),
                retry_after: None,
            });
        }
        Ok(Reply::from_text(format!("re: {text}"))
            .into_iter()
            .collect())
    }
}

/// A daemon with one fake instance per name, a scripted agent and a manual clock.
pub(crate) struct Rig {
    pub(crate) harness: Harness,
    pub(crate) clock: Arc<ManualClock>,
    pub(crate) agent: Arc<ScriptedAgent>,
    pub(crate) channels: HashMap<String, Arc<FakeChannel>>,
    pub(crate) dir: TempDir,
}

pub(crate) fn workers() -> WorkerConfig {
    WorkerConfig {
        hook_max_attempts: 3,
        agent_max_attempts: 3,
        reply_max_attempts: 3,
        retry_base: Duration::from_secs(2),
        retry_max: Duration::from_secs(60),
        ..WorkerConfig::default()
    }
}

impl Rig {
    pub(crate) fn new(instances: &[&str]) -> Rig {
        Rig::with(instances, workers(), tempfile::tempdir().expect("temp dir"))
    }

    pub(crate) fn with(instances: &[&str], workers: WorkerConfig, dir: TempDir) -> Rig {
        Rig::with_access(instances, workers, dir, AccessPolicy::open())
    }

    /// A rig whose instances all have `access` as their policy.
    pub(crate) fn with_access(
        instances: &[&str],
        workers: WorkerConfig,
        dir: TempDir,
        access: AccessPolicy,
    ) -> Rig {
        Rig::with_settings(instances, workers, dir, access, &[], true)
    }

    /// A rig whose instances all have `access` and these settings, and the
    /// verification secret if `secret`.
    pub(crate) fn with_settings(
        instances: &[&str],
        workers: WorkerConfig,
        dir: TempDir,
        access: AccessPolicy,
        settings: &[(&str, &str)],
        secret: bool,
    ) -> Rig {
        let channels: HashMap<String, Arc<FakeChannel>> = instances
            .iter()
            .map(|name| ((*name).to_owned(), Arc::new(FakeChannel::default())))
            .collect();
        let agent = Arc::new(ScriptedAgent::default());
        let clock = Arc::new(ManualClock::starting_now());
        let config = DaemonConfig {
            data_dir: dir.path().to_owned(),
            store: StoreConfig::default(),
            instances: instances
                .iter()
                .map(|name| instance(name, access.clone(), settings, secret))
                .collect(),
            agent: agent.clone(),
            server: ServerLimits::default(),
            runtime: RuntimeConfig::default(),
            workers,
            api: Default::default(),
        };
        let loader = Arc::new(FakeLoader {
            channels: channels.clone(),
        });
        let harness = Harness::new(config, loader, clock.clone()).expect("daemon prepares");
        Rig {
            harness,
            clock,
            agent,
            channels,
            dir,
        }
    }

    pub(crate) fn channel(&self, name: &str) -> &FakeChannel {
        &self.channels[name]
    }

    /// Posts messages `(id, conversation, text)` to `instance`, signed; returns the
    /// status.
    pub(crate) async fn deliver(&self, instance: &str, messages: &[(&str, &str, &str)]) -> u16 {
        let body = json!({
            "messages": messages
                .iter()
                .map(|(id, conversation, text)| json!({"id": id, "conversation": conversation, "text": text}))
                .collect::<Vec<_>>()
        });
        let body = serde_json::to_vec(&body).expect("json");
        self.harness
            .post(instance, &[(TOKEN_HEADER, TOKEN)], &body)
            .await
            .status
    }

    pub(crate) fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }
}

fn instance(
    name: &str,
    access: AccessPolicy,
    settings: &[(&str, &str)],
    secret: bool,
) -> InstanceConfig {
    let manifest = serde_json::from_value(json!({
        "name": "fake",
        "version": "1.0.0",
        "wit": "0.2.2",
        "description": "a fake channel for the daemon's tests",
        "verification": {
            "post": {"scheme": "header-token", "header": TOKEN_HEADER, "secret": "token"}
        },
        "secrets": [{"name": "token", "description": "checked on every POST", "required": true}],
        "settings": [],
        "capabilities": {"http": []}
    }))
    .expect("manifest");
    InstanceConfig {
        name: name.to_owned(),
        component: ComponentRef {
            name: "fake".to_owned(),
            version: semver::Version::new(1, 0, 0),
            sha256: "0".repeat(64),
            wasm_path: "fake.wasm".into(),
            manifest,
        },
        secrets: if secret {
            BTreeMap::from([("token".to_owned(), TOKEN.to_owned())])
        } else {
            BTreeMap::new()
        },
        settings: settings
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        allow: Vec::new(),
        max_body_bytes: None,
        max_attachment_bytes: switchboard_daemon::DEFAULT_MAX_ATTACHMENT_BYTES,
        call_timeout: None,
        state_quota: Default::default(),
        access,
    }
}
