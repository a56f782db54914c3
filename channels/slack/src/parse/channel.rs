//! Where a message was written: its conversation and the kind of chat.
//!
//! Conversations: a top-level message belongs to `<channel>`, a thread reply to
//! `<channel>:<thread_ts>`. Each thread is its own conversation, so the agent sees
//! the thread's history and threads are answered independently; replies to a
//! thread go back into that thread, replies to a top-level message go to the
//! channel. A thread's parent (whose `thread_ts` equals its own `ts`) stays in the
//! channel's conversation, where it was posted.

use switchboard_channel_sdk::ChatType;

/// `(conversation id, reply-to)` of a message at `ts` in `channel`, by the
/// thread rule in the module docs.
pub(super) fn conversation(
    channel: &str,
    ts: Option<&str>,
    thread_ts: Option<&str>,
) -> (String, Option<String>) {
    match thread_ts.filter(|thread| Some(*thread) != ts) {
        Some(thread) => {
            let id = format!("{channel}:{thread}");
            (id.clone(), Some(id))
        }
        None => (channel.to_owned(), None),
    }
}

/// The chat type of an event's `channel_type`; a value Slack may add later is
/// `Unknown`. Events that do not say (reactions, older payloads) are judged by
/// the channel id.
pub(super) fn chat_type(channel_type: Option<&str>, channel: &str) -> ChatType {
    match channel_type {
        Some("im") => ChatType::Direct,
        Some("channel" | "group" | "mpim") => ChatType::Group,
        Some(_) => ChatType::Unknown,
        None => chat_type_of_id(channel),
    }
}

/// Slack's conversation ids start with `D` for a direct message with the app and
/// with `C` or `G` for public channels, private channels and group DMs.
pub(super) fn chat_type_of_id(channel: &str) -> ChatType {
    match channel.as_bytes().first() {
        Some(b'D') => ChatType::Direct,
        Some(b'C' | b'G') => ChatType::Group,
        _ => ChatType::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_types_map_to_chat_types_and_unknown_ones_stay_unknown() {
        assert_eq!(chat_type(Some("im"), "D1"), ChatType::Direct);
        for group in ["channel", "group", "mpim"] {
            assert_eq!(chat_type(Some(group), "C1"), ChatType::Group, "{group}");
        }
        assert_eq!(chat_type(Some("app_home"), "D1"), ChatType::Unknown);
        assert_eq!(chat_type(None, "D024BE91L"), ChatType::Direct);
        assert_eq!(chat_type(None, "G8PSS9T3V"), ChatType::Group);
        assert_eq!(chat_type(None, "U7"), ChatType::Unknown);
    }
}
