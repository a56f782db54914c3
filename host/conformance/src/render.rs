//! The call's outcome as JSON, in the shape case expectations are written in.

use base64::Engine as _;
use serde_json::{Value, json};
use switchboard_types::InboundMessage;

/// A body as an expectation compares it: the JSON it parses as, else its text,
/// else `{"base64": …}`.
pub(crate) fn body_value(bytes: &[u8]) -> Value {
    if bytes.is_empty() {
        return Value::String(String::new());
    }
    if let Ok(json) = serde_json::from_slice::<Value>(bytes) {
        return json;
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Value::String(text.to_owned()),
        Err(_) => json!({ "base64": base64::engine::general_purpose::STANDARD.encode(bytes) }),
    }
}

/// An emitted message, with its `metadata` as the JSON object it carries.
pub(crate) fn message_value(message: &InboundMessage) -> Value {
    let mut value = serde_json::to_value(message).unwrap_or(Value::Null);
    if let Some(metadata) = value.get_mut("metadata")
        && let Some(text) = metadata.as_str()
        && let Ok(parsed) = serde_json::from_str::<Value>(text)
    {
        *metadata = parsed;
    }
    value
}

/// Headers as an object of lower-case names; a repeated name keeps its last value.
pub(crate) fn headers_value(headers: &[(String, String)]) -> Value {
    Value::Object(
        headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), Value::String(v.clone())))
            .collect(),
    )
}
