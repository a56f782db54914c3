//! The 0.1 bindings at the host's edge: components built against
//! `switchboard:channel@0.1.x` run on the same host logic as 0.2 ones.
//!
//! What 0.1 cannot say is filled with the safe value: chat type unknown (access
//! policies treat it as a direct message), sent by a person, no mention, no thread,
//! no edit time, no attachments, reaction or button press. What 0.2 adds on the way
//! out (a reply's thread and attachments, the fields above on a message handed back)
//! is dropped; a 0.1 component has no `presence` export, so it is never asked.

use switchboard_types as t;

use crate::bindings::v0_1::{ContextHost, Host, wit};
use crate::imports::{Body, Level, context_host, same_in_every_version};
use crate::state::CallState;

fn kind_from_v0_1(kind: wit::MessageKind) -> t::MessageKind {
    use wit::MessageKind as K;
    match kind {
        K::Text => t::MessageKind::Text,
        K::Image => t::MessageKind::Image,
        K::Audio => t::MessageKind::Audio,
        K::Video => t::MessageKind::Video,
        K::Document => t::MessageKind::Document,
        K::Sticker => t::MessageKind::Sticker,
        K::Location => t::MessageKind::Location,
        K::Contact => t::MessageKind::Contact,
        K::Reaction => t::MessageKind::Reaction,
        K::Interactive => t::MessageKind::Interactive,
        K::Button => t::MessageKind::Button,
        K::System => t::MessageKind::System,
        K::Other => t::MessageKind::Other,
    }
}

fn kind_to_v0_1(kind: t::MessageKind) -> wit::MessageKind {
    use wit::MessageKind as K;
    match kind {
        t::MessageKind::Text => K::Text,
        t::MessageKind::Image => K::Image,
        t::MessageKind::Audio => K::Audio,
        t::MessageKind::Video => K::Video,
        t::MessageKind::Document => K::Document,
        t::MessageKind::Sticker => K::Sticker,
        t::MessageKind::Location => K::Location,
        t::MessageKind::Contact => K::Contact,
        t::MessageKind::Reaction => K::Reaction,
        t::MessageKind::Interactive => K::Interactive,
        t::MessageKind::Button => K::Button,
        t::MessageKind::System => K::System,
        t::MessageKind::Other => K::Other,
    }
}

pub(crate) fn message_from_v0_1(m: wit::InboundMessage) -> t::InboundMessage {
    t::InboundMessage {
        external_id: m.external_id,
        conversation_id: m.conversation_id,
        sender_id: m.sender_id,
        sender_name: m.sender_name,
        text: m.text,
        timestamp: m.timestamp,
        reply_to: m.reply_to,
        kind: kind_from_v0_1(m.kind),
        is_edit: m.is_edit,
        metadata: m.metadata,
        ..t::InboundMessage::default()
    }
}

pub(crate) fn message_to_v0_1(m: &t::InboundMessage) -> wit::InboundMessage {
    wit::InboundMessage {
        external_id: m.external_id.clone(),
        conversation_id: m.conversation_id.clone(),
        sender_id: m.sender_id.clone(),
        sender_name: m.sender_name.clone(),
        text: m.text.clone(),
        timestamp: m.timestamp,
        reply_to: m.reply_to.clone(),
        kind: kind_to_v0_1(m.kind),
        is_edit: m.is_edit,
        metadata: m.metadata.clone(),
    }
}

pub(crate) fn outbound_to_v0_1(m: &t::OutboundMessage) -> wit::OutboundMessage {
    wit::OutboundMessage {
        conversation_id: m.conversation_id.clone(),
        text: m.text.clone(),
        in_reply_to: m.in_reply_to.as_ref().map(message_to_v0_1),
        idempotency_key: m.idempotency_key.clone(),
    }
}

pub(crate) fn receipt_from_v0_1(r: wit::Receipt) -> t::Receipt {
    t::Receipt {
        external_id: r.external_id,
    }
}

pub(crate) fn delivery_error_from_v0_1(e: wit::DeliveryError) -> t::DeliveryError {
    t::DeliveryError {
        message: e.message,
        retryable: e.retryable,
        retry_after_secs: e.retry_after_secs,
    }
}

fn fetch_error_to_v0_1(e: t::FetchError) -> wit::FetchError {
    match e {
        t::FetchError::Denied(why) => wit::FetchError::Denied(why),
        t::FetchError::Timeout => wit::FetchError::Timeout,
        t::FetchError::Network(why) => wit::FetchError::Network(why),
        t::FetchError::TooLarge => wit::FetchError::TooLarge,
        t::FetchError::Invalid(why) => wit::FetchError::Invalid(why),
    }
}

impl wit::Host for CallState {}

impl Host for CallState {
    async fn log(&mut self, level: wit::LogLevel, message: String) -> wasmtime::Result<()> {
        let level = match level {
            wit::LogLevel::Trace => Level::Trace,
            wit::LogLevel::Debug => Level::Debug,
            wit::LogLevel::Info => Level::Info,
            wit::LogLevel::Warn => Level::Warn,
            wit::LogLevel::Error => Level::Error,
        };
        CallState::log(self, level, &message);
        Ok(())
    }

    async fn emit(&mut self, message: wit::InboundMessage) -> wasmtime::Result<Result<(), String>> {
        CallState::emit(self, message_from_v0_1(message))
    }

    async fn http_fetch(
        &mut self,
        request: wit::OutgoingRequest,
    ) -> wasmtime::Result<Result<wit::IncomingResponse, wit::FetchError>> {
        let result = CallState::http_fetch(
            self,
            request.method,
            request.url,
            request.headers,
            Body::Bytes(request.body),
            request.timeout_ms,
        )
        .await;
        Ok(result
            .map(|r| wit::IncomingResponse {
                status: r.status,
                headers: r.headers,
                body: r.body,
            })
            .map_err(fetch_error_to_v0_1))
    }

    same_in_every_version!();
}

context_host!(ContextHost);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_0_1_message_gets_the_safe_values_for_what_it_cannot_say() {
        let message = message_from_v0_1(wit::InboundMessage {
            external_id: "e1".to_owned(),
            conversation_id: "c1".to_owned(),
            sender_id: "s1".to_owned(),
            sender_name: None,
            text: Some("hi".to_owned()),
            timestamp: 7,
            reply_to: None,
            kind: wit::MessageKind::Reaction,
            is_edit: false,
            metadata: "{}".to_owned(),
        });
        assert_eq!(message.chat_type, t::ChatType::Unknown);
        assert_eq!(message.sender_kind, t::SenderKind::User);
        assert!(!message.mentions_bot);
        assert!(message.attachments.is_empty() && message.reaction.is_none());
        // The kind survives, so a 0.1 reaction still gets no turn.
        assert_eq!(message.kind, t::MessageKind::Reaction);
        let back = message_to_v0_1(&message);
        assert_eq!(back.text.as_deref(), Some("hi"));
        // Every kind maps to its namesake in both directions.
        for kind in t::MessageKind::ALL {
            assert_eq!(kind_from_v0_1(kind_to_v0_1(kind)), kind);
        }
    }
}
