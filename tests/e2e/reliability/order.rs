//! Messages of one conversation are answered in order, also when a turn or a
//! reply fails and is retried.

use super::api::{AgentApi, Answer};
use super::rig::{Config, Rig, fresh_postgres_url};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn messages_of_one_conversation_are_answered_in_order_despite_failures() {
    answered_in_order_despite_failures(Config::default()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn on_postgres_messages_of_one_conversation_are_answered_in_order_despite_failures() {
    answered_in_order_despite_failures(Config::default().postgres(&fresh_postgres_url().await))
        .await;
}

async fn answered_in_order_despite_failures(config: Config) {
    let agent = AgentApi::start().await;
    agent.fail_once_for("m3");
    let rig =
        Rig::start(config.agent(&format!("kind = \"http\"\nurl = \"{}\"", agent.url()))).await;
    // The first reply fails once; every later reply must wait for it.
    rig.api.fail_next_sends(vec![Answer::status(
        500,
        r#"{"error":{"message":"internal"}}"#,
    )]);
    let texts: Vec<String> = (0..8).map(|i| format!("m{i}")).collect();
    for (i, text) in texts.iter().enumerate() {
        rig.post_ok(&format!("wamid.ORDER-{i}"), "16505559999", text)
            .await;
    }

    rig.wait_replies_sent(texts.len()).await;
    let expected: Vec<String> = texts.iter().map(|t| format!("re: {t}")).collect();
    assert_eq!(
        rig.api.delivered(),
        expected,
        "replies reached the platform out of order"
    );

    // The agent saw m3 fail and then succeed, and nothing after m3 in between.
    let mut asked: Vec<(String, u16)> = texts.iter().map(|t| (t.clone(), 200)).collect();
    asked.insert(3, ("m3".to_owned(), 503));
    assert_eq!(agent.calls(), asked);
}
