use switchboard_store::DueMessage;
use switchboard_store::{
    DeadLetterKind, HookOutcome, ReplyStatus, Standing, StoreError, WorkState,
};
use switchboard_types::StoredMessage;

use crate::support::{message, on_both, stored};

fn ids(due: &[DueMessage]) -> Vec<i64> {
    due.iter().map(|d| d.message.id).collect()
}

on_both! {
async fn hooks_are_due_oldest_first_and_leave_the_queue_when_finished(t) {
    let a = stored(&t.store, "wa", message("a", "c", "a")).await;
    let b = stored(&t.store, "wa", message("b", "c", "b")).await;
    let c = stored(&t.store, "wa", message("c", "c", "c")).await;
    assert_eq!(
        ids(&t.store.due_hooks(0, 10).await.unwrap()),
        [a.id, b.id, c.id]
    );
    assert_eq!(ids(&t.store.due_hooks(0, 2).await.unwrap()), [a.id, b.id]);

    t.store.finish_hook(a.id, HookOutcome::Done).await.unwrap();
    t.store
        .finish_hook(b.id, HookOutcome::Skipped)
        .await
        .unwrap();
    let retry = HookOutcome::Retry {
        at_ms: 5_000,
        error: "429 from the platform".to_owned(),
    };
    t.store.finish_hook(c.id, retry).await.unwrap();

    assert!(t.store.due_hooks(4_999, 10).await.unwrap().is_empty());
    assert_eq!(ids(&t.store.due_hooks(5_000, 10).await.unwrap()), [c.id]);
    let status = t.store.message_status(c.id).await.unwrap();
    assert_eq!(status.hook_state, WorkState::Pending);
    assert_eq!(status.hook_attempts, 1);
    assert_eq!(status.hook_error.as_deref(), Some("429 from the platform"));
    assert_eq!(
        t.store.message_status(a.id).await.unwrap().hook_state,
        WorkState::Done
    );
    assert_eq!(
        t.store.message_status(b.id).await.unwrap().hook_state,
        WorkState::Skipped
    );
}
}

on_both! {
async fn a_failed_hook_is_dead_lettered_with_its_message(t) {
    let m = stored(&t.store, "wa", message("a", "c", "mark me read")).await;

    let failed = HookOutcome::Failed {
        error: "trap: unreachable".to_owned(),
    };
    t.store.finish_hook(m.id, failed).await.unwrap();

    assert!(t.store.due_hooks(i64::MAX, 10).await.unwrap().is_empty());
    let letters = t.store.dead_letters(false).await.unwrap();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].kind, DeadLetterKind::Hook);
    assert_eq!(letters[0].message_id, Some(m.id));
    assert_eq!(letters[0].error, "trap: unreachable");
    let payload: StoredMessage = serde_json::from_slice(&letters[0].payload).unwrap();
    assert_eq!(payload, m);
}
}

on_both! {
async fn finishing_work_of_an_unknown_message_is_not_found(t) {
    let err = t
        .store
        .finish_hook(999, HookOutcome::Done)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::NotFound {
                table: "messages",
                id: 999
            }
        ),
        "{err:?}"
    );
    let err = t
        .store
        .complete_turn(999, vec!["x".into()])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
    assert!(!err.is_transient());
    assert!(t.store.replies(None, 10).await.unwrap().is_empty());
    assert!(matches!(
        t.store.retry_turn(999, 0, "e".into()).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        t.store.fail_turn(999, "e".into()).await,
        Err(StoreError::NotFound { .. })
    ));
}
}

on_both! {
async fn turns_come_oldest_first_and_a_retry_holds_back_its_conversation_only(t) {
    let a1 = stored(&t.store, "tg", message("a1", "alice", "first")).await;
    let b1 = stored(&t.store, "tg", message("b1", "bob", "hi")).await;
    let a2 = stored(&t.store, "tg", message("a2", "alice", "second")).await;
    assert_eq!(
        ids(&t.store.pending_turns(0, 10).await.unwrap()),
        [a1.id, b1.id, a2.id]
    );

    t.store
        .retry_turn(a1.id, 10_000, "agent timed out".into())
        .await
        .unwrap();

    // Alice's second message must not overtake her first.
    assert_eq!(
        ids(&t.store.pending_turns(9_999, 10).await.unwrap()),
        [b1.id]
    );
    assert_eq!(
        ids(&t.store.pending_turns(10_000, 10).await.unwrap()),
        [a1.id, b1.id, a2.id]
    );
    let status = t.store.message_status(a1.id).await.unwrap();
    assert_eq!(
        (status.agent_attempts, status.agent_next_at_ms),
        (1, 10_000)
    );
    assert_eq!(status.agent_error.as_deref(), Some("agent timed out"));
}
}

on_both! {
async fn complete_turn_marks_the_turn_done_and_queues_its_replies_once(t) {
    let m = stored(&t.store, "wa", message("wamid.1", "+15550001", "hello")).await;

    let queued = t
        .store
        .complete_turn(m.id, vec!["Hi!".into(), "How can I help?".into()])
        .await
        .unwrap();

    assert_eq!(queued.len(), 2);
    assert!(
        t.store
            .pending_turns(i64::MAX, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let status = t.store.message_status(m.id).await.unwrap();
    assert_eq!(
        (status.agent_state, status.agent_attempts),
        (WorkState::Done, 1)
    );
    let due = t.store.due_replies(i64::MAX, 10).await.unwrap();
    // What complete_turn hands back is what the reply queue will read.
    assert_eq!(due, queued);
    assert_eq!(due[0].text, "Hi!");
    assert_eq!(due[0].conversation_id, "+15550001");
    assert_eq!(due[0].instance, "wa");
    assert_eq!(due[0].status, ReplyStatus::Pending);
    assert_eq!(due[0].idempotency_key, format!("sb-wa-{}-0", m.id));
    assert_eq!(due[1].idempotency_key, format!("sb-wa-{}-1", m.id));
    assert_eq!(due[0].in_reply_to.as_ref(), Some(&m));
    assert_eq!(due[0].to_outbound().in_reply_to, Some(m.message.clone()));

    // A repeated call (the agent layer crashed before it saw the answer) adds nothing.
    let again = t
        .store
        .complete_turn(m.id, vec!["Hi!".into(), "How can I help?".into()])
        .await
        .unwrap();
    assert_eq!(again, queued);
    assert_eq!(t.store.replies(None, 10).await.unwrap().len(), 2);
    assert_eq!(
        t.store.message_status(m.id).await.unwrap().agent_attempts,
        1
    );
}
}

on_both! {
async fn a_failed_turn_is_dead_lettered_and_leaves_the_queue(t) {
    let m = stored(&t.store, "wa", message("a", "c", "help")).await;
    let later = stored(&t.store, "wa", message("b", "c", "anyone?")).await;
    t.store
        .retry_turn(m.id, 50, "500 from agent".into())
        .await
        .unwrap();

    t.store
        .fail_turn(m.id, "gave up after 5 attempts".into())
        .await
        .unwrap();

    assert_eq!(
        ids(&t.store.pending_turns(0, 10).await.unwrap()),
        [later.id]
    );
    let status = t.store.message_status(m.id).await.unwrap();
    assert_eq!(
        (status.agent_state, status.agent_attempts),
        (WorkState::Failed, 2)
    );
    let letters = t.store.dead_letters(false).await.unwrap();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].kind, DeadLetterKind::Agent);
    assert_eq!(letters[0].instance, "wa");
    assert_eq!(letters[0].message_id, Some(m.id));
    assert_eq!(letters[0].error, "gave up after 5 attempts");
    let payload: StoredMessage = serde_json::from_slice(&letters[0].payload).unwrap();
    assert_eq!(payload.id, m.id);
}
}

on_both! {
async fn a_turns_standing_says_pending_attempts_and_whether_an_earlier_turn_waits(t) {
    let s = &t.store;
    let first = stored(s, "wa", message("a", "c", "first")).await;
    let second = stored(s, "wa", message("b", "c", "second")).await;
    let elsewhere = stored(s, "wa", message("x", "other", "elsewhere")).await;
    let standing = |pending, attempts, earlier_pending| Standing {
        pending,
        attempts,
        earlier_pending,
    };

    assert_eq!(s.turn_standing(first.id).await.unwrap(), standing(true, 0, false));
    assert_eq!(s.turn_standing(second.id).await.unwrap(), standing(true, 0, true));
    assert_eq!(s.turn_standing(elsewhere.id).await.unwrap(), standing(true, 0, false));

    s.retry_turn(first.id, 5_000, "agent timed out".into()).await.unwrap();
    assert_eq!(s.turn_standing(first.id).await.unwrap(), standing(true, 1, false));
    assert_eq!(s.turn_standing(second.id).await.unwrap(), standing(true, 0, true));

    s.complete_turn(first.id, vec!["done".into()]).await.unwrap();
    assert_eq!(s.turn_standing(first.id).await.unwrap(), standing(false, 2, false));
    assert_eq!(s.turn_standing(second.id).await.unwrap(), standing(true, 0, false));

    let err = s.turn_standing(999_999).await.unwrap_err();
    assert!(
        matches!(err, StoreError::NotFound { table: "messages", id: 999_999 }),
        "{err:?}"
    );
}
}
