//! The WhatsApp channel's own payload code, compiled natively for T2.
//!
//! `crate::message` and `crate::parse` are the channel's `message.rs` and
//! `parse.rs`, included by path (see `lib.rs`): T2 then does exactly the parsing
//! the component does, minus the sandbox, and this file stands in for the
//! component's glue (`host.emit` of each message).

use serde_json::Value;
use switchboard_types::{InboundMessage, MessageKind};

use crate::message::{Inbound, Kind};
use crate::parse::parse_webhook;

/// The messages of one delivery body, or why it is not JSON (the component
/// answers 400 then).
pub fn messages_of(body: &[u8]) -> Result<Vec<InboundMessage>, serde_json::Error> {
    let payload: Value = serde_json::from_slice(body)?;
    let parsed = parse_webhook(&payload);
    // The component logs these at debug or warn level; the benchmark's payloads
    // have none, so counting them is all the work there is to mirror.
    let ignored = parsed.statuses
        + parsed.other_fields.len()
        + parsed.platform_errors.len()
        + parsed.problems.len();
    std::hint::black_box(ignored);
    Ok(parsed.messages.into_iter().map(inbound_message).collect())
}

fn inbound_message(message: Inbound) -> InboundMessage {
    InboundMessage {
        external_id: message.external_id,
        conversation_id: message.conversation_id,
        sender_id: message.sender_id,
        sender_name: message.sender_name,
        text: message.text,
        timestamp: message.timestamp,
        reply_to: message.reply_to,
        kind: match message.kind {
            Kind::Text => MessageKind::Text,
            Kind::Image => MessageKind::Image,
            Kind::Audio => MessageKind::Audio,
            Kind::Video => MessageKind::Video,
            Kind::Document => MessageKind::Document,
            Kind::Sticker => MessageKind::Sticker,
            Kind::Location => MessageKind::Location,
            Kind::Contact => MessageKind::Contact,
            Kind::Reaction => MessageKind::Reaction,
            Kind::Interactive => MessageKind::Interactive,
            Kind::Button => MessageKind::Button,
            Kind::System => MessageKind::System,
            Kind::Other => MessageKind::Other,
        },
        is_edit: message.is_edit,
        metadata: message.metadata,
    }
}
