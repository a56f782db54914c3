//! The Graph API wire format of the calls the channel makes: sending a message,
//! marking a message read, and marking it read while showing the typing indicator,
//! all `POST /<phone_number_id>/messages`; the media calls are in [`media`].

use serde_json::{Value, json};
use switchboard_channel_sdk::{
    DeliveryFailure, Request, Response, bearer, check_response, header, join_url, retry_after_secs,
};

use crate::conversation::{Peer, is_phone_number_id};

pub(crate) mod media;

/// Used when the operator sets no `api_base`.
pub(crate) const DEFAULT_API_BASE: &str = "https://graph.facebook.com/v23.0";

/// Longest text body the API accepts in one message.
pub(crate) const TEXT_LIMIT: usize = 4096;

/// The instance secret holding the Graph API access token.
const TOKEN_SECRET: &str = "access_token";

/// The API answers in well under a second; a stuck call should free the reply
/// queue for a retry rather than hold it for the host's maximum.
const REQUEST_TIMEOUT_MS: u32 = 15_000;

/// Error codes Meta documents as throttling or temporary, which it returns with
/// HTTP 400 rather than 429/5xx: 2 (service temporarily unavailable), 4 (app call
/// rate limit), 80007 (account rate limit), 130429 (throughput), 131000 (something
/// went wrong), 131016 (service unavailable), 131048 (spam rate limit), 131056
/// (pair rate limit), 133004 (server temporarily unavailable).
const RETRYABLE_CODES: [i64; 9] = [
    2, 4, 80_007, 130_429, 131_000, 131_016, 131_048, 131_056, 133_004,
];

/// `{api_base}/{phone_number_id}/messages`.
pub(crate) fn messages_url(api_base: &str, phone_number_id: &str) -> String {
    join_url(api_base, &format!("{phone_number_id}/messages"))
}

/// An authenticated JSON `POST` to the Graph API.
pub(crate) fn post(url: String, body: &Value) -> Request {
    Request::post_json(url, body)
        .header("authorization", bearer(TOKEN_SECRET))
        .timeout_ms(REQUEST_TIMEOUT_MS)
}

/// The body marking `wamid` (and earlier messages of its thread) as read.
pub(crate) fn read_receipt(wamid: &str) -> Value {
    json!({ "messaging_product": "whatsapp", "status": "read", "message_id": wamid })
}

/// The body marking `wamid` read and showing "typing…" to its sender until the
/// reply arrives or 25 seconds pass, whichever is first. Meta documents this shape
/// at https://developers.facebook.com/docs/whatsapp/cloud-api/typing-indicators
/// (now `.../documentation/business-messaging/whatsapp/typing-indicators`).
pub(crate) fn typing_indicator(wamid: &str) -> Value {
    json!({
        "messaging_product": "whatsapp",
        "status": "read",
        "message_id": wamid,
        "typing_indicator": { "type": "text" },
    })
}

/// The body of a text message to `peer`, quoting `reply_to` when given.
pub(crate) fn text_message(peer: Peer<'_>, text: &str, reply_to: Option<&str>) -> Value {
    envelope(
        peer,
        "text",
        json!({ "preview_url": false, "body": text }),
        reply_to,
    )
}

/// A message of `message_type` to `peer`, whose content sits under the key of the
/// same name, quoting `reply_to` when given.
///
/// Phone numbers go in `to`; a business-scoped user id (`US.1349...`), the only
/// handle on users who withhold their number, goes in `recipient`; a group id goes
/// in `to` with `recipient_type: group` (Groups API).
fn envelope(peer: Peer<'_>, message_type: &str, content: Value, reply_to: Option<&str>) -> Value {
    let (recipient_type, address, recipient) = match peer {
        Peer::User(user) if is_phone_number(user) => ("individual", "to", user),
        Peer::User(user) => ("individual", "recipient", user),
        Peer::Group(group) => ("group", "to", group),
    };
    let mut body = json!({
        "messaging_product": "whatsapp",
        "recipient_type": recipient_type,
        address: recipient,
        "type": message_type,
        message_type: content,
    });
    if let (Some(wamid), Some(fields)) = (reply_to, body.as_object_mut()) {
        fields.insert("context".into(), json!({ "message_id": wamid }));
    }
    body
}

fn is_phone_number(recipient: &str) -> bool {
    let digits = recipient.strip_prefix('+').unwrap_or(recipient);
    is_phone_number_id(digits)
}

/// Accepts a 2xx answer; otherwise classifies it by HTTP status and, since Meta
/// reports throttling as HTTP 400, by the Graph API error code in the body.
pub(crate) fn check(response: &Response) -> Result<(), DeliveryFailure> {
    check_response(response.status, &response.headers, &response.body).map_err(|mut failure| {
        if let Some(error) = ApiError::parse(&response.body) {
            failure.message = format!("http {}: {error}", response.status);
            if !failure.retryable && RETRYABLE_CODES.contains(&error.code) {
                failure.retryable = true;
                failure.retry_after_secs =
                    header(&response.headers, "retry-after").and_then(retry_after_secs);
            }
        }
        failure
    })
}

/// The id of the message a successful send created: `messages[0].id`.
pub(crate) fn sent_message_id(body: &[u8]) -> Option<String> {
    // The send already succeeded; an unreadable body only costs the receipt id.
    let body: Value = serde_json::from_slice(body).ok()?;
    body.pointer("/messages/0/id")
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
}

/// The `error` object of a Graph API error response.
#[derive(Debug, PartialEq, Eq)]
struct ApiError {
    code: i64,
    message: String,
    details: Option<String>,
}

impl ApiError {
    /// `None` when the body is not a Graph API error (a proxy's HTML page, say);
    /// the HTTP status alone then decides.
    fn parse(body: &[u8]) -> Option<Self> {
        let body: Value = serde_json::from_slice(body).ok()?;
        let error = body.get("error")?;
        Some(Self {
            code: error.get("code")?.as_i64()?,
            message: error
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            details: error
                .pointer("/error_data/details")
                .and_then(Value::as_str)
                .map(str::to_owned),
        })
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "whatsapp error {}: {}", self.code, self.message)?;
        if let Some(details) = &self.details {
            write!(f, " ({details})")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: &str) -> Response {
        Response {
            status,
            headers: vec![],
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn text_message_matches_the_documented_shape() {
        let body = text_message(Peer::User("16505551234"), "hello", None);
        assert_eq!(
            body,
            json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": "16505551234",
                "type": "text",
                "text": { "preview_url": false, "body": "hello" },
            })
        );
        let reply = text_message(Peer::User("+16505551234"), "hi", Some("wamid.A"));
        assert_eq!(reply["to"], "+16505551234");
        assert_eq!(reply["context"], json!({ "message_id": "wamid.A" }));
    }

    #[test]
    fn business_scoped_ids_are_sent_as_recipient() {
        let body = text_message(Peer::User("US.13491208655302741918"), "hi", None);
        assert_eq!(body["recipient"], "US.13491208655302741918");
        assert!(body.get("to").is_none());
    }

    #[test]
    fn group_messages_name_the_group_as_recipient() {
        // The shape of Meta's "send group message" example (Groups API).
        let group = "Y2FwaV9ncm91cDoxNzA1NTU1MDEzOToxMjAzNjM0MDQ2OTQyMzM4MjAZD";
        assert_eq!(
            text_message(Peer::Group(group), "hello all", None),
            json!({
                "messaging_product": "whatsapp",
                "recipient_type": "group",
                "to": group,
                "type": "text",
                "text": { "preview_url": false, "body": "hello all" },
            })
        );
    }

    #[test]
    fn typing_indicator_matches_the_documented_shape() {
        assert_eq!(
            typing_indicator("wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJDQjZCMzlEQUE4OTJBMTE4RTUA"),
            json!({
                "messaging_product": "whatsapp",
                "status": "read",
                "message_id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJDQjZCMzlEQUE4OTJBMTE4RTUA",
                "typing_indicator": { "type": "text" },
            })
        );
    }

    #[test]
    fn read_receipt_matches_the_documented_shape() {
        assert_eq!(
            read_receipt("wamid.X"),
            json!({ "messaging_product": "whatsapp", "status": "read", "message_id": "wamid.X" })
        );
    }

    #[test]
    fn sent_id_comes_from_the_first_message() {
        let ok = r#"{"messaging_product":"whatsapp","contacts":[{"input":"+1","wa_id":"1"}],"messages":[{"id":"wamid.OUT"}]}"#;
        assert_eq!(sent_message_id(ok.as_bytes()).as_deref(), Some("wamid.OUT"));
        assert_eq!(sent_message_id(b"{\"success\":true}"), None);
        assert_eq!(sent_message_id(b"not json"), None);
    }

    #[test]
    fn graph_errors_are_classified_by_code() {
        let invalid = r#"{"error":{"message":"(#131009) Parameter value is not valid","type":"OAuthException","code":131009,"error_data":{"messaging_product":"whatsapp","details":"bad id"},"fbtrace_id":"x"}}"#;
        let failure = check(&response(400, invalid)).expect_err("400 fails");
        assert!(!failure.retryable);
        assert_eq!(
            failure.message,
            "http 400: whatsapp error 131009: (#131009) Parameter value is not valid (bad id)"
        );

        let throttled = r#"{"error":{"message":"(#130429) Rate limit hit","type":"OAuthException","code":130429}}"#;
        let mut throttled = response(400, throttled);
        throttled.headers = vec![("retry-after".into(), "30".into())];
        let failure = check(&throttled).expect_err("400 fails");
        assert!(failure.retryable);
        assert_eq!(failure.retry_after_secs, Some(30));

        let failure = check(&response(503, "upstream down")).expect_err("503 fails");
        assert!(failure.retryable);
        assert_eq!(failure.message, "http 503: upstream down");

        assert_eq!(check(&response(200, "{}")), Ok(()));
    }

    #[test]
    fn phone_number_ids_are_digits_only() {
        assert!(is_phone_number_id("106540352242922"));
        assert!(!is_phone_number_id(""));
        assert!(!is_phone_number_id("1/../2"));
        assert!(!is_phone_number_id("<BUSINESS_PHONE_NUMBER_ID>"));
        assert!(is_phone_number("+16505551234"));
        assert!(!is_phone_number("US.13491208655302741918"));
        assert_eq!(
            messages_url("https://graph.facebook.com/v23.0/", "123"),
            "https://graph.facebook.com/v23.0/123/messages"
        );
    }
}
