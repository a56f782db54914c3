use std::time::Duration;

use serde_json::json;
use switchboard_agent::{
    Agent, AgentConfigError, AgentError, BadResponseReason, HttpAgent, HttpAgentConfig, Reply,
};
use url::Url;

use crate::mock::{Answer, MockServer};
use crate::support::turn;

fn agent(url: Url, max_history: usize, timeout: Duration) -> HttpAgent {
    HttpAgent::new(HttpAgentConfig {
        url,
        headers: vec![("X-Agent-Token".to_owned(), "tok-123".to_owned())],
        timeout,
        max_history,
    })
    .expect("valid config")
}

/// Runs one turn against a server that always gives `answer`.
async fn respond_with(answer: Answer) -> Result<Vec<Reply>, AgentError> {
    let server = MockServer::start(answer).await;
    agent(server.at("hook"), 10, Duration::from_secs(10))
        .respond(&turn(Some("hi"), 2))
        .await
}

#[tokio::test]
async fn sends_the_documented_json_and_returns_the_replies() {
    let mut server = MockServer::start(Answer::json(
        200,
        json!({
            "replies": [
                {"text": "first"},
                {"text": ""},
                {"text": "second", "buttons": ["ignored"]},
                {}
            ],
            "trace_id": "ignored too"
        }),
    ))
    .await;
    let agent = agent(server.at("agent/hook?v=1"), 2, Duration::from_secs(10));

    let replies = agent
        .respond(&turn(Some("What's the weather?"), 5))
        .await
        .expect("the server answered 200");

    let texts: Vec<&str> = replies.iter().map(|r| r.text.as_str()).collect();
    assert_eq!(texts, ["first", "second"]);
    assert_eq!(agent.kind(), "http");

    let request = server.next_request().await;
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/agent/hook?v=1");
    assert_eq!(request.header("x-agent-token"), Some("tok-123"));
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(
        request.json(),
        json!({
            "message": {
                "instance": "telegram-main",
                "external_id": "123456:42",
                "conversation_id": "123456",
                "sender_id": "1001",
                "sender_name": "Ada Lovelace",
                "text": "What's the weather?",
                "kind": "text",
                "received_at": "2024-02-29T12:34:56.789Z"
            },
            // Five entries exist; the newest two are sent, oldest first.
            "history": [
                {"role": "assistant", "text": "h3", "at": "2024-02-29T12:03:00.000Z",
                 "sender_name": null},
                {"role": "user", "text": "h4", "at": "2024-02-29T12:04:00.000Z",
                 "sender_name": "Ada Lovelace"}
            ]
        })
    );
}

#[tokio::test]
async fn a_message_without_text_is_sent_with_null_text() {
    let mut server = MockServer::start(Answer::json(200, json!({"replies": []}))).await;
    let replies = agent(server.at("hook"), 0, Duration::from_secs(10))
        .respond(&turn(None, 3))
        .await
        .expect("the server answered 200");
    assert!(replies.is_empty());

    let body = server.next_request().await.json();
    assert_eq!(body["message"]["text"], json!(null));
    assert_eq!(body["message"]["kind"], json!("image"));
    assert_eq!(body["history"], json!([]), "max_history 0 sends no history");
}

#[tokio::test]
async fn an_empty_reply_list_or_no_content_means_no_reply() {
    let empty = respond_with(Answer::json(200, json!({"replies": []}))).await;
    assert!(empty.expect("empty list is fine").is_empty());

    let no_content = respond_with(Answer::raw(204, "")).await;
    assert!(no_content.expect("204 is fine").is_empty());
}

#[tokio::test]
async fn server_errors_are_retryable_and_keep_the_body_for_the_log() {
    let error = respond_with(Answer::raw(500, "upstream model\ncrashed"))
        .await
        .expect_err("500 is an error");
    assert!(error.is_retryable());
    match &error {
        AgentError::Status {
            status,
            body_excerpt,
            ..
        } => {
            assert_eq!(*status, 500);
            assert_eq!(body_excerpt, "upstream model crashed");
        }
        other => panic!("expected a status error, got {other:?}"),
    }
}

#[tokio::test]
async fn rate_limits_are_retryable_and_pass_on_retry_after() {
    let error = respond_with(Answer::Reply {
        status: 429,
        headers: vec![("retry-after", "7")],
        body: Vec::new(),
    })
    .await
    .expect_err("429 is an error");
    assert!(error.is_retryable());
    assert_eq!(error.retry_after(), Some(Duration::from_secs(7)));
}

#[tokio::test]
async fn client_errors_are_not_retryable() {
    let error = respond_with(Answer::raw(400, "bad request"))
        .await
        .expect_err("400 is an error");
    assert!(!error.is_retryable());
    assert!(matches!(error, AgentError::Status { status: 400, .. }));
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let error = respond_with(Answer::Reply {
        status: 302,
        headers: vec![("location", "/elsewhere")],
        body: Vec::new(),
    })
    .await
    .expect_err("a redirect is an error");
    assert!(matches!(error, AgentError::Status { status: 302, .. }));
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn invalid_json_is_not_retryable() {
    for body in ["not json", "{\"replies\": \"nope\"}", "{}", ""] {
        let error = respond_with(Answer::raw(200, body))
            .await
            .expect_err("an unusable body is an error");
        assert!(!error.is_retryable(), "body {body:?}");
        assert!(
            matches!(
                error,
                AgentError::BadResponse {
                    reason: BadResponseReason::InvalidJson(_),
                    ..
                }
            ),
            "body {body:?} gave {error:?}"
        );
    }
}

#[tokio::test]
async fn an_oversized_answer_is_not_retryable() {
    let error = respond_with(Answer::Reply {
        status: 200,
        headers: Vec::new(),
        body: vec![b' '; 33 * 1024 * 1024],
    })
    .await
    .expect_err("a 33 MiB body is refused");
    assert!(!error.is_retryable());
    assert!(matches!(
        error,
        AgentError::BadResponse {
            reason: BadResponseReason::TooLarge { .. },
            ..
        }
    ));
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_retryably() {
    let mut server = MockServer::start(Answer::Hang).await;
    let error = agent(server.at("hook"), 10, Duration::from_millis(200))
        .respond(&turn(Some("hi"), 0))
        .await
        .expect_err("the server never answers");
    assert!(
        matches!(error, AgentError::Timeout { .. }),
        "expected a timeout, got {error:?}"
    );
    assert!(error.is_retryable());
    // The request did reach the server; it was the answer that never came.
    assert_eq!(server.next_request().await.method, "POST");
}

#[tokio::test]
async fn a_refused_connection_is_a_retryable_network_error() {
    // Bind and release a port so nothing listens on it.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let port = listener.local_addr().expect("local addr").port();
    drop(listener);
    let url = Url::parse(&format!("http://127.0.0.1:{port}/hook")).expect("url");

    let error = agent(url, 10, Duration::from_secs(10))
        .respond(&turn(Some("hi"), 0))
        .await
        .expect_err("nothing listens");
    assert!(
        matches!(error, AgentError::Network { .. }),
        "expected a network error, got {error:?}"
    );
    assert!(error.is_retryable());
}

#[tokio::test]
async fn credentials_in_the_url_and_headers_stay_out_of_errors_and_debug() {
    let server = MockServer::start(Answer::raw(503, "")).await;
    let mut url = server.at("hook?token=url-secret");
    url.set_username("bot").expect("http url takes a user");
    url.set_password(Some("pass-secret"))
        .expect("http url takes a password");
    let agent = HttpAgent::new(HttpAgentConfig {
        url,
        headers: vec![(
            "Authorization".to_owned(),
            "Bearer header-secret".to_owned(),
        )],
        timeout: Duration::from_secs(10),
        max_history: 0,
    })
    .expect("valid config");

    let error = agent
        .respond(&turn(Some("hi"), 0))
        .await
        .expect_err("503 is an error");
    let shown = format!("{error} {error:?} {agent:?}");
    for secret in ["url-secret", "pass-secret", "header-secret"] {
        assert!(!shown.contains(secret), "{secret} leaked: {shown}");
    }
    assert!(
        shown.contains("/hook"),
        "the endpoint is still named: {shown}"
    );
}

#[test]
fn rejects_configs_that_cannot_work() {
    let config = |url: &str, headers: Vec<(&str, &str)>, timeout: Duration| HttpAgentConfig {
        url: Url::parse(url).expect("url"),
        headers: headers
            .into_iter()
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .collect(),
        timeout,
        max_history: 10,
    };
    let second = Duration::from_secs(1);

    let bad_name = HttpAgent::new(config("http://127.0.0.1/", vec![("bad name", "v")], second));
    assert!(matches!(
        bad_name,
        Err(AgentConfigError::InvalidHeaderName { .. })
    ));

    let bad_value = HttpAgent::new(config(
        "http://127.0.0.1/",
        vec![("x-token", "secret\r\nInjected: yes")],
        second,
    ));
    let error = bad_value.expect_err("a newline in a header value is refused");
    assert!(matches!(error, AgentConfigError::InvalidHeaderValue { .. }));
    assert!(!error.to_string().contains("secret"));

    let ftp = HttpAgent::new(config("ftp://127.0.0.1/", Vec::new(), second));
    assert!(matches!(
        ftp,
        Err(AgentConfigError::UnsupportedScheme { .. })
    ));

    let zero = HttpAgent::new(config("http://127.0.0.1/", Vec::new(), Duration::ZERO));
    assert!(matches!(zero, Err(AgentConfigError::ZeroTimeout)));
}

#[tokio::test]
async fn a_202_without_a_body_means_the_agent_answers_later() {
    let replies = respond_with(Answer::raw(202, "")).await.expect("accepted");
    assert!(replies.is_empty());
}

#[tokio::test]
async fn attachments_in_an_answer_are_decoded_and_a_bad_one_is_named() {
    let replies = respond_with(Answer::json(
        200,
        json!({"replies": [{"attachments": [
            {"kind": "document", "mime_type": "text/plain", "file_name": "a.txt", "data_base64": "aGVsbG8="}
        ]}]}),
    ))
    .await
    .expect("answer");
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0].text, "");
    let file = &replies[0].attachments[0];
    assert_eq!(file.content, b"hello");
    assert_eq!(file.file_name.as_deref(), Some("a.txt"));
    assert_eq!(file.kind.as_str(), "document");

    let error = respond_with(Answer::json(
        200,
        json!({"replies": [{"attachments": [
            {"kind": "hologram", "mime_type": "x/y", "data_base64": ""}
        ]}]}),
    ))
    .await
    .expect_err("unknown kind");
    assert!(
        !error.is_retryable(),
        "a malformed answer repeats on a retry"
    );
    let reason = std::error::Error::source(&error).map(ToString::to_string);
    assert!(
        reason
            .as_deref()
            .is_some_and(|r| r.contains("attachments[0].kind \"hologram\"")),
        "{reason:?}"
    );
}

#[tokio::test]
async fn an_attachment_by_url_is_fetched_from_the_agents_own_origin_only() {
    // The mock answers every request with the same body, so the "file" fetched is
    // the answer itself.
    let answer = json!({"replies": [{"text": "see file", "attachments": [
        {"kind": "document", "mime_type": "application/json", "url": "/files/report.json"}
    ]}]});
    let mut server = MockServer::start(Answer::json(200, answer.clone())).await;
    let replies = agent(server.at("hook"), 10, Duration::from_secs(10))
        .respond(&turn(Some("hi"), 0))
        .await
        .expect("answer");
    assert_eq!(
        replies[0].attachments[0].content,
        answer.to_string().into_bytes()
    );
    let _turn = server.next_request().await;
    let fetched = server.next_request().await;
    assert_eq!(fetched.method, "GET");
    assert_eq!(fetched.path, "/files/report.json");
    assert_eq!(fetched.header("x-agent-token"), Some("tok-123"));

    let elsewhere = respond_with(Answer::json(
        200,
        json!({"replies": [{"attachments": [
            {"kind": "image", "mime_type": "image/png", "url": "http://169.254.169.254/latest"}
        ]}]}),
    ))
    .await
    .expect_err("another origin is not fetched");
    let reason = std::error::Error::source(&elsewhere).map(ToString::to_string);
    assert!(
        reason
            .as_deref()
            .is_some_and(|r| r.contains("not on the agent's own origin")),
        "{reason:?}"
    );
}
