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
            text: "  Hello, wörld!\nsecond line".to_owned(),
            attachments: Vec::new(),
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

#[tokio::test]
async fn echo_describes_attachments_that_came_without_text() {
    use switchboard_agent::TurnAttachment;
    use switchboard_types::{Attachment, AttachmentKind, AttachmentState, StoredAttachment};

    let mut turn = turn(None, 0);
    let stored = |kind, state, size| StoredAttachment {
        message_id: 1,
        position: 0,
        attachment: Attachment {
            kind,
            mime_type: Some("image/jpeg".to_owned()),
            size: Some(99),
            file_name: None,
            caption: None,
            reference: "ref".to_owned(),
        },
        state,
        sha256: None,
        stored_size: size,
        error: None,
    };
    turn.attachments = vec![
        TurnAttachment {
            stored: stored(AttachmentKind::Image, AttachmentState::Stored, Some(2048)),
            url: None,
            path: None,
        },
        TurnAttachment {
            stored: stored(AttachmentKind::Video, AttachmentState::TooLarge, None),
            url: None,
            path: None,
        },
    ];
    let replies = EchoAgent.respond(&turn).await.expect("echo never fails");
    assert_eq!(replies.len(), 1);
    assert_eq!(
        replies[0].text,
        "received image (image/jpeg, 2048 bytes, stored)\nreceived video (image/jpeg, 99 bytes, too large)"
    );
}
