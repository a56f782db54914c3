use switchboard_store::{HookOutcome, PersistOutcome};

use crate::support::{message, on_both, stored};

on_both! {
async fn prune_removes_finished_messages_and_keeps_pending_work(t) {
    let s = &t.store;
    let finished = stored(s, "wa", message("finished", "c", "done")).await;
    s.finish_hook(finished.id, HookOutcome::Done).await.unwrap();
    let sent = s
        .complete_turn(finished.id, vec!["bye".into()])
        .await
        .unwrap()[0]
        .id;
    s.reply_sent(sent, None).await.unwrap();

    let hook_pending = stored(s, "wa", message("hook", "c", "x")).await;
    s.complete_turn(hook_pending.id, vec![]).await.unwrap();

    let turn_pending = stored(s, "wa", message("turn", "c", "x")).await;
    s.finish_hook(turn_pending.id, HookOutcome::Skipped)
        .await
        .unwrap();

    let reply_pending = stored(s, "wa", message("reply", "c", "x")).await;
    s.finish_hook(reply_pending.id, HookOutcome::Done)
        .await
        .unwrap();
    s.complete_turn(reply_pending.id, vec!["queued".into()])
        .await
        .unwrap();

    let dead_lettered = stored(s, "wa", message("dead", "c", "x")).await;
    s.finish_hook(dead_lettered.id, HookOutcome::Done)
        .await
        .unwrap();
    s.fail_turn(dead_lettered.id, "agent down".into())
        .await
        .unwrap();

    let removed = s.prune(i64::MAX).await.unwrap();

    assert_eq!(removed, 1);
    let left: Vec<_> = s
        .messages(None, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.message.external_id)
        .collect();
    assert_eq!(left, ["dead", "reply", "turn", "hook"]);
    let replies = s.replies(None, 10).await.unwrap();
    assert_eq!(replies.len(), 1, "the sent reply went with its message");
    assert_eq!(replies[0].text, "queued");

    // Deduplication of the pruned id has ended: it is a new message now.
    let again = s
        .persist("wa", vec![message("finished", "c", "done")])
        .await
        .unwrap();
    assert!(matches!(&again[..], [PersistOutcome::Stored(m)] if m.id > dead_lettered.id));

    // Once replayed, the dead letter no longer pins its message.
    let letter = s.dead_letters(false).await.unwrap()[0].id;
    s.mark_replayed(letter).await.unwrap();
    assert_eq!(s.prune(i64::MAX).await.unwrap(), 1);
}
}

on_both! {
async fn prune_keeps_messages_newer_than_the_cutoff(t) {
    let s = &t.store;
    let m = stored(s, "wa", message("m", "c", "x")).await;
    s.finish_hook(m.id, HookOutcome::Done).await.unwrap();
    s.complete_turn(m.id, vec![]).await.unwrap();

    assert_eq!(s.prune(m.received_at_ms).await.unwrap(), 0);
    assert_eq!(s.prune(m.received_at_ms + 1).await.unwrap(), 1);
    assert_eq!(s.counts().await.unwrap().messages, 0);

    // Ids are never reused, even once the table is empty: they are part of reply keys.
    let next = stored(s, "wa", message("n", "c", "x")).await;
    assert!(next.id > m.id);
}
}

on_both! {
async fn ids_stay_above_every_pruned_row_when_everything_is_pruned(t) {
    let s = &t.store;
    let mut old_messages = Vec::new();
    let mut old_replies = Vec::new();
    for round in 0..2 {
        for i in 0..3 {
            let m = stored(s, "wa", message(&format!("{round}-{i}"), "c", "x")).await;
            s.finish_hook(m.id, HookOutcome::Done).await.unwrap();
            let replies = s
                .complete_turn(m.id, vec!["a".into(), "b".into()])
                .await
                .unwrap();
            for reply in replies {
                s.reply_sent(reply.id, None).await.unwrap();
                old_replies.push(reply.id);
            }
            old_messages.push(m.id);
        }
        // The newest message and, through the cascade, the newest reply go too.
        assert_eq!(s.prune(i64::MAX).await.unwrap(), 3);
        assert_eq!(s.counts().await.unwrap().messages, 0);
        assert!(s.replies(None, 10).await.unwrap().is_empty());
    }

    let m = stored(s, "wa", message("after", "c", "x")).await;
    assert!(
        old_messages.iter().all(|&old| m.id > old),
        "{} reused",
        m.id
    );
    let reply = s.complete_turn(m.id, vec!["c".into()]).await.unwrap()[0].id;
    assert!(old_replies.iter().all(|&old| reply > old), "{reply} reused");
    let operator = s.insert_reply("wa", "c", None, "d".into()).await.unwrap();
    assert!(operator > reply);
}
}
