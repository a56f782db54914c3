use switchboard_store::{DeadLetterKind, NewDeadLetter, StoreError};

use crate::support::on_both;

fn delivery(body: &[u8]) -> NewDeadLetter {
    NewDeadLetter {
        kind: DeadLetterKind::Delivery,
        instance: "slack".to_owned(),
        error: "guest trapped: out of fuel".to_owned(),
        payload: body.to_vec(),
    }
}

on_both! {
async fn dead_letters_are_kept_until_replayed_and_listed_oldest_first(t) {
    let s = &t.store;
    let raw = br#"{"method":"POST","path":"/webhooks/slack","body":"e30="}"#;
    let first = s.dead_letter(delivery(raw)).await.unwrap();
    let second = s.dead_letter(delivery(&[0xff, 0x00, 0xfe])).await.unwrap();

    let open_letters = s.dead_letters(false).await.unwrap();
    assert_eq!(
        open_letters.iter().map(|d| d.id).collect::<Vec<_>>(),
        [first, second]
    );
    let letter = &open_letters[0];
    assert_eq!(letter.kind, DeadLetterKind::Delivery);
    assert_eq!(letter.instance, "slack");
    assert_eq!(letter.error, "guest trapped: out of fuel");
    assert_eq!(letter.payload, raw);
    assert_eq!(letter.replayed_at_ms, None);
    assert!(letter.created_at_ms > 0);
    assert_eq!(
        open_letters[1].payload,
        [0xff, 0x00, 0xfe],
        "bytes survive as they are"
    );

    s.mark_replayed(first).await.unwrap();

    let still_open = s.dead_letters(false).await.unwrap();
    assert_eq!(
        still_open.iter().map(|d| d.id).collect::<Vec<_>>(),
        [second]
    );
    let all = s.dead_letters(true).await.unwrap();
    assert_eq!(all.len(), 2);
    assert!(all[0].replayed_at_ms.is_some());
    assert_eq!(s.counts().await.unwrap().dead_letters, 1);
    assert!(matches!(
        s.mark_replayed(999).await,
        Err(StoreError::NotFound {
            table: "dead_letters",
            id: 999
        })
    ));
}
}

on_both! {
async fn a_dead_letter_prints_its_json_payload_as_json(t) {
    let s = &t.store;
    s.dead_letter(delivery(br#"{"ok":false}"#)).await.unwrap();
    s.dead_letter(delivery(b"plain text")).await.unwrap();
    s.dead_letter(delivery(&[0xff])).await.unwrap();

    let letters = s.dead_letters(false).await.unwrap();
    let json: Vec<serde_json::Value> = letters
        .iter()
        .map(|d| serde_json::to_value(d).unwrap())
        .collect();

    assert_eq!(json[0]["payload"], serde_json::json!({"ok": false}));
    assert_eq!(json[0]["kind"], "delivery");
    assert_eq!(json[1]["payload"], "plain text");
    assert_eq!(json[2]["payload"], serde_json::json!([255]));
}
}
