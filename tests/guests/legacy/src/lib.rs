//! A channel pinned to the frozen `switchboard:channel@0.1.0`, the way a third party
//! that never rebuilds would have left it. Newer hosts must keep running it: the
//! plugin tests install it and push a message through it and back out.
//!
//! A request body `<id> <text>` becomes one message with that external id; a reply is
//! posted as plain text to the `reply_url` setting.

#[expect(unsafe_code, reason = "generated bindings")]
mod bindings {
    // Deliberately the old version: this guest must not move to a newer one.
    wit_bindgen::generate!({ world: "minimal", path: "../../../wit/channel@0.1.0" });

    use super::Legacy;
    export!(Legacy);
}

use bindings::exports::switchboard::channel::channel::Guest;
use bindings::switchboard::channel::host;
use bindings::switchboard::channel::types::{
    DeliveryError, HttpRequest, HttpResponse, InboundMessage, LogLevel, MessageKind,
    OutboundMessage, OutgoingRequest, Receipt,
};

struct Legacy;

fn respond(status: u16, body: &str) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![("content-type".to_owned(), "text/plain".to_owned())],
        body: body.as_bytes().to_vec(),
    }
}

fn retryable(message: String) -> DeliveryError {
    DeliveryError {
        message,
        retryable: true,
        retry_after_secs: None,
    }
}

impl Guest for Legacy {
    fn on_http_request(request: HttpRequest) -> HttpResponse {
        let body = String::from_utf8_lossy(&request.body);
        let Some((id, text)) = body.trim().split_once(' ') else {
            return respond(400, "expected `<id> <text>`");
        };
        let message = InboundMessage {
            external_id: id.to_owned(),
            conversation_id: "legacy".to_owned(),
            sender_id: "tester".to_owned(),
            sender_name: None,
            text: Some(text.to_owned()),
            timestamp: 0,
            reply_to: None,
            kind: MessageKind::Text,
            is_edit: false,
            metadata: r#"{"built_against":"0.1.0"}"#.to_owned(),
        };
        match host::emit(&message) {
            Ok(()) => respond(200, "stored"),
            Err(why) => {
                host::log(LogLevel::Warn, &format!("emit refused: {why}"));
                respond(400, &why)
            }
        }
    }

    fn on_respond(message: OutboundMessage) -> Result<Receipt, DeliveryError> {
        let Some(url) = host::setting("reply_url") else {
            return Err(DeliveryError {
                message: "the reply_url setting is not configured".to_owned(),
                retryable: false,
                retry_after_secs: None,
            });
        };
        let request = OutgoingRequest {
            method: "POST".to_owned(),
            url,
            headers: vec![
                ("content-type".to_owned(), "text/plain".to_owned()),
                ("idempotency-key".to_owned(), message.idempotency_key),
            ],
            body: message.text.into_bytes(),
            timeout_ms: None,
        };
        match host::http_fetch(&request) {
            Ok(response) if (200..300).contains(&response.status) => {
                Ok(Receipt { external_id: None })
            }
            Ok(response) => Err(retryable(format!("reply_url answered {}", response.status))),
            Err(e) => Err(retryable(format!("{e:?}"))),
        }
    }
}
