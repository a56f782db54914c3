use serde::{Deserialize, Serialize};

use crate::{AttachmentKind, InboundMessage};

/// A file to send with a message (mirrors the WIT `outbound-attachment`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboundAttachment {
    pub kind: AttachmentKind,
    pub mime_type: String,
    pub size: u64,
    pub file_name: Option<String>,
    pub caption: Option<String>,
    /// Lower-case hex sha256 of the stored blob.
    pub blob: String,
}

/// A message on its way to the platform (mirrors the WIT `outbound-message`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboundMessage {
    pub conversation_id: String,
    /// The thread or topic to send into.
    pub thread_id: Option<String>,
    pub text: String,
    pub attachments: Vec<OutboundAttachment>,
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
