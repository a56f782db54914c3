//! `channel_glue!` against real bindings: what the host passes through the WIT
//! exports reaches the channel's entry points field for field, and what they
//! return reaches the host unchanged, for both worlds.
//!
//! The host imports are not callable natively, so these entry points only record
//! what they were given.

use std::cell::RefCell;

use switchboard_channel_sdk::{
    Attachment, AttachmentKind, ButtonPress, ChatType, DeliveryFailure, Host, Inbound, Kind,
    OutboundAttachment, Reaction, Reply, Response, SenderKind, Webhook,
};

thread_local! {
    static REPLIES: RefCell<Vec<Reply>> = const { RefCell::new(Vec::new()) };
    static PERSISTED: RefCell<Vec<Inbound>> = const { RefCell::new(Vec::new()) };
    static WORKING: RefCell<Vec<Inbound>> = const { RefCell::new(Vec::new()) };
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

/// Records the message a turn started for.
fn record_working(_host: &impl Host, message: &Inbound) -> Result<(), String> {
    WORKING.with(|working| working.borrow_mut().push(message.clone()));
    Ok(())
}

/// A message with every field set to something other than its default, so a
/// field the glue forgets to carry shows up as a difference.
fn plain_message(kind: Kind) -> Inbound {
    Inbound {
        external_id: "wamid.1".to_owned(),
        conversation_id: "42:7".to_owned(),
        sender_id: "7".to_owned(),
        sender_name: Some("Ann".to_owned()),
        sender_kind: SenderKind::Bot,
        text: Some("hi".to_owned()),
        timestamp: 1_700_000_000,
        reply_to: Some("wamid.0".to_owned()),
        kind,
        chat_type: ChatType::Group,
        mentions_bot: true,
        thread_id: Some("t-9".to_owned()),
        is_edit: false,
        edited_at_ms: Some(1_700_000_000_123),
        attachments: vec![Attachment {
            kind: AttachmentKind::Voice,
            mime_type: Some("audio/ogg".to_owned()),
            size: Some(4_096),
            file_name: Some("note.ogg".to_owned()),
            caption: Some("listen".to_owned()),
            reference: "media-1".to_owned(),
        }],
        reaction: Some(Reaction {
            target: "wamid.0".to_owned(),
            emoji: "👍".to_owned(),
            removed: true,
        }),
        button: Some(ButtonPress {
            payload: "yes".to_owned(),
            label: Some("Yes".to_owned()),
        }),
        metadata: r#"{"phone_number_id":"42"}"#.to_owned(),
    }
}

mod full {
    use super::*;

    mod bindings {
        wit_bindgen::generate!({
            world: "full",
            path: "../../wit/channel@0.2.1",
            additional_derives: [PartialEq],
        });
    }

    use bindings::exports::switchboard::channel::channel::Guest as _;
    use bindings::exports::switchboard::channel::media::Guest as _;
    use bindings::exports::switchboard::channel::persistence::Guest as _;
    use bindings::exports::switchboard::channel::presence::Guest as _;
    use bindings::switchboard::channel::types::{
        Attachment as WitAttachment, AttachmentKind as WitAttachmentKind,
        ButtonPress as WitButtonPress, ChatType as WitChatType, DeliveryError, HttpRequest,
        HttpResponse, InboundMessage, MessageKind, OutboundAttachment as WitOutboundAttachment,
        OutboundMessage, Reaction as WitReaction, Receipt, SenderKind as WitSenderKind,
    };

    switchboard_channel_sdk::channel_glue! {
        bindings: bindings,
        on_http_request: echo_request,
        on_respond: record_reply,
        on_message_persisted: record_persisted,
        on_agent_working: record_working,
        download_request: plan_download,
    }

    /// Plans a download the way a channel does: the platform's reference in the URL,
    /// the credential as a placeholder; an unknown reference is refused for good.
    fn plan_download(
        _host: &impl Host,
        attachment: &Attachment,
    ) -> Result<switchboard_channel_sdk::Request, DeliveryFailure> {
        if attachment.reference.is_empty() {
            return Err(DeliveryFailure::permanent("no reference"));
        }
        Ok(switchboard_channel_sdk::Request::new(
            "GET",
            format!(
                "https://files.example/{}?kind={:?}",
                attachment.reference, attachment.kind
            ),
        )
        .header("authorization", switchboard_channel_sdk::bearer("token")))
    }

    #[test]
    fn the_media_export_turns_an_attachment_into_the_download_the_host_performs() {
        let attachment = WitAttachment {
            kind: WitAttachmentKind::Voice,
            mime_type: Some("audio/ogg".to_owned()),
            size: Some(4_096),
            file_name: None,
            caption: None,
            reference: "media-17".to_owned(),
        };
        let request = Component::download_request(attachment.clone()).expect("planned");
        assert_eq!(request.method, "GET");
        assert_eq!(request.url, "https://files.example/media-17?kind=Voice");
        assert_eq!(
            request.headers,
            vec![(
                "authorization".to_owned(),
                "Bearer {{secret:token}}".to_owned()
            )]
        );
        let refused = Component::download_request(WitAttachment {
            reference: String::new(),
            ..attachment
        })
        .expect_err("refused");
        assert_eq!(
            refused,
            DeliveryError {
                message: "no reference".to_owned(),
                retryable: false,
                retry_after_secs: None,
            }
        );
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
            sender_kind: WitSenderKind::Bot,
            text: Some("hi".to_owned()),
            timestamp: 1_700_000_000,
            reply_to: Some("wamid.0".to_owned()),
            kind,
            chat_type: WitChatType::Group,
            mentions_bot: true,
            thread_id: Some("t-9".to_owned()),
            is_edit: false,
            edited_at_ms: Some(1_700_000_000_123),
            attachments: vec![WitAttachment {
                kind: WitAttachmentKind::Voice,
                mime_type: Some("audio/ogg".to_owned()),
                size: Some(4_096),
                file_name: Some("note.ogg".to_owned()),
                caption: Some("listen".to_owned()),
                reference: "media-1".to_owned(),
            }],
            reaction: Some(WitReaction {
                target: "wamid.0".to_owned(),
                emoji: "👍".to_owned(),
                removed: true,
            }),
            button: Some(WitButtonPress {
                payload: "yes".to_owned(),
                label: Some("Yes".to_owned()),
            }),
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
                thread_id: Some("t-9".to_owned()),
                text: "hello".to_owned(),
                attachments: vec![WitOutboundAttachment {
                    kind: WitAttachmentKind::Image,
                    mime_type: "image/png".to_owned(),
                    size: 12,
                    file_name: Some("a.png".to_owned()),
                    caption: None,
                    blob: "ab".repeat(32),
                }],
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
                    thread_id: Some("t-9".to_owned()),
                    text: "hello".to_owned(),
                    attachments: vec![OutboundAttachment {
                        kind: AttachmentKind::Image,
                        mime_type: "image/png".to_owned(),
                        size: 12,
                        file_name: Some("a.png".to_owned()),
                        caption: None,
                        blob: "ab".repeat(32),
                    }],
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
            thread_id: None,
            text: "fail".to_owned(),
            attachments: Vec::new(),
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

    #[test]
    fn the_presence_hook_gets_the_message_being_answered() {
        assert_eq!(
            Component::on_agent_working(wit_message(MessageKind::Text)),
            Ok(())
        );
        let seen = WORKING.with(|working| working.borrow_mut().pop());
        assert_eq!(seen, Some(plain_message(Kind::Text)));
    }
}

/// A channel without hooks: the `minimal` world has no `persistence` or `presence`
/// export, so the glue must not implement them.
mod minimal {
    use super::*;

    pub(crate) mod bindings {
        wit_bindgen::generate!({
            world: "minimal",
            path: "../../wit/channel@0.2.0",
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
            thread_id: None,
            text: "hello".to_owned(),
            attachments: Vec::new(),
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

/// The `polling-channel` world of 0.2.2, whose `polling` export the glue implements.
mod polling {
    use super::*;

    pub(crate) mod bindings {
        wit_bindgen::generate!({
            world: "polling-channel",
            path: "../../wit/channel@0.2.2",
            additional_derives: [PartialEq],
        });
    }

    use bindings::exports::switchboard::channel::polling::{
        Guest as _, PollOutcome as WitPollOutcome,
    };
    use bindings::switchboard::channel::types::{DeliveryError, Unmapped as WitUnmapped};
    use switchboard_channel_sdk::{Attachment, PollOutcome, Request, Unmapped};

    switchboard_channel_sdk::channel_glue! {
        bindings: crate::polling::bindings,
        on_http_request: echo_request,
        on_respond: record_reply,
        on_message_persisted: record_persisted,
        on_agent_working: record_working,
        download_request: no_download,
        poll: poll_numbers,
    }

    fn no_download(
        _host: &impl Host,
        _attachment: &Attachment,
    ) -> Result<Request, DeliveryFailure> {
        Err(DeliveryFailure::permanent("no downloads"))
    }

    /// Counts the cursor up by one and keeps an update it "cannot map"; the cursor
    /// `busy` answers the way a rate-limited platform does.
    fn poll_numbers(
        _host: &impl Host,
        cursor: Option<&str>,
    ) -> Result<PollOutcome, DeliveryFailure> {
        match cursor {
            Some("busy") => Err(DeliveryFailure {
                message: "http 429: retry after 7".to_owned(),
                retryable: true,
                retry_after_secs: Some(7),
            }),
            _ => {
                let next = cursor.map_or(0, |c| c.parse::<u64>().unwrap_or(0)) + 1;
                Ok(PollOutcome {
                    next_cursor: Some(next.to_string()),
                    unmapped: vec![Unmapped {
                        reason: "a poll kind this channel does not know".to_owned(),
                        payload: br#"{"update_id":1}"#.to_vec(),
                    }],
                })
            }
        }
    }

    #[test]
    fn the_polling_export_passes_the_cursor_and_returns_the_next_one_with_unmapped_updates() {
        assert_eq!(
            Component::poll(None),
            Ok(WitPollOutcome {
                next_cursor: Some("1".to_owned()),
                unmapped: vec![WitUnmapped {
                    reason: "a poll kind this channel does not know".to_owned(),
                    payload: br#"{"update_id":1}"#.to_vec(),
                }],
            })
        );
        assert_eq!(
            Component::poll(Some("41".to_owned())).map(|o| o.next_cursor),
            Ok(Some("42".to_owned()))
        );
        assert_eq!(
            Component::poll(Some("busy".to_owned())),
            Err(DeliveryError {
                message: "http 429: retry after 7".to_owned(),
                retryable: true,
                retry_after_secs: Some(7),
            })
        );
    }
}

/// The `socket-channel` world of 0.2.2, whose `session` export the glue implements.
mod session {
    use super::*;

    pub(crate) mod bindings {
        wit_bindgen::generate!({
            world: "socket-channel",
            path: "../../wit/channel@0.2.2",
            additional_derives: [PartialEq],
        });
    }

    use bindings::exports::switchboard::channel::session::{
        FrameOutcome as WitFrameOutcome, Guest as _, SessionContext as WitContext,
        SessionTarget as WitTarget,
    };
    use bindings::switchboard::channel::types::{DeliveryError, Unmapped as WitUnmapped};
    use switchboard_channel_sdk::{
        Attachment, FrameOutcome, Request, SessionContext, SessionTarget, Unmapped,
    };

    switchboard_channel_sdk::channel_glue! {
        bindings: crate::session::bindings,
        on_http_request: echo_request,
        on_respond: record_reply,
        on_message_persisted: record_persisted,
        on_agent_working: record_working,
        download_request: no_download,
        session_open: open,
        on_frame: frame,
        on_tick: tick,
    }

    fn no_download(
        _host: &impl Host,
        _attachment: &Attachment,
    ) -> Result<Request, DeliveryFailure> {
        Err(DeliveryFailure::permanent("no downloads"))
    }

    /// Connects to the memo's URL, or refuses without one.
    fn open(_host: &impl Host, context: &SessionContext) -> Result<SessionTarget, DeliveryFailure> {
        match &context.memo {
            Some(url) => Ok(SessionTarget {
                url: url.clone(),
                headers: vec![(
                    "authorization".to_owned(),
                    "Bearer {{secret:app_token}}".to_owned(),
                )],
            }),
            None => Err(DeliveryFailure::retryable("no URL yet")),
        }
    }

    /// Acknowledges a frame after the commit and moves the cursor to the frame's text.
    fn frame(
        _host: &impl Host,
        frame: &str,
        context: &SessionContext,
    ) -> Result<FrameOutcome, DeliveryFailure> {
        Ok(FrameOutcome {
            send: vec![format!("seen after {:?}", context.cursor)],
            send_after_commit: vec![format!("ack {frame}")],
            cursor: Some(frame.to_owned()),
            memo: None,
            tick_ms: Some(41_250),
            reconnect: frame == "bye",
            unmapped: vec![Unmapped {
                reason: "odd".to_owned(),
                payload: frame.as_bytes().to_vec(),
            }],
        })
    }

    fn tick(_host: &impl Host, _context: &SessionContext) -> Result<FrameOutcome, DeliveryFailure> {
        Err(DeliveryFailure::permanent("no heartbeat"))
    }

    #[test]
    fn the_session_export_carries_targets_outcomes_and_errors_field_for_field() {
        let context = |memo: Option<&str>| WitContext {
            cursor: Some("7".to_owned()),
            memo: memo.map(str::to_owned),
        };
        assert_eq!(
            Component::open(context(Some("wss://example.test/socket"))),
            Ok(WitTarget {
                url: "wss://example.test/socket".to_owned(),
                headers: vec![(
                    "authorization".to_owned(),
                    "Bearer {{secret:app_token}}".to_owned()
                )],
            })
        );
        assert_eq!(
            Component::open(context(None)).map_err(|e| e.retryable),
            Err(true)
        );
        assert_eq!(
            Component::on_frame("bye".to_owned(), context(None)),
            Ok(WitFrameOutcome {
                send: vec!["seen after Some(\"7\")".to_owned()],
                send_after_commit: vec!["ack bye".to_owned()],
                cursor: Some("bye".to_owned()),
                memo: None,
                tick_ms: Some(41_250),
                reconnect: true,
                unmapped: vec![WitUnmapped {
                    reason: "odd".to_owned(),
                    payload: b"bye".to_vec(),
                }],
            })
        );
        assert_eq!(
            Component::on_tick(context(None)),
            Err(DeliveryError {
                message: "no heartbeat".to_owned(),
                retryable: false,
                retry_after_secs: None,
            })
        );
    }
}
