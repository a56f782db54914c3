use serde_json::{Value, json};
use switchboard_channel_sdk::fake::{FakeHost, answer};
use switchboard_channel_sdk::{Inbound, Kind};

use super::*;

fn stored(metadata: Value) -> Inbound {
    Inbound {
        external_id: "D1:1726133700.887259".to_owned(),
        conversation_id: "D1:1726133698.626339".to_owned(),
        sender_id: "W222".to_owned(),
        text: Some("When Slack was released?".to_owned()),
        kind: Kind::Text,
        metadata: metadata.to_string(),
        ..Inbound::default()
    }
}

#[test]
fn an_assistant_thread_shows_the_typing_status() {
    let host = FakeHost::answering(vec![answer(200, r#"{"ok":true}"#)]);
    let message = stored(json!({"source": "event", "channel": "D1",
                                "thread_ts": "1726133698.626339", "assistant_thread": true}));
    agent_working(&host, &message).expect("status set");
    assert_eq!(
        host.requests.borrow()[0].url,
        "https://slack.com/api/assistant.threads.setStatus"
    );
    assert_eq!(
        host.sent_bodies()[0],
        json!({"channel_id": "D1", "thread_ts": "1726133698.626339", "status": "is typing..."})
    );
}

#[test]
fn elsewhere_nothing_is_called() {
    let host = FakeHost::default();
    for metadata in [
        json!({"source": "event", "channel": "C1", "ts": "1.0", "thread_ts": "0.5"}),
        json!({"source": "event", "channel": "D1", "assistant_thread": "yes"}),
        json!({"source": "interactive", "channel": "C1"}),
    ] {
        agent_working(&host, &stored(metadata)).expect("nothing to do");
    }
    agent_working(
        &host,
        &Inbound {
            metadata: "not json".to_owned(),
            ..stored(json!({}))
        },
    )
    .expect("nothing to do");
    assert!(host.requests.borrow().is_empty());
}

#[test]
fn slack_errors_are_reported() {
    let host = FakeHost::answering(vec![answer(200, r#"{"ok":false,"error":"missing_scope"}"#)]);
    let message = stored(json!({"channel": "D1", "thread_ts": "1.0", "assistant_thread": true}));
    let error = agent_working(&host, &message).expect_err("refused");
    assert_eq!(
        error,
        "assistant.threads.setStatus: slack error: missing_scope"
    );
    let broken = stored(json!({"channel": "D1", "assistant_thread": true}));
    let error = agent_working(&FakeHost::default(), &broken).expect_err("no thread");
    assert!(error.contains("no channel or thread_ts"), "{error}");
}
