use switchboard_types::{FetchError, IncomingResponse, OutgoingRequest};

use crate::multipart::BodySegment;

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
    /// Performs an outbound request whose body refers to stored blobs: `body`'s
    /// segments in order, each blob streamed from the store (`request.body` is
    /// empty). Without a blob store every blob is unknown.
    async fn fetch_with_blobs(
        &self,
        request: OutgoingRequest,
        body: Vec<BodySegment>,
    ) -> Result<IncomingResponse, FetchError> {
        let _ = request;
        let blob = body.iter().find_map(|segment| match segment {
            BodySegment::Blob(blob) => Some(blob.as_str()),
            BodySegment::Bytes(_) => None,
        });
        Err(FetchError::Invalid(format!(
            "blob {:?} is not stored on this host",
            blob.unwrap_or_default()
        )))
    }
    /// Reads the instance's key-value state.
    async fn state_get(&self, key: &str) -> Result<Option<Vec<u8>>, String>;
    /// Durably writes the instance's key-value state.
    async fn state_set(&self, key: &str, value: Vec<u8>) -> Result<(), String>;
    /// Removes a key from the instance's key-value state.
    async fn state_delete(&self, key: &str) -> Result<(), String>;
    /// Masks secret values in text produced by the guest before it is logged.
    fn redact(&self, text: &str) -> String;
}
