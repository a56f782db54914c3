use std::path::PathBuf;

use switchboard_store::{PersistOutcome, Store, StoreOptions};
use switchboard_types::{InboundMessage, MessageKind, StoredMessage};
use tempfile::TempDir;

/// A store in a fresh directory; the directory lives as long as the value.
pub(crate) struct TestStore {
    pub(crate) store: Store,
    pub(crate) path: PathBuf,
    _dir: TempDir,
}

pub(crate) fn open() -> TestStore {
    open_with(StoreOptions::default())
}

pub(crate) fn open_with(opts: StoreOptions) -> TestStore {
    let dir = tempfile::tempdir().unwrap();
    // A nested path also checks that `open` creates the parent directory.
    let path = dir.path().join("data").join("switchboard.db");
    let store = Store::open(&path, opts).unwrap();
    TestStore {
        store,
        path,
        _dir: dir,
    }
}

pub(crate) fn message(external_id: &str, conversation_id: &str, text: &str) -> InboundMessage {
    InboundMessage {
        external_id: external_id.to_owned(),
        conversation_id: conversation_id.to_owned(),
        sender_id: "u-1".to_owned(),
        sender_name: Some("Ada".to_owned()),
        text: Some(text.to_owned()),
        timestamp: 1_700_000_000,
        reply_to: None,
        kind: MessageKind::Text,
        is_edit: false,
        metadata: r#"{"raw":true}"#.to_owned(),
        ..InboundMessage::default()
    }
}

/// Persists one message that must be new, and returns it as stored.
pub(crate) async fn stored(
    store: &Store,
    instance: &str,
    message: InboundMessage,
) -> StoredMessage {
    let mut outcomes = store.persist(instance, vec![message]).await.unwrap();
    match outcomes.pop() {
        Some(PersistOutcome::Stored(stored)) => stored,
        other => panic!("expected a new message, got {other:?}"),
    }
}
