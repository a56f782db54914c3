//! The first-party Slack channel: Events API, interactivity and slash commands.
//!
//! Owns the Slack payload formats: answering the `url_verification` handshake,
//! turning `message` and `app_mention` events into inbound messages under
//! `<channel>:<ts>` (so an @mention's two deliveries store once), `message_changed`
//! into edits, `block_actions` into interactive messages and slash commands into
//! text messages; posting replies with `chat.postMessage` and adding an
//! acknowledgement reaction with `reactions.add` once a message is stored.
//!
//! Does not own: the `slack-v0` signature and replay check, deduplication,
//! storage, retries or the bot token. The host does all of those before or after
//! this component runs, and fills the `{{secret:bot_token}}` placeholder in the
//! `authorization` header.
//!
//! Conversations are `<channel>` for top-level messages and
//! `<channel>:<thread_ts>` for thread replies; see [`parse`] for why.
//!
//! This file is the WIT glue only: the SDK's `channel_glue!` converts between the
//! generated types and the SDK's plain ones and hands [`webhook`] and [`outbound`]
//! a `Host` backed by the real imports, so all logic is testable natively.

mod outbound;
mod parse;
mod web_api;
mod webhook;

/// The plain message types under the path `parse`'s submodules import them from.
mod message {
    pub(crate) use switchboard_channel_sdk::{Inbound, Kind};
}

/// The generated bindings and the exported symbols. `export!` expands to
/// `#[unsafe(no_mangle)]` ABI shims, so it is invoked here, where the lint
/// exception is scoped, rather than at the crate root. The shims exist only in the
/// wasm build: their symbol names (`switchboard:channel/...`) are not valid in a
/// native shared library, and native builds only run unit tests.
#[cfg_attr(
    target_arch = "wasm32",
    expect(unsafe_code, reason = "generated bindings and export shims")
)]
mod bindings {
    wit_bindgen::generate!({ world: "full", path: "../../wit/channel@0.1.0" });

    #[cfg(target_arch = "wasm32")]
    use super::Component;
    #[cfg(target_arch = "wasm32")]
    export!(Component with_types_in self);
}

switchboard_channel_sdk::channel_glue! {
    bindings: bindings,
    on_http_request: webhook::on_http_request,
    on_respond: outbound::respond,
    on_message_persisted: outbound::acknowledge,
}
