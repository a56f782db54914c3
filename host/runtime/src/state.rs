use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use switchboard_types::InboundMessage;
use wasmtime::StoreLimits;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::limits::CallLimits;
use crate::services::InstanceServices;

/// Which export is running; some imports are valid only during one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    HttpRequest,
    Respond,
    Persisted,
    Presence,
    Media,
    Poll,
    Session,
}

/// Bytes of guest stdout/stderr kept per call; writes beyond it fail, which Rust's
/// `print!` turns into a panic, so the bound is generous.
const STDIO_CAPACITY: usize = 64 << 10;

/// Counters that outlive a call, shared by every call into one component.
#[derive(Debug, Default)]
pub struct GuestCounters {
    /// `host.log` bytes dropped because a call exceeded its log budget.
    pub log_bytes_dropped: AtomicU64,
}

/// The data of one `Store`: everything a single guest call may touch.
pub(crate) struct CallState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(crate) limits: StoreLimits,
    pub(crate) call_limits: CallLimits,
    pub(crate) services: Arc<dyn InstanceServices>,
    pub(crate) counters: Arc<GuestCounters>,
    pub(crate) phase: Phase,
    pub(crate) started: Instant,
    pub(crate) emitted: Vec<InboundMessage>,
    pub(crate) emitted_bytes: usize,
    /// Why the guest asked for the delivery to be kept as a dead letter, if it did.
    pub(crate) dead_letter: Option<String>,
    pub(crate) fetches: u32,
    pub(crate) log_bytes: usize,
    /// Set when a host import decided to trap because a limit was hit, so the
    /// caller can report a limit rather than a generic trap.
    pub(crate) limit_hit: Option<String>,
    pub(crate) stdout: MemoryOutputPipe,
    pub(crate) stderr: MemoryOutputPipe,
}

impl CallState {
    pub(crate) fn new(
        phase: Phase,
        call_limits: CallLimits,
        services: Arc<dyn InstanceServices>,
        counters: Arc<GuestCounters>,
    ) -> CallState {
        let stdout = MemoryOutputPipe::new(STDIO_CAPACITY);
        let stderr = MemoryOutputPipe::new(STDIO_CAPACITY);
        // No preopens, no environment, no arguments, no sockets, closed stdin: the
        // guest reaches the outside world only through the `host` interface.
        let wasi = WasiCtx::builder()
            .stdout(stdout.clone())
            .stderr(stderr.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        let limits = wasmtime::StoreLimitsBuilder::new()
            .memory_size(call_limits.max_memory_bytes)
            .table_elements(call_limits.max_table_elements)
            .trap_on_grow_failure(true)
            .build();
        CallState {
            wasi,
            table: ResourceTable::new(),
            limits,
            call_limits,
            services,
            counters,
            phase,
            started: Instant::now(),
            emitted: Vec::new(),
            emitted_bytes: 0,
            dead_letter: None,
            fetches: 0,
            log_bytes: 0,
            limit_hit: None,
            stdout,
            stderr,
        }
    }

    pub(crate) fn note_dropped_log(&self, bytes: usize) {
        self.counters
            .log_bytes_dropped
            .fetch_add(bytes as u64, Ordering::Relaxed);
    }
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}
