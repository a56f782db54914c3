use std::sync::Arc;
use std::thread;
use std::time::Duration;

use wasmtime::component::{HasSelf, Linker};
use wasmtime::{Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::bindings::{v0_1, v0_2};
use crate::error::LoadError;
use crate::state::CallState;

/// How often the epoch ticker advances. Deadlines are rounded up to whole ticks, so
/// this is the precision of a guest deadline; 5 ms keeps the ticker's own cost
/// negligible while interrupting a runaway guest within a few milliseconds.
pub const EPOCH_TICK: Duration = Duration::from_millis(5);

/// Engine-wide sandbox configuration.
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// Guest calls that may run at once; sizes the instance pool. A call beyond it
    /// fails with `CallError::Busy` (the daemon answers 503), never blocks.
    pub max_concurrent_calls: u32,
    /// The largest linear memory any instance may be configured with.
    pub max_memory_bytes: usize,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            max_concurrent_calls: 256,
            max_memory_bytes: 128 << 20,
        }
    }
}

/// The wasmtime engine, the shared linker, and the epoch ticker.
///
/// Build one per process; every loaded component shares it. Dropping the last clone
/// stops the ticker thread.
#[derive(Clone)]
pub struct Runtime {
    pub(crate) inner: Arc<RuntimeInner>,
}

pub(crate) struct RuntimeInner {
    pub(crate) engine: Engine,
    pub(crate) linker: Linker<CallState>,
    pub(crate) config: RuntimeConfig,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl Runtime {
    /// Configures the engine (pooling allocator, epoch interruption, async calls)
    /// and starts the epoch ticker.
    pub fn new(config: RuntimeConfig) -> Result<Runtime, LoadError> {
        let engine = Engine::new(&engine_config(&config)).map_err(LoadError::Engine)?;
        let mut linker = Linker::<CallState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(LoadError::Engine)?;
        // Both release lines side by side: their interface names differ in the
        // version (`@0.1.1`, `@0.2.0`), so each component links to its own.
        v0_2::All::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| state)
            .map_err(LoadError::Engine)?;
        v0_1::Full::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| state)
            .map_err(LoadError::Engine)?;
        start_ticker(&engine)?;
        Ok(Runtime {
            inner: Arc::new(RuntimeInner {
                engine,
                linker,
                config,
            }),
        })
    }

    /// The engine's precompiled-code compatibility hash, part of the cache key.
    pub(crate) fn compat_hash(&self) -> String {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.inner
            .engine
            .precompile_compatibility_hash()
            .hash(&mut h);
        format!("{:016x}", h.finish())
    }
}

/// Core module instances one component may create; more is refused at load.
pub const MAX_CORE_INSTANCES_PER_COMPONENT: u32 = 32;
/// Linear memories one component may contain; more is refused at load.
pub const MAX_MEMORIES_PER_COMPONENT: u32 = 2;
/// Tables one component may contain; more is refused at load.
pub const MAX_TABLES_PER_COMPONENT: u32 = 8;

fn engine_config(config: &RuntimeConfig) -> Config {
    let mut c = Config::new();
    c.wasm_component_model(true);
    c.epoch_interruption(true);
    // The pool is sized for the concurrency limit so that exhaustion shows up as a
    // clean `Busy` instead of an allocation error deep inside instantiation. Every
    // component is held to the share of the pool one call may take, so that one that
    // instantiates a core module hundreds of times is refused when it is loaded,
    // instead of taking every slot (and every other call getting `Busy`) or
    // committing gigabytes. A Rust wasip2 component needs 3 to 5 core instances, one
    // memory and a few tables. Components that embed an interpreter fit as well
    // (measured): componentize-js 0.23 (StarlingMonkey) needs 4 core instances, one
    // memory and two tables; componentize-py 0.25 (CPython, its libraries linked
    // as separate core modules) needs 14 core instances, one memory and two tables
    // (the larger with 5682 elements, under `CallLimits::max_table_elements`). A
    // Python channel that bundles native extension modules adds a core instance
    // for each, so the limit leaves it room: 32. Only the count of instances a
    // component may create grows; the pool's memory reservations do not.
    let n = config.max_concurrent_calls.max(1);
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(n)
        .total_core_instances(n * MAX_CORE_INSTANCES_PER_COMPONENT)
        .total_memories(n * MAX_MEMORIES_PER_COMPONENT)
        .total_tables(n * MAX_TABLES_PER_COMPONENT)
        .max_core_instances_per_component(MAX_CORE_INSTANCES_PER_COMPONENT)
        .max_memories_per_component(MAX_MEMORIES_PER_COMPONENT)
        .max_tables_per_component(MAX_TABLES_PER_COMPONENT)
        .total_stacks(n)
        .max_memory_size(config.max_memory_bytes)
        // Keeping a little memory resident per slot avoids re-faulting the
        // guest's first pages on every call (measured: ~3x faster instantiation).
        .linear_memory_keep_resident(1 << 20)
        .table_keep_resident(64 << 10)
        // With the pagemap scan (Linux 6.7+) only the pages a call actually dirtied
        // are reset, instead of memsetting the whole resident megabyte after every
        // call; the benchmark profile showed that memset at 16-20 % of daemon CPU.
        .pagemap_scan(Enabled::Auto);
    c.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    // Each call maps the component's initialised memory copy-on-write from one image
    // instead of copying its data segments. wasmtime's default, set here because the
    // per-call instance depends on it: a componentize-py component (18 MiB, a 12 MiB
    // memory pre-initialised with the interpreter and the app imported) instantiates
    // in 0.45 ms with it and 4.7 ms without, on every call. It applies to components
    // loaded from the compiled-code cache too.
    c.memory_init_cow(true);
    c
}

/// Advances the engine's epoch every tick until the engine is dropped.
fn start_ticker(engine: &Engine) -> Result<(), LoadError> {
    let weak = engine.weak();
    thread::Builder::new()
        .name("wasm-epoch".to_owned())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                thread::sleep(EPOCH_TICK);
            }
        })
        // Without a ticker no guest call could be interrupted: refuse to run.
        .map_err(|e| {
            LoadError::Engine(wasmtime::Error::new(e).context("cannot start the epoch ticker"))
        })?;
    Ok(())
}
