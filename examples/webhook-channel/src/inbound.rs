//! Webhook deliveries: the JSON body your app sends, turned into one inbound message.
//!
//! ```json
//! { "id": "msg-1", "conversation_id": "ticket-42", "sender_id": "user-7", "text": "hi" }
//! ```
//!
//! The host has already checked the Standard Webhooks signature before this code
//! runs, so everything here is about the payload's shape.

use serde::Deserialize;

/// The delivery body. Unknown fields are ignored so the app can send more than
/// this channel reads.
#[derive(Debug, Deserialize)]
struct Body {
    id: String,
    conversation_id: String,
    sender_id: String,
    text: String,
    #[serde(default)]
    sender_name: Option<String>,
}

/// A message ready to be emitted, in plain Rust types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The app's message id: the deduplication key, so a retried delivery is
    /// stored once.
    pub external_id: String,
    pub conversation_id: String,
    pub sender_id: String,
    pub sender_name: Option<String>,
    pub text: String,
    /// Unix seconds from the signed `webhook-timestamp` header (0 if absent).
    pub timestamp: u64,
    /// JSON object stored with the message and handed back with replies.
    pub metadata: String,
}

/// Why a delivery carries no message; the app gets it back with a 400.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected(pub String);

/// Parses a delivery. `headers` are the request's (lower-case names).
pub fn parse(headers: &[(String, String)], body: &[u8]) -> Result<Message, Rejected> {
    let parsed: Body = serde_json::from_slice(body).map_err(|e| {
        Rejected(format!(
            "expected a JSON object with string fields id, conversation_id, sender_id and text: {e}"
        ))
    })?;
    for (field, value) in [
        ("id", &parsed.id),
        ("conversation_id", &parsed.conversation_id),
        ("sender_id", &parsed.sender_id),
    ] {
        if value.is_empty() {
            return Err(Rejected(format!("`{field}` must not be empty")));
        }
    }
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let timestamp = header("webhook-timestamp")
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
    // The delivery id identifies this attempt's payload on the sender's side; keeping
    // it makes a stored message traceable to the app's own logs.
    let metadata = serde_json::json!({ "webhook_id": header("webhook-id") }).to_string();
    Ok(Message {
        external_id: parsed.id,
        conversation_id: parsed.conversation_id,
        sender_id: parsed.sender_id,
        sender_name: parsed.sender_name,
        text: parsed.text,
        timestamp,
        metadata,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers() -> Vec<(String, String)> {
        vec![
            (
                "webhook-id".to_owned(),
                "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W".to_owned(),
            ),
            ("webhook-timestamp".to_owned(), "1674087231".to_owned()),
        ]
    }

    #[test]
    fn a_delivery_becomes_one_message_keyed_by_the_app_id() {
        let body =
            br#"{"id":"m1","conversation_id":"c1","sender_id":"u1","text":"hello","extra":true}"#;
        let message = parse(&headers(), body).expect("valid delivery");
        assert_eq!(message.external_id, "m1");
        assert_eq!(message.conversation_id, "c1");
        assert_eq!(message.sender_id, "u1");
        assert_eq!(message.text, "hello");
        assert_eq!(message.timestamp, 1_674_087_231);
        let metadata: serde_json::Value =
            serde_json::from_str(&message.metadata).expect("metadata is JSON");
        assert_eq!(metadata["webhook_id"], "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W");
    }

    #[test]
    fn missing_or_empty_fields_are_rejected_with_the_field_named() {
        let missing = parse(
            &headers(),
            br#"{"id":"m1","conversation_id":"c1","text":"x"}"#,
        );
        assert!(matches!(missing, Err(Rejected(why)) if why.contains("sender_id")));
        let empty = parse(
            &headers(),
            br#"{"id":"","conversation_id":"c1","sender_id":"u1","text":"x"}"#,
        );
        assert_eq!(empty, Err(Rejected("`id` must not be empty".to_owned())));
        assert!(parse(&headers(), b"not json").is_err());
    }
}
