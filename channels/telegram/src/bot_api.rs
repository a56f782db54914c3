//! The Bot API calls this channel makes: request construction and reading the
//! `{"ok": ..., "result": ...}` answers into a result or a retry decision.

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};
use switchboard_channel_sdk::{
    DeliveryFailure, Host, Request, Response, check_response, header, join_url, retry_after_secs,
    secret,
};

/// Where the Bot API lives unless the `api_base` setting says otherwise.
pub(crate) const DEFAULT_API_BASE: &str = "https://api.telegram.org";

/// `sendMessage` accepts 1-4096 characters of text.
pub(crate) const MAX_TEXT_UNITS: usize = 4096;

/// `sendPhoto`, `sendDocument` and the other file sends accept a caption of
/// 0-1024 characters.
pub(crate) const MAX_CAPTION_UNITS: usize = 1024;

/// The Bot API base URL of this instance: the `api_base` setting, else Telegram.
pub(crate) fn api_base(host: &impl Host) -> String {
    host.setting("api_base")
        .filter(|base| !base.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_API_BASE.to_owned())
}

/// A Bot API method call. The token is a secret placeholder in the URL path, which
/// is why URLs of these requests are never logged.
pub(crate) fn call(api_base: &str, method: &str, body: &Value) -> Request {
    let path = format!("bot{}/{method}", secret("bot_token"));
    Request::post_json(join_url(api_base, &path), body)
}

/// Where a reply goes: the chat, the message it answers and the forum topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    /// The conversation id: a numeric chat id, or a `@channel` username.
    pub(crate) chat_id: String,
    /// Forum topic of the answered message.
    pub(crate) thread_id: Option<i64>,
}

impl Target {
    /// Chat ids go out as JSON numbers (they exceed 32 bits, never 53); anything
    /// else is passed as the string Telegram accepts for public usernames.
    fn chat_id_json(&self) -> Value {
        self.chat_id
            .parse::<i64>()
            .map_or_else(|_| Value::from(self.chat_id.as_str()), Value::from)
    }

    fn body(&self) -> Map<String, Value> {
        let mut body = Map::new();
        body.insert("chat_id".into(), self.chat_id_json());
        if let Some(thread_id) = self.thread_id {
            body.insert("message_thread_id".into(), thread_id.into());
        }
        body
    }
}

/// The body of `sendMessage`.
pub(crate) fn send_message(target: &Target, text: &str, reply_to: Option<i64>) -> Value {
    let mut body = target.body();
    body.insert("text".into(), text.into());
    if let Some(message_id) = reply_to {
        body.insert("reply_parameters".into(), reply_parameters(message_id));
    }
    Value::Object(body)
}

/// The `reply_parameters` quoting `message_id`. `allow_sending_without_reply`
/// keeps a reply deliverable when the user deleted the message it answers.
pub(crate) fn reply_parameters(message_id: i64) -> Value {
    json!({ "message_id": message_id, "allow_sending_without_reply": true })
}

/// The body of `sendChatAction` showing "typing".
pub(crate) fn typing(target: &Target) -> Value {
    let mut body = target.body();
    body.insert("action".into(), "typing".into());
    Value::Object(body)
}

/// The body of `answerCallbackQuery`, which stops the spinner on a tapped button
/// without showing the person anything.
pub(crate) fn answer_callback_query(callback_query_id: &str) -> Value {
    json!({ "callback_query_id": callback_query_id })
}

#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    ok: bool,
    result: Option<Box<RawValue>>,
    error_code: Option<u16>,
    description: Option<String>,
    parameters: Option<Parameters>,
}

#[derive(Deserialize)]
struct Parameters {
    retry_after: Option<u32>,
}

/// How a Bot API call ended, for callers that read the answer their own way.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// `"ok": true`, with the `result` as raw JSON (`None` when there is none).
    Ok(Option<Box<RawValue>>),
    /// A 2xx whose body is not a Bot API answer (a proxy's page, say).
    NotAnAnswer,
    /// An error: Telegram's `error_code` (else the HTTP status) and what it means
    /// for a retry (see [`read_answer`]).
    Failed { code: u16, failure: DeliveryFailure },
}

/// Reads a Bot API answer into an [`Outcome`].
pub(crate) fn outcome(response: &Response) -> Outcome {
    let success = (200..300).contains(&response.status);
    // A body that is not a Bot API answer (a proxy's error page) is classified
    // by its HTTP status alone.
    let Ok(answer) = serde_json::from_slice::<Answer>(&response.body) else {
        return match check_response(response.status, &response.headers, &response.body) {
            Ok(()) => Outcome::NotAnAnswer,
            Err(failure) => Outcome::Failed {
                code: response.status,
                failure,
            },
        };
    };
    if success && answer.ok {
        return Outcome::Ok(answer.result);
    }
    let code = answer.error_code.unwrap_or(response.status);
    let description = answer.description.as_deref().unwrap_or("no description");
    let message = format!("telegram error {code}: {description}");
    let retry_after = answer
        .parameters
        .and_then(|p| p.retry_after)
        .or_else(|| header(&response.headers, "retry-after").and_then(retry_after_secs));
    let transient = |status: u16| status == 429 || (500..600).contains(&status);
    let failure = if transient(code) || transient(response.status) {
        DeliveryFailure {
            retry_after_secs: retry_after,
            ..DeliveryFailure::retryable(message)
        }
    } else {
        DeliveryFailure::permanent(message)
    };
    Outcome::Failed { code, failure }
}

/// Reads a Bot API answer: the `result` of a successful call, or why it failed.
///
/// Flood control (`error_code` 429 with `parameters.retry_after`) and server
/// errors are retryable; every other error (blocked by the user, chat not found,
/// bad request) repeats on retry and is permanent. A 2xx whose body is not a Bot
/// API answer counts as success with a `null` result: the message was most likely
/// sent, and retrying would duplicate it.
pub(crate) fn read_answer(response: &Response) -> Result<Value, DeliveryFailure> {
    match outcome(response) {
        Outcome::Ok(result) => Ok(result
            .and_then(|raw| serde_json::from_str(raw.get()).ok())
            .unwrap_or(Value::Null)),
        Outcome::NotAnAnswer => Ok(Value::Null),
        Outcome::Failed { failure, .. } => Err(failure),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(chat_id: &str, thread_id: Option<i64>) -> Target {
        Target {
            chat_id: chat_id.to_owned(),
            thread_id,
        }
    }

    fn response(status: u16, headers: &[(&str, &str)], body: &str) -> Response {
        Response {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn calls_carry_the_token_only_as_a_placeholder() {
        let request = call("https://api.telegram.org/", "sendMessage", &json!({}));
        assert_eq!(request.method, "POST");
        assert_eq!(
            request.url,
            "https://api.telegram.org/bot{{secret:bot_token}}/sendMessage"
        );
        assert_eq!(
            header(&request.headers, "content-type"),
            Some("application/json")
        );
    }

    #[test]
    fn send_message_replies_in_the_topic_of_a_64_bit_chat() {
        let body = send_message(&target("-1001234567890", Some(44)), "hi", Some(50));
        assert_eq!(
            body,
            json!({
                "chat_id": -1001234567890_i64,
                "message_thread_id": 44,
                "text": "hi",
                "reply_parameters": {"message_id": 50, "allow_sending_without_reply": true}
            })
        );
    }

    #[test]
    fn plain_send_message_and_username_chats() {
        assert_eq!(
            send_message(&target("@news", None), "x", None),
            json!({"chat_id": "@news", "text": "x"})
        );
        assert_eq!(
            typing(&target("42", None)),
            json!({"chat_id": 42, "action": "typing"})
        );
    }

    #[test]
    fn ok_answers_yield_their_result() {
        let result = read_answer(&response(
            200,
            &[],
            r#"{"ok":true,"result":{"message_id":7,"chat":{"id":42}}}"#,
        ))
        .expect("success");
        assert_eq!(result["message_id"], 7);
        assert_eq!(
            read_answer(&response(200, &[], "<html>")).expect("success"),
            Value::Null
        );
    }

    #[test]
    fn flood_control_is_retryable_after_the_requested_delay() {
        let failure = read_answer(&response(
            429,
            &[],
            r#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 35","parameters":{"retry_after":35}}"#,
        ))
        .expect_err("429");
        assert!(failure.retryable);
        assert_eq!(failure.retry_after_secs, Some(35));
        assert!(
            failure.message.contains("Too Many Requests"),
            "{}",
            failure.message
        );
    }

    #[test]
    fn retry_after_header_is_the_fallback_delay() {
        let failure = read_answer(&response(
            429,
            &[("Retry-After", "9")],
            r#"{"ok":false,"error_code":429,"description":"Too Many Requests"}"#,
        ))
        .expect_err("429");
        assert_eq!(failure.retry_after_secs, Some(9));
    }

    #[test]
    fn server_errors_are_retryable_and_client_errors_permanent() {
        let failure = read_answer(&response(502, &[], "Bad Gateway")).expect_err("502");
        assert!(failure.retryable);
        let failure = read_answer(&response(
            500,
            &[],
            r#"{"ok":false,"error_code":500,"description":"Internal Server Error"}"#,
        ))
        .expect_err("500");
        assert!(failure.retryable);
        for (status, body) in [
            (
                403,
                r#"{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}"#,
            ),
            (
                400,
                r#"{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}"#,
            ),
            (401, "Unauthorized"),
        ] {
            let failure = read_answer(&response(status, &[], body)).expect_err("4xx");
            assert!(!failure.retryable, "{status}");
            assert_eq!(failure.retry_after_secs, None);
        }
    }

    #[test]
    fn a_2xx_with_ok_false_is_still_an_error() {
        let failure = read_answer(&response(
            200,
            &[],
            r#"{"ok":false,"error_code":400,"description":"Bad Request: message text is empty"}"#,
        ))
        .expect_err("not ok");
        assert!(!failure.retryable);
        assert_eq!(
            failure.message,
            "telegram error 400: Bad Request: message text is empty"
        );
    }

    #[test]
    fn outcomes_carry_the_error_code_else_the_status() {
        let code = |response: &Response| match outcome(response) {
            Outcome::Failed { code, .. } => code,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            code(&response(
                200,
                &[],
                r#"{"ok":false,"error_code":409,"description":"Conflict"}"#
            )),
            409
        );
        assert_eq!(code(&response(404, &[], "Not Found")), 404);
        assert_eq!(
            code(&response(
                401,
                &[],
                r#"{"ok":false,"description":"Unauthorized"}"#
            )),
            401
        );
        match outcome(&response(
            200,
            &[],
            r#"{"ok":true,"result":[ {"update_id": 1} ]}"#,
        )) {
            Outcome::Ok(Some(raw)) => assert_eq!(raw.get(), r#"[ {"update_id": 1} ]"#),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            outcome(&response(204, &[], "")),
            Outcome::NotAnAnswer
        ));
    }
}
