//! The calls the daemon makes on a channel, as a trait, so an embedder can run a
//! native implementation of the same contract in place of a component.
//!
//! [`ChannelComponent`] is the implementation the product uses. The benchmark's
//! native baseline implements it with the WhatsApp channel's logic compiled for
//! the host, which is what makes "the sandbox's cost" a like-for-like measure.

use std::sync::Arc;

use switchboard_types::{
    Attachment, DeliveryError, InboundMessage, OutboundMessage, OutgoingRequest, Receipt,
    SessionContext, SessionTarget, WebhookRequest,
};

use crate::component::{ChannelComponent, Framed, HandledRequest, Polled};
use crate::error::CallError;
use crate::limits::CallLimits;
use crate::services::InstanceServices;

/// A channel's exports: `channel` and the optional `persistence`, `presence`, `media`
/// and `polling` exports.
#[async_trait::async_trait]
pub trait Channel: Send + Sync + std::fmt::Debug {
    /// Whether [`Channel::on_message_persisted`] does anything.
    fn has_persistence_hook(&self) -> bool;

    /// Whether [`Channel::on_agent_working`] does anything.
    fn has_presence_hook(&self) -> bool {
        false
    }

    /// Whether [`Channel::download_request`] does anything.
    fn has_media_export(&self) -> bool {
        false
    }

    /// Whether [`Channel::poll`] does anything.
    fn has_polling_export(&self) -> bool {
        false
    }

    /// Whether the `session` calls do anything.
    fn has_session_export(&self) -> bool {
        false
    }

    /// Bytes of guest log output dropped over the per-call budget since loading.
    fn log_bytes_dropped(&self) -> u64 {
        0
    }

    /// `channel.on-http-request`: the response and the messages emitted. The
    /// caller persists the messages before it sends the response.
    async fn on_http_request(
        &self,
        services: Arc<dyn InstanceServices>,
        limits: &CallLimits,
        request: &WebhookRequest,
    ) -> Result<HandledRequest, CallError>;

    /// `channel.on-respond`.
    async fn on_respond(
        &self,
        services: Arc<dyn InstanceServices>,
        limits: &CallLimits,
        message: &OutboundMessage,
    ) -> Result<Result<Receipt, DeliveryError>, CallError>;

    /// `persistence.on-message-persisted`; [`CallError::NotExported`] without
    /// the hook.
    async fn on_message_persisted(
        &self,
        services: Arc<dyn InstanceServices>,
        limits: &CallLimits,
        message: &InboundMessage,
    ) -> Result<Result<(), String>, CallError>;

    /// `presence.on-agent-working`; [`CallError::NotExported`] without the hook.
    async fn on_agent_working(
        &self,
        _services: Arc<dyn InstanceServices>,
        _limits: &CallLimits,
        _message: &InboundMessage,
    ) -> Result<Result<(), String>, CallError> {
        Err(CallError::NotExported("presence.on-agent-working"))
    }

    /// `media.download-request`; [`CallError::NotExported`] without the export.
    async fn download_request(
        &self,
        _services: Arc<dyn InstanceServices>,
        _limits: &CallLimits,
        _attachment: &Attachment,
    ) -> Result<Result<OutgoingRequest, DeliveryError>, CallError> {
        Err(CallError::NotExported("media.download-request"))
    }

    /// `polling.poll`; [`CallError::NotExported`] without the export.
    async fn poll(
        &self,
        _services: Arc<dyn InstanceServices>,
        _limits: &CallLimits,
        _cursor: Option<&str>,
    ) -> Result<Polled, CallError> {
        Err(CallError::NotExported("polling.poll"))
    }

    /// `session.open`; [`CallError::NotExported`] without the export.
    async fn session_open(
        &self,
        _services: Arc<dyn InstanceServices>,
        _limits: &CallLimits,
        _context: &SessionContext,
    ) -> Result<Result<SessionTarget, DeliveryError>, CallError> {
        Err(CallError::NotExported("session.open"))
    }

    /// `session.on-frame` with `Some(frame)`, `session.on-tick` with `None`;
    /// [`CallError::NotExported`] without the export.
    async fn session_call(
        &self,
        _services: Arc<dyn InstanceServices>,
        _limits: &CallLimits,
        _frame: Option<&str>,
        _context: &SessionContext,
    ) -> Result<Framed, CallError> {
        Err(CallError::NotExported("session.on-frame"))
    }
}

#[async_trait::async_trait]
impl Channel for ChannelComponent {
    fn has_persistence_hook(&self) -> bool {
        ChannelComponent::has_persistence_hook(self)
    }

    fn has_presence_hook(&self) -> bool {
        ChannelComponent::has_presence_hook(self)
    }

    fn has_media_export(&self) -> bool {
        ChannelComponent::has_media_export(self)
    }

    fn has_polling_export(&self) -> bool {
        ChannelComponent::has_polling_export(self)
    }

    fn has_session_export(&self) -> bool {
        ChannelComponent::has_session_export(self)
    }

    fn log_bytes_dropped(&self) -> u64 {
        self.counters()
            .log_bytes_dropped
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    async fn on_http_request(
        &self,
        services: Arc<dyn InstanceServices>,
        limits: &CallLimits,
        request: &WebhookRequest,
    ) -> Result<HandledRequest, CallError> {
        ChannelComponent::on_http_request(self, services, limits, request).await
    }

    async fn on_respond(
        &self,
        services: Arc<dyn InstanceServices>,
        limits: &CallLimits,
        message: &OutboundMessage,
    ) -> Result<Result<Receipt, DeliveryError>, CallError> {
        ChannelComponent::on_respond(self, services, limits, message).await
    }

    async fn on_message_persisted(
        &self,
        services: Arc<dyn InstanceServices>,
        limits: &CallLimits,
        message: &InboundMessage,
    ) -> Result<Result<(), String>, CallError> {
        ChannelComponent::on_message_persisted(self, services, limits, message).await
    }

    async fn on_agent_working(
        &self,
        services: Arc<dyn InstanceServices>,
        limits: &CallLimits,
        message: &InboundMessage,
    ) -> Result<Result<(), String>, CallError> {
        ChannelComponent::on_agent_working(self, services, limits, message).await
    }

    async fn download_request(
        &self,
        services: Arc<dyn InstanceServices>,
        limits: &CallLimits,
        attachment: &Attachment,
    ) -> Result<Result<OutgoingRequest, DeliveryError>, CallError> {
        ChannelComponent::download_request(self, services, limits, attachment).await
    }

    async fn poll(
        &self,
        services: Arc<dyn InstanceServices>,
        limits: &CallLimits,
        cursor: Option<&str>,
    ) -> Result<Polled, CallError> {
        ChannelComponent::poll(self, services, limits, cursor).await
    }

    async fn session_open(
        &self,
        services: Arc<dyn InstanceServices>,
        limits: &CallLimits,
        context: &SessionContext,
    ) -> Result<Result<SessionTarget, DeliveryError>, CallError> {
        ChannelComponent::session_open(self, services, limits, context).await
    }

    async fn session_call(
        &self,
        services: Arc<dyn InstanceServices>,
        limits: &CallLimits,
        frame: Option<&str>,
        context: &SessionContext,
    ) -> Result<Framed, CallError> {
        ChannelComponent::session_call(self, services, limits, frame, context).await
    }
}
