//! The channel's logic as plain Rust, for hosts that run it without the sandbox.
//!
//! The component's exports are thin glue over these functions (see `lib.rs`); a
//! native host calls the same functions with its own [`Host`]. Switchboard's
//! benchmark does this for its native baseline, so the sandbox's cost is measured
//! against exactly the code the component runs.

pub use switchboard_channel_sdk::{
    Attachment, AttachmentKind, Body, ButtonPress, ChatType, DeliveryFailure, FetchFailure, Host,
    Inbound, Kind, Level, OutboundAttachment, Reaction, Reply, Request, Response, SenderKind,
    Webhook, convert_attachment_kind, convert_kind,
};

/// `channel.on-http-request`: answers one verified webhook request, emitting
/// its messages through `host`.
pub fn on_http_request(host: &impl Host, request: &Webhook<'_>) -> Response {
    crate::webhook::handle(host, request.method, request.query, request.body)
}

/// `persistence.on-message-persisted`: marks a stored message from a person as
/// read (never "typing": the message may not be answered).
pub fn on_message_persisted(host: &impl Host, message: &Inbound) -> Result<(), String> {
    crate::outbound::mark_read(host, message)
}

/// `presence.on-agent-working`: shows WhatsApp's typing indicator while the
/// agent works on an answer to `message`.
pub fn on_agent_working(host: &impl Host, message: &Inbound) -> Result<(), String> {
    crate::outbound::show_typing(host, message)
}

/// `media.download-request`: the request that downloads `attachment`'s file,
/// after looking its media id up.
pub fn download_request(
    host: &impl Host,
    attachment: &Attachment,
) -> Result<Request, DeliveryFailure> {
    crate::download::download_request(host, attachment)
}

/// `channel.on-respond`: sends a reply (text and files); the id of its first
/// message on success.
pub fn on_respond(host: &impl Host, reply: &Reply) -> Result<Option<String>, DeliveryFailure> {
    crate::outbound::respond(host, reply)
}
