//! The Discord HTTP API calls this channel makes: building the requests (the bot
//! token is a secret placeholder the host fills in) and reading Discord's answers
//! into a result or a retry decision.

use serde_json::Value;
use switchboard_channel_sdk::{
    Body, DeliveryFailure, Host, Request, Response, header, join_url, retry_after_secs, secret,
};

/// Where the API lives unless the `api_base` setting says otherwise.
pub(crate) const DEFAULT_API_BASE: &str = "https://discord.com/api/v10";

/// Create Message and Execute Webhook accept up to 2000 characters of content.
pub(crate) const MAX_CONTENT_UNITS: usize = 2000;

/// Discord asks HTTP clients to name themselves as `DiscordBot ($url, $version)`.
const USER_AGENT: &str = concat!(
    "DiscordBot (",
    env!("CARGO_PKG_REPOSITORY"),
    ", ",
    env!("CARGO_PKG_VERSION"),
    ")"
);

/// Longest slice of an error body kept in a failure that has no `message`.
const SNIPPET_CHARS: usize = 200;

/// The API base of this instance: the `api_base` setting, else Discord's v10 API.
pub(crate) fn api_base(host: &impl Host) -> String {
    host.setting("api_base")
        .map(|base| base.trim().to_owned())
        .filter(|base| !base.is_empty())
        .unwrap_or_else(|| DEFAULT_API_BASE.to_owned())
}

/// The `authorization` header value of a bot: `Bot {{secret:bot_token}}`.
pub(crate) fn bot_authorization() -> String {
    format!("Bot {}", secret("bot_token"))
}

/// A request to `path` below the API base, authorised as the bot.
pub(crate) fn bot_request(method: &str, api_base: &str, path: &str) -> Request {
    Request::new(method, join_url(api_base, path))
        .header("authorization", bot_authorization())
        .header("user-agent", USER_AGENT)
}

/// A `POST` of `body` as JSON to `path` below the API base, authorised as the bot.
pub(crate) fn bot_post_json(api_base: &str, path: &str, body: &Value) -> Request {
    json_body(bot_request("POST", api_base, path), body)
}

/// A `POST` of `body` as JSON to `path` below the API base without the bot token:
/// interaction follow-ups are authorised by the interaction token in their path.
pub(crate) fn post_json(api_base: &str, path: &str, body: &Value) -> Request {
    let request = Request::new("POST", join_url(api_base, path)).header("user-agent", USER_AGENT);
    json_body(request, body)
}

fn json_body(request: Request, body: &Value) -> Request {
    Request {
        // `Display` for `Value` cannot fail, unlike the generic serializer.
        body: Body::Bytes(body.to_string().into_bytes()),
        ..request.header("content-type", "application/json")
    }
}

/// Percent-encodes one path segment taken from a payload (an interaction token),
/// so that it can never add a segment or a query to the URL.
pub(crate) fn path_segment(value: &str) -> String {
    let mut encoded = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// Whether `id` is a snowflake: the only thing this channel puts into an API path
/// from a payload besides an interaction token.
pub(crate) fn is_snowflake(id: &str) -> bool {
    !id.is_empty() && id.len() <= 20 && id.bytes().all(|b| b.is_ascii_digit())
}

/// Reads an answer: its JSON body on success (`null` when there is none, as for
/// `204 No Content`), or why the call failed.
///
/// 429 is retryable after the `retry_after` Discord puts in the body (seconds,
/// fractional, rounded up here), else after the `Retry-After` header; 408 and 5xx
/// are retryable after `Retry-After` when given; every other status (401, 403,
/// 404, 400, ...) is permanent, with Discord's `message` and error `code`.
pub(crate) fn read(response: &Response) -> Result<Value, DeliveryFailure> {
    let body: Option<Value> = serde_json::from_slice(&response.body).ok();
    if (200..300).contains(&response.status) {
        return Ok(body.unwrap_or(Value::Null));
    }
    let status = response.status;
    let header_delay = || header(&response.headers, "retry-after").and_then(retry_after_secs);
    let detail = describe(body.as_ref(), &response.body);
    if status == 429 {
        let global = body
            .as_ref()
            .and_then(|b| b.get("global"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let scope = if global { " (global rate limit)" } else { "" };
        return Err(DeliveryFailure {
            retry_after_secs: body
                .as_ref()
                .and_then(|b| b.get("retry_after"))
                .and_then(Value::as_f64)
                .and_then(whole_seconds)
                .or_else(header_delay),
            ..DeliveryFailure::retryable(format!("discord rate limit{scope}: {detail}"))
        });
    }
    let message = format!("discord error {status}: {detail}");
    if status == 408 || (500..600).contains(&status) {
        return Err(DeliveryFailure {
            retry_after_secs: header_delay(),
            ..DeliveryFailure::retryable(message)
        });
    }
    Err(DeliveryFailure::permanent(message))
}

/// A delay in seconds, possibly fractional, rounded up to whole seconds; values
/// beyond `u32` saturate. `None` for a negative or non-finite value.
pub(crate) fn whole_seconds(seconds: f64) -> Option<u32> {
    if !seconds.is_finite() || seconds < 0.0 {
        return None;
    }
    let rounded = seconds.ceil();
    if rounded >= f64::from(u32::MAX) {
        return Some(u32::MAX);
    }
    // A whole number between 0 and `u32::MAX`, so the conversion is exact.
    Some(rounded as u32)
}

/// Discord's `message` (with its error `code`) of an error body, else the start of
/// the body.
fn describe(body: Option<&Value>, raw: &[u8]) -> String {
    let message = body
        .and_then(|b| b.get("message"))
        .and_then(Value::as_str)
        .filter(|m| !m.trim().is_empty());
    match (
        message,
        body.and_then(|b| b.get("code")).and_then(Value::as_i64),
    ) {
        (Some(message), Some(code)) if code != 0 => format!("{message} (code {code})"),
        (Some(message), _) => message.to_owned(),
        (None, _) => {
            let text = String::from_utf8_lossy(raw);
            let text = text.trim();
            match text.char_indices().nth(SNIPPET_CHARS) {
                Some((cut, _)) => format!("{}...", &text[..cut]),
                None if text.is_empty() => "no details".to_owned(),
                None => text.to_owned(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::tests::fixture_text;

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
    fn bot_requests_carry_the_token_only_as_a_placeholder() {
        let request = bot_post_json(
            "https://discord.com/api/v10/",
            "/channels/1/messages",
            &json!({"content": "hi"}),
        );
        assert_eq!(request.method, "POST");
        assert_eq!(
            request.url,
            "https://discord.com/api/v10/channels/1/messages"
        );
        assert_eq!(
            header(&request.headers, "authorization"),
            Some("Bot {{secret:bot_token}}")
        );
        assert_eq!(
            header(&request.headers, "content-type"),
            Some("application/json")
        );
        assert!(
            header(&request.headers, "user-agent").is_some_and(|ua| ua.starts_with("DiscordBot (")),
            "{:?}",
            request.headers
        );
        assert_eq!(request.body.bytes(), Some(&br#"{"content":"hi"}"#[..]));
    }

    #[test]
    fn follow_up_requests_carry_no_bot_token() {
        let request = post_json("https://discord.com/api/v10", "webhooks/1/t", &json!({}));
        assert_eq!(header(&request.headers, "authorization"), None);
        assert_eq!(request.url, "https://discord.com/api/v10/webhooks/1/t");
    }

    #[test]
    fn the_api_base_setting_wins_over_the_default() {
        let mut host = switchboard_channel_sdk::fake::FakeHost::default();
        assert_eq!(api_base(&host), DEFAULT_API_BASE);
        host.settings.insert(
            "api_base".to_owned(),
            " http://127.0.0.1:9/api/v10 ".to_owned(),
        );
        assert_eq!(api_base(&host), "http://127.0.0.1:9/api/v10");
        host.settings.insert("api_base".to_owned(), " ".to_owned());
        assert_eq!(api_base(&host), DEFAULT_API_BASE);
    }

    #[test]
    fn path_segments_cannot_escape_their_segment() {
        assert_eq!(
            path_segment("aW50ZXJhY3Rpb24.x_y-z~"),
            "aW50ZXJhY3Rpb24.x_y-z~"
        );
        assert_eq!(path_segment("a/b?c#d e"), "a%2Fb%3Fc%23d%20e");
        assert!(is_snowflake("290926798999357250"));
        assert!(!is_snowflake(""));
        assert!(!is_snowflake("12/34"));
        assert!(!is_snowflake("123456789012345678901"));
    }

    #[test]
    fn success_yields_the_json_body_or_null() {
        let answer = read(&response(200, &[], r#"{"id":"42"}"#)).expect("ok");
        assert_eq!(answer["id"], "42");
        assert_eq!(read(&response(204, &[], "")).expect("ok"), Value::Null);
    }

    #[test]
    fn a_rate_limit_waits_for_the_fractional_retry_after_rounded_up() {
        // Discord's documented 429 body: `"retry_after": 64.57`.
        let body = fixture_text("rest/rate-limited.json");
        let failure = read(&response(429, &[("Retry-After", "65")], &body)).expect_err("429");
        assert!(failure.retryable);
        assert_eq!(failure.retry_after_secs, Some(65));
        assert_eq!(
            failure.message,
            "discord rate limit: You are being rate limited."
        );
        let failure = read(&response(
            429,
            &[],
            r#"{"message":"x","retry_after":0.3,"global":true}"#,
        ))
        .expect_err("429");
        assert_eq!(failure.retry_after_secs, Some(1));
        assert_eq!(failure.message, "discord rate limit (global rate limit): x");
    }

    #[test]
    fn a_rate_limit_without_a_body_uses_the_header() {
        let failure = read(&response(429, &[("retry-after", "7")], "<html>")).expect_err("429");
        assert!(failure.retryable);
        assert_eq!(failure.retry_after_secs, Some(7));
        let failure = read(&response(429, &[], "")).expect_err("429");
        assert_eq!(failure.retry_after_secs, None);
    }

    #[test]
    fn server_trouble_is_retryable() {
        for status in [408, 500, 502, 503] {
            let failure = read(&response(status, &[("Retry-After", "3")], "")).expect_err("fails");
            assert!(failure.retryable, "{status}");
            assert_eq!(failure.retry_after_secs, Some(3), "{status}");
        }
    }

    #[test]
    fn client_errors_are_permanent_with_discords_message() {
        let body = fixture_text("rest/error-unknown-channel.json");
        let failure = read(&response(404, &[], &body)).expect_err("404");
        assert!(!failure.retryable);
        assert_eq!(failure.retry_after_secs, None);
        assert_eq!(
            failure.message,
            "discord error 404: Unknown Channel (code 10003)"
        );
        let failure = read(&response(
            401,
            &[],
            r#"{"message": "401: Unauthorized", "code": 0}"#,
        ))
        .expect_err("401");
        assert!(!failure.retryable);
        assert_eq!(failure.message, "discord error 401: 401: Unauthorized");
        let failure = read(&response(403, &[], "")).expect_err("403");
        assert!(!failure.retryable);
        assert_eq!(failure.message, "discord error 403: no details");
    }

    #[test]
    fn whole_seconds_round_up_and_saturate() {
        assert_eq!(whole_seconds(64.57), Some(65));
        assert_eq!(whole_seconds(2.0), Some(2));
        assert_eq!(whole_seconds(0.0), Some(0));
        assert_eq!(whole_seconds(1e12), Some(u32::MAX));
        assert_eq!(whole_seconds(-1.0), None);
        assert_eq!(whole_seconds(f64::NAN), None);
    }
}
