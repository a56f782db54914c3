use crate::support::on_both;
use switchboard_store::{StateQuota, StoreError};

on_both! {
async fn state_is_a_key_value_map_per_instance(t) {
    let s = &t.store;
    assert_eq!(s.state_get("tg", "offset").await.unwrap(), None);

    s.state_set("tg", "offset", b"41".to_vec(), StateQuota::default())
        .await
        .unwrap();
    s.state_set("tg", "offset", b"42".to_vec(), StateQuota::default())
        .await
        .unwrap();
    s.state_set(
        "wa",
        "offset",
        vec![0, 159, 146, 150],
        StateQuota::default(),
    )
    .await
    .unwrap();

    assert_eq!(
        s.state_get("tg", "offset").await.unwrap(),
        Some(b"42".to_vec())
    );
    assert_eq!(
        s.state_get("wa", "offset").await.unwrap(),
        Some(vec![0, 159, 146, 150])
    );

    s.state_delete("tg", "offset").await.unwrap();
    s.state_delete("tg", "never-set").await.unwrap();

    assert_eq!(s.state_get("tg", "offset").await.unwrap(), None);
    assert!(
        s.state_get("wa", "offset").await.unwrap().is_some(),
        "other instances keep theirs"
    );
}
}

on_both! {
async fn state_past_the_quota_is_refused_and_usage_is_kept_exact(t) {
    let s = &t.store;
    let quota = StateQuota {
        max_keys: 3,
        max_bytes: 100,
    };
    s.state_set("tg", "a", vec![0; 40], quota).await.unwrap();
    s.state_set("tg", "b", vec![0; 40], quota).await.unwrap();
    // 41 + 41 + 21 bytes: one too many.
    let refused = s
        .state_set("tg", "c", vec![0; 20], quota)
        .await
        .unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("state quota of instance tg exceeded"),
        "{refused}"
    );
    assert_eq!(
        s.state_get("tg", "c").await.unwrap(),
        None,
        "nothing written"
    );
    // Replacing a value counts the new size, not both.
    s.state_set("tg", "a", vec![0; 10], quota).await.unwrap();
    s.state_set("tg", "c", vec![0; 20], quota).await.unwrap();
    let refused = s.state_set("tg", "d", vec![], quota).await.unwrap_err();
    assert!(refused.to_string().contains("4 keys"), "{refused}");
    // Another instance has its own quota.
    s.state_set("wa", "a", vec![0; 90], quota).await.unwrap();

    let usage = s.state_usage().await.unwrap();
    let of = |name: &str| usage.iter().find(|(i, _)| i == name).map(|(_, u)| *u);
    assert_eq!(of("tg").map(|u| (u.keys, u.bytes)), Some((3, 11 + 41 + 21)));
    assert_eq!(of("wa").map(|u| (u.keys, u.bytes)), Some((1, 91)));

    s.state_delete("tg", "b").await.unwrap();
    assert_eq!(s.state_clear("wa").await.unwrap(), 1);
    let usage = s.state_usage().await.unwrap();
    assert_eq!(usage.len(), 1, "{usage:?}");
    assert_eq!((usage[0].1.keys, usage[0].1.bytes), (2, 11 + 21));
}
}

/// Two stores on one fresh PostgreSQL database, as two daemons sharing it.
async fn two_nodes() -> (switchboard_store::Store, switchboard_store::Store) {
    let options = switchboard_store::testing::postgres_database()
        .await
        .expect("migrate a fresh database");
    let a = switchboard_store::Store::connect_postgres(&options)
        .await
        .unwrap();
    let b = switchboard_store::Store::connect_postgres(&options)
        .await
        .unwrap();
    (a, b)
}

#[tokio::test]
async fn the_quota_holds_when_several_nodes_write_at_once_on_postgres() {
    let (a, b) = two_nodes().await;
    let quota = StateQuota {
        max_keys: 5,
        max_bytes: 1 << 20,
    };
    let writes: Vec<_> = (0..20)
        .map(|i| {
            let store = if i % 2 == 0 { a.clone() } else { b.clone() };
            tokio::spawn(async move {
                store
                    .state_set("tg", &format!("key-{i}"), vec![7; 10], quota)
                    .await
            })
        })
        .collect();
    let mut stored = 0;
    for write in writes {
        match write.await.unwrap() {
            Ok(()) => stored += 1,
            Err(StoreError::StateQuota { .. }) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(stored, 5);
    let usage = a.state_usage().await.unwrap();
    assert_eq!(usage.len(), 1);
    let mut bytes = 0;
    for i in 0..20 {
        let key = format!("key-{i}");
        if a.state_get("tg", &key).await.unwrap().is_some() {
            bytes += key.len() as u64 + 10;
        }
    }
    assert_eq!((usage[0].1.keys, usage[0].1.bytes), (5, bytes));
}
