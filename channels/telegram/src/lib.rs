//! The first-party Telegram Bot API channel (contract `switchboard:channel@0.2.2`,
//! world `polling-channel`).
//!
//! Owns the Telegram payload formats. `Update`s become inbound messages, whether
//! Telegram posts them to the webhook or the host polls for them with `getUpdates`
//! (`mode = "polling"`, see `poll`); both map each update the same way:
//!
//! - `message` and `channel_post` are new messages, `edited_message` and
//!   `edited_channel_post` edits under the original's `<chat id>:<message id>`
//!   with the edit time (`edit_date`). Each says its chat type (private → direct,
//!   group and supergroup → group, channel → broadcast), its forum topic or reply
//!   thread (`message_thread_id`), who wrote it (a person, another bot, or the bot
//!   itself) and whether it addresses the bot in a group (an `@mention`, a
//!   `text_mention`, a `/command@bot`, or a reply to the bot). Media messages
//!   carry their file as an attachment whose reference is the `file_id`; the
//!   caption stays the text. The host downloads it afterwards with the request
//!   the `media` export plans: `getFile` names the file's path, and the host
//!   fetches `/file/bot<token>/<file_path>` itself (bots may download files of
//!   up to 20 MB).
//! - Service messages (pins, members joining or leaving, group migrations, video
//!   chats, forum topic changes, ...) are kind `system`: stored, never answered.
//! - `message_reaction` becomes one `reaction` message per emoji added or taken
//!   back; `message_reaction_count` (anonymous counts) is ignored.
//! - `callback_query` (a tap on an inline keyboard button) becomes a `button`
//!   message with the button's `callback_data` and its label.
//!
//! Replies go out with `sendMessage` (split at 4096 characters) into the
//! answered message's forum topic. Their files are uploaded as
//! `multipart/form-data` whose file part the host streams from its blob store:
//! images with `sendPhoto`, audio with `sendAudio`, voice notes with
//! `sendVoice`, videos with `sendVideo`, anything else with `sendDocument`. The
//! reply's text captions the first file when it fits (1024 characters), else it
//! goes first as text. Once a button tap is stored it is answered with
//! `answerCallbackQuery`, which stops the spinner on the button; while the agent
//! works on an answer, `sendChatAction` shows "typing…".
//!
//! Operator notes: Telegram sends reactions only to a bot that administers the
//! chat and only when `setWebhook` lists `message_reaction` in
//! `allowed_updates` (the default list leaves it out); a poll asks for every
//! type the channel maps, reactions included. Telegram refuses `getUpdates`
//! while a webhook is set, so polling needs `deleteWebhook` first. The bot's
//! username comes from the `bot_username` setting; without it the channel asks
//! `getMe` once, the first time a group message could mention the bot, and
//! keeps the answer in instance state.
//!
//! Does not own: the `x-telegram-bot-api-secret-token` check, deduplication,
//! storage, the poll cursor, retries, the bytes of files or the bot token. The
//! host does all of those before or after this component runs, and fills the
//! `{{secret:bot_token}}` placeholder in the Bot API and file URLs.
//!
//! Conversations are chats (`<chat id>`); forum topics stay in one conversation
//! and are the message's `thread_id`. A button tap on an inline-mode message has
//! no chat, so its conversation is the person's private chat with the bot.
//!
//! This file is the WIT glue only: the SDK's `channel_glue!` converts between the
//! generated types and the SDK's plain ones and hands the modules a `Host` backed
//! by the real imports, so all logic is testable natively.

mod attachments;
mod bot_api;
mod callback;
mod download;
mod emitted;
mod hooks;
mod identity;
mod mention;
mod message;
mod outbound;
mod parse;
mod parts;
mod poll;
mod reaction;
mod update;
mod upload;
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
    wit_bindgen::generate!({ world: "polling-channel", path: "../../wit/channel@0.2.2" });

    #[cfg(target_arch = "wasm32")]
    use super::Component;
    #[cfg(target_arch = "wasm32")]
    export!(Component with_types_in self);
}

switchboard_channel_sdk::channel_glue! {
    bindings: bindings,
    on_http_request: webhook::on_http_request,
    on_respond: outbound::respond,
    on_message_persisted: hooks::on_message_persisted,
    on_agent_working: hooks::on_agent_working,
    download_request: download::download_request,
    poll: poll::poll,
}
