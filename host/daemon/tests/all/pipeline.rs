//! One delivery: verification before any guest code, durable before the answer,
//! stored once.

use crate::support::{Rig, TOKEN_HEADER, lock};

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
async fn the_verification_token_never_reaches_the_guest() {
    let rig = Rig::new(&["tg"]);
    assert_eq!(rig.deliver("tg", &[("m1", "c", "hello")]).await, 200);

    let requests = lock(&rig.channel("tg").requests);
    let seen = format!("{:?}", requests[0]);
    assert!(!seen.contains(crate::support::TOKEN), "{seen}");
}
