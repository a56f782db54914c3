use std::time::Duration;

/// Limits applied to every call into one channel instance.
#[derive(Debug, Clone)]
pub struct CallLimits {
    /// Wall-clock budget of one call, guest CPU and host calls together. Guest code is
    /// interrupted by epochs; host calls by the async timeout around the whole call.
    pub deadline: Duration,
    /// Linear memory the instance may grow to (per memory). The default, 64 MiB, also
    /// fits a component that embeds an interpreter (measured with componentize-py
    /// 0.25: its memory starts at 12 MiB and a 4 MiB body, the most a manifest may
    /// ask for by default, runs within 32 MiB).
    pub max_memory_bytes: usize,
    /// Table elements per table.
    pub max_table_elements: usize,
    /// Messages one `on-http-request` may emit.
    pub max_emits: usize,
    /// Total bytes (ids, text and metadata) one call may emit.
    pub max_emit_bytes: usize,
    /// Largest `metadata` JSON of one message.
    pub max_metadata_bytes: usize,
    /// Outbound requests per call.
    pub max_fetches: u32,
    /// Bytes of `host.log` output per call; the rest is dropped and counted.
    pub max_log_bytes: usize,
}

impl Default for CallLimits {
    /// Defaults sized for real platform payloads: WhatsApp batches up to 1000 updates
    /// in a body of up to 3 MB, so emitting a few thousand messages and several MiB is
    /// legitimate; a guest trying to exhaust host memory is stopped well before that
    /// matters.
    fn default() -> Self {
        CallLimits {
            deadline: Duration::from_secs(5),
            max_memory_bytes: 64 << 20,
            max_table_elements: 20_000,
            max_emits: 2_000,
            max_emit_bytes: 8 << 20,
            max_metadata_bytes: 64 << 10,
            max_fetches: 16,
            max_log_bytes: 64 << 10,
        }
    }
}

/// The least deadline of a `polling.poll` call: long polling waits for news (Telegram
/// allows `getUpdates` to wait up to 50 s), so a poll gets this much even when the
/// instance's other calls have a few seconds.
pub const POLL_DEADLINE: Duration = Duration::from_secs(65);

impl CallLimits {
    /// These limits for a `polling.poll` call: the deadline is at least
    /// [`POLL_DEADLINE`].
    #[must_use]
    pub fn for_poll(&self) -> CallLimits {
        CallLimits {
            deadline: self.deadline.max(POLL_DEADLINE),
            ..self.clone()
        }
    }
}

/// Longest external id accepted from `emit`, in bytes.
pub const MAX_EXTERNAL_ID_BYTES: usize = 512;
/// Largest key of the per-instance key-value state.
pub const MAX_STATE_KEY_BYTES: usize = 256;
/// Largest value of the per-instance key-value state.
pub const MAX_STATE_VALUE_BYTES: usize = 64 << 10;
