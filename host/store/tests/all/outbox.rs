use switchboard_store::{DeadLetterKind, OutboxItem, ReplyStatus, Standing, StoreError};

use crate::support::{message, on_both, stored};

fn ids(items: &[OutboxItem]) -> Vec<i64> {
    items.iter().map(|r| r.id).collect()
}

on_both! {
async fn due_replies_come_oldest_first_and_retries_keep_conversation_order(t) {
    let s = &t.store;
    let a = s
        .insert_reply("wa", "alice", None, "a1".into())
        .await
        .unwrap();
    let b = s
        .insert_reply("wa", "bob", None, "b1".into())
        .await
        .unwrap();
    let a2 = s
        .insert_reply("wa", "alice", None, "a2".into())
        .await
        .unwrap();
    assert_eq!(ids(&s.due_replies(i64::MAX, 10).await.unwrap()), [a, b, a2]);
    assert_eq!(ids(&s.due_replies(i64::MAX, 1).await.unwrap()), [a]);

    let far = i64::MAX - 1;
    s.reply_retry(a, far, "503".into()).await.unwrap();

    // Alice's second reply waits behind her first; Bob's is unaffected.
    assert_eq!(ids(&s.due_replies(far - 1, 10).await.unwrap()), [b]);
    assert_eq!(ids(&s.due_replies(far, 10).await.unwrap()), [a, b, a2]);
    let retried = &s.due_replies(far, 10).await.unwrap()[0];
    assert_eq!(retried.attempts, 1);
    assert_eq!(retried.last_error.as_deref(), Some("503"));
    assert_eq!(retried.next_attempt_at_ms, far);
}
}

on_both! {
async fn a_sent_reply_keeps_its_receipt_and_leaves_the_queue(t) {
    let s = &t.store;
    let m = stored(s, "tg", message("1:1", "1", "ping")).await;
    let id = s
        .insert_reply("tg", "1", Some(m.id), "pong".into())
        .await
        .unwrap();

    s.reply_sent(id, Some("1:2".into())).await.unwrap();

    assert!(s.due_replies(i64::MAX, 10).await.unwrap().is_empty());
    let listed = s.replies(Some("tg"), 10).await.unwrap();
    assert_eq!(listed.len(), 1);
    let sent = &listed[0];
    assert_eq!(sent.status, ReplyStatus::Sent);
    assert_eq!(sent.receipt_external_id.as_deref(), Some("1:2"));
    assert_eq!(sent.attempts, 1);
    assert!(sent.sent_at_ms.is_some());
    assert_eq!(sent.in_reply_to.as_ref().map(|m| m.id), Some(m.id));
    assert_eq!(sent.idempotency_key, format!("sb-tg-r{id}"));
    let counts = s.counts().await.unwrap();
    assert_eq!((counts.replies_pending, counts.replies_sent), (0, 1));
}
}

on_both! {
async fn a_dead_reply_is_dead_lettered_and_can_be_requeued(t) {
    let s = &t.store;
    let m = stored(s, "wa", message("w1", "c", "hi")).await;
    let id = s.complete_turn(m.id, vec!["hello".into()]).await.unwrap()[0].id;
    s.reply_retry(id, 0, "timeout".into()).await.unwrap();

    s.reply_dead(id, "400 invalid recipient".into())
        .await
        .unwrap();

    assert!(s.due_replies(i64::MAX, 10).await.unwrap().is_empty());
    let letters = s.dead_letters(false).await.unwrap();
    assert_eq!(letters.len(), 1);
    let letter = &letters[0];
    assert_eq!(letter.kind, DeadLetterKind::Reply);
    assert_eq!((letter.reply_id, letter.message_id), (Some(id), Some(m.id)));
    let payload: serde_json::Value = serde_json::from_slice(&letter.payload).unwrap();
    assert_eq!(payload["text"], "hello");
    assert_eq!(payload["status"], "dead");
    assert_eq!(payload["attempts"], 2);
    let counts = s.counts().await.unwrap();
    assert_eq!((counts.replies_dead, counts.dead_letters), (1, 1));
    let depths = s.queue_depths().await.unwrap();
    assert_eq!(
        (
            depths.pending_hooks,
            depths.pending_turns,
            depths.replies_pending,
            depths.dead_letters
        ),
        (
            counts.pending_hooks,
            counts.pending_turns,
            counts.replies_pending,
            counts.dead_letters
        ),
        "the cheap depths agree with the full counts"
    );
    assert_eq!(depths.dead_letters, 1);

    s.requeue_reply(id).await.unwrap();
    s.mark_replayed(letter.id).await.unwrap();

    let due = s.due_replies(i64::MAX, 10).await.unwrap();
    assert_eq!(ids(&due), [id]);
    assert_eq!(due[0].attempts, 0, "a replay gets a fresh attempt budget");
    assert_eq!(
        due[0].idempotency_key,
        format!("sb-wa-{}-0", m.id),
        "the key is stable"
    );
    assert_eq!(s.counts().await.unwrap().dead_letters, 0);
}
}

on_both! {
async fn outbox_calls_on_unknown_ids_are_not_found(t) {
    let s = &t.store;
    for result in [
        s.reply_sent(7, None).await,
        s.reply_retry(7, 0, "e".into()).await,
        s.reply_dead(7, "e".into()).await,
        s.requeue_reply(7).await,
    ] {
        assert!(
            matches!(
                result,
                Err(StoreError::NotFound {
                    table: "replies",
                    id: 7
                })
            ),
            "{result:?}"
        );
    }
    let err = s
        .insert_reply("wa", "c", Some(7), "x".into())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::NotFound {
                table: "messages",
                id: 7
            }
        ),
        "{err:?}"
    );
    assert!(s.replies(None, 10).await.unwrap().is_empty());
    assert!(s.dead_letters(true).await.unwrap().is_empty());
}
}

on_both! {
async fn a_replys_standing_says_pending_attempts_and_whether_an_earlier_reply_waits(t) {
    let s = &t.store;
    let a1 = s.insert_reply("wa", "alice", None, "a1".into()).await.unwrap();
    let a2 = s.insert_reply("wa", "alice", None, "a2".into()).await.unwrap();
    let b1 = s.insert_reply("wa", "bob", None, "b1".into()).await.unwrap();
    let standing = |pending, attempts, earlier_pending| {
        Some(Standing {
            pending,
            attempts,
            earlier_pending,
        })
    };

    assert_eq!(s.reply_standing(a1).await.unwrap(), standing(true, 0, false));
    assert_eq!(s.reply_standing(a2).await.unwrap(), standing(true, 0, true));
    assert_eq!(s.reply_standing(b1).await.unwrap(), standing(true, 0, false));

    s.reply_retry(a1, 5_000, "503".into()).await.unwrap();
    assert_eq!(s.reply_standing(a1).await.unwrap(), standing(true, 1, false));
    assert_eq!(s.reply_standing(a2).await.unwrap(), standing(true, 0, true));

    s.reply_sent(a1, None).await.unwrap();
    assert_eq!(s.reply_standing(a1).await.unwrap(), standing(false, 2, false));
    assert_eq!(s.reply_standing(a2).await.unwrap(), standing(true, 0, false));

    assert_eq!(s.reply_standing(999_999).await.unwrap(), None);
}
}
