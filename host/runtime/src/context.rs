//! The `context` interface (new in WIT 0.1.1): what a guest may know about the call it
//! runs in. Read-only and cheap, so none of it counts against a limit.

use crate::bindings::ContextHost;
use crate::state::CallState;

impl ContextHost for CallState {
    async fn instance_name(&mut self) -> wasmtime::Result<String> {
        Ok(self.services.instance().to_owned())
    }

    async fn remaining_millis(&mut self) -> wasmtime::Result<u64> {
        let remaining = self
            .call_limits
            .deadline
            .saturating_sub(self.started.elapsed());
        Ok(u64::try_from(remaining.as_millis()).unwrap_or(u64::MAX))
    }

    async fn remaining_fetches(&mut self) -> wasmtime::Result<u32> {
        Ok(self.call_limits.max_fetches.saturating_sub(self.fetches))
    }
}
