//! Large bodies in both directions, streamed: uploads whose body includes files, and
//! downloads written out chunk by chunk. The same checks as [`Egress::fetch`] apply;
//! only the body never sits in memory whole, and neither ever enters a guest.

use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use reqwest::Response;
use switchboard_types::{FetchError, Headers, IncomingResponse, OutgoingRequest};
use tokio::fs::File;
use tokio::io::AsyncReadExt;
use tokio::time::Instant;

use crate::client::{Egress, read_body, response_headers, scrub, send_error};
use crate::policy::Policy;
use crate::prepare::prepare;

/// The size of each read from a file being uploaded.
const FILE_CHUNK: usize = 64 * 1024;

/// How long a download may go without receiving a byte before it is abandoned.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// One piece of a streamed request body.
#[derive(Debug)]
pub enum BodyPart {
    Bytes(Bytes),
    /// The first `len` bytes of an open file.
    File {
        file: File,
        len: u64,
    },
}

/// A request body assembled from bytes and files, sent with its exact length.
#[derive(Debug, Default)]
pub struct StreamedBody {
    parts: Vec<BodyPart>,
}

impl StreamedBody {
    pub fn push(&mut self, part: BodyPart) {
        self.parts.push(part);
    }

    /// The total length in bytes.
    pub fn len(&self) -> u64 {
        self.parts
            .iter()
            .map(|part| match part {
                BodyPart::Bytes(bytes) => bytes.len() as u64,
                BodyPart::File { len, .. } => *len,
            })
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn into_stream(self) -> impl futures::Stream<Item = std::io::Result<Bytes>> + Send {
        futures::stream::iter(self.parts).flat_map(|part| match part {
            BodyPart::Bytes(bytes) => futures::stream::once(async move { Ok(bytes) }).boxed(),
            BodyPart::File { file, len } => {
                futures::stream::unfold((file.take(len), false), |(mut file, done)| async move {
                    if done {
                        return None;
                    }
                    let mut buf = vec![0; FILE_CHUNK];
                    match file.read(&mut buf).await {
                        Ok(0) => None,
                        Ok(n) => {
                            buf.truncate(n);
                            Some((Ok(Bytes::from(buf)), (file, false)))
                        }
                        Err(e) => Some((Err(e), (file, true))),
                    }
                })
                .boxed()
            }
        })
    }
}

/// A response whose body is read chunk by chunk.
pub struct Download {
    pub status: u16,
    /// With secret values redacted.
    pub headers: Headers,
    response: Response,
    deadline: Instant,
}

impl std::fmt::Debug for Download {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Download")
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

impl Download {
    /// The length the server announced, if any.
    pub fn content_length(&self) -> Option<u64> {
        self.response.content_length()
    }

    /// The next chunk of the body, `None` at its end. Fails when no byte arrives for
    /// 30 s or the whole transfer passes its deadline.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, FetchError> {
        let limit = (self.deadline - Instant::now()).min(IDLE_TIMEOUT);
        match tokio::time::timeout(limit, self.response.chunk()).await {
            Ok(Ok(chunk)) => Ok(chunk),
            Ok(Err(e)) => Err(send_error(e)),
            Err(_) => Err(FetchError::Timeout),
        }
    }

    /// The start of a body that is not content (an error answer), as text with
    /// secrets redacted, for a log line or an error message.
    pub async fn error_text(self, policy: &Policy, max: usize) -> String {
        let body = read_body(self.response, max).await.unwrap_or_default();
        policy
            .redactor()
            .redact_str(&String::from_utf8_lossy(&body))
    }
}

impl Egress {
    /// [`Egress::fetch`] with a streamed body: `request.body` must be empty and `body`
    /// is sent in its place, with its exact `content-length`. The transfer may take up
    /// to `timeout`, whatever the request asks for.
    pub async fn fetch_streamed(
        &self,
        policy: &Policy,
        request: OutgoingRequest,
        body: StreamedBody,
        timeout: Duration,
    ) -> Result<IncomingResponse, FetchError> {
        if !request.body.is_empty() {
            return Err(FetchError::Invalid(
                "a streamed request carries its body separately".to_owned(),
            ));
        }
        let len = body.len();
        let result = async {
            let prepared = prepare(policy, request)?;
            let streamed = reqwest::Body::wrap_stream(body.into_stream());
            let exchange = self.exchange(policy.redactor(), prepared, Some((streamed, len)));
            match tokio::time::timeout(timeout, exchange).await {
                Ok(result) => result,
                Err(_) => Err(FetchError::Timeout),
            }
        }
        .await;
        result.map_err(|err| scrub(err, policy.redactor()))
    }

    /// Checks `request` against `policy`, fills in its secrets, sends it and returns
    /// the response with its body unread. The whole transfer must end within
    /// `timeout`.
    pub async fn download(
        &self,
        policy: &Policy,
        request: OutgoingRequest,
        timeout: Duration,
    ) -> Result<Download, FetchError> {
        let deadline = Instant::now() + timeout;
        let result = async {
            let prepared = prepare(policy, request)?;
            let send = self
                .client_for(prepared.granted_by)
                .request(prepared.method, prepared.url)
                .headers(prepared.headers)
                .body(prepared.body)
                .send();
            let response = match tokio::time::timeout_at(deadline, send).await {
                Ok(sent) => sent.map_err(send_error)?,
                Err(_) => return Err(FetchError::Timeout),
            };
            Ok(Download {
                status: response.status().as_u16(),
                headers: response_headers(&response, policy.redactor()),
                response,
                deadline,
            })
        }
        .await;
        result.map_err(|err| scrub(err, policy.redactor()))
    }
}
