use std::path::PathBuf;

use switchboard_store::{PersistOutcome, Store, StoreOptions};
use switchboard_types::{InboundMessage, MessageKind, StoredMessage};
use tempfile::TempDir;

/// Which backend a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

/// A store in a fresh directory (SQLite) or a fresh database (PostgreSQL); the
/// directory lives as long as the value.
pub(crate) struct TestStore {
    pub(crate) store: Store,
    /// The SQLite file; for PostgreSQL, a path in the directory that nothing uses.
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

/// A fresh store on `backend`.
pub(crate) async fn open_on(backend: Backend) -> TestStore {
    match backend {
        Backend::Sqlite => open(),
        Backend::Postgres => {
            let dir = tempfile::tempdir().unwrap();
            let options = switchboard_store::testing::postgres_database()
                .await
                .expect("migrate a fresh database");
            let store = Store::connect_postgres(&options).await.unwrap();
            TestStore {
                store,
                path: dir.path().join("unused"),
                _dir: dir,
            }
        }
    }
}

/// Defines a test that runs once on each backend: `async fn name(t) { ... }` becomes
/// the module `name` with the tests `sqlite` and `postgres`, each handing the body a
/// fresh [`TestStore`] as `t`.
macro_rules! on_both {
    ($(#[$meta:meta])* async fn $name:ident($t:ident) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports, reason = "the body may not use every item of its file")]
            use super::*;

            async fn run($t: $crate::support::TestStore) $body

            #[tokio::test]
            async fn sqlite() {
                run($crate::support::open_on($crate::support::Backend::Sqlite).await).await;
            }

            #[tokio::test]
            async fn postgres() {
                run($crate::support::open_on($crate::support::Backend::Postgres).await).await;
            }
        }
    };
}
pub(crate) use on_both;

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
