use switchboard_store::{HookOutcome, PersistOutcome, Store, WorkState};
use switchboard_types::{
    Attachment, AttachmentKind, ChatType, InboundMessage, MessageKind, NoTurn, Reaction, SenderKind,
};

use crate::support::{message, on_both, stored};

on_both! {
async fn the_same_external_id_twice_is_one_row_and_a_duplicate(t) {
    let first = stored(&t.store, "wa", message("wamid.1", "c1", "hello")).await;

    let again = t
        .store
        .persist(
            "wa",
            vec![message("wamid.1", "c1", "hello, different body")],
        )
        .await
        .unwrap();

    assert_eq!(again, vec![PersistOutcome::Duplicate { id: first.id }]);
    let all = t.store.messages(None, 10).await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(
        all[0].message.text.as_deref(),
        Some("hello"),
        "a duplicate changes nothing"
    );
    assert_eq!(t.store.counts().await.unwrap().pending_turns, 1);
}
}

on_both! {
async fn the_same_external_id_in_two_instances_is_two_rows(t) {
    let a = stored(&t.store, "slack-a", message("C1:1.0", "C1", "hi")).await;
    let b = stored(&t.store, "slack-b", message("C1:1.0", "C1", "hi")).await;
    assert_ne!(a.id, b.id);
    assert_eq!(
        t.store.messages(Some("slack-a"), 10).await.unwrap(),
        vec![a]
    );
    assert_eq!(
        t.store.messages(Some("slack-b"), 10).await.unwrap(),
        vec![b]
    );
}
}

/// Delivers one message id a hundred times at once, spread over `nodes` (stores on one
/// database), and checks it is stored once and every other delivery is its duplicate.
async fn a_hundred_concurrent_deliveries_of_one_id(nodes: &[Store]) {
    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let store = nodes[i % nodes.len()].clone();
            tokio::spawn(async move {
                store
                    .persist("tg", vec![message("42:7", "42", "race")])
                    .await
                    .unwrap()
                    .remove(0)
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap());
    }

    let stored: Vec<_> = outcomes
        .iter()
        .filter_map(|o| match o {
            PersistOutcome::Stored(m) => Some(m.id),
            _ => None,
        })
        .collect();
    assert_eq!(stored.len(), 1, "{outcomes:?}");
    let duplicates = outcomes
        .iter()
        .filter(|o| matches!(o, PersistOutcome::Duplicate { id } if *id == stored[0]))
        .count();
    assert_eq!(duplicates, 99);
    assert_eq!(nodes[0].counts().await.unwrap().messages, 1);
}

/// On a multi-threaded runtime, which `on_both!` does not give.
mod a_hundred_concurrent_deliveries_of_one_id_store_it_once {
    use super::a_hundred_concurrent_deliveries_of_one_id;
    use crate::support::{Backend, open_on};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        let t = open_on(Backend::Sqlite).await;
        a_hundred_concurrent_deliveries_of_one_id(std::slice::from_ref(&t.store)).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        let t = open_on(Backend::Postgres).await;
        a_hundred_concurrent_deliveries_of_one_id(std::slice::from_ref(&t.store)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_concurrent_deliveries_over_several_nodes_store_it_once_on_postgres() {
    let options = switchboard_store::testing::postgres_database()
        .await
        .expect("migrate a fresh database");
    let mut nodes = Vec::new();
    for _ in 0..4 {
        nodes.push(Store::connect_postgres(&options).await.unwrap());
    }
    a_hundred_concurrent_deliveries_of_one_id(&nodes).await;
}

on_both! {
async fn one_call_stores_a_batch_in_order_in_one_commit(t) {
    let before = t.store.stats();
    let batch = vec![
        message("m1", "c1", "one"),
        message("m2", "c1", "two"),
        message("m1", "c1", "one again, same delivery"),
        message("m3", "c2", "three"),
    ];

    let outcomes = t.store.persist("wa", batch).await.unwrap();

    let after = t.store.stats();
    assert_eq!(after.commits - before.commits, 1);
    assert_eq!(after.commands - before.commands, 1);
    let ids: Vec<_> = outcomes
        .iter()
        .map(|o| match o {
            PersistOutcome::Stored(m) => (m.message.external_id.clone(), m.id),
            PersistOutcome::Duplicate { id } => ("dup".to_owned(), *id),
            PersistOutcome::Edited(m) => panic!("unexpected edit {m:?}"),
        })
        .collect();
    assert_eq!(ids[0].0, "m1");
    assert_eq!(ids[1].0, "m2");
    assert_eq!(ids[2], ("dup".to_owned(), ids[0].1));
    assert_eq!(ids[3].0, "m3");
    assert!(
        ids[0].1 < ids[1].1 && ids[1].1 < ids[3].1,
        "ids follow arrival order"
    );
    assert_eq!(t.store.counts().await.unwrap().messages, 3);
}
}

on_both! {
async fn non_ascii_text_and_extreme_values_round_trip(t) {
    let mut m = message("wamid.ü-🦀", "+49 170 ☎", "");
    m.text = Some("Grüße 👋🏽 — مرحبا — 你好 — e\u{301} — \u{202e}reversed".to_owned());
    m.sender_name = Some("Zoë Ørsted".to_owned());
    m.metadata = r#"{"emoji":"🎉","nested":{"k":"ł"}}"#.to_owned();
    m.timestamp = u64::MAX;
    m.reply_to = Some("wamid.ä".to_owned());
    m.kind = MessageKind::Interactive;

    let stored = stored(&t.store, "wa", m.clone()).await;

    let read = t.store.messages(Some("wa"), 1).await.unwrap();
    assert_eq!(read, vec![stored.clone()]);
    assert_eq!(read[0].message, m);
}
}

on_both! {
async fn an_edit_replaces_the_text_and_queues_no_new_work(t) {
    let original = stored(&t.store, "tg", message("5:9", "5", "teh typo")).await;
    t.store
        .finish_hook(original.id, HookOutcome::Done)
        .await
        .unwrap();
    t.store.complete_turn(original.id, vec![]).await.unwrap();

    let mut edit = message("5:9", "5", "the typo");
    edit.is_edit = true;
    edit.kind = MessageKind::Other;
    edit.metadata = r#"{"edit_date":1}"#.to_owned();
    let outcome = t.store.persist("tg", vec![edit]).await.unwrap();

    let [PersistOutcome::Edited(edited)] = outcome.as_slice() else {
        panic!("expected an edit, got {outcome:?}");
    };
    assert_eq!(edited.id, original.id);
    assert_eq!(edited.message.text.as_deref(), Some("the typo"));
    assert_eq!(edited.message.kind, MessageKind::Other);
    assert_eq!(edited.message.metadata, r#"{"edit_date":1}"#);
    assert!(edited.message.is_edit);
    assert!(edited.edited_at_ms.is_some());
    assert_eq!(edited.received_at_ms, original.received_at_ms);
    assert_eq!(
        t.store.messages(None, 10).await.unwrap(),
        vec![edited.clone()]
    );

    let status = t.store.message_status(original.id).await.unwrap();
    assert_eq!(status.hook_state, WorkState::Done);
    assert_eq!(status.agent_state, WorkState::Done);
    let counts = t.store.counts().await.unwrap();
    assert_eq!((counts.pending_hooks, counts.pending_turns), (0, 0));
}
}

on_both! {
async fn an_edit_of_an_unknown_message_is_kept_without_a_turn_or_a_hook(t) {
    let mut edit = message("never-seen", "c", "edited text");
    edit.is_edit = true;

    let outcome = t.store.persist("tg", vec![edit]).await.unwrap();

    let [PersistOutcome::Stored(new)] = outcome.as_slice() else {
        panic!("expected a new record, got {outcome:?}");
    };
    assert_eq!(new.edited_at_ms, None);
    assert_eq!(new.no_turn, Some(NoTurn::Edit));
    let status = t.store.message_status(new.id).await.unwrap();
    assert_eq!(status.agent_state, WorkState::Done, "no turn");
    assert_eq!(status.hook_state, WorkState::Skipped, "no hook");
    let counts = t.store.counts().await.unwrap();
    assert_eq!((counts.pending_hooks, counts.pending_turns), (0, 0));
    let listed = t.store.messages(None, 10).await.unwrap();
    assert_eq!(listed[0].no_turn, Some(NoTurn::Edit), "the reason is kept");
}
}

on_both! {
async fn the_newest_edit_wins_whatever_order_the_edits_arrive_in(t) {
    let original = stored(&t.store, "tg", message("5:9", "5", "v0")).await;
    let edit = |text: &str, at_ms: u64| InboundMessage {
        is_edit: true,
        platform_edited_at_ms: Some(at_ms),
        ..message("5:9", "5", text)
    };

    let outcomes = t
        .store
        .persist(
            "tg",
            vec![
                edit("v2", 2_000),
                edit("v1", 1_000),
                edit("v2 again", 2_000),
            ],
        )
        .await
        .unwrap();

    assert!(matches!(outcomes[0], PersistOutcome::Edited(_)));
    // Older than the stored version, and a redelivery of it: nothing changes.
    assert_eq!(outcomes[1], PersistOutcome::Duplicate { id: original.id });
    assert_eq!(outcomes[2], PersistOutcome::Duplicate { id: original.id });
    let stored = &t.store.messages(None, 1).await.unwrap()[0];
    assert_eq!(stored.message.text.as_deref(), Some("v2"));
    assert_eq!(stored.message.platform_edited_at_ms, Some(2_000));

    // Without an edit time the latest arrival wins.
    let untimed = InboundMessage {
        is_edit: true,
        ..message("5:9", "5", "v3")
    };
    t.store.persist("tg", vec![untimed]).await.unwrap();
    let stored = &t.store.messages(None, 1).await.unwrap()[0];
    assert_eq!(stored.message.text.as_deref(), Some("v3"));
}
}

on_both! {
async fn what_no_person_wrote_to_the_bot_is_stored_with_its_reason_and_no_turn(t) {
    let reaction = InboundMessage {
        kind: MessageKind::Reaction,
        text: None,
        reaction: Some(Reaction {
            target: "5:1".to_owned(),
            emoji: "👍".to_owned(),
            removed: false,
        }),
        ..message("5:1:r", "5", "")
    };
    let from_bot = InboundMessage {
        sender_kind: SenderKind::Bot,
        ..message("5:2", "5", "beep")
    };
    let person = InboundMessage {
        chat_type: ChatType::Group,
        mentions_bot: true,
        thread_id: Some("t1".to_owned()),
        attachments: vec![Attachment {
            kind: AttachmentKind::Voice,
            mime_type: Some("audio/ogg".to_owned()),
            size: Some(10),
            file_name: None,
            caption: None,
            reference: "file-1".to_owned(),
        }],
        ..message("5:3", "5", "hello")
    };
    let outcomes = t
        .store
        .persist("tg", vec![reaction.clone(), from_bot, person.clone()])
        .await
        .unwrap();
    let reasons: Vec<_> = outcomes
        .iter()
        .map(|o| match o {
            PersistOutcome::Stored(m) => m.no_turn,
            other => panic!("expected new rows, got {other:?}"),
        })
        .collect();
    assert_eq!(
        reasons,
        [Some(NoTurn::Reaction), Some(NoTurn::FromBot), None]
    );
    let counts = t.store.counts().await.unwrap();
    assert_eq!(
        counts.pending_turns, 1,
        "only the person's message is answered"
    );
    assert_eq!(counts.pending_hooks, 3, "every new message gets its hook");

    // Everything the channel said comes back as it said it.
    let listed = t.store.messages(None, 10).await.unwrap();
    assert_eq!(listed[0].message, person);
    assert_eq!(listed[2].message, reaction);
}
}

on_both! {
async fn messages_lists_the_newest_first_within_the_limit(t) {
    for i in 0..5 {
        stored(
            &t.store,
            "wa",
            message(&format!("m{i}"), "c", &format!("{i}")),
        )
        .await;
    }
    stored(&t.store, "tg", message("x", "c", "other instance")).await;

    let newest: Vec<_> = t
        .store
        .messages(Some("wa"), 3)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.message.external_id)
        .collect();
    assert_eq!(newest, ["m4", "m3", "m2"]);
    assert_eq!(t.store.messages(None, 100).await.unwrap().len(), 6);
}
}
