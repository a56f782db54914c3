//! The hooks around a stored message: answering a button tap once it is stored
//! (`answerCallbackQuery`), and "typing…" while the agent works on an answer
//! (`sendChatAction`).

use serde_json::Value;
use switchboard_channel_sdk::{DeliveryFailure, Host, Inbound, Kind, Level};

use crate::bot_api::{self, Target};
use crate::emitted;

/// `persistence.on-message-persisted`: a button tap is answered so the person's
/// spinner stops (Telegram shows it until then, for up to about 15 seconds).
/// Nothing else happens here: this runs for every stored message, answered or
/// not, so it must not show "typing".
///
/// A permanent refusal (the query expired, say) is logged and not retried: it
/// would fail the same way every time.
pub(crate) fn on_message_persisted(host: &impl Host, message: &Inbound) -> Result<(), String> {
    if message.kind != Kind::Button {
        return Ok(());
    }
    let metadata = emitted::metadata(message);
    let Some(query_id) = metadata.get("callback_query_id").and_then(Value::as_str) else {
        return Ok(());
    };
    let body = bot_api::answer_callback_query(query_id);
    let request = bot_api::call(&bot_api::api_base(host), "answerCallbackQuery", &body);
    let outcome = host
        .fetch(request)
        .map_err(DeliveryFailure::from)
        .and_then(|response| bot_api::read_answer(&response));
    match outcome {
        Ok(_) => Ok(()),
        Err(failure) if failure.retryable => Err(format!("answerCallbackQuery: {failure}")),
        Err(failure) => {
            host.log(
                Level::Warn,
                &format!("answerCallbackQuery for {}: {failure}", message.external_id),
            );
            Ok(())
        }
    }
}

/// `presence.on-agent-working`: "typing…" in the chat (and thread) of the message
/// being answered. Channel posts are skipped: a bot cannot type in a channel.
pub(crate) fn on_agent_working(host: &impl Host, message: &Inbound) -> Result<(), String> {
    if emitted::is_channel_post(message) {
        return Ok(());
    }
    let target = Target {
        chat_id: message.conversation_id.clone(),
        thread_id: emitted::thread(message),
    };
    let request = bot_api::call(
        &bot_api::api_base(host),
        "sendChatAction",
        &bot_api::typing(&target),
    );
    let response = host
        .fetch(request)
        .map_err(|failure| format!("sendChatAction: {failure}"))?;
    bot_api::read_answer(&response)
        .map(drop)
        .map_err(|failure| format!("sendChatAction: {failure}"))
}

#[cfg(test)]
mod tests;
