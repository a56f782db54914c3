//! Messages the agent sends first, and replies with attachments: queued in the outbox
//! with what the channel needs, once per idempotency key, delivered in order.

use switchboard_store::{
    API_KEY_TTL_MS, DeadLetterKind, NewReply, NewSend, ReplyStatus, StoreError,
};
use switchboard_types::{AttachmentKind, OutboundAttachment};

use crate::support::{message, on_both, open, stored};

fn photo(blob: char) -> OutboundAttachment {
    OutboundAttachment {
        kind: AttachmentKind::Image,
        mime_type: "image/png".to_owned(),
        size: 42,
        file_name: Some("chart.png".to_owned()),
        caption: Some("the chart".to_owned()),
        blob: blob.to_string().repeat(64),
    }
}

fn send(conversation: &str, text: &str) -> NewSend {
    NewSend {
        instance: "wa".to_owned(),
        conversation_id: conversation.to_owned(),
        text: text.to_owned(),
        ..NewSend::default()
    }
}

on_both! {
async fn a_send_answers_no_message_and_carries_its_thread_and_attachments_to_the_channel(t) {
    let s = &t.store;
    let queued = s
        .queue_send(NewSend {
            thread_id: Some("topic-7".to_owned()),
            attachments: vec![photo('a'), photo('b')],
            ..send("c1", "report attached")
        })
        .await
        .unwrap();

    assert!(!queued.existing);
    let item = &queued.item;
    assert_eq!(item.idempotency_key, format!("sb-wa-send-{}", item.id));
    assert_eq!(item.status, ReplyStatus::Pending);
    assert!(item.in_reply_to.is_none());
    let due = s.due_replies(i64::MAX, 10).await.unwrap();
    assert_eq!(due, vec![item.clone()], "due now, exactly as returned");

    let outbound = item.to_outbound();
    assert_eq!(outbound.conversation_id, "c1");
    assert_eq!(outbound.thread_id.as_deref(), Some("topic-7"));
    assert_eq!(outbound.text, "report attached");
    assert_eq!(outbound.attachments, vec![photo('a'), photo('b')]);
    assert!(outbound.in_reply_to.is_none());
}
}

on_both! {
async fn the_same_idempotency_key_queues_one_send_per_instance(t) {
    let s = &t.store;
    let keyed = |instance: &str, text: &str| NewSend {
        instance: instance.to_owned(),
        api_key: Some("key-1".to_owned()),
        ..send("c1", text)
    };
    let first = s.queue_send(keyed("wa", "once")).await.unwrap();
    let again = s.queue_send(keyed("wa", "twice?")).await.unwrap();
    assert!(again.existing);
    assert_eq!(again.item, first.item, "the first send, unchanged");
    assert_eq!(s.due_replies(i64::MAX, 10).await.unwrap().len(), 1);

    // Keys belong to an instance: another one may use the same key.
    let other = s.queue_send(keyed("tg", "elsewhere")).await.unwrap();
    assert!(!other.existing);
    assert_ne!(other.item.id, first.item.id);

    // Without a key, nothing is deduplicated.
    let a = s.queue_send(send("c1", "same")).await.unwrap();
    let b = s.queue_send(send("c1", "same")).await.unwrap();
    assert_ne!(a.item.id, b.item.id);
}
}

#[tokio::test]
async fn an_idempotency_key_older_than_a_day_queues_a_new_send() {
    let t = open();
    let s = &t.store;
    let keyed = NewSend {
        api_key: Some("daily-report".to_owned()),
        ..send("c1", "monday")
    };
    let first = s.queue_send(keyed.clone()).await.unwrap();
    let conn = rusqlite::Connection::open(&t.path).unwrap();
    conn.execute(
        "UPDATE replies SET created_at_ms = created_at_ms - ?2 WHERE id = ?1",
        rusqlite::params![first.item.id, API_KEY_TTL_MS + 1],
    )
    .unwrap();

    let later = s.queue_send(keyed.clone()).await.unwrap();
    assert!(!later.existing);
    assert_ne!(later.item.id, first.item.id);
    // From now on the key answers for the new send.
    let repeat = s.queue_send(keyed).await.unwrap();
    assert!(repeat.existing);
    assert_eq!(repeat.item.id, later.item.id);
}

on_both! {
async fn a_send_may_quote_a_stored_message_of_its_conversation_only(t) {
    let s = &t.store;
    let mut threaded = message("m-1", "c1", "question");
    threaded.thread_id = Some("thread-9".to_owned());
    let m = stored(s, "wa", threaded).await;
    stored(s, "wa", message("m-2", "c2", "elsewhere")).await;

    let quoting = s
        .queue_send(NewSend {
            reply_to: Some("m-1".to_owned()),
            ..send("c1", "the answer")
        })
        .await
        .unwrap();
    let item = &quoting.item;
    assert_eq!(item.in_reply_to.as_ref().map(|q| q.id), Some(m.id));
    assert_eq!(
        item.thread_id.as_deref(),
        Some("thread-9"),
        "it goes into the quoted message's thread"
    );
    assert_eq!(item.idempotency_key, format!("sb-wa-send-{}", item.id));

    for unknown in ["m-404", "m-2"] {
        let err = s
            .queue_send(NewSend {
                reply_to: Some(unknown.to_owned()),
                ..send("c1", "lost")
            })
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::UnknownMessage { external_id, .. } if external_id == unknown),
            "{err:?}"
        );
    }
    assert_eq!(
        s.due_replies(i64::MAX, 10).await.unwrap().len(),
        1,
        "a refused send queues nothing"
    );
}
}

on_both! {
async fn send_status_follows_a_send_and_knows_no_other_reply(t) {
    let s = &t.store;
    let id = s.queue_send(send("c1", "status?")).await.unwrap().item.id;
    let m = stored(s, "wa", message("m-1", "c1", "hi")).await;
    let turn_reply = s.complete_turn(m.id, vec!["hello".into()]).await.unwrap()[0].id;

    let pending = s.send_status(id).await.unwrap().expect("a send");
    assert_eq!(
        (pending.status, pending.attempts),
        (ReplyStatus::Pending, 0)
    );
    s.reply_retry(id, 0, "503 from the platform".into())
        .await
        .unwrap();
    s.reply_sent(id, Some("wamid.OUT1".into())).await.unwrap();
    let sent = s.send_status(id).await.unwrap().expect("a send");
    assert_eq!(sent.status, ReplyStatus::Sent);
    assert_eq!(sent.attempts, 2);
    assert_eq!(sent.receipt_external_id.as_deref(), Some("wamid.OUT1"));

    assert_eq!(s.send_status(turn_reply).await.unwrap(), None);
    assert_eq!(s.send_status(id + 1000).await.unwrap(), None);
}
}

on_both! {
async fn a_send_waits_behind_a_retrying_reply_of_its_conversation(t) {
    let s = &t.store;
    let m = stored(s, "wa", message("m-1", "c1", "hi")).await;
    let reply = s.complete_turn(m.id, vec!["hello".into()]).await.unwrap()[0].id;
    let same = s.queue_send(send("c1", "later")).await.unwrap().item.id;
    let other = s.queue_send(send("c2", "elsewhere")).await.unwrap().item.id;
    let far = i64::MAX - 1;
    s.reply_retry(reply, far, "503".into()).await.unwrap();

    let due: Vec<i64> = s
        .due_replies(far - 1, 10)
        .await
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(due, [other]);
    let due: Vec<i64> = s
        .due_replies(far, 10)
        .await
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(due, [reply, same, other]);
}
}

on_both! {
async fn a_dead_send_is_dead_lettered_and_requeued_like_a_reply(t) {
    let s = &t.store;
    let id = s
        .queue_send(NewSend {
            attachments: vec![photo('c')],
            ..send("c1", "undeliverable")
        })
        .await
        .unwrap()
        .item
        .id;

    s.reply_dead(id, "400 invalid recipient".into())
        .await
        .unwrap();

    let letters = s.dead_letters(false).await.unwrap();
    assert_eq!(letters.len(), 1);
    let letter = &letters[0];
    assert_eq!(letter.kind, DeadLetterKind::Reply);
    assert_eq!((letter.reply_id, letter.message_id), (Some(id), None));
    let payload: serde_json::Value = serde_json::from_slice(&letter.payload).unwrap();
    assert_eq!(payload["text"], "undeliverable");
    assert_eq!(payload["attachments"][0]["blob"], "c".repeat(64));
    assert_eq!(
        s.send_status(id).await.unwrap().unwrap().status,
        ReplyStatus::Dead
    );

    s.requeue_reply(id).await.unwrap();
    let due = s.due_replies(i64::MAX, 10).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].attachments, vec![photo('c')]);
}
}

on_both! {
async fn a_turn_reply_keeps_its_attachments_and_is_not_queued_twice(t) {
    let s = &t.store;
    let m = stored(s, "wa", message("m-1", "c1", "send me the chart")).await;
    let replies = vec![
        NewReply {
            text: String::new(),
            attachments: vec![photo('d')],
        },
        NewReply::text("there you go"),
    ];

    let queued = s.complete_turn(m.id, replies.clone()).await.unwrap();
    let again = s.complete_turn(m.id, replies).await.unwrap();

    assert_eq!(again, queued);
    assert_eq!(queued[0].attachments, vec![photo('d')]);
    assert!(queued[1].attachments.is_empty());
    let due = s.due_replies(i64::MAX, 10).await.unwrap();
    assert_eq!(due, queued);
    assert_eq!(due[0].to_outbound().attachments, vec![photo('d')]);
}
}

on_both! {
async fn a_delivered_send_is_pruned_and_its_blob_with_it_but_a_pending_one_stays(t) {
    let s = &t.store;
    let delivered = s
        .queue_send(NewSend {
            attachments: vec![photo('e')],
            ..send("c1", "done")
        })
        .await
        .unwrap()
        .item;
    let pending = s.queue_send(send("c1", "waiting")).await.unwrap().item;
    s.reply_sent(delivered.id, None).await.unwrap();
    s.record_blob("e".repeat(64), 42).await.unwrap();

    let later = i64::MAX - 1;
    s.prune(later).await.unwrap();
    assert!(s.send_status(delivered.id).await.unwrap().is_none());
    assert!(s.send_status(pending.id).await.unwrap().is_some());
    assert_eq!(s.prune_blobs(later).await.unwrap(), vec!["e".repeat(64)]);
}
}

/// The PostgreSQL twin of the test above: the send is aged through its own connection.
#[tokio::test]
async fn an_idempotency_key_older_than_a_day_queues_a_new_send_on_postgres() {
    let options = switchboard_store::testing::postgres_database()
        .await
        .expect("migrate a fresh database");
    let s = switchboard_store::Store::connect_postgres(&options)
        .await
        .unwrap();
    let keyed = NewSend {
        api_key: Some("daily-report".to_owned()),
        ..send("c1", "monday")
    };
    let first = s.queue_send(keyed.clone()).await.unwrap();
    let (client, connection) = tokio_postgres::connect(&options.url, tokio_postgres::NoTls)
        .await
        .unwrap();
    let driver = tokio::spawn(connection);
    client
        .execute(
            "UPDATE replies SET created_at_ms = created_at_ms - $2 WHERE id = $1",
            &[&first.item.id, &(API_KEY_TTL_MS + 1)],
        )
        .await
        .unwrap();
    drop(client);
    driver.await.unwrap().unwrap();

    let later = s.queue_send(keyed.clone()).await.unwrap();
    assert!(!later.existing);
    assert_ne!(later.item.id, first.item.id);
    // From now on the key answers for the new send.
    let repeat = s.queue_send(keyed).await.unwrap();
    assert!(repeat.existing);
    assert_eq!(repeat.item.id, later.item.id);
}
