//! Pairing codes and approved senders.

use std::time::Duration;

use switchboard_store::{PairingRequest, WorkState};
use switchboard_types::NoTurn;

use crate::support::{message, on_both, stored};

const HOUR_MS: i64 = 3_600_000;

on_both! {
async fn a_sender_gets_one_code_until_it_expires_and_pending_codes_are_bounded(t) {
    let first = t
        .store
        .request_pairing("tg", "1", Some("Ada"), "AAAAAAAA", HOUR_MS, 2)
        .await
        .unwrap();
    assert!(matches!(first, PairingRequest::Created(ref p) if p.code == "AAAAAAAA"));
    // The same sender again: no second code.
    let again = t
        .store
        .request_pairing("tg", "1", Some("Ada"), "BBBBBBBB", HOUR_MS, 2)
        .await
        .unwrap();
    assert_eq!(again, PairingRequest::Pending);
    t.store
        .request_pairing("tg", "2", None, "CCCCCCCC", HOUR_MS, 2)
        .await
        .unwrap();
    let full = t
        .store
        .request_pairing("tg", "3", None, "DDDDDDDD", HOUR_MS, 2)
        .await
        .unwrap();
    assert_eq!(full, PairingRequest::Full, "max_pending");
    // Another instance has its own bound.
    let other = t
        .store
        .request_pairing("wa", "3", None, "DDDDDDDD", HOUR_MS, 2)
        .await
        .unwrap();
    assert!(matches!(other, PairingRequest::Created(_)));
    assert_eq!(t.store.pairings(Some("tg")).await.unwrap().len(), 2);

    // Expired codes are gone and free their place.
    let short = t
        .store
        .request_pairing("x", "9", None, "EEEEEEEE", 1, 1)
        .await
        .unwrap();
    assert!(matches!(short, PairingRequest::Created(_)));
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert!(t.store.pairings(Some("x")).await.unwrap().is_empty());
    assert!(
        t.store
            .approve_pairing("x", "EEEEEEEE")
            .await
            .unwrap()
            .is_none()
    );
    let fresh = t
        .store
        .request_pairing("x", "10", None, "FFFFFFFF", HOUR_MS, 1)
        .await
        .unwrap();
    assert!(matches!(fresh, PairingRequest::Created(_)));
}
}

on_both! {
async fn approving_grants_access_denying_holds_the_sender_and_revoking_withdraws(t) {
    for (sender, code) in [("1", "AAAAAAAA"), ("2", "BBBBBBBB")] {
        t.store
            .request_pairing("tg", sender, None, code, HOUR_MS, 10)
            .await
            .unwrap();
    }
    assert!(!t.store.is_granted("tg", "1").await.unwrap());
    let approved = t.store.approve_pairing("tg", "AAAAAAAA").await.unwrap();
    assert_eq!(approved.map(|p| p.sender_id), Some("1".to_owned()));
    assert!(t.store.is_granted("tg", "1").await.unwrap());
    assert!(
        t.store
            .approve_pairing("tg", "AAAAAAAA")
            .await
            .unwrap()
            .is_none(),
        "used"
    );

    assert!(
        t.store
            .deny_pairing("tg", "BBBBBBBB")
            .await
            .unwrap()
            .is_some()
    );
    assert!(!t.store.is_granted("tg", "2").await.unwrap());
    assert!(
        t.store.pairings(None).await.unwrap().is_empty(),
        "a denial is not pending"
    );
    let again = t
        .store
        .request_pairing("tg", "2", None, "CCCCCCCC", HOUR_MS, 10)
        .await
        .unwrap();
    assert_eq!(again, PairingRequest::Pending, "no new code after a denial");

    assert!(t.store.revoke_access("tg", "1").await.unwrap());
    assert!(!t.store.is_granted("tg", "1").await.unwrap());
    assert!(!t.store.revoke_access("tg", "1").await.unwrap());
}
}

on_both! {
async fn a_skipped_turn_keeps_its_reason_and_queues_the_notice_once(t) {
    let m = stored(&t.store, "tg", message("5:1", "5", "hi")).await;
    let queued = t
        .store
        .skip_turn(m.id, NoTurn::PairingPending, Some("your code".to_owned()))
        .await
        .unwrap();
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].text, "your code");
    let status = t.store.message_status(m.id).await.unwrap();
    assert_eq!(status.agent_state, WorkState::Done);
    let listed = t.store.messages(None, 1).await.unwrap();
    assert_eq!(listed[0].no_turn, Some(NoTurn::PairingPending));
    // Recorded twice (an outcome whose commit was not seen): still one notice.
    t.store
        .skip_turn(m.id, NoTurn::PairingPending, Some("your code".to_owned()))
        .await
        .unwrap();
    assert_eq!(t.store.replies(None, 10).await.unwrap().len(), 1);
}
}

#[tokio::test]
async fn pending_codes_stay_bounded_when_several_nodes_ask_at_once_on_postgres() {
    let options = switchboard_store::testing::postgres_database()
        .await
        .expect("migrate a fresh database");
    let mut nodes = Vec::new();
    for _ in 0..2 {
        nodes.push(
            switchboard_store::Store::connect_postgres(&options)
                .await
                .unwrap(),
        );
    }
    let asks: Vec<_> = (0..16)
        .map(|i| {
            let store = nodes[i % 2].clone();
            tokio::spawn(async move {
                store
                    .request_pairing(
                        "tg",
                        &format!("s{i}"),
                        None,
                        &format!("CODE{i:04}"),
                        HOUR_MS,
                        3,
                    )
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut created = 0;
    for ask in asks {
        match ask.await.unwrap() {
            PairingRequest::Created(_) => created += 1,
            PairingRequest::Full => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(created, 3);
    assert_eq!(nodes[0].pairings(Some("tg")).await.unwrap().len(), 3);
}
