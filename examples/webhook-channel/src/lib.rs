//! `webhook`: a Switchboard channel for any app that can send a signed webhook and
//! receive a JSON POST. Contract `switchboard:channel@0.2.0`, world `minimal`.
//!
//! - **In:** your app POSTs `{"id", "conversation_id", "sender_id", "text"}` to
//!   `/webhooks/<instance>`, signed with Standard Webhooks (`webhook-id`,
//!   `webhook-timestamp`, `webhook-signature`). The host checks the signature with
//!   the `signing_secret` before this code runs; `id` is the deduplication key.
//!   Optional fields fill in what the contract asks of an inbound message:
//!   - `sender_name`: the sender's display name;
//!   - `chat_type`: `"direct"` or `"group"` (without it the chat type is unknown,
//!     which the host treats as a direct message);
//!   - `sender_is_bot`: `true` for a bot or an automation of your app, including
//!     anything that echoes this channel's replies back: stored, never answered;
//!   - `thread_id`: the thread inside the conversation; replies name it again.
//!
//!   Every delivery is a text message from a person (or a bot, as above), never
//!   an edit, with no attachments. It counts as addressed to the bot
//!   (`mentions-bot`): your app decides what it sends here, so a group message it
//!   forwards is one it wants answered. A body that does not fit gets 400 with the
//!   field named, and nothing is stored: your app is the one to fix it, so this
//!   channel never needs `host.dead-letter`.
//! - **Out:** each reply is POSTed as `{"conversation_id", "text", "in_reply_to"}`
//!   (plus `"thread_id"` for a reply into a thread) to the `reply_url` setting,
//!   with an `idempotency-key` header. Replies are text only: one carrying files
//!   fails for good and is kept as a dead letter.
//!
//! It exports only the required `channel` interface: no `persistence` hook (nothing
//! needs to happen once a message is stored) and no `presence` hook (the app has no
//! "typing…" to show). The host runs components without them.
//!
//! This file is the WIT glue, written against the raw bindings to show the contract
//! as it is. `inbound` and `outbound` hold the logic in plain Rust types, so
//! `cargo test` runs them natively.

pub mod inbound;
pub mod outbound;

#[cfg_attr(
    target_arch = "wasm32",
    expect(unsafe_code, reason = "generated bindings: the exported entry points")
)]
mod bindings {
    wit_bindgen::generate!({ world: "minimal", path: "../../wit/channel@0.2.0" });

    // Export names such as `switchboard:channel/channel@0.2.0#on-http-request` are
    // not valid symbols for native linkers, and native builds only run tests.
    #[cfg(target_arch = "wasm32")]
    use super::Component;
    #[cfg(target_arch = "wasm32")]
    export!(Component with_types_in self);
}

use bindings::exports::switchboard::channel::channel::Guest;
use bindings::switchboard::channel::host;
use bindings::switchboard::channel::types::{
    ChatType, DeliveryError, FetchError, HttpRequest, HttpResponse, InboundMessage, LogLevel,
    MessageKind, OutboundMessage, OutgoingRequest, Receipt, RequestBody, SenderKind,
};

/// The exported component.
struct Component;

impl Guest for Component {
    fn on_http_request(request: HttpRequest) -> HttpResponse {
        if request.method != "POST" {
            return json_response(405, &serde_json::json!({ "error": "use POST" }));
        }
        let message = match inbound::parse(&request.headers, &request.body) {
            Ok(message) => message,
            Err(inbound::Rejected(why)) => {
                return json_response(400, &serde_json::json!({ "error": why }));
            }
        };
        let id = message.external_id.clone();
        let emitted = host::emit(&to_wit(message));
        match emitted {
            // The host answers only once the message is durable, so a 200 here means
            // "stored" by the time the app reads it.
            Ok(()) => json_response(200, &serde_json::json!({ "stored": id })),
            Err(why) => {
                host::log(LogLevel::Warn, &format!("message {id} refused: {why}"));
                json_response(400, &serde_json::json!({ "error": why }))
            }
        }
    }

    fn on_respond(message: OutboundMessage) -> Result<Receipt, DeliveryError> {
        let reply = outbound::Reply {
            conversation_id: &message.conversation_id,
            thread_id: message.thread_id.as_deref(),
            text: &message.text,
            in_reply_to: message.in_reply_to.as_ref().map(|m| m.external_id.as_str()),
            idempotency_key: &message.idempotency_key,
            attachments: message.attachments.len(),
        };
        let post = outbound::build(
            host::setting("reply_url"),
            host::setting("reply_auth").as_deref(),
            &reply,
        )
        .map_err(delivery_error)?;
        let answer = host::http_fetch(&OutgoingRequest {
            method: "POST".to_owned(),
            url: post.url,
            headers: post.headers,
            body: RequestBody::Bytes(post.body),
            timeout_ms: Some(10_000),
        })
        .map_err(fetch_failure)?;
        outbound::judge(answer.status, &answer.headers, &answer.body)
            .map(|external_id| Receipt { external_id })
            .map_err(delivery_error)
    }
}

/// The WIT record for a parsed delivery. Every field of the contract is set here on
/// purpose, so a reader sees what this channel says about each.
fn to_wit(message: inbound::Message) -> InboundMessage {
    InboundMessage {
        external_id: message.external_id,
        conversation_id: message.conversation_id,
        sender_id: message.sender_id,
        sender_name: message.sender_name,
        // One flag cannot tell this channel's own replies echoed back from another
        // bot's message; as `bot` both are stored and neither is answered.
        sender_kind: if message.sender_is_bot {
            SenderKind::Bot
        } else {
            SenderKind::User
        },
        text: Some(message.text),
        timestamp: message.timestamp,
        reply_to: None,
        kind: MessageKind::Text,
        chat_type: match message.chat_type {
            inbound::ChatType::Unknown => ChatType::Unknown,
            inbound::ChatType::Direct => ChatType::Direct,
            inbound::ChatType::Group => ChatType::Group,
        },
        // The app chose to send it to the agent.
        mentions_bot: true,
        thread_id: message.thread_id,
        is_edit: false,
        edited_at_ms: None,
        attachments: Vec::new(),
        reaction: None,
        button: None,
        metadata: message.metadata,
    }
}

fn json_response(status: u16, body: &serde_json::Value) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![("content-type".to_owned(), "application/json".to_owned())],
        body: body.to_string().into_bytes(),
    }
}

fn delivery_error(failure: outbound::Failure) -> DeliveryError {
    DeliveryError {
        message: failure.message,
        retryable: failure.retryable,
        retry_after_secs: failure.retry_after_secs,
    }
}

/// A refused request (origin not granted, bad URL) will not succeed on retry; the
/// network and a slow app may.
fn fetch_failure(error: FetchError) -> DeliveryError {
    let (message, retryable) = match error {
        FetchError::Denied(why) => (format!("the host refused the request: {why}"), false),
        FetchError::Invalid(why) => (format!("invalid reply request: {why}"), false),
        FetchError::Timeout => ("reply_url did not answer in time".to_owned(), true),
        FetchError::Network(why) => (format!("cannot reach reply_url: {why}"), true),
        FetchError::TooLarge => ("reply_url answered with an oversized body".to_owned(), true),
    };
    DeliveryError {
        message,
        retryable,
        retry_after_secs: None,
    }
}
