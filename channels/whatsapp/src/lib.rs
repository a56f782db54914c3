//! The first-party WhatsApp Cloud API channel.
//!
//! Owns the WhatsApp payload formats: turning webhook deliveries into inbound
//! messages (every entry, change and message of a batch; status updates are not
//! messages), echoing the GET subscription challenge, marking stored messages read
//! and sending replies through `POST /<phone_number_id>/messages`.
//!
//! Does not own: signature and verify-token checks, deduplication, storage, retries
//! or credentials. The host does all of those before or after this component runs,
//! and fills the `{{secret:access_token}}` placeholder in outbound requests.
//!
//! Conversations are `<phone_number_id>:<user>`, where the user is the sender's
//! `wa_id`, or their business-scoped user id when WhatsApp withholds the number.
//!
//! This file is the WIT glue only: it converts between the generated types and
//! the plain ones of `message` and hands the entry points of [`native`] a `Host`
//! backed by the real imports, so all logic is testable (and runnable) natively.

mod graph;
mod host;
mod message;
pub mod native;
mod outbound;
mod parse;
mod webhook;

#[cfg(test)]
mod fake;

use switchboard_channel_sdk::{DeliveryFailure, FetchFailure, Request, Response};

use crate::host::{Host, Level};
use crate::message::{Inbound, Kind, Reply};

#[cfg_attr(
    target_arch = "wasm32",
    expect(unsafe_code, reason = "generated bindings: the exported entry points")
)]
mod bindings {
    wit_bindgen::generate!({ world: "full", path: "../../wit/channel@0.1.0" });

    // Export names such as `switchboard:channel/channel@0.1.0#on-http-request`
    // are not valid symbols for native linkers, and native builds only run tests.
    #[cfg(target_arch = "wasm32")]
    use super::Component;
    #[cfg(target_arch = "wasm32")]
    export!(Component with_types_in self);
}

use bindings::exports::switchboard::channel::{channel, persistence};
use bindings::switchboard::channel::host as wit;
use bindings::switchboard::channel::types::{
    DeliveryError, FetchError, HttpRequest, HttpResponse, InboundMessage, LogLevel, MessageKind,
    OutboundMessage, OutgoingRequest, Receipt,
};

/// The exported component.
struct Component;

impl channel::Guest for Component {
    fn on_http_request(request: HttpRequest) -> HttpResponse {
        let response =
            native::on_http_request(&WitHost, &request.method, &request.query, &request.body);
        HttpResponse {
            status: response.status,
            headers: response.headers,
            body: response.body,
        }
    }

    fn on_respond(message: OutboundMessage) -> Result<Receipt, DeliveryError> {
        let reply = Reply {
            conversation_id: message.conversation_id,
            text: message.text,
            in_reply_to: message.in_reply_to.map(inbound_from_wit),
            idempotency_key: message.idempotency_key,
        };
        native::on_respond(&WitHost, &reply)
            .map(|external_id| Receipt { external_id })
            .map_err(|failure: DeliveryFailure| DeliveryError {
                message: failure.message,
                retryable: failure.retryable,
                retry_after_secs: failure.retry_after_secs,
            })
    }
}

impl persistence::Guest for Component {
    fn on_message_persisted(message: InboundMessage) -> Result<(), String> {
        native::on_message_persisted(&WitHost, &inbound_from_wit(message))
    }
}

/// [`Host`] over the `switchboard:channel/host` imports.
struct WitHost;

impl Host for WitHost {
    fn log(&self, level: Level, message: &str) {
        let level = match level {
            Level::Debug => LogLevel::Debug,
            Level::Warn => LogLevel::Warn,
            Level::Error => LogLevel::Error,
        };
        wit::log(level, message);
    }

    fn emit(&self, message: Inbound) -> Result<(), String> {
        wit::emit(&inbound_to_wit(message))
    }

    fn fetch(&self, request: Request) -> Result<Response, FetchFailure> {
        let request = OutgoingRequest {
            method: request.method,
            url: request.url,
            headers: request.headers,
            body: request.body,
            timeout_ms: request.timeout_ms,
        };
        match wit::http_fetch(&request) {
            Ok(response) => Ok(Response {
                status: response.status,
                headers: response.headers,
                body: response.body,
            }),
            Err(FetchError::Denied(reason)) => Err(FetchFailure::Denied(reason)),
            Err(FetchError::Timeout) => Err(FetchFailure::Timeout),
            Err(FetchError::Network(reason)) => Err(FetchFailure::Network(reason)),
            Err(FetchError::TooLarge) => Err(FetchFailure::TooLarge),
            Err(FetchError::Invalid(reason)) => Err(FetchFailure::Invalid(reason)),
        }
    }

    fn setting(&self, name: &str) -> Option<String> {
        wit::setting(name)
    }

    fn state_get(&self, key: &str) -> Option<Vec<u8>> {
        wit::state_get(key)
    }

    fn state_set(&self, key: &str, value: &[u8]) -> Result<(), String> {
        wit::state_set(key, value)
    }

    fn state_delete(&self, key: &str) {
        wit::state_delete(key);
    }
}

fn inbound_to_wit(message: Inbound) -> InboundMessage {
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

fn inbound_from_wit(message: InboundMessage) -> Inbound {
    Inbound {
        external_id: message.external_id,
        conversation_id: message.conversation_id,
        sender_id: message.sender_id,
        sender_name: message.sender_name,
        text: message.text,
        timestamp: message.timestamp,
        reply_to: message.reply_to,
        kind: match message.kind {
            MessageKind::Text => Kind::Text,
            MessageKind::Image => Kind::Image,
            MessageKind::Audio => Kind::Audio,
            MessageKind::Video => Kind::Video,
            MessageKind::Document => Kind::Document,
            MessageKind::Sticker => Kind::Sticker,
            MessageKind::Location => Kind::Location,
            MessageKind::Contact => Kind::Contact,
            MessageKind::Reaction => Kind::Reaction,
            MessageKind::Interactive => Kind::Interactive,
            MessageKind::Button => Kind::Button,
            MessageKind::System => Kind::System,
            MessageKind::Other => Kind::Other,
        },
        is_edit: message.is_edit,
        metadata: message.metadata,
    }
}
