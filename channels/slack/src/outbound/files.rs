//! Replies with files, through Slack's external upload flow: every file is
//! uploaded (see [`upload`]), then `files.completeUploadExternal` shares them
//! into the reply's channel or thread, the reply's text as their comment.

use serde_json::{Value, json};
use switchboard_channel_sdk::{DeliveryFailure, Host, OutboundAttachment, Reply};

use super::Destination;
use super::progress::{Progress, Record};
use super::upload;
use crate::web_api::{self, api_base};

/// Files shared by one `files.completeUploadExternal`. Slack shows at most ten
/// files on a message, and a call with fifteen fails with `internal_error`
/// (slackapi/python-slack-sdk#1653), so a reply with more is shared in several
/// messages.
const FILES_PER_SHARE: usize = 10;

/// Outbound requests the host allows one call (its documented default). A
/// request past it is denied, which is permanent; stopping short and asking for
/// a retry lets a reply with many files go out over several attempts instead.
const REQUESTS_PER_CALL: usize = 16;

/// `files.getUploadURLExternal` and the upload itself.
const REQUESTS_PER_UPLOAD: usize = 2;

/// Uploads and shares the files of `reply` and returns `<channel>:<ts>` of the
/// first message sharing them when Slack says which it is (it shares files in
/// the background, and its answer usually does not).
///
/// The host retries a retryable failure by calling again with the same
/// idempotency key; what earlier attempts uploaded and shared is kept under
/// that key (see [`Progress`]) and not done again.
pub(super) fn send(
    host: &impl Host,
    reply: &Reply,
    destination: &Destination<'_>,
) -> Result<Option<String>, DeliveryFailure> {
    let files = reply.attachments.len();
    let batches: Vec<&[OutboundAttachment]> = reply.attachments.chunks(FILES_PER_SHARE).collect();
    let api_base = api_base(host);
    let mut progress = Progress::load(host, &reply.idempotency_key, files, batches.len());
    let mut requests_left = REQUESTS_PER_CALL;
    let mut spend = |requests: usize, record: &Record| {
        requests_left = requests_left
            .checked_sub(requests)
            .ok_or_else(|| out_of_requests(record, files, batches.len()))?;
        Ok::<_, DeliveryFailure>(())
    };

    while let Some(attachment) = reply.attachments.get(progress.record.uploaded.len()) {
        spend(REQUESTS_PER_UPLOAD, &progress.record)?;
        let number = progress.record.uploaded.len() + 1;
        let file_id = upload::upload(host, &api_base, attachment)
            .map_err(|failure| failure.context(&format!("file {number} of {files}")))?;
        progress.record_upload(file_id);
    }

    while let Some(batch) = batches.get(progress.record.shared.len()) {
        spend(1, &progress.record)?;
        let index = progress.record.shared.len();
        let first_file = index * FILES_PER_SHARE;
        let file_ids = &progress.record.uploaded[first_file..first_file + batch.len()];
        // The text introduces the files once, on the first message.
        let comment =
            Some(reply.text.as_str()).filter(|text| index == 0 && !text.trim().is_empty());
        let body = share_body(destination, batch, file_ids, comment);
        let message = share(host, &api_base, &body, destination.channel)?;
        progress.record_share(message);
    }

    let first_message = progress.record.shared.first().cloned().flatten();
    progress.clear();
    Ok(first_message)
}

/// The `files.completeUploadExternal` arguments that share `batch` (uploaded as
/// `file_ids`) where the reply goes.
fn share_body(
    destination: &Destination<'_>,
    batch: &[OutboundAttachment],
    file_ids: &[String],
    comment: Option<&str>,
) -> Value {
    let files: Vec<Value> = batch
        .iter()
        .zip(file_ids)
        .map(|(attachment, id)| json!({ "id": id, "title": title(attachment) }))
        .collect();
    let mut body = json!({ "files": files, "channel_id": destination.channel });
    if let Some(thread_ts) = destination.thread_ts {
        body["thread_ts"] = thread_ts.into();
    }
    if let Some(comment) = comment {
        body["initial_comment"] = comment.into();
    }
    body
}

/// A file's title is the only text Slack shows beside each file of a message,
/// so a caption given to that file alone goes there; else its name.
fn title(attachment: &OutboundAttachment) -> String {
    attachment
        .caption
        .as_deref()
        .map(str::trim)
        .filter(|caption| !caption.is_empty())
        .map_or_else(|| upload::file_name(attachment), str::to_owned)
}

fn share(
    host: &impl Host,
    api_base: &str,
    body: &Value,
    channel: &str,
) -> Result<Option<String>, DeliveryFailure> {
    let context = |failure: DeliveryFailure| failure.context("files.completeUploadExternal");
    let request = web_api::call(api_base, "files.completeUploadExternal", body);
    let response = host
        .fetch(request)
        .map_err(|failure| context(failure.into()))?;
    let answer = web_api::read_answer(&response).map_err(context)?;
    Ok(shared_message(&answer, channel))
}

/// `<channel>:<ts>` of the message that shares the first file, when the answer's
/// file object already lists its shares (`shares.public` or `shares.private`,
/// by channel).
fn shared_message(answer: &Value, channel: &str) -> Option<String> {
    let shares = answer.get("files")?.get(0)?.get("shares")?;
    ["public", "private"]
        .iter()
        .find_map(|visibility| {
            shares
                .get(visibility)?
                .get(channel)?
                .get(0)?
                .get("ts")?
                .as_str()
        })
        .map(|ts| format!("{channel}:{ts}"))
}

fn out_of_requests(record: &Record, files: usize, shares: usize) -> DeliveryFailure {
    DeliveryFailure::retryable(format!(
        "{} of {files} files uploaded and {} of {shares} shares done with the \
         {REQUESTS_PER_CALL} requests one call may make; the next attempt goes on",
        record.uploaded.len(),
        record.shared.len()
    ))
}

#[cfg(test)]
mod tests;
