use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use sha2::{Digest, Sha256};
use switchboard_types::{
    Attachment, DeliveryError, FrameOutcome, InboundMessage, OutboundMessage, OutgoingRequest,
    PollOutcome, Receipt, SessionContext, SessionTarget, WebhookRequest,
};
use wasmtime::component::{Component, Instance, InstancePre};
use wasmtime::{PoolConcurrencyLimitError, Store, Trap, UpdateDeadline};

use crate::bindings::{v0_1, v0_2};
use crate::cache;
use crate::convert;
use crate::engine::{EPOCH_TICK, Runtime};
use crate::error::{CallError, LoadError};
use crate::guest_text::{MAX_GUEST_ERROR_BYTES, MAX_GUEST_LOG_LINE_BYTES, guest_text};
use crate::limits::CallLimits;
use crate::services::InstanceServices;
use crate::shim;
use crate::state::{CallState, GuestCounters, Phase};
use crate::version;

/// The response a guest chose for a webhook request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// The outcome of `on-http-request`: the response and every message emitted.
#[derive(Debug)]
pub struct HandledRequest {
    pub response: WebhookResponse,
    pub messages: Vec<InboundMessage>,
    /// Set when the guest asked (`host.dead-letter`) for the delivery to be kept
    /// for replay: the reason it gave.
    pub dead_letter: Option<String>,
}

/// What a call that receives returned and every message it emitted. The messages
/// count only with an `Ok` outcome: the caller stores them together with the
/// outcome's cursor (and, for a session, before it sends `send-after-commit`).
#[derive(Debug)]
pub struct Received<T> {
    pub outcome: Result<T, DeliveryError>,
    pub messages: Vec<InboundMessage>,
}

/// The outcome of `polling.poll`.
pub type Polled = Received<PollOutcome>;

/// The outcome of `session.on-frame` or `session.on-tick`.
pub type Framed = Received<FrameOutcome>;

impl<T> Received<T> {
    /// The guest's result, its error cleaned like every guest error, with the
    /// messages the call emitted when it succeeded.
    fn from_call<W>(
        result: Result<W, v0_2::wit::DeliveryError>,
        mut state: CallState,
        convert: impl FnOnce(W) -> T,
    ) -> Received<T> {
        let outcome = result
            .map(convert)
            .map_err(|error| delivery_error(&state, error));
        let messages = if outcome.is_ok() {
            std::mem::take(&mut state.emitted)
        } else {
            Vec::new()
        };
        Received { outcome, messages }
    }
}

/// The exports of a component, found once at load, for the release line it targets.
enum Exports {
    V0_1 {
        channel: v0_1::ChannelIndices,
        persistence: Option<v0_1::PersistenceIndices>,
    },
    V0_2 {
        channel: v0_2::ChannelIndices,
        persistence: Option<v0_2::PersistenceIndices>,
        presence: Option<v0_2::PresenceIndices>,
        media: Option<v0_2::MediaIndices>,
        polling: Option<v0_2::PollingIndices>,
        session: Option<v0_2::SessionIndices>,
    },
}

impl Exports {
    fn find(wit: &semver::Version, pre: &InstancePre<CallState>) -> wasmtime::Result<Exports> {
        // An `Err` from an optional interface only means it is not exported.
        Ok(if wit.major == 0 && wit.minor == 1 {
            Exports::V0_1 {
                channel: v0_1::ChannelIndices::new(pre)?,
                persistence: v0_1::PersistenceIndices::new(pre).ok(),
            }
        } else {
            Exports::V0_2 {
                channel: v0_2::ChannelIndices::new(pre)?,
                persistence: v0_2::PersistenceIndices::new(pre).ok(),
                presence: v0_2::PresenceIndices::new(pre).ok(),
                media: v0_2::MediaIndices::new(pre).ok(),
                polling: v0_2::PollingIndices::new(pre).ok(),
                session: v0_2::SessionIndices::new(pre).ok(),
            }
        })
    }

    fn has_persistence(&self) -> bool {
        match self {
            Exports::V0_1 { persistence, .. } => persistence.is_some(),
            Exports::V0_2 { persistence, .. } => persistence.is_some(),
        }
    }

    fn has_media(&self) -> bool {
        matches!(self, Exports::V0_2 { media: Some(_), .. })
    }

    fn has_polling(&self) -> bool {
        matches!(
            self,
            Exports::V0_2 {
                polling: Some(_),
                ..
            }
        )
    }

    fn has_session(&self) -> bool {
        matches!(
            self,
            Exports::V0_2 {
                session: Some(_),
                ..
            }
        )
    }

    fn has_presence(&self) -> bool {
        matches!(
            self,
            Exports::V0_2 {
                presence: Some(_),
                ..
            }
        )
    }
}

/// A compiled, linked channel component: one per installed version, built once
/// and shared by every call. Each call gets a fresh instance.
#[derive(Clone)]
pub struct ChannelComponent {
    inner: Arc<ComponentInner>,
}

struct ComponentInner {
    name: String,
    sha256: String,
    wit: semver::Version,
    runtime: Runtime,
    pre: InstancePre<CallState>,
    exports: Exports,
    counters: Arc<GuestCounters>,
    from_cache: bool,
}

impl std::fmt::Debug for ChannelComponent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChannelComponent")
            .field("name", &self.inner.name)
            .field("sha256", &self.inner.sha256)
            .field("wit", &self.inner.wit)
            .field("persistence", &self.inner.exports.has_persistence())
            .field("presence", &self.inner.exports.has_presence())
            .field("media", &self.inner.exports.has_media())
            .field("polling", &self.inner.exports.has_polling())
            .field("session", &self.inner.exports.has_session())
            .finish_non_exhaustive()
    }
}

impl Runtime {
    /// Compiles (or loads from `cache_dir`) and links a channel component.
    ///
    /// Checks the WIT version the component targets *before* linking, so a
    /// component built for another version gets an error naming both versions
    /// instead of a linker error.
    pub fn load(
        &self,
        name: &str,
        wasm: &[u8],
        cache_dir: Option<&Path>,
    ) -> Result<ChannelComponent, LoadError> {
        let engine = &self.inner.engine;
        let sha256 = hex::encode(Sha256::digest(wasm));
        let cache_path = cache_dir.map(|dir| cache::entry_path(dir, &sha256, &self.compat_hash()));
        let cached = cache_path.as_deref().and_then(|p| cache::load(engine, p));
        let from_cache = cached.is_some();
        let component = match cached {
            Some(component) => component,
            None => {
                let component =
                    Component::new(engine, wasm).map_err(|source| LoadError::Compile {
                        name: name.to_owned(),
                        source,
                    })?;
                if let Some(path) = &cache_path {
                    cache::store(&component, path);
                }
                component
            }
        };
        let wit = version::check(name, &component, engine)?;
        let pre = self
            .inner
            .linker
            .instantiate_pre(&component)
            .map_err(|source| LoadError::Link {
                name: name.to_owned(),
                source,
            })?;
        let exports = Exports::find(&wit, &pre).map_err(|source| LoadError::Link {
            name: name.to_owned(),
            source,
        })?;
        Ok(ChannelComponent {
            inner: Arc::new(ComponentInner {
                name: name.to_owned(),
                sha256,
                wit,
                runtime: self.clone(),
                pre,
                exports,
                counters: Arc::new(GuestCounters::default()),
                from_cache,
            }),
        })
    }

    /// [`Runtime::load`] for a file.
    pub fn load_file(
        &self,
        name: &str,
        path: &Path,
        cache_dir: Option<&Path>,
    ) -> Result<ChannelComponent, LoadError> {
        let wasm = std::fs::read(path).map_err(|source| LoadError::Io {
            path: path.to_owned(),
            source,
        })?;
        self.load(name, &wasm, cache_dir)
    }
}

impl ChannelComponent {
    /// The component name it was loaded under.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// Hex sha256 of the component bytes.
    pub fn sha256(&self) -> &str {
        &self.inner.sha256
    }

    /// The `switchboard:channel` version the component targets.
    pub fn wit_version(&self) -> &semver::Version {
        &self.inner.wit
    }

    /// Whether the component exports the optional `persistence` hook.
    pub fn has_persistence_hook(&self) -> bool {
        self.inner.exports.has_persistence()
    }

    /// Whether the component exports the optional `media` interface (0.2.1 and later).
    pub fn has_media_export(&self) -> bool {
        self.inner.exports.has_media()
    }

    /// Whether the component exports the optional `polling` interface (0.2.2 and later).
    pub fn has_polling_export(&self) -> bool {
        self.inner.exports.has_polling()
    }

    /// Whether the component exports the optional `session` interface (0.2.2 and later).
    pub fn has_session_export(&self) -> bool {
        self.inner.exports.has_session()
    }

    /// Whether the component exports the optional `presence` hook (0.2 and later).
    pub fn has_presence_hook(&self) -> bool {
        self.inner.exports.has_presence()
    }

    /// Whether the compiled code came from the on-disk cache.
    pub fn loaded_from_cache(&self) -> bool {
        self.inner.from_cache
    }

    /// Counters shared by every call into this component.
    pub fn counters(&self) -> &GuestCounters {
        &self.inner.counters
    }

    /// Runs `on-http-request` on a fresh instance and returns its response with
    /// the messages it emitted. Nothing is stored here; the caller persists the
    /// messages before sending the response. The request is passed as given: the
    /// daemon masks verification tokens once, when it builds the request.
    pub async fn on_http_request(
        &self,
        services: Arc<dyn InstanceServices>,
        limits: &CallLimits,
        request: &WebhookRequest,
    ) -> Result<HandledRequest, CallError> {
        // The one copy of the body: into the guest's linear memory.
        let (method, path, query, headers, body) = (
            request.method.clone(),
            request.path.clone(),
            request.query.clone(),
            request.headers.clone(),
            request.body.to_vec(),
        );
        // The record is the same in both release lines, but each has its own type.
        macro_rules! through {
            ($($wit:ident)::+, $channel:expr) => {{
                let request = $($wit)::+::HttpRequest {
                    method,
                    path,
                    query,
                    headers,
                    body,
                };
                self.call(
                    Phase::HttpRequest,
                    services,
                    limits,
                    async |store, instance| {
                        let guest = $channel.load(&mut *store, instance)?;
                        let r = guest.call_on_http_request(&mut *store, &request).await?;
                        Ok(WebhookResponse {
                            status: r.status,
                            headers: r.headers,
                            body: r.body,
                        })
                    },
                )
                .await?
            }};
        }
        let (response, mut state) = match &self.inner.exports {
            Exports::V0_2 { channel, .. } => through!(v0_2::wit, channel),
            Exports::V0_1 { channel, .. } => through!(v0_1::wit, channel),
        };
        Ok(HandledRequest {
            response,
            messages: std::mem::take(&mut state.emitted),
            dead_letter: state.dead_letter.take(),
        })
    }

    /// Runs `on-respond` on a fresh instance.
    pub async fn on_respond(
        &self,
        services: Arc<dyn InstanceServices>,
        limits: &CallLimits,
        message: &OutboundMessage,
    ) -> Result<Result<Receipt, DeliveryError>, CallError> {
        let (result, state) = match &self.inner.exports {
            Exports::V0_2 { channel, .. } => {
                let message = convert::outbound_to_wit(message);
                self.call(Phase::Respond, services, limits, async |store, instance| {
                    let guest = channel.load(&mut *store, instance)?;
                    let sent = guest.call_on_respond(&mut *store, &message).await?;
                    Ok(sent
                        .map(convert::receipt_from_wit)
                        .map_err(convert::delivery_error_from_wit))
                })
                .await?
            }
            Exports::V0_1 { channel, .. } => {
                let message = shim::outbound_to_v0_1(message);
                self.call(Phase::Respond, services, limits, async |store, instance| {
                    let guest = channel.load(&mut *store, instance)?;
                    let sent = guest.call_on_respond(&mut *store, &message).await?;
                    Ok(sent
                        .map(shim::receipt_from_v0_1)
                        .map_err(shim::delivery_error_from_v0_1))
                })
                .await?
            }
        };
        Ok(result.map_err(|mut error| {
            error.message = clean_error(&state, &error.message);
            error
        }))
    }

    /// Runs `on-message-persisted` on a fresh instance; `NotExported` if the
    /// component has no such hook.
    pub async fn on_message_persisted(
        &self,
        services: Arc<dyn InstanceServices>,
        limits: &CallLimits,
        message: &InboundMessage,
    ) -> Result<Result<(), String>, CallError> {
        let (result, state) = match &self.inner.exports {
            Exports::V0_2 {
                persistence: Some(indices),
                ..
            } => {
                let message = convert::message_to_wit(message);
                self.call(
                    Phase::Persisted,
                    services,
                    limits,
                    async |store, instance| {
                        let guest = indices.load(&mut *store, instance)?;
                        guest.call_on_message_persisted(&mut *store, &message).await
                    },
                )
                .await?
            }
            Exports::V0_1 {
                persistence: Some(indices),
                ..
            } => {
                let message = shim::message_to_v0_1(message);
                self.call(
                    Phase::Persisted,
                    services,
                    limits,
                    async |store, instance| {
                        let guest = indices.load(&mut *store, instance)?;
                        guest.call_on_message_persisted(&mut *store, &message).await
                    },
                )
                .await?
            }
            _ => return Err(CallError::NotExported("persistence.on-message-persisted")),
        };
        Ok(result.map_err(|error| clean_error(&state, &error)))
    }

    /// Runs `on-agent-working` on a fresh instance; `NotExported` if the component
    /// has no `presence` hook (every 0.1.x component).
    pub async fn on_agent_working(
        &self,
        services: Arc<dyn InstanceServices>,
        limits: &CallLimits,
        message: &InboundMessage,
    ) -> Result<Result<(), String>, CallError> {
        let Exports::V0_2 {
            presence: Some(indices),
            ..
        } = &self.inner.exports
        else {
            return Err(CallError::NotExported("presence.on-agent-working"));
        };
        let message = convert::message_to_wit(message);
        let (result, state) = self
            .call(
                Phase::Presence,
                services,
                limits,
                async |store, instance| {
                    let guest = indices.load(&mut *store, instance)?;
                    guest.call_on_agent_working(&mut *store, &message).await
                },
            )
            .await?;
        Ok(result.map_err(|error| clean_error(&state, &error)))
    }

    /// `polling.poll` on a fresh instance: what arrived since `cursor`, with the
    /// messages emitted meanwhile. Nothing is stored here. Fails with
    /// [`CallError::NotExported`] for a component without the `polling` export.
    pub async fn poll(
        &self,
        services: Arc<dyn InstanceServices>,
        limits: &CallLimits,
        cursor: Option<&str>,
    ) -> Result<Polled, CallError> {
        let Exports::V0_2 {
            polling: Some(indices),
            ..
        } = &self.inner.exports
        else {
            return Err(CallError::NotExported("polling.poll"));
        };
        let cursor = cursor.map(str::to_owned);
        let (result, state) = self
            .call(Phase::Poll, services, limits, async |store, instance| {
                let guest = indices.load(&mut *store, instance)?;
                guest.call_poll(&mut *store, cursor.as_deref()).await
            })
            .await?;
        Ok(Received::from_call(
            result,
            state,
            convert::poll_outcome_from_wit,
        ))
    }

    fn session_indices(&self, export: &'static str) -> Result<&v0_2::SessionIndices, CallError> {
        match &self.inner.exports {
            Exports::V0_2 {
                session: Some(indices),
                ..
            } => Ok(indices),
            _ => Err(CallError::NotExported(export)),
        }
    }

    /// `session.open` on a fresh instance: where to connect.
    pub async fn session_open(
        &self,
        services: Arc<dyn InstanceServices>,
        limits: &CallLimits,
        context: &SessionContext,
    ) -> Result<Result<SessionTarget, DeliveryError>, CallError> {
        let indices = self.session_indices("session.open")?;
        let context = convert::session_context_to_wit(context);
        let (result, state) = self
            .call(Phase::Session, services, limits, async |store, instance| {
                let guest = indices.load(&mut *store, instance)?;
                guest.call_open(&mut *store, &context).await
            })
            .await?;
        Ok(result
            .map(convert::session_target_from_wit)
            .map_err(|error| delivery_error(&state, error)))
    }

    /// `session.on-frame` (a text frame) or, with `frame` `None`, `session.on-tick`,
    /// on a fresh instance, with the messages emitted meanwhile. Nothing is stored
    /// or sent here.
    pub async fn session_call(
        &self,
        services: Arc<dyn InstanceServices>,
        limits: &CallLimits,
        frame: Option<&str>,
        context: &SessionContext,
    ) -> Result<Framed, CallError> {
        let export = if frame.is_some() {
            "session.on-frame"
        } else {
            "session.on-tick"
        };
        let indices = self.session_indices(export)?;
        let context = convert::session_context_to_wit(context);
        let (result, state) = self
            .call(Phase::Session, services, limits, async |store, instance| {
                let guest = indices.load(&mut *store, instance)?;
                match frame {
                    Some(frame) => guest.call_on_frame(&mut *store, frame, &context).await,
                    None => guest.call_on_tick(&mut *store, &context).await,
                }
            })
            .await?;
        Ok(Received::from_call(
            result,
            state,
            convert::frame_outcome_from_wit,
        ))
    }

    /// `media.download-request`: the request that downloads `attachment`. Fails with
    /// [`CallError::NotExported`] for a component without the `media` export.
    pub async fn download_request(
        &self,
        services: Arc<dyn InstanceServices>,
        limits: &CallLimits,
        attachment: &Attachment,
    ) -> Result<Result<OutgoingRequest, DeliveryError>, CallError> {
        let Exports::V0_2 {
            media: Some(indices),
            ..
        } = &self.inner.exports
        else {
            return Err(CallError::NotExported("media.download-request"));
        };
        let attachment = convert::attachment_to_wit(attachment);
        let (result, state) = self
            .call(Phase::Media, services, limits, async |store, instance| {
                let guest = indices.load(&mut *store, instance)?;
                guest.call_download_request(&mut *store, &attachment).await
            })
            .await?;
        Ok(match result {
            Ok(request) => convert::download_from_wit(request),
            Err(error) => Err(delivery_error(&state, error)),
        })
    }

    /// Instantiates a fresh instance under the call's limits, runs `f`, and maps
    /// every way the call can fail onto [`CallError`].
    async fn call<R>(
        &self,
        phase: Phase,
        services: Arc<dyn InstanceServices>,
        limits: &CallLimits,
        f: impl AsyncFnOnce(&mut Store<CallState>, &Instance) -> wasmtime::Result<R>,
    ) -> Result<(R, CallState), CallError> {
        let engine = &self.inner.runtime.inner.engine;
        let state = CallState::new(phase, limits.clone(), services, self.inner.counters.clone());
        let mut store = Store::new(engine, state);
        store.limiter(|state| &mut state.limits);
        // Guest code yields to the async runtime at every epoch tick and is interrupted
        // once its wall-clock deadline has passed. Without the yields a spinning guest
        // would hold a runtime thread until its deadline: with as many spinning calls as
        // threads, nothing else (accept, other instances' webhooks, the queues, timers)
        // would run meanwhile.
        let started = Instant::now();
        let interrupt_at = started + limits.deadline;
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |_| {
            Ok(if Instant::now() >= interrupt_at {
                UpdateDeadline::Interrupt
            } else {
                UpdateDeadline::Yield(1)
            })
        });

        let deadline_ms = u64::try_from(limits.deadline.as_millis()).unwrap_or(u64::MAX);
        // Epochs interrupt guest code; this timeout also bounds time spent waiting in
        // host calls (outbound HTTP, state), which epochs cannot interrupt.
        let outcome = tokio::time::timeout(limits.deadline + EPOCH_TICK * 2, async {
            let instance = self.inner.pre.instantiate_async(&mut store).await?;
            f(&mut store, &instance).await
        })
        .await;
        let result = match outcome {
            Err(_elapsed) => Err(CallError::Deadline { deadline_ms }),
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(classify(&error, store.data(), deadline_ms)),
        };
        let state = store.into_data();
        forward_stdio(&self.inner.name, &state);
        match result {
            Ok(value) => {
                tracing::trace!(component = %self.inner.name, ?phase, elapsed_us = started.elapsed().as_micros() as u64, "guest call finished");
                Ok((value, state))
            }
            Err(e) => Err(e),
        }
    }
}

/// A guest's `delivery-error` with its message cleaned as [`clean_error`] does.
fn delivery_error(state: &CallState, error: v0_2::wit::DeliveryError) -> DeliveryError {
    let mut error = convert::delivery_error_from_wit(error);
    error.message = clean_error(state, &error.message);
    error
}

/// A guest's error message as the host logs and stores it: secrets masked, control
/// characters escaped, at most [`MAX_GUEST_ERROR_BYTES`].
fn clean_error(state: &CallState, message: &str) -> String {
    guest_text(&state.services.redact(message), MAX_GUEST_ERROR_BYTES)
}

fn classify(error: &wasmtime::Error, state: &CallState, deadline_ms: u64) -> CallError {
    if let Some(why) = &state.limit_hit {
        return CallError::Limit(why.clone());
    }
    if error.downcast_ref::<PoolConcurrencyLimitError>().is_some() {
        return CallError::Busy;
    }
    match error.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => CallError::Deadline { deadline_ms },
        Some(trap) => CallError::Trap(trap.to_string()),
        None => {
            // The text may quote the guest (names from its own custom sections).
            let text = clean_error(state, &format!("{error:#}"));
            // `trap_on_grow_failure` reports a refused memory or table growth as a
            // plain error rather than a `Trap` code.
            if text.contains("forcing trap when growing") {
                CallError::Limit(format!("memory or table growth beyond the limit: {text}"))
            } else {
                CallError::Trap(text)
            }
        }
    }
}

/// Sends what the guest wrote to stdout/stderr to the log (bounded by the pipes'
/// capacity), so `println!` debugging works without giving guests a file system.
fn forward_stdio(component: &str, state: &CallState) {
    for (stream, pipe) in [("stdout", &state.stdout), ("stderr", &state.stderr)] {
        let bytes = pipe.contents();
        if bytes.is_empty() {
            continue;
        }
        let text = state.services.redact(&String::from_utf8_lossy(&bytes));
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let line = guest_text(line, MAX_GUEST_LOG_LINE_BYTES);
            tracing::info!(target: "guest", component, instance = state.services.instance(), stream, "{line}");
        }
    }
}
