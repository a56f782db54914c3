//! Replies: one JSON POST to the `reply_url` setting per agent answer.
//!
//! ```json
//! { "conversation_id": "ticket-42", "text": "hello!", "in_reply_to": "msg-1" }
//! ```

/// A reply request, in plain Rust types (the glue in `lib.rs` converts it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Why a reply failed; `retryable` tells the host whether to try again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub message: String,
    pub retryable: bool,
    pub retry_after_secs: Option<u32>,
}

impl Failure {
    fn permanent(message: String) -> Failure {
        Failure {
            message,
            retryable: false,
            retry_after_secs: None,
        }
    }
}

/// Builds the POST for one reply. `reply_auth` is the setting of the same name.
pub fn build(
    reply_url: Option<String>,
    reply_auth: Option<&str>,
    conversation_id: &str,
    text: &str,
    in_reply_to: Option<&str>,
    idempotency_key: &str,
) -> Result<Post, Failure> {
    let url = reply_url
        .filter(|u| !u.is_empty())
        .ok_or_else(|| Failure::permanent("the reply_url setting is not configured".to_owned()))?;
    let mut headers = vec![
        ("content-type".to_owned(), "application/json".to_owned()),
        // Stable across retries, so the app can drop a reply it already has.
        ("idempotency-key".to_owned(), idempotency_key.to_owned()),
    ];
    match reply_auth.unwrap_or("none") {
        "none" => {}
        // The host replaces the placeholder with the secret on the way out; this
        // component never sees the token.
        "bearer" => headers.push((
            "authorization".to_owned(),
            "Bearer {{secret:reply_token}}".to_owned(),
        )),
        other => {
            return Err(Failure::permanent(format!(
                "reply_auth is `{other}`; expected `none` or `bearer`"
            )));
        }
    }
    let body = serde_json::json!({
        "conversation_id": conversation_id,
        "text": text,
        "in_reply_to": in_reply_to,
    });
    Ok(Post {
        url,
        headers,
        body: body.to_string().into_bytes(),
    })
}

/// Judges the app's answer: any 2xx is delivered (with the `id` of a JSON answer
/// as the receipt), 408, 429 and 5xx are worth retrying, other statuses are not.
pub fn judge(
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<Option<String>, Failure> {
    if (200..300).contains(&status) {
        let id = serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|v| v.get("id").and_then(|id| id.as_str()).map(str::to_owned));
        return Ok(id);
    }
    let retry_after_secs = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("retry-after"))
        .and_then(|(_, v)| v.trim().parse().ok());
    let snippet: String = String::from_utf8_lossy(body).chars().take(200).collect();
    Err(Failure {
        message: format!("reply_url answered {status}: {snippet}"),
        retryable: status == 408 || status == 429 || status >= 500,
        retry_after_secs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_is_a_json_post_with_an_idempotency_key() {
        let post = build(
            Some("https://app.example/replies".to_owned()),
            None,
            "c1",
            "hi",
            Some("m1"),
            "key-1",
        )
        .expect("reply");
        assert_eq!(post.url, "https://app.example/replies");
        assert!(
            post.headers
                .contains(&("idempotency-key".to_owned(), "key-1".to_owned()))
        );
        let body: serde_json::Value = serde_json::from_slice(&post.body).expect("JSON");
        assert_eq!(
            body,
            serde_json::json!({ "conversation_id": "c1", "text": "hi", "in_reply_to": "m1" })
        );
        assert!(!post.headers.iter().any(|(n, _)| n == "authorization"));
    }

    #[test]
    fn bearer_auth_uses_a_placeholder_never_a_token() {
        let post = build(
            Some("https://a.example/r".to_owned()),
            Some("bearer"),
            "c",
            "t",
            None,
            "k",
        )
        .expect("reply");
        assert!(post.headers.contains(&(
            "authorization".to_owned(),
            "Bearer {{secret:reply_token}}".to_owned()
        )));
        let body: serde_json::Value = serde_json::from_slice(&post.body).expect("JSON");
        assert_eq!(body["in_reply_to"], serde_json::Value::Null);
    }

    #[test]
    fn configuration_mistakes_are_permanent_failures() {
        let missing = build(None, None, "c", "t", None, "k").expect_err("no url");
        assert!(!missing.retryable);
        let odd = build(
            Some("https://a.example".to_owned()),
            Some("basic"),
            "c",
            "t",
            None,
            "k",
        )
        .expect_err("unknown auth");
        assert!(!odd.retryable && odd.message.contains("basic"));
    }

    #[test]
    fn answers_are_judged_by_status() {
        assert_eq!(
            judge(200, &[], br#"{"id":"r-9"}"#),
            Ok(Some("r-9".to_owned()))
        );
        assert_eq!(judge(204, &[], b""), Ok(None));
        let limited = judge(
            429,
            &[("Retry-After".to_owned(), "7".to_owned())],
            b"slow down",
        )
        .expect_err("429");
        assert!(limited.retryable);
        assert_eq!(limited.retry_after_secs, Some(7));
        assert!(judge(503, &[], b"").expect_err("503").retryable);
        assert!(
            !judge(404, &[], b"no such conversation")
                .expect_err("404")
                .retryable
        );
    }
}
