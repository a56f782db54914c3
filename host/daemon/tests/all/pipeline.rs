//! One delivery: verification before any guest code, durable before the answer,
//! stored once.

use http::Method;
use switchboard_runtime::WebhookRequest;
use switchboard_store::DeadLetterKind;

use crate::support::{Rig, TOKEN, TOKEN_HEADER, lock};

#[tokio::test]
async fn a_forged_delivery_is_refused_before_the_guest_runs_and_nothing_is_stored() {
    let rig = Rig::new(&["tg"]);
    let answer = rig
        .harness
        .post(
            "tg",
            &[(TOKEN_HEADER, "guess")],
            br#"{"messages":[{"id":"1","text":"hi"}]}"#,
        )
        .await;

    assert_eq!((answer.status, answer.rejected), (401, Some("bad_token")));
    assert!(lock(&rig.channel("tg").requests).is_empty());
    assert!(
        rig.harness
            .store()
            .messages(None, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_delivery_is_stored_before_it_is_acknowledged_and_a_redelivery_is_stored_once() {
    let rig = Rig::new(&["tg"]);

    assert_eq!(rig.deliver("tg", &[("m1", "c", "hello")]).await, 200);
    let stored = rig.harness.store().messages(None, 10).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].message.text.as_deref(), Some("hello"));

    assert_eq!(rig.deliver("tg", &[("m1", "c", "hello")]).await, 200);
    assert_eq!(
        rig.harness.store().messages(None, 10).await.unwrap().len(),
        1
    );
    assert!(
        rig.harness
            .metrics()
            .contains(r#"switchboard_messages_total{instance="tg",outcome="duplicate"} 1"#),
        "{}",
        rig.harness.metrics()
    );
}

#[tokio::test]
async fn the_verification_token_never_reaches_the_guest_in_a_header_or_the_query() {
    let rig = Rig::new(&["tg"]);
    let answer = rig
        .harness
        .request(
            Method::POST,
            "tg",
            &format!("echo={TOKEN}&page=2"),
            &[(TOKEN_HEADER, TOKEN), ("x-other", "kept")],
            br#"{"messages":[{"id":"1","text":"hi"}]}"#,
        )
        .await;
    assert_eq!(answer.status, 200);

    let requests = lock(&rig.channel("tg").requests);
    let seen = &requests[0];
    assert_eq!(seen.query, "echo=[redacted]&page=2");
    assert!(
        seen.headers
            .contains(&(TOKEN_HEADER.to_owned(), "[redacted]".to_owned()))
    );
    assert!(
        seen.headers
            .contains(&("x-other".to_owned(), "kept".to_owned()))
    );
}

#[tokio::test]
async fn a_delivery_the_guest_cannot_handle_is_kept_exactly_as_received_and_acknowledged() {
    let rig = Rig::new(&["tg"]);
    // The fake channel traps on a body that is not JSON.
    let body: &[u8] = b"\x00\xff not json";
    let answer = rig.harness.post("tg", &[(TOKEN_HEADER, TOKEN)], body).await;
    assert_eq!(answer.status, 200);

    let letters = rig.harness.store().dead_letters(false).await.unwrap();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].kind, DeadLetterKind::Delivery);
    let kept: WebhookRequest = serde_json::from_slice(&letters[0].payload).unwrap();
    assert_eq!(&kept.body[..], body);
    assert_eq!(kept.method, "POST");
    assert!(!String::from_utf8_lossy(&letters[0].payload).contains(TOKEN));
}
