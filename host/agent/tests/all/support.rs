//! Turns to feed the agents.

use switchboard_agent::Turn;
use switchboard_types::{HistoryEntry, InboundMessage, MessageKind, Role, StoredMessage};

/// 2024-02-29T12:34:56.789Z.
pub(crate) const RECEIVED_AT_MS: i64 = 1_709_210_096_789;

pub(crate) fn message(text: Option<&str>) -> StoredMessage {
    StoredMessage {
        id: 7,
        instance: "telegram-main".to_owned(),
        received_at_ms: RECEIVED_AT_MS,
        edited_at_ms: None,
        no_turn: None,
        message: InboundMessage {
            external_id: "123456:42".to_owned(),
            conversation_id: "123456".to_owned(),
            sender_id: "1001".to_owned(),
            sender_name: Some("Ada Lovelace".to_owned()),
            text: text.map(str::to_owned),
            timestamp: 1_709_210_096,
            reply_to: None,
            kind: if text.is_some() {
                MessageKind::Text
            } else {
                MessageKind::Image
            },
            is_edit: false,
            metadata: "{}".to_owned(),
            ..InboundMessage::default()
        },
    }
}

/// `count` entries alternating user/assistant, texts "h0", "h1", ..., one minute apart
/// starting at 2024-02-29T12:00:00.000Z.
pub(crate) fn history(count: usize) -> Vec<HistoryEntry> {
    (0..count)
        .map(|i| {
            let user = i % 2 == 0;
            HistoryEntry {
                role: if user { Role::User } else { Role::Assistant },
                text: format!("h{i}"),
                at_ms: 1_709_208_000_000 + 60_000 * i as i64,
                sender_name: user.then(|| "Ada Lovelace".to_owned()),
            }
        })
        .collect()
}

pub(crate) fn turn(text: Option<&str>, history_len: usize) -> Turn {
    Turn {
        message: message(text),
        history: history(history_len),
        attachments: Vec::new(),
    }
}
