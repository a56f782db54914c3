use std::collections::BTreeMap;

use std::time::Duration;

use bytes::Bytes;
use switchboard_egress::{BodyPart, Egress, Policy, StreamedBody, redact};
use switchboard_runtime::{BodySegment, InstanceServices};
use switchboard_store::{BlobStore, StateQuota, Store};
use switchboard_types::{FetchError, IncomingResponse, OutgoingRequest};

/// What one channel instance's guest calls may reach: its grants and secrets (via
/// egress), its settings, and its own key-value state.
pub(crate) struct Services {
    pub(crate) instance: String,
    pub(crate) settings: BTreeMap<String, String>,
    pub(crate) egress: Egress,
    pub(crate) policy: Policy,
    /// Secret values that are not placeholders (verification secrets) but must
    /// still never appear in logs or in what the guest reads.
    pub(crate) withheld: Vec<String>,
    pub(crate) store: Store,
    /// Where request bodies that refer to blobs are read from.
    pub(crate) blobs: BlobStore,
    /// The most state the guest may keep.
    pub(crate) state_quota: StateQuota,
}

#[async_trait::async_trait]
impl InstanceServices for Services {
    fn instance(&self) -> &str {
        &self.instance
    }

    fn setting(&self, name: &str) -> Option<String> {
        self.settings.get(name).cloned()
    }

    async fn fetch(&self, request: OutgoingRequest) -> Result<IncomingResponse, FetchError> {
        let method = request.method.clone();
        let result = self.egress.fetch(&self.policy, request).await;
        match &result {
            Ok(response) => {
                tracing::debug!(instance = %self.instance, %method, status = response.status, "outbound request answered");
            }
            Err(e) => {
                tracing::warn!(instance = %self.instance, %method, error = %e, "outbound request failed");
            }
        }
        result
    }

    async fn fetch_with_blobs(
        &self,
        request: OutgoingRequest,
        body: Vec<BodySegment>,
    ) -> Result<IncomingResponse, FetchError> {
        let mut streamed = StreamedBody::default();
        for segment in body {
            match segment {
                BodySegment::Bytes(bytes) => streamed.push(BodyPart::Bytes(Bytes::from(bytes))),
                BodySegment::Blob(blob) => {
                    let opened = self.blobs.open_read(&blob).await.map_err(|e| {
                        FetchError::Invalid(format!("blob {blob:?} cannot be read: {e}"))
                    })?;
                    let Some((file, len)) = opened else {
                        return Err(FetchError::Invalid(format!(
                            "blob {blob:?} is not stored on this host"
                        )));
                    };
                    streamed.push(BodyPart::File { file, len });
                }
            }
        }
        let method = request.method.clone();
        let bytes = streamed.len();
        // The call's remaining time bounds the upload, as for any request of the call.
        let timeout = Duration::from_millis(u64::from(request.timeout_ms.unwrap_or(30_000)));
        let result = self
            .egress
            .fetch_streamed(&self.policy, request, streamed, timeout)
            .await;
        match &result {
            Ok(response) => {
                tracing::debug!(instance = %self.instance, %method, bytes, status = response.status, "outbound upload answered");
            }
            Err(e) => {
                tracing::warn!(instance = %self.instance, %method, bytes, error = %e, "outbound upload failed");
            }
        }
        result
    }

    async fn state_get(&self, key: &str) -> Result<Option<Vec<u8>>, String> {
        self.store
            .state_get(&self.instance, key)
            .await
            .map_err(|e| e.to_string())
    }

    async fn state_set(&self, key: &str, value: Vec<u8>) -> Result<(), String> {
        self.store
            .state_set(&self.instance, key, value, self.state_quota)
            .await
            .map_err(|e| e.to_string())
    }

    async fn state_delete(&self, key: &str) -> Result<(), String> {
        self.store
            .state_delete(&self.instance, key)
            .await
            .map_err(|e| e.to_string())
    }

    fn redact(&self, text: &str) -> String {
        let mut text = redact(text, &self.policy);
        for value in &self.withheld {
            if !value.is_empty() && text.contains(value.as_str()) {
                text = text.replace(value.as_str(), "[redacted]");
            }
        }
        text
    }
}
