//! A channel built against `switchboard:channel@0.1.1` that uses the `context`
//! import added in that version. Each request body becomes the external id of one
//! message whose metadata records what `context` answered after one outbound
//! request to the `target` setting, so the plugin tests can compare it with the
//! instance's configuration.

#[expect(unsafe_code, reason = "generated bindings")]
mod bindings {
    wit_bindgen::generate!({ world: "minimal", path: "../../../wit/channel@0.1.1" });

    use super::Context;
    export!(Context);
}

use bindings::exports::switchboard::channel::channel::Guest;
use bindings::switchboard::channel::types::{
    DeliveryError, HttpRequest, HttpResponse, InboundMessage, MessageKind, OutboundMessage,
    OutgoingRequest, Receipt,
};
use bindings::switchboard::channel::{context, host};

struct Context;

impl Guest for Context {
    fn on_http_request(request: HttpRequest) -> HttpResponse {
        let id = String::from_utf8_lossy(&request.body).trim().to_owned();
        let before = context::remaining_fetches();
        let fetched = host::setting("target").map(|url| {
            host::http_fetch(&OutgoingRequest {
                method: "GET".to_owned(),
                url,
                headers: Vec::new(),
                body: Vec::new(),
                timeout_ms: Some(500),
            })
            .is_ok()
        });
        // Hand-written JSON keeps this guest free of dependencies; the instance name
        // is a config key, so it needs no escaping.
        let metadata = format!(
            r#"{{"instance":"{}","remaining_millis":{},"fetches_before":{},"fetches_after":{},"fetched":{}}}"#,
            context::instance_name(),
            context::remaining_millis(),
            before,
            context::remaining_fetches(),
            fetched.unwrap_or(false),
        );
        let emitted = host::emit(&InboundMessage {
            external_id: id,
            conversation_id: "context".to_owned(),
            sender_id: "tester".to_owned(),
            sender_name: None,
            text: Some("context".to_owned()),
            timestamp: 0,
            reply_to: None,
            kind: MessageKind::Text,
            is_edit: false,
            metadata,
        });
        let (status, body) = match emitted {
            Ok(()) => (200, "stored".to_owned()),
            Err(why) => (400, why),
        };
        HttpResponse {
            status,
            headers: Vec::new(),
            body: body.into_bytes(),
        }
    }

    fn on_respond(_message: OutboundMessage) -> Result<Receipt, DeliveryError> {
        Ok(Receipt { external_id: None })
    }
}
