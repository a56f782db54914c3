//! Webhook deliveries: the JSON body your app sends, turned into one inbound message.
//!
//! ```json
//! { "id": "msg-1", "conversation_id": "ticket-42", "sender_id": "user-7", "text": "hi",
//!   "chat_type": "group", "sender_is_bot": false, "thread_id": "t-3" }
//! ```
//!
//! The first four fields are required; `sender_name`, `chat_type`, `sender_is_bot`
//! and `thread_id` are optional. The host has already checked the Standard Webhooks
//! signature before this code runs, so everything here is about the payload's shape.

use serde_json::{Map, Value};

/// The documented shape, for the error an app gets back when the body is not
/// even a JSON object.
const SHAPE: &str = "expected a JSON object with string fields id, conversation_id, sender_id \
     and text (optional: sender_name, chat_type, sender_is_bot, thread_id)";

/// Where the app says a message was written. Without `chat_type` the channel
/// cannot tell, and says so: the host then treats it as a direct message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatType {
    Unknown,
    Direct,
    Group,
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
    /// True for a bot or an automation of the app: stored, never answered.
    pub sender_is_bot: bool,
    pub text: String,
    pub chat_type: ChatType,
    /// The thread inside the conversation; replies name it again.
    pub thread_id: Option<String>,
    /// Unix seconds from the signed `webhook-timestamp` header (0 if absent).
    pub timestamp: u64,
    /// JSON object stored with the message and handed back with replies.
    pub metadata: String,
}

/// Why a delivery carries no message; the app gets it back with a 400.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected(pub String);

/// Parses a delivery. `headers` are the request's (lower-case names).
///
/// Each field is checked by name, so the app's author reads which one is wrong
/// instead of a parser position. Unknown fields are ignored so the app can send
/// more than this channel reads; `null` counts as absent.
pub fn parse(headers: &[(String, String)], body: &[u8]) -> Result<Message, Rejected> {
    let body: Map<String, Value> =
        serde_json::from_slice(body).map_err(|e| Rejected(format!("{SHAPE}: {e}")))?;
    let external_id = required(&body, "id")?;
    let conversation_id = required(&body, "conversation_id")?;
    let sender_id = required(&body, "sender_id")?;
    let text = string(&body, "text")?
        .ok_or_else(|| Rejected("`text` is missing".to_owned()))?
        .to_owned();
    // A value the channel does not know is the app's mistake, and a 400 naming it is
    // the quickest way for the app's author to see it; guessing would store a group
    // message as a direct one.
    let chat_type = match string(&body, "chat_type")? {
        None => ChatType::Unknown,
        Some("direct") => ChatType::Direct,
        Some("group") => ChatType::Group,
        Some(other) => {
            return Err(Rejected(format!(
                "`chat_type` is `{other}`; expected `direct` or `group`"
            )));
        }
    };
    let sender_is_bot = match body.get("sender_is_bot") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(flag)) => *flag,
        Some(_) => {
            return Err(Rejected("`sender_is_bot` must be true or false".to_owned()));
        }
    };
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
        external_id,
        conversation_id,
        sender_id,
        sender_name: string(&body, "sender_name")?.map(str::to_owned),
        sender_is_bot,
        text,
        chat_type,
        // An empty thread is no thread: replies would otherwise name one that does
        // not exist.
        thread_id: string(&body, "thread_id")?
            .filter(|t| !t.is_empty())
            .map(str::to_owned),
        timestamp,
        metadata,
    })
}

/// An optional string field: `None` when absent or `null`.
fn string<'a>(body: &'a Map<String, Value>, field: &str) -> Result<Option<&'a str>, Rejected> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(value)) => Ok(Some(value)),
        Some(_) => Err(Rejected(format!("`{field}` must be a string"))),
    }
}

/// A string field that must be there and must not be empty: the ids.
fn required(body: &Map<String, Value>, field: &str) -> Result<String, Rejected> {
    match string(body, field)? {
        None => Err(Rejected(format!("`{field}` is missing"))),
        Some("") => Err(Rejected(format!("`{field}` must not be empty"))),
        Some(value) => Ok(value.to_owned()),
    }
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
    fn without_the_optional_fields_a_person_wrote_it_somewhere_unknown_outside_a_thread() {
        let body = br#"{"id":"m1","conversation_id":"c1","sender_id":"u1","text":"hi"}"#;
        let message = parse(&headers(), body).expect("valid delivery");
        assert_eq!(message.chat_type, ChatType::Unknown);
        assert!(!message.sender_is_bot);
        assert_eq!(message.thread_id, None);
        assert_eq!(message.sender_name, None);
    }

    #[test]
    fn the_optional_fields_say_where_it_was_written_by_whom_and_in_which_thread() {
        let body =
            br#"{"id":"m2","conversation_id":"c1","sender_id":"ci-bot","text":"build 7 passed",
            "sender_name":"CI","chat_type":"group","sender_is_bot":true,"thread_id":"t-3"}"#;
        let message = parse(&headers(), body).expect("valid delivery");
        assert_eq!(message.chat_type, ChatType::Group);
        assert!(message.sender_is_bot);
        assert_eq!(message.thread_id.as_deref(), Some("t-3"));
        assert_eq!(message.sender_name.as_deref(), Some("CI"));

        let direct = br#"{"id":"m3","conversation_id":"c1","sender_id":"u1","text":"x",
            "chat_type":"direct","sender_is_bot":false,"thread_id":""}"#;
        let message = parse(&headers(), direct).expect("valid delivery");
        assert_eq!(message.chat_type, ChatType::Direct);
        assert!(!message.sender_is_bot);
        assert_eq!(message.thread_id, None, "an empty thread is no thread");
    }

    #[test]
    fn an_unknown_chat_type_or_a_non_boolean_bot_flag_is_rejected_by_name() {
        let odd = parse(
            &headers(),
            br#"{"id":"m1","conversation_id":"c1","sender_id":"u1","text":"x","chat_type":"channel"}"#,
        );
        assert_eq!(
            odd,
            Err(Rejected(
                "`chat_type` is `channel`; expected `direct` or `group`".to_owned()
            ))
        );
        let stringly = parse(
            &headers(),
            br#"{"id":"m1","conversation_id":"c1","sender_id":"u1","text":"x","sender_is_bot":"yes"}"#,
        );
        assert_eq!(
            stringly,
            Err(Rejected("`sender_is_bot` must be true or false".to_owned()))
        );
        let numeric_id = parse(
            &headers(),
            br#"{"id":7,"conversation_id":"c1","sender_id":"u1","text":"x"}"#,
        );
        assert_eq!(
            numeric_id,
            Err(Rejected("`id` must be a string".to_owned()))
        );
    }

    #[test]
    fn missing_or_empty_fields_are_rejected_with_the_field_named() {
        let missing = parse(
            &headers(),
            br#"{"id":"m1","conversation_id":"c1","text":"x"}"#,
        );
        assert_eq!(missing, Err(Rejected("`sender_id` is missing".to_owned())));
        let empty = parse(
            &headers(),
            br#"{"id":"","conversation_id":"c1","sender_id":"u1","text":"x"}"#,
        );
        assert_eq!(empty, Err(Rejected("`id` must not be empty".to_owned())));
        assert!(
            matches!(parse(&headers(), b"not json"), Err(Rejected(why)) if why.starts_with("expected a JSON object"))
        );
        assert!(
            parse(&headers(), b"[1, 2]").is_err(),
            "an array is no delivery"
        );
    }
}
