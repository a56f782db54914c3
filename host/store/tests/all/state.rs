use crate::support::on_both;
use switchboard_store::StateQuota;

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
