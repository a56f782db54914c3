//! The WhatsApp channel's logic compiled for the host, behind the same
//! [`Channel`] trait the daemon calls on a component.
//!
//! Every entry point runs the channel crate's own functions
//! (`switchboard_channel_whatsapp::native`), the ones the component's exports
//! call, so T2 and T3 run identical channel code and differ only in the sandbox:
//! no instance, no copies across the component boundary, no per-call limits.
//!
//! The channel's host interface is synchronous (it is the guest's view of the
//! imports). Answering a webhook needs no outbound call, so it runs inline on
//! the async task. The read receipt and the reply do call out: they run on
//! tokio's blocking pool and wait there for the daemon's async egress.

use std::cell::RefCell;
use std::sync::Arc;

use switchboard_channel_whatsapp::native::{
    self, Attachment, AttachmentKind, Body, ButtonPress, ChatType, FetchFailure, Host, Inbound,
    Kind, Level, OutboundAttachment, Reaction, Reply, Request, Response, SenderKind, Webhook,
    convert_attachment_kind, convert_kind,
};
use switchboard_runtime::{
    CallError, CallLimits, Channel, HandledRequest, InstanceServices, WebhookRequest,
    WebhookResponse,
};
use switchboard_types as t;
use switchboard_types::{
    DeliveryError, FetchError, InboundMessage, MessageKind, OutboundMessage, OutgoingRequest,
    Receipt,
};
use tokio::runtime::Handle;

/// The WhatsApp channel, natively.
#[derive(Debug, Default)]
pub struct NativeWhatsApp;

#[async_trait::async_trait]
impl Channel for NativeWhatsApp {
    fn has_persistence_hook(&self) -> bool {
        true
    }

    fn has_presence_hook(&self) -> bool {
        true
    }

    async fn on_http_request(
        &self,
        services: Arc<dyn InstanceServices>,
        _limits: &CallLimits,
        request: &WebhookRequest,
    ) -> Result<HandledRequest, CallError> {
        let (response, messages) = intake(Some(services.as_ref()), request);
        Ok(HandledRequest {
            response: WebhookResponse {
                status: response.status,
                headers: response.headers,
                body: response.body,
            },
            messages,
            dead_letter: None,
        })
    }

    async fn on_respond(
        &self,
        services: Arc<dyn InstanceServices>,
        limits: &CallLimits,
        message: &OutboundMessage,
    ) -> Result<Result<Receipt, DeliveryError>, CallError> {
        let reply = Reply {
            conversation_id: message.conversation_id.clone(),
            thread_id: message.thread_id.clone(),
            text: message.text.clone(),
            attachments: message
                .attachments
                .iter()
                .map(|a| OutboundAttachment {
                    kind: convert_attachment_kind!(a.kind, t::AttachmentKind => AttachmentKind),
                    mime_type: a.mime_type.clone(),
                    size: a.size,
                    file_name: a.file_name.clone(),
                    caption: a.caption.clone(),
                    blob: a.blob.clone(),
                })
                .collect(),
            in_reply_to: message.in_reply_to.clone().map(from_host),
            idempotency_key: message.idempotency_key.clone(),
        };
        let sent = blocking(services, limits, move |host| {
            native::on_respond(host, &reply)
        })
        .await?;
        Ok(sent
            .map(|external_id| Receipt { external_id })
            .map_err(|failure| DeliveryError {
                message: failure.message,
                retryable: failure.retryable,
                retry_after_secs: failure.retry_after_secs,
            }))
    }

    async fn on_message_persisted(
        &self,
        services: Arc<dyn InstanceServices>,
        limits: &CallLimits,
        message: &InboundMessage,
    ) -> Result<Result<(), String>, CallError> {
        let message = from_host(message.clone());
        blocking(services, limits, move |host| {
            native::on_message_persisted(host, &message)
        })
        .await
    }

    async fn on_agent_working(
        &self,
        services: Arc<dyn InstanceServices>,
        limits: &CallLimits,
        message: &InboundMessage,
    ) -> Result<Result<(), String>, CallError> {
        let message = from_host(message.clone());
        blocking(services, limits, move |host| {
            native::on_agent_working(host, &message)
        })
        .await
    }
}

/// The messages the channel emits for a POST of `body`, without a daemon (the
/// store benchmark uses it to give its rows the real shape).
pub fn messages_of(body: &[u8]) -> Vec<InboundMessage> {
    let request = WebhookRequest {
        method: "POST".to_owned(),
        body: bytes::Bytes::copy_from_slice(body),
        ..WebhookRequest::default()
    };
    intake(None, &request).1
}

fn intake(
    services: Option<&dyn InstanceServices>,
    request: &WebhookRequest,
) -> (Response, Vec<InboundMessage>) {
    let host = IntakeHost {
        services,
        emitted: RefCell::new(Vec::new()),
    };
    let webhook = Webhook {
        method: &request.method,
        path: &request.path,
        query: &request.query,
        headers: &request.headers,
        body: &request.body,
    };
    let response = native::on_http_request(&host, &webhook);
    let messages = host.emitted.into_inner().into_iter().map(to_host).collect();
    (response, messages)
}

/// Runs `work` on the blocking pool with a [`BlockingHost`], under the call's
/// deadline (as the runtime bounds a guest call).
async fn blocking<R: Send + 'static>(
    services: Arc<dyn InstanceServices>,
    limits: &CallLimits,
    work: impl FnOnce(&BlockingHost) -> R + Send + 'static,
) -> Result<R, CallError> {
    let runtime = Handle::current();
    let task = tokio::task::spawn_blocking(move || work(&BlockingHost { services, runtime }));
    let deadline_ms = u64::try_from(limits.deadline.as_millis()).unwrap_or(u64::MAX);
    match tokio::time::timeout(limits.deadline, task).await {
        Err(_elapsed) => Err(CallError::Deadline { deadline_ms }),
        Ok(Err(join)) => Err(CallError::Trap(join.to_string())),
        Ok(Ok(value)) => Ok(value),
    }
}

/// The host while answering a webhook: collects emitted messages.
struct IntakeHost<'a> {
    services: Option<&'a dyn InstanceServices>,
    emitted: RefCell<Vec<Inbound>>,
}

impl Host for IntakeHost<'_> {
    fn log(&self, level: Level, message: &str) {
        if let Some(services) = self.services {
            log(services, level, message);
        }
    }

    fn emit(&self, message: Inbound) -> Result<(), String> {
        self.emitted.borrow_mut().push(message);
        Ok(())
    }

    fn dead_letter(&self, reason: &str) -> Result<(), String> {
        if let Some(services) = self.services {
            log(services, Level::Warn, reason);
        }
        Ok(())
    }

    fn fetch(&self, _request: Request) -> Result<Response, FetchFailure> {
        Err(FetchFailure::Denied(
            "the native baseline makes no outbound calls while answering a webhook".to_owned(),
        ))
    }

    fn setting(&self, name: &str) -> Option<String> {
        self.services.and_then(|services| services.setting(name))
    }

    fn state_get(&self, _key: &str) -> Option<Vec<u8>> {
        None
    }

    fn state_set(&self, _key: &str, _value: &[u8]) -> Result<(), String> {
        Err("the native baseline keeps no state while answering a webhook".to_owned())
    }

    fn state_delete(&self, _key: &str) {}
}

/// The host for calls that reach out: waits for the daemon's async services.
struct BlockingHost {
    services: Arc<dyn InstanceServices>,
    runtime: Handle,
}

impl Host for BlockingHost {
    fn log(&self, level: Level, message: &str) {
        log(self.services.as_ref(), level, message);
    }

    fn emit(&self, _message: Inbound) -> Result<(), String> {
        Err("emit is only valid during on-http-request".to_owned())
    }

    fn dead_letter(&self, _reason: &str) -> Result<(), String> {
        Err("dead-letter is only valid during on-http-request".to_owned())
    }

    fn fetch(&self, request: Request) -> Result<Response, FetchFailure> {
        let request = OutgoingRequest {
            method: request.method,
            url: request.url,
            headers: request.headers,
            body: match request.body {
                Body::Bytes(bytes) => bytes,
                // The WhatsApp channel sends no multipart or blob bodies.
                Body::Blob(_) | Body::Multipart(_) => {
                    return Err(FetchFailure::Invalid(
                        "the native baseline sends byte bodies only".to_owned(),
                    ));
                }
            },
            timeout_ms: request.timeout_ms,
        };
        match self.runtime.block_on(self.services.fetch(request)) {
            Ok(response) => Ok(Response {
                status: response.status,
                headers: response.headers,
                body: response.body,
            }),
            Err(FetchError::Denied(why)) => Err(FetchFailure::Denied(why)),
            Err(FetchError::Timeout) => Err(FetchFailure::Timeout),
            Err(FetchError::Network(why)) => Err(FetchFailure::Network(why)),
            Err(FetchError::TooLarge) => Err(FetchFailure::TooLarge),
            Err(FetchError::Invalid(why)) => Err(FetchFailure::Invalid(why)),
        }
    }

    fn setting(&self, name: &str) -> Option<String> {
        self.services.setting(name)
    }

    fn state_get(&self, key: &str) -> Option<Vec<u8>> {
        self.runtime
            .block_on(self.services.state_get(key))
            .ok()
            .flatten()
    }

    fn state_set(&self, key: &str, value: &[u8]) -> Result<(), String> {
        self.runtime
            .block_on(self.services.state_set(key, value.to_vec()))
    }

    fn state_delete(&self, key: &str) {
        // silent-ok: the channel treats a failed delete as best effort, as the WIT
        // import (which returns nothing) does.
        let _ = self.runtime.block_on(self.services.state_delete(key));
    }
}

/// Guest log lines go where the runtime sends a component's: target `guest`.
fn log(services: &dyn InstanceServices, level: Level, message: &str) {
    let instance = services.instance();
    match level {
        Level::Debug => tracing::debug!(target: "guest", instance, "{message}"),
        Level::Warn => tracing::warn!(target: "guest", instance, "{message}"),
        Level::Error => tracing::error!(target: "guest", instance, "{message}"),
    }
}

fn to_host(message: Inbound) -> InboundMessage {
    InboundMessage {
        external_id: message.external_id,
        conversation_id: message.conversation_id,
        sender_id: message.sender_id,
        sender_name: message.sender_name,
        sender_kind: match message.sender_kind {
            SenderKind::User => t::SenderKind::User,
            SenderKind::Bot => t::SenderKind::Bot,
            SenderKind::ThisBot => t::SenderKind::ThisBot,
        },
        text: message.text,
        timestamp: message.timestamp,
        reply_to: message.reply_to,
        kind: convert_kind!(message.kind, Kind => MessageKind),
        chat_type: match message.chat_type {
            ChatType::Unknown => t::ChatType::Unknown,
            ChatType::Direct => t::ChatType::Direct,
            ChatType::Group => t::ChatType::Group,
            ChatType::Broadcast => t::ChatType::Broadcast,
        },
        mentions_bot: message.mentions_bot,
        thread_id: message.thread_id,
        is_edit: message.is_edit,
        platform_edited_at_ms: message.edited_at_ms,
        attachments: message
            .attachments
            .into_iter()
            .map(|a| t::Attachment {
                kind: convert_attachment_kind!(a.kind, AttachmentKind => t::AttachmentKind),
                mime_type: a.mime_type,
                size: a.size,
                file_name: a.file_name,
                caption: a.caption,
                reference: a.reference,
            })
            .collect(),
        reaction: message.reaction.map(|r| t::Reaction {
            target: r.target,
            emoji: r.emoji,
            removed: r.removed,
        }),
        button: message.button.map(|b| t::ButtonPress {
            payload: b.payload,
            label: b.label,
        }),
        metadata: message.metadata,
    }
}

fn from_host(message: InboundMessage) -> Inbound {
    Inbound {
        external_id: message.external_id,
        conversation_id: message.conversation_id,
        sender_id: message.sender_id,
        sender_name: message.sender_name,
        sender_kind: match message.sender_kind {
            t::SenderKind::User => SenderKind::User,
            t::SenderKind::Bot => SenderKind::Bot,
            t::SenderKind::ThisBot => SenderKind::ThisBot,
        },
        text: message.text,
        timestamp: message.timestamp,
        reply_to: message.reply_to,
        kind: convert_kind!(message.kind, MessageKind => Kind),
        chat_type: match message.chat_type {
            t::ChatType::Unknown => ChatType::Unknown,
            t::ChatType::Direct => ChatType::Direct,
            t::ChatType::Group => ChatType::Group,
            t::ChatType::Broadcast => ChatType::Broadcast,
        },
        mentions_bot: message.mentions_bot,
        thread_id: message.thread_id,
        is_edit: message.is_edit,
        edited_at_ms: message.platform_edited_at_ms,
        attachments: message
            .attachments
            .into_iter()
            .map(|a| Attachment {
                kind: convert_attachment_kind!(a.kind, t::AttachmentKind => AttachmentKind),
                mime_type: a.mime_type,
                size: a.size,
                file_name: a.file_name,
                caption: a.caption,
                reference: a.reference,
            })
            .collect(),
        reaction: message.reaction.map(|r| Reaction {
            target: r.target,
            emoji: r.emoji,
            removed: r.removed,
        }),
        button: message.button.map(|b| ButtonPress {
            payload: b.payload,
            label: b.label,
        }),
        metadata: message.metadata,
    }
}
