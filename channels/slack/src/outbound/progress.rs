//! How far a reply with files got, kept in instance state under the reply's
//! idempotency key so that the host's retry of the whole reply repeats nothing:
//! a file uploaded is not uploaded again, and files shared are not shared again.

use serde::{Deserialize, Serialize};
use switchboard_channel_sdk::{Host, Level};

/// What earlier attempts of one reply did.
#[derive(Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Record {
    /// Slack's file ids of the reply's first files, in order: uploaded, not yet
    /// necessarily shared.
    pub(super) uploaded: Vec<String>,
    /// One entry per share (batch of files) completed, in order: the
    /// `<channel>:<ts>` of its message when Slack said.
    pub(super) shared: Vec<Option<String>>,
}

/// The record of one reply and where it is kept.
pub(super) struct Progress<'a, H> {
    host: &'a H,
    key: String,
    pub(super) record: Record,
}

impl<'a, H: Host> Progress<'a, H> {
    /// Reads the record of the reply with this idempotency key. One that does not
    /// fit a reply of `files` files in `shares` shares is not this reply's (or is
    /// damaged): starting over costs a duplicate, trusting it could skip a file.
    pub(super) fn load(host: &'a H, idempotency_key: &str, files: usize, shares: usize) -> Self {
        let key = format!("reply/{idempotency_key}/files");
        let record = host
            .state_get(&key)
            .and_then(|bytes| serde_json::from_slice::<Record>(&bytes).ok())
            .filter(|record| {
                // Files are shared only once all of them are uploaded.
                record.uploaded.len() <= files
                    && record.shared.len() <= shares
                    && (record.shared.is_empty() || record.uploaded.len() == files)
            })
            .unwrap_or_default();
        Self { host, key, record }
    }

    pub(super) fn record_upload(&mut self, file_id: String) {
        self.record.uploaded.push(file_id);
        self.save();
    }

    pub(super) fn record_share(&mut self, message: Option<String>) {
        self.record.shared.push(message);
        self.save();
    }

    /// Forgets the reply once all of it went out.
    pub(super) fn clear(&self) {
        self.host.state_delete(&self.key);
    }

    /// Losing the record costs a duplicate on a retry, not the reply: log and go on.
    fn save(&self) {
        let saved = serde_json::to_vec(&self.record)
            .map_err(|error| error.to_string())
            .and_then(|bytes| self.host.state_set(&self.key, &bytes));
        if let Err(reason) = saved {
            self.host.log(
                Level::Warn,
                &format!("cannot record reply progress; a retry may send files twice: {reason}"),
            );
        }
    }
}
