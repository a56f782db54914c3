//! The Slack Web API calls this channel makes: request construction and reading
//! the `{"ok": ..., "error": ...}` answers into a result or a retry decision.

use serde::Deserialize;
use serde_json::Value;
use switchboard_channel_sdk::{
    Body, DeliveryFailure, Host, Request, Response, bearer, check_response, header, join_url,
    retry_after_secs,
};

/// Where the Web API lives unless the `api_base` setting says otherwise.
const DEFAULT_API_BASE: &str = "https://slack.com/api";

/// API errors that say "not now" rather than "never". Slack answers them with
/// HTTP 200 like every other API error.
const TRANSIENT_ERRORS: &[&str] = &[
    "ratelimited",
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
];

/// The Web API base: the `api_base` setting, else Slack's.
pub(crate) fn api_base(host: &impl Host) -> String {
    host.setting("api_base")
        .filter(|base| !base.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_API_BASE.to_owned())
}

/// Whether `api_base` is Slack's own Web API rather than a mock or a proxy the
/// operator configured.
pub(crate) fn is_default_api_base(api_base: &str) -> bool {
    api_base.trim().trim_end_matches('/') == DEFAULT_API_BASE
}

/// A Web API method call with a JSON body. Slack asks for the charset on JSON
/// bodies and warns (`missing_charset`) without it.
pub(crate) fn call(api_base: &str, method: &str, body: &Value) -> Request {
    Request {
        headers: vec![
            (
                "content-type".to_owned(),
                "application/json; charset=utf-8".to_owned(),
            ),
            ("authorization".to_owned(), bearer("bot_token")),
        ],
        // `Display` for `Value` cannot fail, unlike the generic serializer.
        body: Body::Bytes(body.to_string().into_bytes()),
        ..Request::new("POST", join_url(api_base, method))
    }
}

/// A Web API method call with a form-encoded body, for the methods that do not
/// read JSON (`files.getUploadURLExternal`).
pub(crate) fn call_form(api_base: &str, method: &str, fields: &[(&str, &str)]) -> Request {
    form_request(api_base, method, fields, "bot_token")
}

/// `apps.connections.open`: the URL of a new Socket Mode connection. It takes no
/// arguments and is the one method called with the app-level token (`app_token`,
/// `xapp-...`) rather than the bot token.
pub(crate) fn connections_open(api_base: &str) -> Request {
    form_request(api_base, "apps.connections.open", &[], "app_token")
}

/// A form-encoded method call authorised by the secret `token`.
fn form_request(api_base: &str, method: &str, fields: &[(&str, &str)], token: &str) -> Request {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    Request {
        headers: vec![
            (
                "content-type".to_owned(),
                "application/x-www-form-urlencoded".to_owned(),
            ),
            ("authorization".to_owned(), bearer(token)),
        ],
        body: Body::Bytes(body.into_bytes()),
        ..Request::new("POST", join_url(api_base, method))
    }
}

#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    ok: bool,
    error: Option<String>,
}

/// Reads a Web API answer: the whole answer object of a successful call, or why
/// it failed.
///
/// HTTP 429 and 5xx are retryable (with `Retry-After`), as are the transient API
/// errors; every other API error (`channel_not_found`, `not_in_channel`,
/// `invalid_auth`, ...) repeats on retry and is permanent. A 2xx whose body is not
/// an API answer counts as success with a `null` answer: the call most likely
/// took effect, and retrying could duplicate a message.
pub(crate) fn read_answer(response: &Response) -> Result<Value, DeliveryFailure> {
    check_response(response.status, &response.headers, &response.body)?;
    // Success without a readable answer: see above for why that is not an error.
    let Ok(value) = serde_json::from_slice::<Value>(&response.body) else {
        return Ok(Value::Null);
    };
    let Ok(answer) = Answer::deserialize(&value) else {
        return Ok(Value::Null);
    };
    if answer.ok {
        return Ok(value);
    }
    let error = answer.error.unwrap_or_else(|| "unknown_error".to_owned());
    let message = format!("slack error: {error}");
    if TRANSIENT_ERRORS.contains(&error.as_str()) {
        Err(DeliveryFailure {
            retry_after_secs: header(&response.headers, "retry-after").and_then(retry_after_secs),
            ..DeliveryFailure::retryable(message)
        })
    } else {
        Err(DeliveryFailure::permanent(message))
    }
}

/// The `error` code of an answer with `"ok": false`, if the response is one; a
/// body that is not an API answer has no code, and [`read_answer`] classifies it.
pub(crate) fn error_code(response: &Response) -> Option<String> {
    let answer: Answer = serde_json::from_slice(&response.body).ok()?;
    answer.error.filter(|_| !answer.ok)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

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
    fn calls_carry_the_token_as_a_bearer_placeholder() {
        let request = call(
            "https://slack.com/api/",
            "chat.postMessage",
            &json!({"a": 1}),
        );
        assert_eq!(request.method, "POST");
        assert_eq!(request.url, "https://slack.com/api/chat.postMessage");
        assert_eq!(
            header(&request.headers, "authorization"),
            Some("Bearer {{secret:bot_token}}")
        );
        assert_eq!(
            header(&request.headers, "content-type"),
            Some("application/json; charset=utf-8")
        );
        assert_eq!(request.body.bytes(), Some(&br#"{"a":1}"#[..]));
    }

    #[test]
    fn form_calls_encode_their_fields() {
        let request = call_form(
            "https://slack.com/api",
            "files.getUploadURLExternal",
            &[("filename", "a b&c.png"), ("length", "3")],
        );
        assert_eq!(
            request.url,
            "https://slack.com/api/files.getUploadURLExternal"
        );
        assert_eq!(
            header(&request.headers, "content-type"),
            Some("application/x-www-form-urlencoded")
        );
        assert_eq!(
            header(&request.headers, "authorization"),
            Some("Bearer {{secret:bot_token}}")
        );
        assert_eq!(
            request.body.bytes(),
            Some(&b"filename=a+b%26c.png&length=3"[..])
        );
    }

    #[test]
    fn only_slacks_own_api_base_is_the_default() {
        assert!(is_default_api_base("https://slack.com/api"));
        assert!(is_default_api_base(" https://slack.com/api/ "));
        assert!(!is_default_api_base("http://127.0.0.1:9/api"));
        assert!(!is_default_api_base("https://slack.com.example/api"));
    }

    #[test]
    fn error_codes_are_read_only_from_failed_answers() {
        let code = |body: &str| error_code(&response(200, &[], body));
        assert_eq!(
            code(r#"{"ok":false,"error":"already_reacted"}"#).as_deref(),
            Some("already_reacted")
        );
        assert_eq!(code(r#"{"ok":true,"error":"ignored"}"#), None);
        assert_eq!(code("<html>"), None);
    }

    #[test]
    fn ok_answers_are_returned_whole() {
        let answer = read_answer(&response(
            200,
            &[],
            r#"{"ok":true,"channel":"C1","ts":"1503435956.000247"}"#,
        ))
        .expect("ok");
        assert_eq!(answer["ts"], "1503435956.000247");
        assert_eq!(
            read_answer(&response(200, &[], "ok")).expect("ok"),
            Value::Null
        );
    }

    #[test]
    fn rate_limits_are_retryable_after_the_requested_delay() {
        for (status, body) in [(429, ""), (200, r#"{"ok":false,"error":"ratelimited"}"#)] {
            let failure = read_answer(&response(status, &[("Retry-After", "30")], body))
                .expect_err("rate limited");
            assert!(failure.retryable, "{status}");
            assert_eq!(failure.retry_after_secs, Some(30), "{status}");
        }
    }

    #[test]
    fn server_trouble_is_retryable_and_api_errors_are_permanent() {
        assert!(
            read_answer(&response(503, &[], ""))
                .expect_err("503")
                .retryable
        );
        let failure = read_answer(&response(
            200,
            &[],
            r#"{"ok":false,"error":"internal_error"}"#,
        ))
        .expect_err("internal");
        assert!(failure.retryable);
        for error in [
            "channel_not_found",
            "not_in_channel",
            "invalid_auth",
            "msg_too_long",
        ] {
            let body = json!({"ok": false, "error": error}).to_string();
            let failure = read_answer(&response(200, &[], &body)).expect_err(error);
            assert!(!failure.retryable, "{error}");
            assert_eq!(failure.message, format!("slack error: {error}"));
        }
        let failure = read_answer(&response(400, &[], "bad")).expect_err("400");
        assert!(!failure.retryable);
    }
}
