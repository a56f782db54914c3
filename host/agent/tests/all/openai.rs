use std::time::Duration;

use serde_json::json;
use switchboard_agent::{Agent, AgentError, BadResponseReason, OpenAiAgent, OpenAiConfig, Reply};
use url::Url;

use crate::mock::{Answer, MockServer};
use crate::support::turn;

fn config(base_url: Url) -> OpenAiConfig {
    OpenAiConfig {
        base_url,
        model: "tiny-chat".to_owned(),
        api_key: Some("sk-test-key".to_owned()),
        system_prompt: Some("You are terse.".to_owned()),
        max_history: 3,
        timeout: Duration::from_secs(10),
        temperature: Some(0.5),
        vision: false,
    }
}

fn completion(content: serde_json::Value) -> Answer {
    Answer::json(
        200,
        json!({
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "model": "tiny-chat",
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop"
            }],
            "usage": {"prompt_tokens": 10, "completion_tokens": 2, "total_tokens": 12}
        }),
    )
}

#[tokio::test]
async fn sends_system_history_and_user_messages_in_order_with_the_bearer_key() {
    let mut server = MockServer::start(completion(json!("Sunny."))).await;
    let agent = OpenAiAgent::new(config(server.at("v1"))).expect("valid config");

    let replies = agent
        .respond(&turn(Some("Weather?"), 5))
        .await
        .expect("the server answered");

    assert_eq!(
        replies,
        [Reply {
            text: "Sunny.".to_owned(),
            attachments: Vec::new(),
        }]
    );
    assert_eq!(agent.kind(), "openai");

    let request = server.next_request().await;
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/v1/chat/completions");
    assert_eq!(request.header("authorization"), Some("Bearer sk-test-key"));
    assert_eq!(
        request.json(),
        json!({
            "model": "tiny-chat",
            "messages": [
                {"role": "system", "content": "You are terse."},
                // Five entries exist; the newest three are sent, oldest first.
                {"role": "user", "content": "h2"},
                {"role": "assistant", "content": "h3"},
                {"role": "user", "content": "h4"},
                {"role": "user", "content": "Weather?"}
            ],
            "temperature": 0.5
        })
    );
}

#[tokio::test]
async fn base_url_works_with_and_without_a_trailing_slash() {
    for path in ["v1", "v1/"] {
        let mut server = MockServer::start(completion(json!("ok"))).await;
        let agent = OpenAiAgent::new(config(server.at(path))).expect("valid config");
        agent
            .respond(&turn(Some("hi"), 0))
            .await
            .expect("the server answered");
        assert_eq!(server.next_request().await.path, "/v1/chat/completions");
    }
}

#[tokio::test]
async fn without_key_prompt_or_temperature_only_the_conversation_is_sent() {
    let mut server = MockServer::start(completion(json!("ok"))).await;
    let agent = OpenAiAgent::new(OpenAiConfig {
        api_key: None,
        system_prompt: None,
        temperature: None,
        vision: false,
        max_history: 0,
        ..config(server.at("v1"))
    })
    .expect("valid config");
    agent
        .respond(&turn(Some("hi"), 4))
        .await
        .expect("the server answered");

    let request = server.next_request().await;
    assert_eq!(request.header("authorization"), None);
    assert_eq!(
        request.json(),
        json!({"model": "tiny-chat", "messages": [{"role": "user", "content": "hi"}]})
    );
}

#[tokio::test]
async fn a_message_without_text_makes_no_call_and_no_reply() {
    let mut server = MockServer::start(completion(json!("should not be asked"))).await;
    let agent = OpenAiAgent::new(config(server.at("v1"))).expect("valid config");
    for text in [None, Some(""), Some("  ")] {
        let replies = agent
            .respond(&turn(text, 2))
            .await
            .expect("nothing to fail");
        assert!(replies.is_empty());
    }
    assert!(server.saw_no_request());
}

#[tokio::test]
async fn empty_or_null_content_means_no_reply() {
    for content in [json!(null), json!(""), json!("\n")] {
        let server = MockServer::start(completion(content.clone())).await;
        let agent = OpenAiAgent::new(config(server.at("v1"))).expect("valid config");
        let replies = agent
            .respond(&turn(Some("hi"), 0))
            .await
            .expect("the server answered");
        assert!(replies.is_empty(), "content {content}");
    }
}

#[tokio::test]
async fn a_completion_without_choices_is_not_retryable() {
    let server = MockServer::start(Answer::json(200, json!({"choices": []}))).await;
    let agent = OpenAiAgent::new(config(server.at("v1"))).expect("valid config");
    let error = agent
        .respond(&turn(Some("hi"), 0))
        .await
        .expect_err("no choices");
    assert!(!error.is_retryable());
    assert!(matches!(
        error,
        AgentError::BadResponse {
            reason: BadResponseReason::NoChoices,
            ..
        }
    ));
}

#[tokio::test]
async fn a_rejected_key_is_not_retryable_but_an_overloaded_server_is() {
    let unauthorized = MockServer::start(Answer::json(
        401,
        json!({"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}}),
    ))
    .await;
    let agent = OpenAiAgent::new(config(unauthorized.at("v1"))).expect("valid config");
    let error = agent
        .respond(&turn(Some("hi"), 0))
        .await
        .expect_err("401 is an error");
    assert!(!error.is_retryable());
    assert!(
        error.to_string().contains("Incorrect API key provided"),
        "{error}"
    );
    assert!(!format!("{error:?}").contains("sk-test-key"));

    let overloaded = MockServer::start(Answer::raw(503, "overloaded")).await;
    let agent = OpenAiAgent::new(config(overloaded.at("v1"))).expect("valid config");
    let error = agent
        .respond(&turn(Some("hi"), 0))
        .await
        .expect_err("503 is an error");
    assert!(error.is_retryable());
}

#[tokio::test]
async fn history_entries_without_text_are_left_out_and_not_counted() {
    let mut server = MockServer::start(completion(json!("ok"))).await;
    let agent = OpenAiAgent::new(OpenAiConfig {
        system_prompt: None,
        max_history: 2,
        ..config(server.at("v1"))
    })
    .expect("valid config");
    let mut turn = turn(Some("hi"), 4);
    turn.history[1].text = String::new();
    turn.history[3].text = " ".to_owned();
    agent.respond(&turn).await.expect("the server answered");

    let body = server.next_request().await.json();
    assert_eq!(
        body["messages"],
        json!([
            {"role": "user", "content": "h0"},
            {"role": "user", "content": "h2"},
            {"role": "user", "content": "hi"}
        ])
    );
}

#[tokio::test]
async fn a_vision_model_sees_stored_images_and_other_files_are_described() {
    use switchboard_agent::TurnAttachment;
    use switchboard_types::{Attachment, AttachmentKind, AttachmentState, StoredAttachment};

    let dir = std::env::temp_dir().join(format!("sb-vision-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let image = dir.join("image");
    std::fs::write(&image, [0x89, b'P', b'N', b'G']).expect("write");
    let attachment = |kind, mime: &str, name: Option<&str>, path| TurnAttachment {
        stored: StoredAttachment {
            message_id: 1,
            position: 0,
            attachment: Attachment {
                kind,
                mime_type: Some(mime.to_owned()),
                size: Some(4),
                file_name: name.map(str::to_owned),
                caption: None,
                reference: "r".to_owned(),
            },
            state: AttachmentState::Stored,
            sha256: Some("ab".repeat(32)),
            stored_size: Some(4),
            error: None,
        },
        url: None,
        path,
    };
    let mut with_files = turn(Some("What is this?"), 0);
    with_files.attachments = vec![
        attachment(
            AttachmentKind::Image,
            "image/png",
            None,
            Some(image.clone()),
        ),
        attachment(
            AttachmentKind::Document,
            "application/pdf",
            Some("a.pdf"),
            None,
        ),
    ];

    let mut server = MockServer::start(completion(json!("A chart."))).await;
    let agent = OpenAiAgent::new(OpenAiConfig {
        vision: true,
        ..config(server.at("v1"))
    })
    .expect("valid config");
    agent.respond(&with_files).await.expect("answered");
    let sent = server.next_request().await.json();
    let user = sent["messages"]
        .as_array()
        .expect("messages")
        .last()
        .cloned();
    assert_eq!(
        user,
        Some(json!({"role": "user", "content": [
            {"type": "text", "text": "What is this?\n[attachment: document \"a.pdf\" (application/pdf, 4 bytes, stored)]"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw=="}}
        ]}))
    );

    // Without vision the image is described like any other file.
    let mut server = MockServer::start(completion(json!("Ok."))).await;
    let agent = OpenAiAgent::new(config(server.at("v1"))).expect("valid config");
    agent.respond(&with_files).await.expect("answered");
    let sent = server.next_request().await.json();
    let content = sent["messages"]
        .as_array()
        .expect("messages")
        .last()
        .expect("user")["content"]
        .clone();
    assert_eq!(
        content,
        "What is this?\n[attachment: image (image/png, 4 bytes, stored)]\n[attachment: document \"a.pdf\" (application/pdf, 4 bytes, stored)]"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
