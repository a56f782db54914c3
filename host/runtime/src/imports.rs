//! The host functions a guest can call, written once against the plain types of
//! `switchboard-types`. The bindings of each WIT release line (`convert.rs` for
//! 0.2, `shim.rs` for 0.1) convert and call these. Each one checks the per-call
//! limits before doing anything on the guest's behalf.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use switchboard_types as t;
use wasmtime::bail;

use crate::guest_text::{MAX_GUEST_ERROR_BYTES, MAX_GUEST_LOG_LINE_BYTES, guest_text};
use crate::limits::{MAX_EXTERNAL_ID_BYTES, MAX_STATE_KEY_BYTES, MAX_STATE_VALUE_BYTES};
use crate::multipart::{self, BodySegment};
use crate::state::{CallState, Phase};

/// The `host` functions whose signatures are the same in every release line, for
/// each line's generated `Host` trait (`convert.rs`, `shim.rs`).
macro_rules! same_in_every_version {
    () => {
        async fn setting(&mut self, name: String) -> wasmtime::Result<Option<String>> {
            Ok(CallState::setting(self, &name))
        }

        async fn state_get(&mut self, key: String) -> wasmtime::Result<Option<Vec<u8>>> {
            CallState::state_get(self, &key).await
        }

        async fn state_set(
            &mut self,
            key: String,
            value: Vec<u8>,
        ) -> wasmtime::Result<Result<(), String>> {
            Ok(CallState::state_set(self, &key, value).await)
        }

        async fn state_delete(&mut self, key: String) -> wasmtime::Result<()> {
            CallState::state_delete(self, &key).await
        }

        async fn now_millis(&mut self) -> wasmtime::Result<u64> {
            Ok(CallState::now_millis())
        }
    };
}
pub(crate) use same_in_every_version;

/// The `context` interface, identical in every release line that has it.
macro_rules! context_host {
    ($trait:path) => {
        impl $trait for CallState {
            async fn instance_name(&mut self) -> wasmtime::Result<String> {
                Ok(CallState::instance_name(self))
            }

            async fn remaining_millis(&mut self) -> wasmtime::Result<u64> {
                Ok(CallState::remaining_millis(self))
            }

            async fn remaining_fetches(&mut self) -> wasmtime::Result<u32> {
                Ok(CallState::remaining_fetches(self))
            }
        }
    };
}
pub(crate) use context_host;

/// A guest log level, as both release lines have it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Level {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

/// The body of an outbound request before the host assembles it.
pub(crate) enum Body {
    Bytes(Vec<u8>),
    Blob(String),
    Multipart(Vec<multipart::Part>),
}

impl CallState {
    pub(crate) fn log(&mut self, level: Level, message: &str) {
        let budget = self
            .call_limits
            .max_log_bytes
            .saturating_sub(self.log_bytes);
        if message.len() > budget {
            self.note_dropped_log(message.len());
            return;
        }
        self.log_bytes += message.len();
        let message = guest_text(&self.services.redact(message), MAX_GUEST_LOG_LINE_BYTES);
        let instance = self.services.instance();
        match level {
            Level::Trace => tracing::trace!(target: "guest", instance, "{message}"),
            Level::Debug => tracing::debug!(target: "guest", instance, "{message}"),
            Level::Info => tracing::info!(target: "guest", instance, "{message}"),
            Level::Warn => tracing::warn!(target: "guest", instance, "{message}"),
            Level::Error => tracing::error!(target: "guest", instance, "{message}"),
        }
    }

    pub(crate) fn emit(
        &mut self,
        message: t::InboundMessage,
    ) -> wasmtime::Result<Result<(), String>> {
        if !matches!(
            self.phase,
            Phase::HttpRequest | Phase::Poll | Phase::Session
        ) {
            return Ok(Err(
                "emit is only valid during on-http-request, poll, on-frame and on-tick".to_owned(),
            ));
        }
        if message.external_id.is_empty() || message.external_id.len() > MAX_EXTERNAL_ID_BYTES {
            return Ok(Err(format!(
                "external-id must be 1 to {MAX_EXTERNAL_ID_BYTES} bytes"
            )));
        }
        if message.metadata.len() > self.call_limits.max_metadata_bytes {
            return Ok(Err(format!(
                "metadata is {} bytes; at most {} allowed",
                message.metadata.len(),
                self.call_limits.max_metadata_bytes
            )));
        }
        if !metadata_is_object(&message.metadata) {
            return Ok(Err("metadata must be a JSON object".to_owned()));
        }
        if message.reaction.is_some() && message.kind != t::MessageKind::Reaction {
            return Ok(Err(format!(
                "a reaction is only valid on a message of kind reaction, not {}",
                message.kind.as_str()
            )));
        }
        if message.button.is_some() && message.kind != t::MessageKind::Button {
            return Ok(Err(format!(
                "a button press is only valid on a message of kind button, not {}",
                message.kind.as_str()
            )));
        }
        let size = message_size(&message);
        if self.emitted.len() >= self.call_limits.max_emits {
            return self.trap_limit(format!(
                "more than {} messages emitted in one call",
                self.call_limits.max_emits
            ));
        }
        if self.emitted_bytes + size > self.call_limits.max_emit_bytes {
            return self.trap_limit(format!(
                "more than {} bytes emitted in one call",
                self.call_limits.max_emit_bytes
            ));
        }
        self.emitted_bytes += size;
        self.emitted.push(message);
        Ok(Ok(()))
    }

    pub(crate) fn dead_letter(&mut self, reason: &str) -> Result<(), String> {
        if matches!(self.phase, Phase::Poll | Phase::Session) {
            return Err(
                "dead-letter is not valid during poll or a session call: return the update in the outcome's unmapped list"
                    .to_owned(),
            );
        }
        if self.phase != Phase::HttpRequest {
            return Err("dead-letter is only valid during on-http-request".to_owned());
        }
        // One dead letter per delivery: later reasons are appended to the first, and
        // the whole is bounded like any other guest error text.
        let reason = guest_text(&self.services.redact(reason), MAX_GUEST_ERROR_BYTES);
        self.dead_letter = Some(match self.dead_letter.take() {
            None => reason,
            Some(first) => guest_text(&format!("{first}; {reason}"), MAX_GUEST_ERROR_BYTES),
        });
        Ok(())
    }

    pub(crate) async fn http_fetch(
        &mut self,
        method: String,
        url: String,
        mut headers: t::Headers,
        body: Body,
        timeout_ms: Option<u32>,
    ) -> Result<t::IncomingResponse, t::FetchError> {
        if self.fetches >= self.call_limits.max_fetches {
            return Err(t::FetchError::Denied(format!(
                "at most {} outbound requests per call",
                self.call_limits.max_fetches
            )));
        }
        self.fetches += 1;
        // A request may not outlive the call that made it.
        let remaining = self
            .call_limits
            .deadline
            .saturating_sub(self.started.elapsed());
        if remaining.is_zero() {
            return Err(t::FetchError::Timeout);
        }
        let segments = match body {
            Body::Bytes(bytes) => vec![BodySegment::Bytes(bytes)],
            Body::Blob(blob) => vec![BodySegment::Blob(blob)],
            Body::Multipart(parts) => {
                let assembled = multipart::assemble(parts)?;
                headers.retain(|(name, _)| !name.eq_ignore_ascii_case("content-type"));
                headers.push(("content-type".to_owned(), assembled.content_type));
                assembled.segments
            }
        };
        let remaining_ms = u32::try_from(remaining.as_millis()).unwrap_or(u32::MAX);
        let mut request = t::OutgoingRequest {
            method,
            url,
            headers,
            body: Vec::new(),
            timeout_ms: Some(timeout_ms.map_or(remaining_ms, |t| t.min(remaining_ms))),
        };
        match multipart::only_bytes(&segments) {
            Some(body) => {
                request.body = body;
                self.services.fetch(request).await
            }
            // Blob content never enters the guest; the host streams it from its store.
            None => self.services.fetch_with_blobs(request, segments).await,
        }
    }

    pub(crate) fn setting(&self, name: &str) -> Option<String> {
        self.services.setting(name)
    }

    pub(crate) async fn state_get(&mut self, key: &str) -> wasmtime::Result<Option<Vec<u8>>> {
        if key.len() > MAX_STATE_KEY_BYTES {
            return Ok(None);
        }
        match self.services.state_get(key).await {
            Ok(value) => Ok(value),
            // A storage failure must not look like a missing key to the guest, which
            // could then overwrite good state; failing the call is the safe answer.
            Err(e) => bail!("state-get failed: {e}"),
        }
    }

    pub(crate) async fn state_set(&mut self, key: &str, value: Vec<u8>) -> Result<(), String> {
        if key.is_empty() || key.len() > MAX_STATE_KEY_BYTES {
            return Err(format!("key must be 1 to {MAX_STATE_KEY_BYTES} bytes"));
        }
        if value.len() > MAX_STATE_VALUE_BYTES {
            return Err(format!(
                "value must be at most {MAX_STATE_VALUE_BYTES} bytes"
            ));
        }
        self.services.state_set(key, value).await
    }

    pub(crate) async fn state_delete(&mut self, key: &str) -> wasmtime::Result<()> {
        if key.len() > MAX_STATE_KEY_BYTES {
            return Ok(());
        }
        match self.services.state_delete(key).await {
            Ok(()) => Ok(()),
            Err(e) => bail!("state-delete failed: {e}"),
        }
    }

    pub(crate) fn now_millis() -> u64 {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        u64::try_from(now.as_millis()).unwrap_or(u64::MAX)
    }

    pub(crate) fn instance_name(&self) -> String {
        self.services.instance().to_owned()
    }

    pub(crate) fn remaining_millis(&self) -> u64 {
        let remaining = self
            .call_limits
            .deadline
            .saturating_sub(self.started.elapsed());
        u64::try_from(remaining.as_millis()).unwrap_or(u64::MAX)
    }

    pub(crate) fn remaining_fetches(&self) -> u32 {
        self.call_limits.max_fetches.saturating_sub(self.fetches)
    }

    fn trap_limit<T>(&mut self, why: String) -> wasmtime::Result<T> {
        self.limit_hit = Some(why.clone());
        bail!("{why}")
    }
}

/// What an emitted message costs against the per-call byte budget.
fn message_size(m: &t::InboundMessage) -> usize {
    let optional = |s: &Option<String>| s.as_ref().map_or(0, String::len);
    let attachments: usize = m
        .attachments
        .iter()
        .map(|a| {
            a.reference.len()
                + optional(&a.mime_type)
                + optional(&a.file_name)
                + optional(&a.caption)
        })
        .sum();
    m.external_id.len()
        + m.conversation_id.len()
        + m.sender_id.len()
        + optional(&m.sender_name)
        + optional(&m.text)
        + optional(&m.reply_to)
        + optional(&m.thread_id)
        + attachments
        + m.reaction
            .as_ref()
            .map_or(0, |r| r.target.len() + r.emoji.len())
        + m.button
            .as_ref()
            .map_or(0, |b| b.payload.len() + optional(&b.label))
        + m.metadata.len()
}

fn metadata_is_object(metadata: &str) -> bool {
    let trimmed = metadata.trim_start();
    trimmed.is_empty()
        || (trimmed.starts_with('{')
            && serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(metadata).is_ok())
}
