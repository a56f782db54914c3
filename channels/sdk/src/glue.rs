//! The WIT export glue every channel would otherwise write by hand.

/// Expands a channel's WIT glue next to its bindings: the `Component` that
/// `export!` names, its `channel` (and optionally `persistence`) exports, and a
/// [`Host`](crate::Host) over the generated imports, with the conversions between
/// the generated types and this crate's plain ones.
///
/// The generated types live in the channel crate, so the glue has to expand there,
/// after `wit_bindgen::generate!`. Pass the path of the module holding the bindings
/// (of any `switchboard:channel@0.2.x` world) and the channel's entry points:
///
/// - `on_http_request: fn(&impl Host, &Webhook<'_>) -> Response`
/// - `on_respond: fn(&impl Host, &Reply) -> Result<Option<String>, DeliveryFailure>`,
///   the platform's id of the sent message on success
/// - `on_message_persisted: fn(&impl Host, &Inbound) -> Result<(), String>` and
///   `on_agent_working: fn(&impl Host, &Inbound) -> Result<(), String>`, only for
///   the `full` world (both or neither): leave them out for `minimal`, which has no
///   `persistence` or `presence` export to implement
/// - `download_request: fn(&impl Host, &Attachment) -> Result<Request, DeliveryFailure>`,
///   for the `full` world of 0.2.1 and later, whose `media` export it implements: the
///   request the host performs to stream an attachment's content into its blob store
/// - `poll: fn(&impl Host, Option<&str>) -> Result<PollOutcome, DeliveryFailure>`, for
///   the `polling-channel` world of 0.2.2 and later, whose `polling` export it implements: fetch
///   what arrived since the cursor, emit it, and return the next cursor
/// - `session_open: fn(&impl Host, &SessionContext) -> Result<SessionTarget, DeliveryFailure>`,
///   `on_frame: fn(&impl Host, &str, &SessionContext) -> Result<FrameOutcome, DeliveryFailure>`
///   and `on_tick: fn(&impl Host, &SessionContext) -> Result<FrameOutcome, DeliveryFailure>`
///   (all three or none), for the `socket-channel` world of 0.2.2 and later, whose
///   `session` export they implement
///
/// The entry points see only plain types, so they run natively too: in unit tests
/// against a fake host, or in a host that calls them without the sandbox.
///
/// ```
/// #![deny(unsafe_code)]
///
/// use switchboard_channel_sdk::{
///     Attachment, DeliveryFailure, Host, Inbound, Kind, Level, Reply, Request, Response,
///     Webhook, bearer,
/// };
///
/// #[cfg_attr(
///     target_arch = "wasm32",
///     expect(unsafe_code, reason = "generated bindings and export shims")
/// )]
/// mod bindings {
///     wit_bindgen::generate!({ world: "full", path: "../../wit/channel@0.2.1" });
///
///     // Export symbols such as `switchboard:channel/channel@0.1.0#on-respond` are
///     // not valid for native linkers, and native builds only run tests.
///     #[cfg(target_arch = "wasm32")]
///     use super::Component;
///     #[cfg(target_arch = "wasm32")]
///     export!(Component with_types_in self);
/// }
///
/// switchboard_channel_sdk::channel_glue! {
///     bindings: bindings,
///     on_http_request: on_http_request,
///     on_respond: on_respond,
///     on_message_persisted: on_message_persisted,
///     on_agent_working: on_agent_working,
///     download_request: download_request,
/// }
///
/// fn on_http_request(host: &impl Host, request: &Webhook<'_>) -> Response {
///     let message = Inbound {
///         external_id: String::from_utf8_lossy(request.body).into_owned(),
///         conversation_id: "default".to_owned(),
///         sender_id: "someone".to_owned(),
///         kind: Kind::Text,
///         ..Inbound::default()
///     };
///     match host.emit(message) {
///         Ok(()) => Response::empty(200),
///         Err(reason) => {
///             host.log(Level::Warn, &reason);
///             Response::empty(400)
///         }
///     }
/// }
///
/// fn on_respond(_host: &impl Host, _reply: &Reply) -> Result<Option<String>, DeliveryFailure> {
///     Err(DeliveryFailure::permanent("this channel sends nothing"))
/// }
///
/// fn on_message_persisted(host: &impl Host, message: &Inbound) -> Result<(), String> {
///     host.log(Level::Debug, &format!("stored {}", message.external_id));
///     Ok(())
/// }
///
/// fn on_agent_working(_host: &impl Host, _message: &Inbound) -> Result<(), String> {
///     Ok(())
/// }
///
/// fn download_request(_host: &impl Host, attachment: &Attachment) -> Result<Request, DeliveryFailure> {
///     Ok(Request::new("GET", format!("https://files.example/{}", attachment.reference))
///         .header("authorization", bearer("token")))
/// }
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! channel_glue {
    (
        bindings: $($bindings:ident)::+,
        on_http_request: $on_http_request:path,
        on_respond: $on_respond:path
        $(, on_message_persisted: $on_message_persisted:path,
            on_agent_working: $on_agent_working:path)?
        $(, download_request: $download_request:path)?
        $(, poll: $poll:path)?
        $(, session_open: $session_open:path,
            on_frame: $on_frame:path,
            on_tick: $on_tick:path)?
        $(,)?
    ) => {
        /// The exported component; the bindings' `export!` names it.
        struct Component;

        // An anonymous scope: the glue's helpers and imports stay out of the
        // channel's namespace; only the trait impls escape it.
        const _: () = {
            use $($bindings)::+ as wit_bindings;
            use wit_bindings::exports::switchboard::channel::channel;
            use wit_bindings::switchboard::channel::host as wit;
            use wit_bindings::switchboard::channel::types::{
                Attachment, AttachmentKind, ButtonPress, ChatType, DeliveryError, FetchError,
                FormPart, HttpRequest, HttpResponse, InboundMessage, LogLevel, MessageKind,
                OutboundAttachment, OutboundMessage, OutgoingRequest, PartContent, Reaction,
                Receipt, RequestBody, SenderKind,
            };

            impl channel::Guest for Component {
                fn on_http_request(request: HttpRequest) -> HttpResponse {
                    let webhook = $crate::Webhook {
                        method: &request.method,
                        path: &request.path,
                        query: &request.query,
                        headers: &request.headers,
                        body: &request.body,
                    };
                    let response: $crate::Response = $on_http_request(&WitHost, &webhook);
                    HttpResponse {
                        status: response.status,
                        headers: response.headers,
                        body: response.body,
                    }
                }

                fn on_respond(message: OutboundMessage) -> Result<Receipt, DeliveryError> {
                    let reply = $crate::Reply {
                        conversation_id: message.conversation_id,
                        thread_id: message.thread_id,
                        text: message.text,
                        attachments: message
                            .attachments
                            .into_iter()
                            .map(outbound_attachment_from_wit)
                            .collect(),
                        in_reply_to: message.in_reply_to.map(inbound_from_wit),
                        idempotency_key: message.idempotency_key,
                    };
                    let sent: Result<Option<String>, $crate::DeliveryFailure> =
                        $on_respond(&WitHost, &reply);
                    sent.map(|external_id| Receipt { external_id })
                        .map_err(failure_to_wit)
                }
            }

            $(
                impl wit_bindings::exports::switchboard::channel::persistence::Guest for Component {
                    fn on_message_persisted(message: InboundMessage) -> Result<(), String> {
                        $on_message_persisted(&WitHost, &inbound_from_wit(message))
                    }
                }

                impl wit_bindings::exports::switchboard::channel::presence::Guest for Component {
                    fn on_agent_working(message: InboundMessage) -> Result<(), String> {
                        $on_agent_working(&WitHost, &inbound_from_wit(message))
                    }
                }
            )?

            $(
                impl wit_bindings::exports::switchboard::channel::media::Guest for Component {
                    fn download_request(
                        attachment: Attachment,
                    ) -> Result<OutgoingRequest, DeliveryError> {
                        let attachment = attachment_from_wit(attachment);
                        let planned: Result<$crate::Request, $crate::DeliveryFailure> =
                            $download_request(&WitHost, &attachment);
                        planned
                            .map(|request| OutgoingRequest {
                                method: request.method,
                                url: request.url,
                                headers: request.headers,
                                body: body_to_wit(request.body),
                                timeout_ms: request.timeout_ms,
                            })
                            .map_err(failure_to_wit)
                    }
                }
            )?

            $(
                impl wit_bindings::exports::switchboard::channel::polling::Guest for Component {
                    fn poll(
                        cursor: Option<String>,
                    ) -> Result<
                        wit_bindings::exports::switchboard::channel::polling::PollOutcome,
                        DeliveryError,
                    > {
                        use wit_bindings::exports::switchboard::channel::polling as wit_polling;
                        let polled: Result<$crate::PollOutcome, $crate::DeliveryFailure> =
                            $poll(&WitHost, cursor.as_deref());
                        polled
                            .map(|outcome| wit_polling::PollOutcome {
                                next_cursor: outcome.next_cursor,
                                unmapped: outcome
                                    .unmapped
                                    .into_iter()
                                    .map(|u| wit_bindings::switchboard::channel::types::Unmapped {
                                        reason: u.reason,
                                        payload: u.payload,
                                    })
                                    .collect(),
                            })
                            .map_err(failure_to_wit)
                    }
                }
            )?

            $(
                const _: () = {
                    use wit_bindings::exports::switchboard::channel::session as wit_session;

                    fn context_from_wit(c: wit_session::SessionContext) -> $crate::SessionContext {
                        $crate::SessionContext {
                            cursor: c.cursor,
                            memo: c.memo,
                        }
                    }

                    fn outcome_to_wit(
                        outcome: Result<$crate::FrameOutcome, $crate::DeliveryFailure>,
                    ) -> Result<wit_session::FrameOutcome, DeliveryError> {
                        outcome
                            .map(|o| wit_session::FrameOutcome {
                                send: o.send,
                                send_after_commit: o.send_after_commit,
                                cursor: o.cursor,
                                memo: o.memo,
                                tick_ms: o.tick_ms,
                                reconnect: o.reconnect,
                                unmapped: o
                                    .unmapped
                                    .into_iter()
                                    .map(|u| wit_bindings::switchboard::channel::types::Unmapped {
                                        reason: u.reason,
                                        payload: u.payload,
                                    })
                                    .collect(),
                            })
                            .map_err(failure_to_wit)
                    }

                    impl wit_session::Guest for Component {
                        fn open(
                            context: wit_session::SessionContext,
                        ) -> Result<wit_session::SessionTarget, DeliveryError> {
                            let opened: Result<$crate::SessionTarget, $crate::DeliveryFailure> =
                                $session_open(&WitHost, &context_from_wit(context));
                            opened
                                .map(|target| wit_session::SessionTarget {
                                    url: target.url,
                                    headers: target.headers,
                                })
                                .map_err(failure_to_wit)
                        }

                        fn on_frame(
                            frame: String,
                            context: wit_session::SessionContext,
                        ) -> Result<wit_session::FrameOutcome, DeliveryError> {
                            outcome_to_wit($on_frame(&WitHost, &frame, &context_from_wit(context)))
                        }

                        fn on_tick(
                            context: wit_session::SessionContext,
                        ) -> Result<wit_session::FrameOutcome, DeliveryError> {
                            outcome_to_wit($on_tick(&WitHost, &context_from_wit(context)))
                        }
                    }
                };
            )?

            /// The channel's host: the `switchboard:channel/host` imports.
            struct WitHost;

            impl $crate::Host for WitHost {
                fn log(&self, level: $crate::Level, message: &str) {
                    let level = match level {
                        $crate::Level::Debug => LogLevel::Debug,
                        $crate::Level::Warn => LogLevel::Warn,
                        $crate::Level::Error => LogLevel::Error,
                    };
                    wit::log(level, message);
                }

                fn emit(&self, message: $crate::Inbound) -> Result<(), String> {
                    wit::emit(&inbound_to_wit(message))
                }

                fn dead_letter(&self, reason: &str) -> Result<(), String> {
                    wit::dead_letter(reason)
                }

                fn fetch(
                    &self,
                    request: $crate::Request,
                ) -> Result<$crate::Response, $crate::FetchFailure> {
                    let request = OutgoingRequest {
                        method: request.method,
                        url: request.url,
                        headers: request.headers,
                        body: body_to_wit(request.body),
                        timeout_ms: request.timeout_ms,
                    };
                    match wit::http_fetch(&request) {
                        Ok(response) => Ok($crate::Response {
                            status: response.status,
                            headers: response.headers,
                            body: response.body,
                        }),
                        Err(FetchError::Denied(reason)) => Err($crate::FetchFailure::Denied(reason)),
                        Err(FetchError::Timeout) => Err($crate::FetchFailure::Timeout),
                        Err(FetchError::Network(reason)) => {
                            Err($crate::FetchFailure::Network(reason))
                        }
                        Err(FetchError::TooLarge) => Err($crate::FetchFailure::TooLarge),
                        Err(FetchError::Invalid(reason)) => {
                            Err($crate::FetchFailure::Invalid(reason))
                        }
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

            fn failure_to_wit(failure: $crate::DeliveryFailure) -> DeliveryError {
                DeliveryError {
                    message: failure.message,
                    retryable: failure.retryable,
                    retry_after_secs: failure.retry_after_secs,
                }
            }


            fn body_to_wit(body: $crate::Body) -> RequestBody {
                match body {
                    $crate::Body::Bytes(bytes) => RequestBody::Bytes(bytes),
                    $crate::Body::Blob(blob) => RequestBody::Blob(blob),
                    $crate::Body::Multipart(parts) => RequestBody::Multipart(
                        parts
                            .into_iter()
                            .map(|part| FormPart {
                                name: part.name,
                                file_name: part.file_name,
                                content_type: part.content_type,
                                content: match part.content {
                                    $crate::PartContent::Text(text) => PartContent::Text(text),
                                    $crate::PartContent::Bytes(bytes) => PartContent::Bytes(bytes),
                                    $crate::PartContent::Blob(blob) => PartContent::Blob(blob),
                                },
                            })
                            .collect(),
                    ),
                }
            }

            fn attachment_kind_to_wit(kind: $crate::AttachmentKind) -> AttachmentKind {
                $crate::convert_attachment_kind!(kind, $crate::AttachmentKind => AttachmentKind)
            }

            fn attachment_kind_from_wit(kind: AttachmentKind) -> $crate::AttachmentKind {
                $crate::convert_attachment_kind!(kind, AttachmentKind => $crate::AttachmentKind)
            }

            fn attachment_from_wit(a: Attachment) -> $crate::Attachment {
                $crate::Attachment {
                    kind: attachment_kind_from_wit(a.kind),
                    mime_type: a.mime_type,
                    size: a.size,
                    file_name: a.file_name,
                    caption: a.caption,
                    reference: a.reference,
                }
            }

            fn outbound_attachment_from_wit(a: OutboundAttachment) -> $crate::OutboundAttachment {
                $crate::OutboundAttachment {
                    kind: attachment_kind_from_wit(a.kind),
                    mime_type: a.mime_type,
                    size: a.size,
                    file_name: a.file_name,
                    caption: a.caption,
                    blob: a.blob,
                }
            }

            fn inbound_to_wit(message: $crate::Inbound) -> InboundMessage {
                InboundMessage {
                    external_id: message.external_id,
                    conversation_id: message.conversation_id,
                    sender_id: message.sender_id,
                    sender_name: message.sender_name,
                    sender_kind: match message.sender_kind {
                        $crate::SenderKind::User => SenderKind::User,
                        $crate::SenderKind::Bot => SenderKind::Bot,
                        $crate::SenderKind::ThisBot => SenderKind::ThisBot,
                    },
                    text: message.text,
                    timestamp: message.timestamp,
                    reply_to: message.reply_to,
                    kind: $crate::convert_kind!(message.kind, $crate::Kind => MessageKind),
                    chat_type: match message.chat_type {
                        $crate::ChatType::Unknown => ChatType::Unknown,
                        $crate::ChatType::Direct => ChatType::Direct,
                        $crate::ChatType::Group => ChatType::Group,
                        $crate::ChatType::Broadcast => ChatType::Broadcast,
                    },
                    mentions_bot: message.mentions_bot,
                    thread_id: message.thread_id,
                    is_edit: message.is_edit,
                    edited_at_ms: message.edited_at_ms,
                    attachments: message
                        .attachments
                        .into_iter()
                        .map(|a| Attachment {
                            kind: attachment_kind_to_wit(a.kind),
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

            fn inbound_from_wit(message: InboundMessage) -> $crate::Inbound {
                $crate::Inbound {
                    external_id: message.external_id,
                    conversation_id: message.conversation_id,
                    sender_id: message.sender_id,
                    sender_name: message.sender_name,
                    sender_kind: match message.sender_kind {
                        SenderKind::User => $crate::SenderKind::User,
                        SenderKind::Bot => $crate::SenderKind::Bot,
                        SenderKind::ThisBot => $crate::SenderKind::ThisBot,
                    },
                    text: message.text,
                    timestamp: message.timestamp,
                    reply_to: message.reply_to,
                    kind: $crate::convert_kind!(message.kind, MessageKind => $crate::Kind),
                    chat_type: match message.chat_type {
                        ChatType::Unknown => $crate::ChatType::Unknown,
                        ChatType::Direct => $crate::ChatType::Direct,
                        ChatType::Group => $crate::ChatType::Group,
                        ChatType::Broadcast => $crate::ChatType::Broadcast,
                    },
                    mentions_bot: message.mentions_bot,
                    thread_id: message.thread_id,
                    is_edit: message.is_edit,
                    edited_at_ms: message.edited_at_ms,
                    attachments: message
                        .attachments
                        .into_iter()
                        .map(attachment_from_wit)
                        .collect(),
                    reaction: message.reaction.map(|r| $crate::Reaction {
                        target: r.target,
                        emoji: r.emoji,
                        removed: r.removed,
                    }),
                    button: message.button.map(|b| $crate::ButtonPress {
                        payload: b.payload,
                        label: b.label,
                    }),
                    metadata: message.metadata,
                }
            }
        };
    };
}
