//! `slack-v0`: Slack's `x-slack-signature: v0=<hex>` over `v0:{timestamp}:{body}`, with
//! `x-slack-request-timestamp` inside a replay window.

use crate::error::{ConfigError, SignatureFormatError, VerifyError};
use crate::mac::{self, TAG_LEN, Tag};
use crate::{header, timestamp};
use http::{HeaderMap, HeaderName, HeaderValue};
use ring::hmac;

const NAME: &str = "slack-v0";
const VERSION: &str = "v0";
const PREFIX: &str = "v0=";
pub(crate) const SIGNATURE: HeaderName = HeaderName::from_static("x-slack-signature");
pub(crate) const TIMESTAMP: HeaderName = HeaderName::from_static("x-slack-request-timestamp");

/// A prepared `slack-v0` scheme.
#[derive(Clone)]
pub(crate) struct SlackV0 {
    key: hmac::Key,
    tolerance_secs: u64,
}

impl SlackV0 {
    pub(crate) fn new(secret: &[u8], tolerance_secs: u64) -> Result<Self, ConfigError> {
        if secret.is_empty() {
            return Err(ConfigError::EmptySecret { scheme: NAME });
        }
        Ok(SlackV0 {
            key: mac::key(secret),
            tolerance_secs,
        })
    }

    /// A decodable signature and a timestamp in the window, before the body is read.
    pub(crate) fn check_headers(
        &self,
        headers: &HeaderMap,
        now_unix: i64,
    ) -> Result<(), VerifyError> {
        decode(header::single(headers, &SIGNATURE)?)?;
        let signed_at = timestamp::parse(&TIMESTAMP, header::single(headers, &TIMESTAMP)?)?;
        timestamp::check_window(signed_at, now_unix, self.tolerance_secs)
    }

    pub(crate) fn verify(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now_unix: i64,
    ) -> Result<(), VerifyError> {
        let claimed = decode(header::single(headers, &SIGNATURE)?)?;
        let raw_timestamp = header::single(headers, &TIMESTAMP)?;
        let signed_at = timestamp::parse(&TIMESTAMP, raw_timestamp)?;
        timestamp::check_window(signed_at, now_unix, self.tolerance_secs)?;
        // The basestring uses the header's bytes as sent, not a re-formatted number.
        if mac::tags_equal(&self.tag(raw_timestamp.as_bytes(), body), &claimed) {
            Ok(())
        } else {
            Err(VerifyError::SignatureMismatch)
        }
    }

    /// The headers that make `body` verify at `now_unix`.
    pub(crate) fn sign(&self, body: &[u8], now_unix: i64) -> Vec<(String, String)> {
        let timestamp = now_unix.to_string();
        let tag = self.tag(timestamp.as_bytes(), body);
        vec![
            (TIMESTAMP.as_str().to_owned(), timestamp),
            (
                SIGNATURE.as_str().to_owned(),
                format!("{PREFIX}{}", hex::encode(tag)),
            ),
        ]
    }

    fn tag(&self, timestamp: &[u8], body: &[u8]) -> Tag {
        mac::sign(
            &self.key,
            &[VERSION.as_bytes(), b":", timestamp, b":", body],
        )
    }
}

fn decode(value: &HeaderValue) -> Result<Tag, VerifyError> {
    let malformed = |source| VerifyError::MalformedSignature {
        name: SIGNATURE,
        source,
    };
    let digits = value
        .as_bytes()
        .strip_prefix(PREFIX.as_bytes())
        .ok_or_else(|| {
            malformed(SignatureFormatError::MissingPrefix {
                prefix: PREFIX.to_owned(),
            })
        })?;
    let mut tag = [0; TAG_LEN];
    hex::decode_to_slice(digits, &mut tag)
        .map_err(|source| malformed(SignatureFormatError::Hex(source)))?;
    Ok(tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"slack-signing-secret";
    const NOW: i64 = 1_700_000_000;
    const BODY: &[u8] = b"token=abc&team_id=T1&command=%2Fweather&text=94070";

    fn scheme() -> SlackV0 {
        SlackV0::new(SECRET, 300).expect("valid scheme")
    }

    #[test]
    fn signed_request_verifies_and_tampered_body_fails() {
        let headers = crate::header::header_map(scheme().sign(BODY, NOW));
        assert!(scheme().verify(&headers, BODY, NOW).is_ok());
        let err = scheme()
            .verify(&headers, b"token=abc&text=other", NOW)
            .unwrap_err();
        assert!(matches!(err, VerifyError::SignatureMismatch));
    }

    #[test]
    fn timestamp_at_the_window_edge_passes_and_beyond_fails() {
        let headers = crate::header::header_map(scheme().sign(BODY, NOW));
        assert!(scheme().verify(&headers, BODY, NOW + 300).is_ok());
        assert!(scheme().verify(&headers, BODY, NOW - 300).is_ok());
        for now in [NOW + 301, NOW - 301] {
            let err = scheme().verify(&headers, BODY, now).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("timestamp {NOW} is 301 s away from now (allowed 300 s)")
            );
        }
    }

    #[test]
    fn timestamp_is_part_of_the_signature() {
        let mut headers = crate::header::header_map(scheme().sign(BODY, NOW));
        headers.insert(TIMESTAMP, HeaderValue::from(NOW + 1));
        let err = scheme().verify(&headers, BODY, NOW).unwrap_err();
        assert!(matches!(err, VerifyError::SignatureMismatch));
    }

    #[test]
    fn missing_headers_are_named() {
        let mut headers = crate::header::header_map(scheme().sign(BODY, NOW));
        headers.remove(TIMESTAMP);
        let err = scheme().verify(&headers, BODY, NOW).unwrap_err();
        assert_eq!(err.to_string(), "missing header x-slack-request-timestamp");
        let err = scheme().verify(&HeaderMap::new(), BODY, NOW).unwrap_err();
        assert_eq!(err.to_string(), "missing header x-slack-signature");
    }

    #[test]
    fn signature_without_v0_prefix_is_malformed() {
        let mut headers = crate::header::header_map(scheme().sign(BODY, NOW));
        let value = headers[&SIGNATURE]
            .to_str()
            .expect("ascii")
            .replace("v0=", "v1=");
        headers.insert(SIGNATURE, HeaderValue::from_str(&value).expect("value"));
        let err = scheme().verify(&headers, BODY, NOW).unwrap_err();
        assert_eq!(
            err.to_string(),
            "malformed signature in header x-slack-signature"
        );
        assert_eq!(err.reason_label(), "malformed");
    }

    #[test]
    fn non_numeric_timestamp_is_malformed() {
        let mut headers = crate::header::header_map(scheme().sign(BODY, NOW));
        headers.insert(TIMESTAMP, HeaderValue::from_static("soon"));
        let err = scheme().verify(&headers, BODY, NOW).unwrap_err();
        assert_eq!(
            err.to_string(),
            "malformed timestamp in header x-slack-request-timestamp"
        );
    }

    #[test]
    fn empty_secret_is_refused() {
        assert!(matches!(
            SlackV0::new(b"", 300),
            Err(ConfigError::EmptySecret { scheme: "slack-v0" })
        ));
    }
}
