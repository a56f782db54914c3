//! The first-party Telegram Bot API channel.
//!
//! Owns the Telegram payload formats: turning webhook `Update`s into inbound
//! messages (`message` and `channel_post` as new messages, `edited_message` and
//! `edited_channel_post` as edits under the original's `<chat id>:<message id>`),
//! sending replies with `sendMessage` (split at 4096 characters) and showing
//! "typing" with `sendChatAction` once a message is stored.
//!
//! Does not own: the `x-telegram-bot-api-secret-token` check, deduplication,
//! storage, retries or the bot token. The host does all of those before or after
//! this component runs, and fills the `{{secret:bot_token}}` placeholder in the
//! Bot API URL.
//!
//! Conversations are chats (`<chat id>`); forum topics stay in one conversation and
//! replies find their topic through the answered message's metadata.
//!
//! This file is the WIT glue only: the SDK's `channel_glue!` converts between the
//! generated types and the SDK's plain ones and hands [`webhook`] and [`outbound`]
//! a `Host` backed by the real imports, so all logic is testable natively.

mod bot_api;
mod outbound;
mod parse;
mod webhook;

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
    on_message_persisted: outbound::show_typing,
}
