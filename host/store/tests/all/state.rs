use crate::support::open;

#[tokio::test]
async fn state_is_a_key_value_map_per_instance() {
    let t = open();
    let s = &t.store;
    assert_eq!(s.state_get("tg", "offset").await.unwrap(), None);

    s.state_set("tg", "offset", b"41".to_vec()).await.unwrap();
    s.state_set("tg", "offset", b"42".to_vec()).await.unwrap();
    s.state_set("wa", "offset", vec![0, 159, 146, 150])
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
