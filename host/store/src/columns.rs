//! How both backends encode values that are not plain columns: the `details` JSON,
//! the due time of a held download, and the times the store stamps itself.

use std::time::{SystemTime, UNIX_EPOCH};

use switchboard_types::{Attachment, ButtonPress, InboundMessage, Reaction};

/// `next_at_ms` of a download that waits for its message's turn to start.
pub(crate) const HELD: i64 = i64::MAX;

/// The wall clock in Unix milliseconds, for the times the store stamps itself.
pub(crate) fn now_ms() -> i64 {
    // A clock set before 1970 stamps 0 rather than failing a write: these stamps order
    // nothing that durability depends on.
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// What the `details` column holds: the parts of a message that nothing queries.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct Details {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) attachments: Vec<Attachment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) reaction: Option<Reaction>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) button: Option<ButtonPress>,
}

impl Details {
    /// The column's value for `message`: `None` when there is nothing to keep.
    pub(crate) fn column(message: &InboundMessage) -> Option<String> {
        if message.attachments.is_empty() && message.reaction.is_none() && message.button.is_none()
        {
            return None;
        }
        let details = DetailsRef {
            attachments: &message.attachments,
            reaction: message.reaction.as_ref(),
            button: message.button.as_ref(),
        };
        // Plain strings, numbers and booleans: serialising cannot fail.
        serde_json::to_string(&details).ok()
    }
}

#[derive(serde::Serialize)]
struct DetailsRef<'a> {
    #[serde(skip_serializing_if = "<[Attachment]>::is_empty")]
    attachments: &'a [Attachment],
    #[serde(skip_serializing_if = "Option::is_none")]
    reaction: Option<&'a Reaction>,
    #[serde(skip_serializing_if = "Option::is_none")]
    button: Option<&'a ButtonPress>,
}
