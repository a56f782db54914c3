//! What part of a reply already went out, kept in instance state under the
//! reply's idempotency key so that a retry of the whole reply sends only the rest.

use switchboard_channel_sdk::{Host, Level};

use super::plan::Step;

/// The progress of one reply.
pub(super) struct Progress<'a, H> {
    host: &'a H,
    key: &'a str,
    /// A reply of one message cannot fail after sending it, so only a reply of
    /// several remembers what it sent.
    several: bool,
}

impl<'a, H: Host> Progress<'a, H> {
    pub(super) fn new(host: &'a H, idempotency_key: &'a str, steps: usize) -> Self {
        Self {
            host,
            key: idempotency_key,
            several: steps > 1,
        }
    }

    /// `Some` when step `index` was sent by an earlier attempt, with the id of the
    /// message it created if the API returned one.
    pub(super) fn sent(&self, index: usize) -> Option<Option<String>> {
        if !self.several {
            return None;
        }
        let id = self.host.state_get(&self.sent_key(index))?;
        let id = String::from_utf8_lossy(&id).into_owned();
        Some(Some(id).filter(|id| !id.is_empty()))
    }

    pub(super) fn record_sent(&self, index: usize, id: Option<&str>) {
        if self.several {
            self.remember(
                &self.sent_key(index),
                id.unwrap_or_default(),
                &format!("sent reply part {index}"),
            );
        }
    }

    /// The media id of step `index`'s file when an earlier attempt uploaded it.
    /// Uploads are kept whatever the number of steps: the message that sends the
    /// file can fail after the upload succeeded.
    pub(super) fn uploaded(&self, index: usize) -> Option<String> {
        let id = self.host.state_get(&self.upload_key(index))?;
        Some(String::from_utf8_lossy(&id).into_owned()).filter(|id| !id.is_empty())
    }

    pub(super) fn record_upload(&self, index: usize, media_id: &str) {
        self.remember(
            &self.upload_key(index),
            media_id,
            &format!("the upload of reply part {index}"),
        );
    }

    /// Forgets the reply once all of it went out.
    pub(super) fn clear(&self, steps: &[Step<'_>]) {
        for (index, step) in steps.iter().enumerate() {
            if self.several {
                self.host.state_delete(&self.sent_key(index));
            }
            if matches!(step, Step::Media { .. }) {
                self.host.state_delete(&self.upload_key(index));
            }
        }
    }

    /// Losing a record costs a duplicate on a retry, not the reply: log and go on.
    fn remember(&self, key: &str, value: &str, what: &str) {
        if let Err(reason) = self.host.state_set(key, value.as_bytes()) {
            self.host
                .log(Level::Warn, &format!("cannot remember {what}: {reason}"));
        }
    }

    fn sent_key(&self, index: usize) -> String {
        format!("reply/{}/{index}", self.key)
    }

    fn upload_key(&self, index: usize) -> String {
        format!("reply/{}/{index}/upload", self.key)
    }
}
