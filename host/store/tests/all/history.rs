use switchboard_types::{HistoryEntry, Role};

use crate::support::{message, on_both, stored};

fn turns(history: &[HistoryEntry]) -> Vec<(Role, &str)> {
    history.iter().map(|e| (e.role, e.text.as_str())).collect()
}

on_both! {
async fn history_interleaves_messages_and_replies_oldest_first(t) {
    let s = &t.store;
    let m1 = stored(s, "wa", message("1", "c", "hi")).await;
    // The second message arrives before the agent answered the first.
    let m2 = stored(s, "wa", message("2", "c", "are you there?")).await;
    s.complete_turn(m1.id, vec!["hello!".into()]).await.unwrap();
    s.complete_turn(m2.id, vec!["yes".into(), "what's up?".into()])
        .await
        .unwrap();
    let m3 = stored(s, "wa", message("3", "c", "nothing")).await;
    stored(
        s,
        "wa",
        message("other", "elsewhere", "not this conversation"),
    )
    .await;

    let history = s.history("wa", "c", m3.id, 100).await.unwrap();

    assert_eq!(
        turns(&history),
        [
            (Role::User, "hi"),
            (Role::Assistant, "hello!"),
            (Role::User, "are you there?"),
            (Role::Assistant, "yes"),
            (Role::Assistant, "what's up?"),
        ]
    );
    assert_eq!(history[0].sender_name.as_deref(), Some("Ada"));
    assert_eq!(history[1].sender_name, None);
    assert_eq!(history[0].at_ms, m1.received_at_ms);

    // The limit keeps the newest turns, still oldest first.
    let last_two = s.history("wa", "c", m3.id, 2).await.unwrap();
    assert_eq!(
        turns(&last_two),
        [(Role::Assistant, "yes"), (Role::Assistant, "what's up?")]
    );
    // Strictly before: message 2 and its replies are not part of its own history.
    let before_m2 = s.history("wa", "c", m2.id, 100).await.unwrap();
    assert_eq!(
        turns(&before_m2),
        [(Role::User, "hi"), (Role::Assistant, "hello!")]
    );
    assert_eq!(s.history("wa", "c", i64::MAX, 100).await.unwrap().len(), 6);
}
}

on_both! {
async fn history_leaves_out_dead_replies_and_messages_without_text(t) {
    let s = &t.store;
    let m1 = stored(s, "wa", message("1", "c", "hi")).await;
    let mut image = message("2", "c", "");
    image.text = None;
    stored(s, "wa", image).await;
    let reply = s
        .complete_turn(m1.id, vec!["never delivered".into()])
        .await
        .unwrap();
    s.reply_dead(reply[0].id, "403".into()).await.unwrap();
    let operator = s
        .insert_reply("wa", "c", None, "operator note".into())
        .await
        .unwrap();
    assert!(operator > reply[0].id);

    let history = s.history("wa", "c", i64::MAX, 100).await.unwrap();

    assert_eq!(
        turns(&history),
        [(Role::User, "hi"), (Role::Assistant, "operator note")]
    );
}
}

on_both! {
async fn history_of_a_long_conversation_is_its_newest_turns(t) {
    let s = &t.store;
    let mut last = None;
    for i in 0..60 {
        let m = stored(s, "wa", message(&i.to_string(), "c", &format!("m{i}"))).await;
        s.complete_turn(m.id, vec![format!("r{i}").into()])
            .await
            .unwrap();
        last = Some(m);
    }
    let last = last.unwrap();
    let next = stored(s, "wa", message("next", "c", "m60")).await;

    let history = s.history("wa", "c", next.id, 5).await.unwrap();
    assert_eq!(
        turns(&history),
        [
            (Role::Assistant, "r57"),
            (Role::User, "m58"),
            (Role::Assistant, "r58"),
            (Role::User, "m59"),
            (Role::Assistant, "r59"),
        ]
    );
    // Before the last stored message: its own reply is left out.
    let before_last = s.history("wa", "c", last.id, 3).await.unwrap();
    assert_eq!(
        turns(&before_last),
        [
            (Role::Assistant, "r57"),
            (Role::User, "m58"),
            (Role::Assistant, "r58"),
        ]
    );
}
}
