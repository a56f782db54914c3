//! The metadata object of an inbound message: where it arrived, who sent it, and
//! the type-specific content verbatim (media ids, coordinates, a system notice's
//! body, a list row's description, ...).

use serde_json::{Map, Value};

use super::{ChangeContext, non_empty_str};

/// The host rejects metadata larger than this (WIT `inbound-message.metadata`).
pub(crate) const METADATA_MAX_BYTES: usize = 64 * 1024;

/// Keys of a message copied verbatim into its metadata when present.
const VERBATIM_KEYS: [&str; 4] = ["context", "referral", "errors", "identity"];

/// What the metadata is built from.
pub(super) struct Source<'a> {
    /// The message as delivered.
    pub(super) message: &'a Value,
    /// The message whose content this is: the delivered one, or for an edit the
    /// new version inside it.
    pub(super) content: &'a Value,
    /// The `type` of `content`.
    pub(super) content_type: &'a str,
    pub(super) contact: Option<&'a Value>,
    pub(super) group_id: Option<&'a str>,
    /// For an edit, the id of the edit notification itself.
    pub(super) edit_id: Option<&'a str>,
}

pub(super) fn metadata_of(change: &ChangeContext<'_>, source: &Source<'_>) -> String {
    let mut summary = Map::new();
    summary.insert("phone_number_id".into(), change.phone_number_id.into());
    summary.insert(
        "display_phone_number".into(),
        change.display_phone_number.into(),
    );
    if let Some(waba_id) = change.waba_id {
        summary.insert("waba_id".into(), waba_id.into());
    }
    summary.insert("type".into(), source.content_type.into());
    for key in ["from", "from_user_id"] {
        if let Some(value) = non_empty_str(source.message, key) {
            summary.insert(key.into(), value.into());
        }
    }
    if let Some(group_id) = source.group_id {
        summary.insert("group_id".into(), group_id.into());
    }
    if let Some(edit_id) = source.edit_id {
        summary.insert("edit_id".into(), edit_id.into());
    }
    if let Some(contact) = source.contact {
        for key in ["user_id", "parent_user_id"] {
            if let Some(value) = non_empty_str(contact, key) {
                summary.insert(key.into(), value.into());
            }
        }
        if let Some(username) = contact
            .get("profile")
            .and_then(|profile| non_empty_str(profile, "username"))
        {
            summary.insert("username".into(), username.into());
        }
    }
    let context = source
        .content
        .get("context")
        .or_else(|| source.message.get("context"));
    for flag in ["forwarded", "frequently_forwarded"] {
        let set = context
            .and_then(|context| context.get(flag))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        summary.insert(flag.into(), set.into());
    }

    let mut full = summary.clone();
    for key in VERBATIM_KEYS.into_iter().chain([source.content_type]) {
        let value = source.content.get(key).or_else(|| source.message.get(key));
        if let Some(value) = value
            && !full.contains_key(key)
        {
            full.insert(key.into(), value.clone());
        }
    }
    let full = Value::Object(full).to_string();
    if full.len() <= METADATA_MAX_BYTES {
        return full;
    }
    // A huge contact card or order must not cost the message itself: keep what
    // replies and read receipts need and say that the rest was left out.
    summary.insert("truncated".into(), true.into());
    Value::Object(summary).to_string()
}
