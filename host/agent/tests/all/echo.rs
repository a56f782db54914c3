use switchboard_agent::{Agent, EchoAgent, Reply};

use crate::support::turn;

#[tokio::test]
async fn echo_replies_with_exactly_the_received_text() {
    let replies = EchoAgent
        .respond(&turn(Some("  Hello, wörld!\nsecond line"), 3))
        .await
        .expect("echo never fails");
    assert_eq!(
        replies,
        [Reply {
            text: "  Hello, wörld!\nsecond line".to_owned()
        }]
    );
    assert_eq!(EchoAgent.kind(), "echo");
}

#[tokio::test]
async fn echo_says_nothing_to_a_message_without_text() {
    let replies = EchoAgent
        .respond(&turn(None, 0))
        .await
        .expect("echo never fails");
    assert!(replies.is_empty());
    let replies = EchoAgent
        .respond(&turn(Some(""), 0))
        .await
        .expect("echo never fails");
    assert!(replies.is_empty());
}
