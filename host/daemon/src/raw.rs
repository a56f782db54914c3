use bytes::Bytes;
use http::HeaderMap;
use serde::{Deserialize, Serialize};

/// A verified webhook request as kept in a dead letter, exact enough to replay.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct RawDelivery {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) query: String,
    pub(crate) headers: Vec<(String, String)>,
    #[serde(with = "body_b64")]
    /// Shared with the received request: keeping it for a possible dead letter costs
    /// no copy.
    pub(crate) body: Bytes,
}

impl RawDelivery {
    pub(crate) fn from_parts(
        method: &str,
        path: &str,
        query: &str,
        headers: &HeaderMap,
        body: &Bytes,
    ) -> RawDelivery {
        RawDelivery {
            method: method.to_owned(),
            path: path.to_owned(),
            query: query.to_owned(),
            headers: headers
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body: body.clone(),
        }
    }

    /// Masks secret values in the query and header values.
    pub(crate) fn redact(&mut self, redact: impl Fn(&str) -> String) {
        self.query = redact(&self.query);
        for (_, value) in &mut self.headers {
            *value = redact(value);
        }
    }

    pub(crate) fn to_json(&self) -> Vec<u8> {
        // Serialising plain strings and bytes cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    pub(crate) fn from_json(bytes: &[u8]) -> Result<RawDelivery, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
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
