//! The first-party WhatsApp Cloud API channel.
//!
//! Owns the WhatsApp payload formats: turning webhook deliveries into inbound
//! messages (every entry, change and message of a batch; status updates are not
//! messages), echoing the GET subscription challenge, marking stored messages read
//! and sending replies through `POST /<phone_number_id>/messages`.
//!
//! Does not own: signature and verify-token checks, deduplication, storage, retries
//! or credentials. The host does all of those before or after this component runs,
//! and fills the `{{secret:access_token}}` placeholder in outbound requests.
//!
//! Conversations are `<phone_number_id>:<user>`, where the user is the sender's
//! `wa_id`, or their business-scoped user id when WhatsApp withholds the number.
//!
//! This file is the WIT glue only: the SDK's `channel_glue!` converts between the
//! generated types and the SDK's plain ones and hands the entry points of [`native`]
//! a `Host` backed by the real imports, so all logic is testable (and runnable)
//! natively.

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
    wit_bindgen::generate!({ world: "full", path: "../../wit/channel@0.1.0" });

    // Export names such as `switchboard:channel/channel@0.1.0#on-http-request`
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
}
