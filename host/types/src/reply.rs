use serde::{Deserialize, Serialize};

use crate::InboundMessage;

/// A reply on its way to the platform (mirrors the WIT `outbound-message`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboundMessage {
    pub conversation_id: String,
    pub text: String,
    /// The message being answered, as it was emitted.
    pub in_reply_to: Option<InboundMessage>,
    /// Stable across retries of this reply.
    pub idempotency_key: String,
}

/// The platform accepted a reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub external_id: Option<String>,
}

/// A reply could not be delivered; `retryable` says whether trying again can help.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryError {
    pub message: String,
    pub retryable: bool,
    pub retry_after_secs: Option<u32>,
}
