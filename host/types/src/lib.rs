//! The vocabulary shared by Switchboard's host crates.
//!
//! These are plain data types with no I/O and no dependency on wasmtime, SQLite or
//! hyper. The WIT-generated types stay inside `switchboard-runtime`, which converts
//! to and from the types here at its edge, so that the store, the agent layer and
//! the ingress never depend on the component model.

mod capability;
mod history;
mod message;
mod outbound;
mod poll;
mod reply;
mod request;
mod session;

pub use capability::HttpCapability;
pub use history::{HistoryEntry, Role};
pub use message::{
    Attachment, AttachmentKind, AttachmentState, ButtonPress, ChatType, InboundMessage,
    MessageKind, NoTurn, Reaction, SenderKind, StoredAttachment, StoredMessage,
};
pub use outbound::{FetchError, Headers, IncomingResponse, OutgoingRequest};
pub use poll::{PollOutcome, Unmapped};
pub use reply::{DeliveryError, OutboundAttachment, OutboundMessage, Receipt};
pub use request::WebhookRequest;
pub use session::{FrameOutcome, SessionContext, SessionTarget};
