//! Replies: one JSON POST to the `reply_url` setting per agent answer.
//!
//! ```json
//! { "conversation_id": "ticket-42", "text": "hello!", "in_reply_to": "msg-1" }
//! ```
//!
//! A reply into a thread also carries `"thread_id"`; without one the field is left
//! out, so an app that never sends threads never sees it.

/// One reply of the agent, in plain Rust types (the glue in `lib.rs` converts it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reply<'a> {
    pub conversation_id: &'a str,
    /// The thread of the message answered, if it had one.
    pub thread_id: Option<&'a str>,
    pub text: &'a str,
    /// The app's id of the message answered; `None` when the agent writes first.
    pub in_reply_to: Option<&'a str>,
    /// Stable across every retry of this reply.
    pub idempotency_key: &'a str,
    /// How many files the reply carries; a JSON POST has no room for them.
    pub attachments: usize,
}

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

/// Builds the POST for one reply. `reply_url` and `reply_auth` are the settings of
/// the same names.
pub fn build(
    reply_url: Option<String>,
    reply_auth: Option<&str>,
    reply: &Reply<'_>,
) -> Result<Post, Failure> {
    // Sending the text without its files would look delivered while losing part of
    // the answer; a permanent failure keeps the whole reply as a dead letter.
    if reply.attachments > 0 {
        return Err(Failure::permanent(format!(
            "this channel sends text only; the reply carries {} attachment(s)",
            reply.attachments
        )));
    }
    let url = reply_url
        .filter(|u| !u.is_empty())
        .ok_or_else(|| Failure::permanent("the reply_url setting is not configured".to_owned()))?;
    let mut headers = vec![
        ("content-type".to_owned(), "application/json".to_owned()),
        // Stable across retries, so the app can drop a reply it already has.
        (
            "idempotency-key".to_owned(),
            reply.idempotency_key.to_owned(),
        ),
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
    let mut body = serde_json::json!({
        "conversation_id": reply.conversation_id,
        "text": reply.text,
        "in_reply_to": reply.in_reply_to,
    });
    if let Some(thread_id) = reply.thread_id {
        body["thread_id"] = thread_id.into();
    }
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

    fn reply<'a>(text: &'a str, in_reply_to: Option<&'a str>) -> Reply<'a> {
        Reply {
            conversation_id: "c1",
            thread_id: None,
            text,
            in_reply_to,
            idempotency_key: "key-1",
            attachments: 0,
        }
    }

    #[test]
    fn a_reply_is_a_json_post_with_an_idempotency_key() {
        let post = build(
            Some("https://app.example/replies".to_owned()),
            None,
            &reply("hi", Some("m1")),
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
            &reply("t", None),
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
        let missing = build(None, None, &reply("t", None)).expect_err("no url");
        assert!(!missing.retryable);
        let odd = build(
            Some("https://a.example".to_owned()),
            Some("basic"),
            &reply("t", None),
        )
        .expect_err("unknown auth");
        assert!(!odd.retryable && odd.message.contains("basic"));
    }

    #[test]
    fn a_reply_into_a_thread_names_it() {
        let threaded = Reply {
            thread_id: Some("t-3"),
            ..reply("hi", Some("m1"))
        };
        let post = build(Some("https://a.example/r".to_owned()), None, &threaded).expect("reply");
        let body: serde_json::Value = serde_json::from_slice(&post.body).expect("JSON");
        assert_eq!(
            body,
            serde_json::json!({
                "conversation_id": "c1", "text": "hi", "in_reply_to": "m1", "thread_id": "t-3"
            })
        );
    }

    #[test]
    fn a_reply_with_files_fails_for_good_instead_of_losing_them() {
        let with_files = Reply {
            attachments: 2,
            ..reply("see attached", Some("m1"))
        };
        let failure = build(Some("https://a.example/r".to_owned()), None, &with_files)
            .expect_err("files cannot be sent");
        assert!(!failure.retryable);
        assert!(
            failure.message.contains("2 attachment(s)"),
            "{}",
            failure.message
        );
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
