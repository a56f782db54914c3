//! A verified webhook request: built once by the ingress, handed to the channel, and
//! kept as-is in a dead letter so it can be replayed.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

/// A webhook request for one channel instance.
///
/// The ingress builds it once from the HTTP request, after verification, with the
/// verification tokens in the query and header values already masked; the body is
/// the platform's exact bytes (signatures cover them) and is shared, not copied.
/// Serialised (body in base64) it is the payload of a `delivery` dead letter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookRequest {
    pub method: String,
    /// Path below `/webhooks/<instance>`.
    pub path: String,
    pub query: String,
    /// In the order received; names lower-case as HTTP/1.1 parsing leaves them.
    pub headers: Vec<(String, String)>,
    #[serde(with = "body_b64")]
    pub body: Bytes,
}

mod body_b64 {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use bytes::Bytes;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(body: &Bytes, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(body))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Bytes, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD
            .decode(text)
            .map(Bytes::from)
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dead_letter_payload_round_trips_byte_for_byte() {
        let request = WebhookRequest {
            method: "POST".to_owned(),
            path: "/events".to_owned(),
            query: "a=1".to_owned(),
            headers: vec![("x-sig".to_owned(), "abc".to_owned())],
            body: Bytes::from_static(b"\x00\xffnot utf-8"),
        };
        let json = serde_json::to_vec(&request).unwrap();
        let back: WebhookRequest = serde_json::from_slice(&json).unwrap();
        assert_eq!(back, request);
        // The shape dead letters written by earlier versions have.
        let value: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(value["body"], "AP9ub3QgdXRmLTg=");
    }
}
