use switchboard_types::{FetchError, IncomingResponse, OutgoingRequest};

/// What a channel instance may reach outside its sandbox. The daemon implements
/// this once per configured instance (egress policy, secrets, settings, state
/// store); the runtime never sees a secret or a database.
#[async_trait::async_trait]
pub trait InstanceServices: Send + Sync {
    /// The instance name, for logs.
    fn instance(&self) -> &str;
    /// A non-secret setting (operator config, else manifest default).
    fn setting(&self, name: &str) -> Option<String>;
    /// Performs an outbound request under the instance's grants.
    async fn fetch(&self, request: OutgoingRequest) -> Result<IncomingResponse, FetchError>;
    /// Reads the instance's key-value state.
    async fn state_get(&self, key: &str) -> Result<Option<Vec<u8>>, String>;
    /// Durably writes the instance's key-value state.
    async fn state_set(&self, key: &str, value: Vec<u8>) -> Result<(), String>;
    /// Removes a key from the instance's key-value state.
    async fn state_delete(&self, key: &str) -> Result<(), String>;
    /// Masks secret values in text produced by the guest before it is logged.
    fn redact(&self, text: &str) -> String;
}
