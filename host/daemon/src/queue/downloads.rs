//! Attachment downloads: the channel plans each download (`media.download-request`),
//! the host performs it and streams the body into the blob store under the
//! instance's size cap, so the content never passes through guest memory.
//!
//! A message's downloads are released when its agent turn starts (after the access
//! policy admitted it); the turn waits for them, bounded, and goes ahead with what
//! it has.

use std::sync::Arc;
use std::time::{Duration, Instant};

use switchboard_egress::Download;
use switchboard_runtime::CallError;
use switchboard_store::{BlobError, DownloadOutcome, DueDownload, StoreError};
use switchboard_types::{AttachmentState, FetchError};

use crate::instance::Instance;
use crate::metrics::{DeadLetter, Export, Outcome, Work};
use crate::queue::{Attempt, Decision, Freshness, ItemKey, Queue};
use crate::shared::Shared;

/// The longest a single download may take, start to finish.
const TRANSFER_TIMEOUT: Duration = Duration::from_secs(600);

/// Bytes of an error answer kept for the log line and the dead letter.
const ERROR_SNIPPET: usize = 300;

/// Positions per message the queue can tell apart in its item ids.
pub(crate) const POSITIONS: i64 = 1 << 10;

/// How a download ended when it did not fail.
#[derive(Debug)]
pub(crate) enum Fetched {
    Stored {
        sha256: String,
        size: u64,
    },
    TooLarge {
        seen: u64,
        limit: u64,
    },
    /// The channel cannot download (no `media` export): nothing to retry.
    Unavailable(String),
}

pub(crate) struct Downloads(pub(crate) Arc<Shared>);

#[async_trait::async_trait]
impl Queue for Downloads {
    type Item = DueDownload;
    type Done = Fetched;
    const NAME: &'static str = "downloads";

    fn key(item: &DueDownload) -> ItemKey<'_> {
        ItemKey {
            id: item.message_id * POSITIONS + i64::from(item.position),
            instance: &item.instance,
            // Downloads do not depend on each other.
            conversation: None,
            attempts: item.attempts,
        }
    }

    fn max_attempts(&self) -> u32 {
        self.0.workers.download_max_attempts
    }

    async fn due(&self, now_ms: i64, limit: usize) -> Result<Vec<DueDownload>, StoreError> {
        self.0.store.due_downloads(now_ms, limit).await
    }

    async fn still_due(&self, item: &DueDownload) -> Result<Freshness, StoreError> {
        // The state alone: a download run twice stores the same content-addressed blob.
        let attachments = self.0.store.attachments(item.message_id).await?;
        let due = attachments
            .iter()
            .any(|a| a.position == item.position && a.state == AttachmentState::Pending);
        Ok(if due { Freshness::Due } else { Freshness::Done })
    }

    async fn attempt(&self, item: &DueDownload) -> Attempt<Fetched> {
        let shared = &self.0;
        let Some(instance) = shared.instance(&item.instance) else {
            // The instance was removed from the config; its downloads wait for it.
            return Attempt::NotNow;
        };
        if !instance.channel.has_media_export() {
            return Attempt::Done(Fetched::Unavailable(
                "not fetched: the channel has no media export (contract 0.2.1)".to_owned(),
            ));
        }
        let mut limit = instance.max_attachment_bytes;
        if let Some(cap) = shared.server.max_blob_bytes {
            // The room left in the blob store bounds this download too.
            match shared.store.blob_bytes().await {
                Ok(used) => limit = limit.min(cap.saturating_sub(used)),
                Err(e) => {
                    return Attempt::Failed {
                        error: format!("cannot read the blob store's size: {e}"),
                        retryable: true,
                        retry_after: None,
                    };
                }
            }
        }
        if let Some(size) = item.attachment.size
            && size > limit
        {
            return Attempt::Done(Fetched::TooLarge { seen: size, limit });
        }
        let started = Instant::now();
        let planned = instance
            .channel
            .download_request(
                instance.services.clone(),
                &instance.limits,
                &item.attachment,
            )
            .await;
        instance.metrics.guest_call(
            Export::DownloadRequest,
            started.elapsed(),
            planned.as_ref().err(),
        );
        let request = match planned {
            Ok(Ok(request)) => request,
            Ok(Err(e)) => {
                return Attempt::Failed {
                    error: format!("the channel could not plan the download: {}", e.message),
                    retryable: e.retryable,
                    retry_after: e.retry_after_secs.map(|s| Duration::from_secs(s.into())),
                };
            }
            Err(CallError::NotExported(what)) => {
                return Attempt::Done(Fetched::Unavailable(format!(
                    "not fetched: the channel has no {what} export"
                )));
            }
            Err(e) => {
                return Attempt::Failed {
                    error: format!("download-request failed: {e}"),
                    retryable: true,
                    retry_after: None,
                };
            }
        };
        let services = &instance.services;
        let download = match services
            .egress
            .download(&services.policy, request, TRANSFER_TIMEOUT)
            .await
        {
            Ok(download) => download,
            Err(e) => return fetch_failed(&e),
        };
        store_body(shared, &instance, download, limit).await
    }

    fn report(&self, item: &DueDownload, decision: &Decision<Fetched>, attempt: u32) {
        let (instance, message_id, position) = (&item.instance, item.message_id, item.position);
        let metrics = self.0.metrics.of(instance);
        let outcome = match decision {
            Decision::Done(Fetched::Stored { sha256, size }) => {
                tracing::debug!(%instance, message_id, position, %sha256, size, "attachment stored");
                Outcome::Done
            }
            Decision::Done(Fetched::TooLarge { seen, limit }) => {
                tracing::warn!(%instance, message_id, position, seen, limit, "attachment over max_attachment_bytes; not kept");
                Outcome::Skipped
            }
            Decision::Done(Fetched::Unavailable(why)) => {
                tracing::info!(%instance, message_id, position, why = %why, "attachment not fetched");
                Outcome::Skipped
            }
            Decision::Retry {
                error, retry_in, ..
            } => {
                tracing::warn!(%instance, message_id, position, attempt, ?retry_in, %error, "attachment download failed; will retry");
                Outcome::Retry
            }
            Decision::GiveUp { error } => {
                tracing::warn!(%instance, message_id, position, attempt, %error, "attachment download failed for good; dead-lettered");
                metrics.dead_letter(DeadLetter::Attachment);
                Outcome::Failed
            }
        };
        metrics.outcome(Work::Downloads, outcome);
    }

    async fn record(
        &self,
        item: &DueDownload,
        decision: &Decision<Fetched>,
    ) -> Result<(), StoreError> {
        let outcome = match decision {
            Decision::Done(Fetched::Stored { sha256, size }) => DownloadOutcome::Stored {
                sha256: sha256.clone(),
                size: *size,
            },
            Decision::Done(Fetched::TooLarge { seen, limit }) => DownloadOutcome::TooLarge {
                seen: *seen,
                error: format!(
                    "over the {limit} bytes allowed (max_attachment_mb, or the room left under server.max_blobs_mb)"
                ),
            },
            Decision::Done(Fetched::Unavailable(why)) => DownloadOutcome::Failed {
                error: why.clone(),
                dead_letter: false,
            },
            Decision::Retry { at_ms, error, .. } => DownloadOutcome::Retry {
                at_ms: *at_ms,
                error: error.clone(),
            },
            Decision::GiveUp { error } => DownloadOutcome::Failed {
                error: error.clone(),
                dead_letter: true,
            },
        };
        self.0
            .store
            .finish_download(item.message_id, item.position, outcome)
            .await
    }
}

/// Streams a 2xx answer into the blob store; any other answer is a failure, worth
/// retrying when the platform says so (408, 429, 5xx).
async fn store_body(
    shared: &Shared,
    instance: &Instance,
    mut download: Download,
    limit: u64,
) -> Attempt<Fetched> {
    let status = download.status;
    if !(200..300).contains(&status) {
        let retry_after = download
            .headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("retry-after"))
            .and_then(|(_, value)| value.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = download
            .error_text(&instance.services.policy, ERROR_SNIPPET)
            .await;
        return Attempt::Failed {
            error: format!("the download answered {status}: {}", body.trim()),
            retryable: status == 408 || status == 429 || status >= 500,
            retry_after,
        };
    }
    if let Some(announced) = download.content_length()
        && announced > limit
    {
        return Attempt::Done(Fetched::TooLarge {
            seen: announced,
            limit,
        });
    }
    let mut writer = shared.blobs.writer(limit);
    loop {
        match download.chunk().await {
            Ok(Some(chunk)) => match writer.write(&chunk).await {
                Ok(()) => {}
                Err(BlobError::TooLarge { seen, limit }) => {
                    return Attempt::Done(Fetched::TooLarge { seen, limit });
                }
                Err(e) => return blob_failed(&e),
            },
            Ok(None) => break,
            Err(e) => return fetch_failed(&e),
        }
    }
    match writer.finish().await {
        Ok(blob) => Attempt::Done(Fetched::Stored {
            sha256: blob.sha256,
            size: blob.size,
        }),
        Err(e) => blob_failed(&e),
    }
}

/// A refusal or a malformed request repeats on every attempt; the network may not.
fn fetch_failed(error: &FetchError) -> Attempt<Fetched> {
    Attempt::Failed {
        error: format!("download failed: {error}"),
        retryable: matches!(error, FetchError::Timeout | FetchError::Network(_)),
        retry_after: None,
    }
}

/// The disk is the host's problem, not the platform's: worth another try.
fn blob_failed(error: &BlobError) -> Attempt<Fetched> {
    Attempt::Failed {
        error: format!("cannot store the attachment: {error}"),
        retryable: true,
        retry_after: None,
    }
}
