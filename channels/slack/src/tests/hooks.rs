//! What the hooks do with what was stored: the acknowledgement reaction only on
//! a person's new message, "typing" only in an assistant thread.

use switchboard_channel_sdk::fake::{FakeHost, answer};

use super::*;
use crate::{outbound, presence};

/// How many Web API calls the hook makes for the message a fixture carries.
fn calls(hook: fn(&FakeHost, &Inbound) -> Result<(), String>, fixture_name: &str) -> Vec<String> {
    let message = emitted(fixture_name);
    let host = FakeHost::answering(vec![answer(200, r#"{"ok":true}"#)]);
    hook(&host, &message).expect("hook succeeds");
    host.requests
        .borrow()
        .iter()
        .map(|r| r.url.clone())
        .collect()
}

fn acknowledge(host: &FakeHost, message: &Inbound) -> Result<(), String> {
    outbound::acknowledge(host, message)
}

fn agent_working(host: &FakeHost, message: &Inbound) -> Result<(), String> {
    presence::agent_working(host, message)
}

#[test]
fn only_a_persons_message_is_acknowledged() {
    assert_eq!(
        calls(acknowledge, "slackdocs-message-im.json"),
        ["https://slack.com/api/reactions.add"]
    );
    for quiet in [
        "slack-web-message_subtype_bot_message.json",
        "slack-web-joinChannel.json",
        "slackdocs-message-channel_topic.json",
        "slackdocs-reaction_added.json",
        "bolt-python-block_actions-button.body.txt",
    ] {
        assert!(calls(acknowledge, quiet).is_empty(), "{quiet}");
    }
}

#[test]
fn typing_shows_in_an_assistant_thread_only() {
    assert_eq!(
        calls(
            agent_working,
            "bolt-python-assistant-user_message_with_assistant_thread.json"
        ),
        ["https://slack.com/api/assistant.threads.setStatus"]
    );
    let message = emitted("bolt-python-assistant-user_message_with_assistant_thread.json");
    assert_eq!(metadata(&message)["assistant_thread"], true);
    assert!(!message.metadata.contains("YYY"), "assistant_thread copied");
    for elsewhere in ["slackdocs-message-im.json", "slackdocs-app_mention.json"] {
        assert!(calls(agent_working, elsewhere).is_empty(), "{elsewhere}");
    }
}
