//! `channel_glue!` against real bindings: what the host passes through the WIT
//! exports reaches the channel's entry points field for field, and what they
//! return reaches the host unchanged, for both worlds.
//!
//! The host imports are not callable natively, so these entry points only record
//! what they were given.

use std::cell::RefCell;

use switchboard_channel_sdk::{DeliveryFailure, Host, Inbound, Kind, Reply, Response, Webhook};

thread_local! {
    static REPLIES: RefCell<Vec<Reply>> = const { RefCell::new(Vec::new()) };
    static PERSISTED: RefCell<Vec<Inbound>> = const { RefCell::new(Vec::new()) };
}

/// Echoes the request back so the test can see what the channel was given.
fn echo_request(_host: &impl Host, request: &Webhook<'_>) -> Response {
    let mut headers = vec![
        ("x-method".to_owned(), request.method.to_owned()),
        ("x-path".to_owned(), request.path.to_owned()),
        ("x-query".to_owned(), request.query.to_owned()),
    ];
    headers.extend_from_slice(request.headers);
    Response {
        status: 202,
        headers,
        body: request.body.to_vec(),
    }
}

/// Accepts a reply unless its text is `fail`.
fn record_reply(_host: &impl Host, reply: &Reply) -> Result<Option<String>, DeliveryFailure> {
    REPLIES.with(|replies| replies.borrow_mut().push(reply.clone()));
    if reply.text == "fail" {
        return Err(DeliveryFailure {
            message: "http 429: slow down".to_owned(),
            retryable: true,
            retry_after_secs: Some(30),
        });
    }
    Ok(Some(format!("sent-{}", reply.idempotency_key)))
}

/// Accepts a stored message unless it is an edit.
fn record_persisted(_host: &impl Host, message: &Inbound) -> Result<(), String> {
    PERSISTED.with(|persisted| persisted.borrow_mut().push(message.clone()));
    if message.is_edit {
        return Err("edits are not acknowledged".to_owned());
    }
    Ok(())
}

fn plain_message(kind: Kind) -> Inbound {
    Inbound {
        external_id: "wamid.1".to_owned(),
        conversation_id: "42:7".to_owned(),
        sender_id: "7".to_owned(),
        sender_name: Some("Ann".to_owned()),
        text: Some("hi".to_owned()),
        timestamp: 1_700_000_000,
        reply_to: Some("wamid.0".to_owned()),
        kind,
        is_edit: false,
        metadata: r#"{"phone_number_id":"42"}"#.to_owned(),
    }
}

mod full {
    use super::*;

    mod bindings {
        wit_bindgen::generate!({
            world: "full",
            path: "../../wit/channel@0.1.0",
            additional_derives: [PartialEq],
        });
    }

    use bindings::exports::switchboard::channel::channel::Guest as _;
    use bindings::exports::switchboard::channel::persistence::Guest as _;
    use bindings::switchboard::channel::types::{
        DeliveryError, HttpRequest, HttpResponse, InboundMessage, MessageKind, OutboundMessage,
        Receipt,
    };

    switchboard_channel_sdk::channel_glue! {
        bindings: bindings,
        on_http_request: echo_request,
        on_respond: record_reply,
        on_message_persisted: record_persisted,
    }

    /// Every WIT kind next to the plain kind it must become.
    const KINDS: [(MessageKind, Kind); 13] = [
        (MessageKind::Text, Kind::Text),
        (MessageKind::Image, Kind::Image),
        (MessageKind::Audio, Kind::Audio),
        (MessageKind::Video, Kind::Video),
        (MessageKind::Document, Kind::Document),
        (MessageKind::Sticker, Kind::Sticker),
        (MessageKind::Location, Kind::Location),
        (MessageKind::Contact, Kind::Contact),
        (MessageKind::Reaction, Kind::Reaction),
        (MessageKind::Interactive, Kind::Interactive),
        (MessageKind::Button, Kind::Button),
        (MessageKind::System, Kind::System),
        (MessageKind::Other, Kind::Other),
    ];

    fn wit_message(kind: MessageKind) -> InboundMessage {
        InboundMessage {
            external_id: "wamid.1".to_owned(),
            conversation_id: "42:7".to_owned(),
            sender_id: "7".to_owned(),
            sender_name: Some("Ann".to_owned()),
            text: Some("hi".to_owned()),
            timestamp: 1_700_000_000,
            reply_to: Some("wamid.0".to_owned()),
            kind,
            is_edit: false,
            metadata: r#"{"phone_number_id":"42"}"#.to_owned(),
        }
    }

    #[test]
    fn the_channel_sees_the_whole_request_and_the_platform_gets_its_response() {
        let response = Component::on_http_request(HttpRequest {
            method: "POST".to_owned(),
            path: "/interactive".to_owned(),
            query: "a=1&b=%20".to_owned(),
            headers: vec![("x-signature".to_owned(), "v0=abc".to_owned())],
            body: b"{\"ok\":true}".to_vec(),
        });
        assert_eq!(
            response,
            HttpResponse {
                status: 202,
                headers: vec![
                    ("x-method".to_owned(), "POST".to_owned()),
                    ("x-path".to_owned(), "/interactive".to_owned()),
                    ("x-query".to_owned(), "a=1&b=%20".to_owned()),
                    ("x-signature".to_owned(), "v0=abc".to_owned()),
                ],
                body: b"{\"ok\":true}".to_vec(),
            }
        );
    }

    #[test]
    fn a_reply_and_the_message_it_answers_arrive_intact_for_every_kind() {
        for (wit_kind, kind) in KINDS {
            let receipt = Component::on_respond(OutboundMessage {
                conversation_id: "42:7".to_owned(),
                text: "hello".to_owned(),
                in_reply_to: Some(wit_message(wit_kind)),
                idempotency_key: "r-1".to_owned(),
            });
            assert_eq!(
                receipt,
                Ok(Receipt {
                    external_id: Some("sent-r-1".to_owned())
                })
            );
            let seen = REPLIES.with(|replies| replies.borrow_mut().pop());
            assert_eq!(
                seen,
                Some(Reply {
                    conversation_id: "42:7".to_owned(),
                    text: "hello".to_owned(),
                    in_reply_to: Some(plain_message(kind)),
                    idempotency_key: "r-1".to_owned(),
                })
            );
        }
    }

    #[test]
    fn a_failed_delivery_keeps_its_retry_decision() {
        let result = Component::on_respond(OutboundMessage {
            conversation_id: "42:7".to_owned(),
            text: "fail".to_owned(),
            in_reply_to: None,
            idempotency_key: "r-2".to_owned(),
        });
        assert_eq!(
            result,
            Err(DeliveryError {
                message: "http 429: slow down".to_owned(),
                retryable: true,
                retry_after_secs: Some(30),
            })
        );
    }

    #[test]
    fn the_persistence_hook_gets_the_stored_message_and_reports_its_outcome() {
        for (wit_kind, kind) in KINDS {
            assert_eq!(
                Component::on_message_persisted(wit_message(wit_kind)),
                Ok(())
            );
            let seen = PERSISTED.with(|persisted| persisted.borrow_mut().pop());
            assert_eq!(seen, Some(plain_message(kind)));
        }
        let edit = InboundMessage {
            is_edit: true,
            ..wit_message(MessageKind::Text)
        };
        assert_eq!(
            Component::on_message_persisted(edit),
            Err("edits are not acknowledged".to_owned())
        );
    }
}

/// A channel without the persistence hook, on the newer WIT version: the
/// `minimal` world has no `persistence` export, so the glue must not implement one.
mod minimal {
    use super::*;

    pub(crate) mod bindings {
        wit_bindgen::generate!({
            world: "minimal",
            path: "../../wit/channel@0.1.1",
            additional_derives: [PartialEq],
        });
    }

    use bindings::exports::switchboard::channel::channel::Guest as _;
    use bindings::switchboard::channel::types::{OutboundMessage, Receipt};

    // A path from the crate root works as well as a name in scope.
    switchboard_channel_sdk::channel_glue! {
        bindings: crate::minimal::bindings,
        on_http_request: echo_request,
        on_respond: record_reply,
    }

    #[test]
    fn replies_go_through_without_a_persistence_hook() {
        let receipt = Component::on_respond(OutboundMessage {
            conversation_id: "C1".to_owned(),
            text: "hello".to_owned(),
            in_reply_to: None,
            idempotency_key: "r-3".to_owned(),
        });
        assert_eq!(
            receipt,
            Ok(Receipt {
                external_id: Some("sent-r-3".to_owned())
            })
        );
    }
}
