//! The `openai` agent against a mock chat-completions API.

use serde_json::json;

use super::setup;
use crate::mock::{MockApi, Rule};

#[tokio::test]
async fn openai_agent_sends_system_prompt_history_and_key_and_its_answer_is_sent() {
    let llm = MockApi::start().await;
    for content in ["Bonjour ! 👋", "Très bien, merci."] {
        llm.rule(Rule {
            path: "/v1/chat/completions".to_owned(),
            status: 200,
            body: json!({
                "id": "chatcmpl-e2e", "object": "chat.completion", "model": "e2e-model",
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": content}}]
            })
            .to_string(),
            headers: Vec::new(),
            times: Some(1),
        });
    }
    let s = setup(
        &format!(
            r#"[agent]
kind = "openai"
base_url = "{}/v1"
model = "e2e-model"
api_key = {{ env = "E2E_OPENAI_KEY" }}
system_prompt = "Answer in French, briefly."
max_history = 10
temperature = 0.5"#,
            llm.origin
        ),
        &[("E2E_OPENAI_KEY", "sk-e2e-openai-secret")],
    )
    .await;

    s.say(1, "hello").await;
    assert_eq!(s.wait_sent(1).await, ["Bonjour ! 👋"]);
    s.say(2, "how are you?").await;
    assert_eq!(s.wait_sent(2).await, ["Bonjour ! 👋", "Très bien, merci."]);

    let calls = llm.requests();
    assert_eq!(calls.len(), 2);
    for call in &calls {
        assert_eq!(call.method, "POST");
        assert_eq!(call.path, "/v1/chat/completions");
        assert_eq!(
            call.header("authorization"),
            Some("Bearer sk-e2e-openai-secret")
        );
        assert_eq!(call.json()["model"], "e2e-model");
        assert_eq!(call.json()["temperature"], 0.5);
    }
    assert_eq!(
        calls[0].json()["messages"],
        json!([
            {"role": "system", "content": "Answer in French, briefly."},
            {"role": "user", "content": "hello"},
        ])
    );
    assert_eq!(
        calls[1].json()["messages"],
        json!([
            {"role": "system", "content": "Answer in French, briefly."},
            {"role": "user", "content": "hello"},
            {"role": "assistant", "content": "Bonjour ! 👋"},
            {"role": "user", "content": "how are you?"},
        ])
    );
    let replies = s.daemon.replies();
    assert_eq!(replies.len(), 2);
    assert!(replies.iter().all(|r| r["status"] == "sent"), "{replies:?}");
    assert!(!s.daemon.log().contains("sk-e2e-openai-secret"));
}
