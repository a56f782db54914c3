use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use sha2::{Digest, Sha256};
use switchboard_types::{DeliveryError, InboundMessage, OutboundMessage, Receipt, WebhookRequest};
use wasmtime::component::{Component, Instance, InstancePre};
use wasmtime::{PoolConcurrencyLimitError, Store, Trap, UpdateDeadline};

use crate::bindings::{ChannelIndices, PersistenceIndices, wit};
use crate::cache;
use crate::convert;
use crate::engine::{EPOCH_TICK, Runtime};
use crate::error::{CallError, LoadError};
use crate::guest_text::{MAX_GUEST_ERROR_BYTES, MAX_GUEST_LOG_LINE_BYTES, guest_text};
use crate::limits::CallLimits;
use crate::services::InstanceServices;
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
    channel: ChannelIndices,
    persistence: Option<PersistenceIndices>,
    counters: Arc<GuestCounters>,
    from_cache: bool,
}

impl std::fmt::Debug for ChannelComponent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChannelComponent")
            .field("name", &self.inner.name)
            .field("sha256", &self.inner.sha256)
            .field("wit", &self.inner.wit)
            .field("persistence", &self.inner.persistence.is_some())
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
        let channel = ChannelIndices::new(&pre).map_err(|source| LoadError::Link {
            name: name.to_owned(),
            source,
        })?;
        // An `Err` here only means the optional hook is not exported.
        let persistence = PersistenceIndices::new(&pre).ok();
        Ok(ChannelComponent {
            inner: Arc::new(ComponentInner {
                name: name.to_owned(),
                sha256,
                wit,
                runtime: self.clone(),
                pre,
                channel,
                persistence,
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
        self.inner.persistence.is_some()
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
        let request = wit::HttpRequest {
            method: request.method.clone(),
            path: request.path.clone(),
            query: request.query.clone(),
            headers: request.headers.clone(),
            body: request.body.to_vec(),
        };
        let (response, state) = self
            .call(
                Phase::HttpRequest,
                services,
                limits,
                async |store, instance| {
                    let guest = self.inner.channel.load(&mut *store, instance)?;
                    guest.call_on_http_request(&mut *store, &request).await
                },
            )
            .await?;
        Ok(HandledRequest {
            response: WebhookResponse {
                status: response.status,
                headers: response.headers,
                body: response.body,
            },
            messages: state.emitted,
        })
    }

    /// Runs `on-respond` on a fresh instance.
    pub async fn on_respond(
        &self,
        services: Arc<dyn InstanceServices>,
        limits: &CallLimits,
        message: &OutboundMessage,
    ) -> Result<Result<Receipt, DeliveryError>, CallError> {
        let message = convert::outbound_to_wit(message);
        let (result, state) = self
            .call(Phase::Respond, services, limits, async |store, instance| {
                let guest = self.inner.channel.load(&mut *store, instance)?;
                guest.call_on_respond(&mut *store, &message).await
            })
            .await?;
        Ok(result.map(convert::receipt_from_wit).map_err(|e| {
            let mut error = convert::delivery_error_from_wit(e);
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
        let Some(indices) = &self.inner.persistence else {
            return Err(CallError::NotExported("persistence.on-message-persisted"));
        };
        let message = convert::message_to_wit(message);
        let (result, state) = self
            .call(
                Phase::Persisted,
                services,
                limits,
                async |store, instance| {
                    let guest = indices.load(&mut *store, instance)?;
                    guest.call_on_message_persisted(&mut *store, &message).await
                },
            )
            .await?;
        Ok(result.map_err(|error| clean_error(&state, &error)))
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
