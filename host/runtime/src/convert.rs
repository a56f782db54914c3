//! The 0.2 bindings at the host's edge: conversions between the generated types of
//! `switchboard:channel@0.2` and `switchboard-types`, and the host imports over
//! the logic in `imports.rs`. Generated types never leave this crate.

use switchboard_types as t;

use crate::bindings::v0_2::{ContextHost, Host, wit, wit_polling, wit_session};
use crate::imports::{Body, Level, context_host, same_in_every_version};
use crate::multipart;
use crate::state::CallState;

macro_rules! same_variants {
    ($value:expr, $from:path => $to:path, $($variant:ident)+) => {{
        use $from as From;
        use $to as To;
        match $value {
            $(From::$variant => To::$variant,)+
        }
    }};
}

pub(crate) fn kind_from_wit(kind: wit::MessageKind) -> t::MessageKind {
    same_variants!(kind, wit::MessageKind => t::MessageKind,
        Text Image Audio Video Document Sticker Location Contact Reaction Interactive Button
        System Other)
}

pub(crate) fn kind_to_wit(kind: t::MessageKind) -> wit::MessageKind {
    same_variants!(kind, t::MessageKind => wit::MessageKind,
        Text Image Audio Video Document Sticker Location Contact Reaction Interactive Button
        System Other)
}

fn attachment_kind_from_wit(kind: wit::AttachmentKind) -> t::AttachmentKind {
    same_variants!(kind, wit::AttachmentKind => t::AttachmentKind,
        Image Audio Voice Video Document Sticker Other)
}

fn attachment_kind_to_wit(kind: t::AttachmentKind) -> wit::AttachmentKind {
    same_variants!(kind, t::AttachmentKind => wit::AttachmentKind,
        Image Audio Voice Video Document Sticker Other)
}

pub(crate) fn message_from_wit(m: wit::InboundMessage) -> t::InboundMessage {
    t::InboundMessage {
        external_id: m.external_id,
        conversation_id: m.conversation_id,
        sender_id: m.sender_id,
        sender_name: m.sender_name,
        sender_kind: same_variants!(m.sender_kind, wit::SenderKind => t::SenderKind,
            User Bot ThisBot),
        text: m.text,
        timestamp: m.timestamp,
        reply_to: m.reply_to,
        kind: kind_from_wit(m.kind),
        chat_type: same_variants!(m.chat_type, wit::ChatType => t::ChatType,
            Unknown Direct Group Broadcast),
        mentions_bot: m.mentions_bot,
        thread_id: m.thread_id,
        is_edit: m.is_edit,
        platform_edited_at_ms: m.edited_at_ms,
        attachments: m
            .attachments
            .into_iter()
            .map(|a| t::Attachment {
                kind: attachment_kind_from_wit(a.kind),
                mime_type: a.mime_type,
                size: a.size,
                file_name: a.file_name,
                caption: a.caption,
                reference: a.reference,
            })
            .collect(),
        reaction: m.reaction.map(|r| t::Reaction {
            target: r.target,
            emoji: r.emoji,
            removed: r.removed,
        }),
        button: m.button.map(|b| t::ButtonPress {
            payload: b.payload,
            label: b.label,
        }),
        metadata: m.metadata,
    }
}

pub(crate) fn message_to_wit(m: &t::InboundMessage) -> wit::InboundMessage {
    wit::InboundMessage {
        external_id: m.external_id.clone(),
        conversation_id: m.conversation_id.clone(),
        sender_id: m.sender_id.clone(),
        sender_name: m.sender_name.clone(),
        sender_kind: same_variants!(m.sender_kind, t::SenderKind => wit::SenderKind,
            User Bot ThisBot),
        text: m.text.clone(),
        timestamp: m.timestamp,
        reply_to: m.reply_to.clone(),
        kind: kind_to_wit(m.kind),
        chat_type: same_variants!(m.chat_type, t::ChatType => wit::ChatType,
            Unknown Direct Group Broadcast),
        mentions_bot: m.mentions_bot,
        thread_id: m.thread_id.clone(),
        is_edit: m.is_edit,
        edited_at_ms: m.platform_edited_at_ms,
        attachments: m.attachments.iter().map(attachment_to_wit).collect(),
        reaction: m.reaction.as_ref().map(|r| wit::Reaction {
            target: r.target.clone(),
            emoji: r.emoji.clone(),
            removed: r.removed,
        }),
        button: m.button.as_ref().map(|b| wit::ButtonPress {
            payload: b.payload.clone(),
            label: b.label.clone(),
        }),
        metadata: m.metadata.clone(),
    }
}

pub(crate) fn attachment_to_wit(a: &t::Attachment) -> wit::Attachment {
    wit::Attachment {
        kind: attachment_kind_to_wit(a.kind),
        mime_type: a.mime_type.clone(),
        size: a.size,
        file_name: a.file_name.clone(),
        caption: a.caption.clone(),
        reference: a.reference.clone(),
    }
}

/// The request `media.download-request` planned. The host sends it itself and
/// streams the answer into its store, so its body can only be plain bytes.
pub(crate) fn download_from_wit(
    r: wit::OutgoingRequest,
) -> Result<t::OutgoingRequest, t::DeliveryError> {
    let wit::RequestBody::Bytes(body) = r.body else {
        return Err(t::DeliveryError {
            message: "a download request must have a plain body (bytes), not a blob or parts"
                .to_owned(),
            retryable: false,
            retry_after_secs: None,
        });
    };
    Ok(t::OutgoingRequest {
        method: r.method,
        url: r.url,
        headers: r.headers,
        body,
        timeout_ms: r.timeout_ms,
    })
}

pub(crate) fn outbound_to_wit(m: &t::OutboundMessage) -> wit::OutboundMessage {
    wit::OutboundMessage {
        conversation_id: m.conversation_id.clone(),
        thread_id: m.thread_id.clone(),
        text: m.text.clone(),
        attachments: m
            .attachments
            .iter()
            .map(|a| wit::OutboundAttachment {
                kind: attachment_kind_to_wit(a.kind),
                mime_type: a.mime_type.clone(),
                size: a.size,
                file_name: a.file_name.clone(),
                caption: a.caption.clone(),
                blob: a.blob.clone(),
            })
            .collect(),
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

fn body_from_wit(body: wit::RequestBody) -> Body {
    match body {
        wit::RequestBody::Bytes(bytes) => Body::Bytes(bytes),
        wit::RequestBody::Blob(blob) => Body::Blob(blob),
        wit::RequestBody::Multipart(parts) => Body::Multipart(
            parts
                .into_iter()
                .map(|p| multipart::Part {
                    name: p.name,
                    file_name: p.file_name,
                    content_type: p.content_type,
                    content: match p.content {
                        wit::PartContent::Text(text) => multipart::Content::Text(text),
                        wit::PartContent::Bytes(bytes) => multipart::Content::Bytes(bytes),
                        wit::PartContent::Blob(blob) => multipart::Content::Blob(blob),
                    },
                })
                .collect(),
        ),
    }
}

fn fetch_error_to_wit(e: t::FetchError) -> wit::FetchError {
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
        let level = same_variants!(level, wit::LogLevel => Level, Trace Debug Info Warn Error);
        CallState::log(self, level, &message);
        Ok(())
    }

    async fn emit(&mut self, message: wit::InboundMessage) -> wasmtime::Result<Result<(), String>> {
        CallState::emit(self, message_from_wit(message))
    }

    async fn dead_letter(&mut self, reason: String) -> wasmtime::Result<Result<(), String>> {
        Ok(CallState::dead_letter(self, &reason))
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
            body_from_wit(request.body),
            request.timeout_ms,
        )
        .await;
        Ok(result
            .map(|r| wit::IncomingResponse {
                status: r.status,
                headers: r.headers,
                body: r.body,
            })
            .map_err(fetch_error_to_wit))
    }

    same_in_every_version!();
}

context_host!(ContextHost);

pub(crate) fn poll_outcome_from_wit(o: wit_polling::PollOutcome) -> t::PollOutcome {
    t::PollOutcome {
        next_cursor: o.next_cursor,
        unmapped: o
            .unmapped
            .into_iter()
            .map(|u| t::Unmapped {
                reason: u.reason,
                payload: u.payload,
            })
            .collect(),
    }
}

pub(crate) fn session_context_to_wit(c: &t::SessionContext) -> wit_session::SessionContext {
    wit_session::SessionContext {
        cursor: c.cursor.clone(),
        memo: c.memo.clone(),
    }
}

pub(crate) fn session_target_from_wit(t: wit_session::SessionTarget) -> t::SessionTarget {
    t::SessionTarget {
        url: t.url,
        headers: t.headers,
    }
}

pub(crate) fn frame_outcome_from_wit(o: wit_session::FrameOutcome) -> t::FrameOutcome {
    t::FrameOutcome {
        send: o.send,
        send_after_commit: o.send_after_commit,
        cursor: o.cursor,
        memo: o.memo,
        tick_ms: o.tick_ms,
        reconnect: o.reconnect,
        unmapped: o
            .unmapped
            .into_iter()
            .map(|u| t::Unmapped {
                reason: u.reason,
                payload: u.payload,
            })
            .collect(),
    }
}
