//! The first-party WhatsApp Cloud API channel (contract 0.2.1).
//!
//! Owns the WhatsApp payload formats. Inbound: every entry, change and message of a
//! webhook delivery becomes an inbound message (status updates are not messages),
//! with its chat type (a Groups API `group_id` makes it a group chat), who wrote it
//! (a person, or the business's own number), its attachments (media ids), the
//! reaction or button press it is, and edits under the edited message's id with
//! the edit's time. WhatsApp's system notices are stored as `system`. A message
//! that names no sender is kept by the host as a dead letter. Media in: the host
//! asks how to download an attachment; the channel looks its media id up
//! (`GET /<media_id>`) and hands back the authenticated `GET` of the short-lived
//! URL, which the host streams into its blob store. Outbound: the GET subscription
//! challenge, read receipts for stored messages from people, the typing indicator
//! while the agent works, and replies through `POST /<phone_number_id>/messages`:
//! text, and files uploaded with `POST /<phone_number_id>/media` (streamed by the
//! host from its blob store) and sent as image, video, audio or document messages,
//! the reply's text as a caption where one fits.
//!
//! Does not own: signature and verify-token checks, deduplication, storage, retries
//! or credentials. The host does all of those before or after this component runs,
//! and fills the `{{secret:access_token}}` placeholder in outbound requests.
//!
//! Conversations are `<phone_number_id>:<user>`, where the user is the sender's
//! phone number, or their business-scoped user id when WhatsApp withholds the
//! number, and `<phone_number_id>:group:<group_id>` for a group. The conversation
//! id alone says where a message goes, so the agent can also write first.
//!
//! This file is the WIT glue only: the SDK's `channel_glue!` converts between the
//! generated types and the SDK's plain ones and hands the entry points of [`native`]
//! a `Host` backed by the real imports, so all logic is testable (and runnable)
//! natively.

mod conversation;
mod download;
mod graph;
pub mod native;
mod outbound;
mod parse;
mod webhook;

#[cfg_attr(
    target_arch = "wasm32",
    expect(unsafe_code, reason = "generated bindings: the exported entry points")
)]
mod bindings {
    wit_bindgen::generate!({ world: "full", path: "../../wit/channel@0.2.1" });

    // Export names such as `switchboard:channel/channel@0.2.1#on-http-request`
    // are not valid symbols for native linkers, and native builds only run tests.
    #[cfg(target_arch = "wasm32")]
    use super::Component;
    #[cfg(target_arch = "wasm32")]
    export!(Component with_types_in self);
}

switchboard_channel_sdk::channel_glue! {
    bindings: bindings,
    on_http_request: native::on_http_request,
    on_respond: native::on_respond,
    on_message_persisted: native::on_message_persisted,
    on_agent_working: native::on_agent_working,
    download_request: native::download_request,
}
