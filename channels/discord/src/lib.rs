//! The first-party Discord channel (contract `switchboard:channel@0.2.2`, world
//! `socket-channel`): messages in over the Gateway, slash commands in over the
//! Interactions Endpoint URL, replies out through the HTTP API (v10).
//!
//! Owns the Discord payload formats:
//! - with the setting `mode = "socket"` (the default), speaks the Gateway over a
//!   WebSocket the host holds: identifies with the bot token (as a placeholder the
//!   host fills in) and the intents GUILD_MESSAGES, DIRECT_MESSAGES and
//!   MESSAGE_CONTENT, heartbeats, resumes after a reconnect or a restart from the
//!   committed sequence number, and reconnects when Discord asks or a heartbeat
//!   goes unacknowledged (see [`gateway`]);
//! - turns MESSAGE_CREATE into messages under `<channel_id>:<id>`, saying where
//!   they were written (a direct message without `guild_id`, else a group), whether
//!   they mention the bot (or reply to it), who wrote them (a person, another bot;
//!   the bot's own are not emitted), what they reply to and their files
//!   (attachments whose reference is the CDN URL); service messages (joins, pins,
//!   boosts, ...) become `System` messages, and MESSAGE_UPDATE with content an edit
//!   timed by `edited_timestamp` (see [`message`]);
//! - answers the Interactions Endpoint URL: PING with PONG, and a slash command by
//!   emitting it as `/<name> <option>=<value> ...` and deferring the answer (see
//!   [`interactions`]);
//! - posts replies with Create Message, split at 2000 characters, answering the
//!   message replied to, or as follow-ups of a slash command's interaction (see
//!   [`outbound`]); shows "typing..." while the agent works, and tells the host to
//!   download attachments from their CDN URL (see [`hooks`]).
//!
//! Does not own: the WebSocket (connecting, pings, reconnecting with backoff), the
//! ed25519 signature check of interactions, deduplication, storage, deciding what
//! gets an answer, retries, file bytes or the bot token. The host does all of those
//! before or after this component runs, and fills `{{secret:bot_token}}` into the
//! `authorization` header towards `https://discord.com` and into the `d.token`
//! field of Identify and Resume towards the Gateway.
//!
//! Not yet: sending files (a reply with attachments fails for good rather than
//! going out without them), buttons, autocomplete and modals.
//!
//! This file is the WIT glue only: the SDK's `channel_glue!` converts between the
//! generated types and the SDK's plain ones and hands the modules a `Host` backed
//! by the real imports, so all logic is testable natively.

mod api;
mod gateway;
mod hooks;
mod interactions;
mod message;
mod outbound;
mod receive;
mod time;

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
    wit_bindgen::generate!({ world: "socket-channel", path: "../../wit/channel@0.2.2" });

    #[cfg(target_arch = "wasm32")]
    use super::Component;
    #[cfg(target_arch = "wasm32")]
    export!(Component with_types_in self);
}

switchboard_channel_sdk::channel_glue! {
    bindings: bindings,
    on_http_request: interactions::on_http_request,
    on_respond: outbound::respond,
    on_message_persisted: hooks::on_message_persisted,
    on_agent_working: hooks::on_agent_working,
    download_request: hooks::download_request,
    session_open: gateway::open,
    on_frame: gateway::on_frame,
    on_tick: gateway::on_tick,
}

#[cfg(test)]
mod tests;
