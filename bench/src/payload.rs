//! The requests the benchmark sends: WhatsApp text-message webhooks with a unique
//! `wamid` each, signed in advance with the instance's app secret.
//!
//! Every request is distinct because the pipeline deduplicates on the message id: a
//! benchmark that resent one body would measure the duplicate path, not the store.
//! Signing happens before the clock starts so the load generator spends its core on
//! sending, not on HMAC.

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{HeaderName, HeaderValue};
use switchboard_verify::{Scheme, Verifier};

use crate::error::BenchError;

/// The app secret every benchmark target is configured with.
pub const APP_SECRET: &str = "bench-app-secret-4f1c9a";

/// The webhook path of the benchmarked instance (`[channels.wa]`).
pub const WEBHOOK_PATH: &str = "/webhooks/wa";

/// The phone number id the payloads are addressed to; replies go to
/// `<api_base>/<phone_number_id>/messages`.
pub const PHONE_NUMBER_ID: &str = "106540352242922";

/// How big a request body is, about the size of a real single-message delivery
/// with a paragraph of text.
pub const BODY_BYTES: usize = 1024;

/// How many distinct senders the payloads cycle through, so agent turns (one
/// conversation at a time, in order) are spread the way real traffic spreads them.
const SENDERS: u64 = 1000;

/// One request, ready to send: the body and the headers that make it authentic.
#[derive(Debug, Clone)]
pub struct SignedRequest {
    /// The raw JSON body.
    pub body: Bytes,
    /// `content-type` and the signature header.
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

/// Builds and signs requests with the scheme WhatsApp uses: `x-hub-signature-256:
/// sha256=<hex HMAC-SHA256 of the body>` under [`APP_SECRET`].
#[derive(Debug, Clone)]
pub struct Signer {
    verifier: Verifier,
    /// Distinguishes the ids of one target, run or step from every other.
    tag: String,
}

impl Signer {
    /// A signer whose message ids all start with `wamid.bench.<tag>.`.
    pub fn new(tag: &str) -> Result<Signer, BenchError> {
        let verifier = Verifier::new(&whatsapp_scheme(), APP_SECRET.as_bytes())
            .map_err(|source| BenchError::Signer { source })?;
        Ok(Signer {
            verifier,
            tag: tag.to_owned(),
        })
    }

    /// The message id of request `seq`.
    pub fn message_id(&self, seq: u64) -> String {
        format!("wamid.bench.{}.{seq}", self.tag)
    }

    /// Request `seq`: a unique body and its signature.
    pub fn request(&self, seq: u64) -> Result<SignedRequest, BenchError> {
        let body = Bytes::from(text_message_body(&self.message_id(seq), seq));
        signed_json(&self.verifier, body, "")
    }

    /// Requests `first .. first + count`, all signed before any is sent.
    pub fn batch(&self, first: u64, count: usize) -> Result<Vec<SignedRequest>, BenchError> {
        (first..first.saturating_add(count as u64))
            .map(|seq| self.request(seq))
            .collect()
    }
}

/// The `verification.post` of the WhatsApp manifest (`registry/whatsapp/manifest.json`).
pub fn whatsapp_scheme() -> Scheme {
    Scheme::HmacSha256 {
        header: "x-hub-signature-256".to_owned(),
        prefix: "sha256=".to_owned(),
        secret: "app_secret".to_owned(),
    }
}

/// A WhatsApp Cloud API text-message delivery with one message, shaped like the
/// documented example and padded with text to [`BODY_BYTES`].
pub fn text_message_body(message_id: &str, seq: u64) -> Vec<u8> {
    let sender = 15_550_000_000 + seq % SENDERS;
    let timestamp = unix_now();
    let head = format!(
        concat!(
            r#"{{"object":"whatsapp_business_account","entry":[{{"id":"102290129340398","changes":[{{"value":{{"#,
            r#""messaging_product":"whatsapp","metadata":{{"display_phone_number":"15550783881","phone_number_id":"{phone}"}},"#,
            r#""contacts":[{{"profile":{{"name":"Bench Sender {sender}"}},"wa_id":"{sender}"}}],"#,
            r#""messages":[{{"from":"{sender}","id":"{id}","timestamp":"{timestamp}","type":"text","text":{{"body":"#,
        ),
        phone = PHONE_NUMBER_ID,
        sender = sender,
        id = message_id,
        timestamp = timestamp,
    );
    let tail = r#""}}]},"field":"messages"}]}]}"#;
    let mut text = format!("\"message {seq}: ");
    let filler = "Does it come in another color? ";
    while head.len() + text.len() + tail.len() < BODY_BYTES {
        let room = BODY_BYTES - head.len() - text.len() - tail.len();
        text.push_str(&filler[..room.min(filler.len())]);
    }
    let mut body = head.into_bytes();
    body.extend_from_slice(text.as_bytes());
    body.extend_from_slice(tail.as_bytes());
    body
}

/// The wall clock in Unix seconds (what the signature schemes and payloads carry).
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// A JSON `body` with the headers that make it verify now under `verifier`
/// (`message_id` is signed by `standard-webhooks` only).
pub(crate) fn signed_json(
    verifier: &Verifier,
    body: Bytes,
    message_id: &str,
) -> Result<SignedRequest, BenchError> {
    let mut headers = vec![(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    )];
    let signed = verifier
        .sign(&body, unix_now(), message_id)
        .map_err(|source| BenchError::Signer { source })?;
    for (name, value) in signed {
        let name = HeaderName::try_from(name.as_str()).map_err(|source| BenchError::Header {
            source: source.into(),
        })?;
        let value = HeaderValue::try_from(value.as_str()).map_err(|source| BenchError::Header {
            source: source.into(),
        })?;
        headers.push((name, value));
    }
    Ok(SignedRequest { body, headers })
}
