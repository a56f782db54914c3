//! The `host` interface: every function a guest can call. Each one checks the
//! per-call limits before doing anything on the guest's behalf.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use wasmtime::bail;

use crate::bindings::{Host, wit};
use crate::convert;
use crate::guest_text::{MAX_GUEST_LOG_LINE_BYTES, guest_text};
use crate::limits::{MAX_EXTERNAL_ID_BYTES, MAX_STATE_KEY_BYTES, MAX_STATE_VALUE_BYTES};
use crate::state::{CallState, Phase};

impl wit::Host for CallState {}

impl Host for CallState {
    async fn log(&mut self, level: wit::LogLevel, message: String) -> wasmtime::Result<()> {
        let budget = self
            .call_limits
            .max_log_bytes
            .saturating_sub(self.log_bytes);
        if message.len() > budget {
            self.note_dropped_log(message.len());
            return Ok(());
        }
        self.log_bytes += message.len();
        let message = guest_text(&self.services.redact(&message), MAX_GUEST_LOG_LINE_BYTES);
        let instance = self.services.instance();
        match level {
            wit::LogLevel::Trace => tracing::trace!(target: "guest", instance, "{message}"),
            wit::LogLevel::Debug => tracing::debug!(target: "guest", instance, "{message}"),
            wit::LogLevel::Info => tracing::info!(target: "guest", instance, "{message}"),
            wit::LogLevel::Warn => tracing::warn!(target: "guest", instance, "{message}"),
            wit::LogLevel::Error => tracing::error!(target: "guest", instance, "{message}"),
        }
        Ok(())
    }

    async fn emit(&mut self, message: wit::InboundMessage) -> wasmtime::Result<Result<(), String>> {
        if self.phase != Phase::HttpRequest {
            return Ok(Err("emit is only valid during on-http-request".to_owned()));
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
        self.emitted.push(convert::message_from_wit(message));
        Ok(Ok(()))
    }

    async fn http_fetch(
        &mut self,
        request: wit::OutgoingRequest,
    ) -> wasmtime::Result<Result<wit::IncomingResponse, wit::FetchError>> {
        if self.fetches >= self.call_limits.max_fetches {
            return Ok(Err(wit::FetchError::Denied(format!(
                "at most {} outbound requests per call",
                self.call_limits.max_fetches
            ))));
        }
        self.fetches += 1;
        // A request may not outlive the call that made it.
        let remaining = self
            .call_limits
            .deadline
            .saturating_sub(self.started.elapsed());
        if remaining.is_zero() {
            return Ok(Err(wit::FetchError::Timeout));
        }
        let mut request = convert::request_from_wit(request);
        let remaining_ms = u32::try_from(remaining.as_millis()).unwrap_or(u32::MAX);
        request.timeout_ms = Some(
            request
                .timeout_ms
                .map_or(remaining_ms, |t| t.min(remaining_ms)),
        );
        let result = self.services.fetch(request).await;
        Ok(result
            .map(convert::response_to_wit)
            .map_err(convert::fetch_error_to_wit))
    }

    async fn setting(&mut self, name: String) -> wasmtime::Result<Option<String>> {
        Ok(self.services.setting(&name))
    }

    async fn state_get(&mut self, key: String) -> wasmtime::Result<Option<Vec<u8>>> {
        if key.len() > MAX_STATE_KEY_BYTES {
            return Ok(None);
        }
        match self.services.state_get(&key).await {
            Ok(value) => Ok(value),
            // A storage failure must not look like a missing key to the guest, which
            // could then overwrite good state; failing the call is the safe answer.
            Err(e) => bail!("state-get failed: {e}"),
        }
    }

    async fn state_set(
        &mut self,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), String>> {
        if key.is_empty() || key.len() > MAX_STATE_KEY_BYTES {
            return Ok(Err(format!("key must be 1 to {MAX_STATE_KEY_BYTES} bytes")));
        }
        if value.len() > MAX_STATE_VALUE_BYTES {
            return Ok(Err(format!(
                "value must be at most {MAX_STATE_VALUE_BYTES} bytes"
            )));
        }
        Ok(self.services.state_set(&key, value).await)
    }

    async fn state_delete(&mut self, key: String) -> wasmtime::Result<()> {
        if key.len() > MAX_STATE_KEY_BYTES {
            return Ok(());
        }
        match self.services.state_delete(&key).await {
            Ok(()) => Ok(()),
            Err(e) => bail!("state-delete failed: {e}"),
        }
    }

    async fn now_millis(&mut self) -> wasmtime::Result<u64> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        Ok(u64::try_from(now.as_millis()).unwrap_or(u64::MAX))
    }
}

impl CallState {
    fn trap_limit<T>(&mut self, why: String) -> wasmtime::Result<T> {
        self.limit_hit = Some(why.clone());
        bail!("{why}")
    }
}

fn message_size(m: &wit::InboundMessage) -> usize {
    m.external_id.len()
        + m.conversation_id.len()
        + m.sender_id.len()
        + m.sender_name.as_ref().map_or(0, String::len)
        + m.text.as_ref().map_or(0, String::len)
        + m.reply_to.as_ref().map_or(0, String::len)
        + m.metadata.len()
}

fn metadata_is_object(metadata: &str) -> bool {
    let trimmed = metadata.trim_start();
    trimmed.is_empty()
        || (trimmed.starts_with('{')
            && serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(metadata).is_ok())
}
