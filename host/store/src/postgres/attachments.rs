//! TODO(port): attachments
#![allow(unused_variables, unused_imports)]

use switchboard_types::*;

use super::Postgres;
use crate::*;

impl Postgres {
    pub(crate) async fn release_downloads(
        &self,
        message_id: i64,
    ) -> Result<Vec<DueDownload>, StoreError> {
        unimplemented!("postgres: release_downloads")
    }

    pub(crate) async fn pending_downloads(&self, message_id: i64) -> Result<usize, StoreError> {
        unimplemented!("postgres: pending_downloads")
    }

    pub(crate) async fn due_downloads(
        &self,
        now_ms: i64,
        limit: usize,
    ) -> Result<Vec<DueDownload>, StoreError> {
        unimplemented!("postgres: due_downloads")
    }

    pub(crate) async fn finish_download(
        &self,
        message_id: i64,
        position: u32,
        outcome: DownloadOutcome,
    ) -> Result<(), StoreError> {
        unimplemented!("postgres: finish_download")
    }

    pub(crate) async fn requeue_download(
        &self,
        message_id: i64,
        position: u32,
    ) -> Result<(), StoreError> {
        unimplemented!("postgres: requeue_download")
    }

    pub(crate) async fn attachments(
        &self,
        message_id: i64,
    ) -> Result<Vec<StoredAttachment>, StoreError> {
        unimplemented!("postgres: attachments")
    }

    pub(crate) async fn blob_recorded(&self, sha256: String) -> Result<Option<u64>, StoreError> {
        unimplemented!("postgres: blob_recorded")
    }

    pub(crate) async fn record_blob(&self, sha256: String, size: u64) -> Result<(), StoreError> {
        unimplemented!("postgres: record_blob")
    }

    pub(crate) async fn blob_bytes(&self) -> Result<u64, StoreError> {
        unimplemented!("postgres: blob_bytes")
    }

    pub(crate) async fn prune_blobs(&self, older_than_ms: i64) -> Result<Vec<String>, StoreError> {
        unimplemented!("postgres: prune_blobs")
    }
}

/// Inserts the attachments of a new message inside the caller's transaction: held
/// until its turn starts, or failed at once with `no_turn` when it will get none.
pub(crate) async fn insert_for(
    client: &impl deadpool_postgres::GenericClient,
    message_id: i64,
    message: &InboundMessage,
    no_turn: Option<NoTurn>,
) -> Result<(), StoreError> {
    unimplemented!("postgres: insert_for")
}

/// Fails the held downloads of a message whose turn will not run, with `reason`.
pub(crate) async fn drop_held(
    client: &impl deadpool_postgres::GenericClient,
    message_id: i64,
    reason: NoTurn,
) -> Result<(), StoreError> {
    unimplemented!("postgres: drop_held")
}

/// The attachments of one message, in position order.
pub(crate) async fn attachments_of(
    client: &impl deadpool_postgres::GenericClient,
    message_id: i64,
) -> Result<Vec<StoredAttachment>, StoreError> {
    unimplemented!("postgres: attachments_of")
}
