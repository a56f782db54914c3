//! The first-party Slack channel (contract `switchboard:channel@0.2.2`, world
//! `socket-channel`): Events API, interactivity and slash commands in, by webhook
//! or over Socket Mode; replies, files and reactions out.
//!
//! Owns the Slack payload formats:
//! - answers the `url_verification` handshake;
//! - with the setting `mode = "socket"`, receives the same payloads over a
//!   Socket Mode WebSocket that the host holds open: opens it with
//!   `apps.connections.open` and the app-level token, maps each envelope's
//!   payload as the webhook maps it, and acknowledges the envelope once what it
//!   carried is stored (see [`socket`]);
//! - turns `message` and `app_mention` events into messages under
//!   `<channel>:<ts>` (so an @mention's two deliveries store once), saying where
//!   they were written (`channel_type`), whether they mention the bot, who wrote
//!   them (a person, another bot), their thread and their files (attachments
//!   whose reference is the file's `url_private`);
//! - turns `message_changed` into edits timed by `edited.ts`, service subtypes
//!   (joins, topic changes, pins, ...) into `System` messages, and
//!   `reaction_added` / `reaction_removed` into reactions to `<channel>:<ts>`;
//! - turns `block_actions` into button presses (or interactive messages) and
//!   slash commands into text messages;
//! - media in: tells the host to download a file with the bot token from its
//!   `url_private`, only on Slack's file host (see [`download`]);
//! - posts replies with `chat.postMessage` into the answered message's thread,
//!   or, with files, uploads each one (`files.getUploadURLExternal`, then the
//!   file streamed by the host from its blob store) and shares them with
//!   `files.completeUploadExternal`, the text as their comment; the agent may
//!   also write first, to a conversation id alone; a retried reply repeats no
//!   upload or share that went out;
//! - adds an acknowledgement reaction with `reactions.add` once a person's
//!   message is stored, and shows "is typing..." with
//!   `assistant.threads.setStatus` while the agent answers in an AI app's
//!   assistant thread.
//!
//! The app's own messages and reactions, which Slack echoes back, are not
//! emitted (see [`parse`]); other bots' messages are, as `Bot`, for the host to
//! store and never answer. A delivery the channel cannot read is handed to the
//! host as a dead letter (by webhook with `host.dead-letter`, over a socket in the
//! frame's `unmapped`).
//!
//! Does not own: the `slack-v0` signature and replay check, the WebSocket
//! (connecting, pings, reconnecting), deduplication, storage, deciding what gets
//! an answer, retries, file bytes or the tokens.
//! The host does all of those before or after this component runs: it performs
//! downloads into its blob store, streams stored files into uploads, and fills
//! the `{{secret:bot_token}}` (and, for `apps.connections.open`,
//! `{{secret:app_token}}`) placeholder in the `authorization` header.
//!
//! This file is the WIT glue only: the SDK's `channel_glue!` converts between the
//! generated types and the SDK's plain ones and hands [`webhook`], [`socket`],
//! [`outbound`], [`presence`] and [`download`] a `Host` backed by the real
//! imports, so all logic is testable natively.

mod download;
mod file_urls;
mod outbound;
mod parse;
mod presence;
mod receive;
mod socket;
mod web_api;
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
    wit_bindgen::generate!({ world: "socket-channel", path: "../../wit/channel@0.2.2" });

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
    on_agent_working: presence::agent_working,
    download_request: download::download_request,
    session_open: socket::open,
    on_frame: socket::on_frame,
    on_tick: socket::on_tick,
}

#[cfg(test)]
mod tests;
