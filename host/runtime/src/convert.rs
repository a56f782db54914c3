//! Conversions between WIT-generated types and `switchboard-types`, so generated
//! types never leave this crate.

use switchboard_types as t;

use crate::bindings::wit;

pub(crate) fn kind_from_wit(kind: wit::MessageKind) -> t::MessageKind {
    match kind {
        wit::MessageKind::Text => t::MessageKind::Text,
        wit::MessageKind::Image => t::MessageKind::Image,
        wit::MessageKind::Audio => t::MessageKind::Audio,
        wit::MessageKind::Video => t::MessageKind::Video,
        wit::MessageKind::Document => t::MessageKind::Document,
        wit::MessageKind::Sticker => t::MessageKind::Sticker,
        wit::MessageKind::Location => t::MessageKind::Location,
        wit::MessageKind::Contact => t::MessageKind::Contact,
        wit::MessageKind::Reaction => t::MessageKind::Reaction,
        wit::MessageKind::Interactive => t::MessageKind::Interactive,
        wit::MessageKind::Button => t::MessageKind::Button,
        wit::MessageKind::System => t::MessageKind::System,
        wit::MessageKind::Other => t::MessageKind::Other,
    }
}

pub(crate) fn kind_to_wit(kind: t::MessageKind) -> wit::MessageKind {
    match kind {
        t::MessageKind::Text => wit::MessageKind::Text,
        t::MessageKind::Image => wit::MessageKind::Image,
        t::MessageKind::Audio => wit::MessageKind::Audio,
        t::MessageKind::Video => wit::MessageKind::Video,
        t::MessageKind::Document => wit::MessageKind::Document,
        t::MessageKind::Sticker => wit::MessageKind::Sticker,
        t::MessageKind::Location => wit::MessageKind::Location,
        t::MessageKind::Contact => wit::MessageKind::Contact,
        t::MessageKind::Reaction => wit::MessageKind::Reaction,
        t::MessageKind::Interactive => wit::MessageKind::Interactive,
        t::MessageKind::Button => wit::MessageKind::Button,
        t::MessageKind::System => wit::MessageKind::System,
        t::MessageKind::Other => wit::MessageKind::Other,
    }
}

pub(crate) fn message_from_wit(m: wit::InboundMessage) -> t::InboundMessage {
    t::InboundMessage {
        external_id: m.external_id,
        conversation_id: m.conversation_id,
        sender_id: m.sender_id,
        sender_name: m.sender_name,
        text: m.text,
        timestamp: m.timestamp,
        reply_to: m.reply_to,
        kind: kind_from_wit(m.kind),
        is_edit: m.is_edit,
        metadata: m.metadata,
    }
}

pub(crate) fn message_to_wit(m: &t::InboundMessage) -> wit::InboundMessage {
    wit::InboundMessage {
        external_id: m.external_id.clone(),
        conversation_id: m.conversation_id.clone(),
        sender_id: m.sender_id.clone(),
        sender_name: m.sender_name.clone(),
        text: m.text.clone(),
        timestamp: m.timestamp,
        reply_to: m.reply_to.clone(),
        kind: kind_to_wit(m.kind),
        is_edit: m.is_edit,
        metadata: m.metadata.clone(),
    }
}

pub(crate) fn outbound_to_wit(m: &t::OutboundMessage) -> wit::OutboundMessage {
    wit::OutboundMessage {
        conversation_id: m.conversation_id.clone(),
        text: m.text.clone(),
        in_reply_to: m.in_reply_to.as_ref().map(message_to_wit),
        idempotency_key: m.idempotency_key.clone(),
    }
}

pub(crate) fn receipt_from_wit(r: wit::Receipt) -> t::Receipt {
    t::Receipt {
        external_id: r.external_id,
    }
}

pub(crate) fn delivery_error_from_wit(e: wit::DeliveryError) -> t::DeliveryError {
    t::DeliveryError {
        message: e.message,
        retryable: e.retryable,
        retry_after_secs: e.retry_after_secs,
    }
}

pub(crate) fn request_from_wit(r: wit::OutgoingRequest) -> t::OutgoingRequest {
    t::OutgoingRequest {
        method: r.method,
        url: r.url,
        headers: r.headers,
        body: r.body,
        timeout_ms: r.timeout_ms,
    }
}

pub(crate) fn response_to_wit(r: t::IncomingResponse) -> wit::IncomingResponse {
    wit::IncomingResponse {
        status: r.status,
        headers: r.headers,
        body: r.body,
    }
}

pub(crate) fn fetch_error_to_wit(e: t::FetchError) -> wit::FetchError {
    match e {
        t::FetchError::Denied(why) => wit::FetchError::Denied(why),
        t::FetchError::Timeout => wit::FetchError::Timeout,
        t::FetchError::Network(why) => wit::FetchError::Network(why),
        t::FetchError::TooLarge => wit::FetchError::TooLarge,
        t::FetchError::Invalid(why) => wit::FetchError::Invalid(why),
    }
}
