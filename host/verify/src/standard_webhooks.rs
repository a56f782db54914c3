//! `standard-webhooks`: HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{body}`, sent
//! as a space-separated list of `v1,<base64>` entries in `webhook-signature` so that a
//! sender can rotate secrets by signing with both.

use crate::error::{ConfigError, SignatureFormatError, VerifyError};
use crate::mac::{self, TAG_LEN, Tag};
use crate::{header, timestamp};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderMap, HeaderName};
use ring::hmac;

const NAME: &str = "standard-webhooks";
const SECRET_PREFIX: &[u8] = b"whsec_";
const VERSION: &[u8] = b"v1";
pub(crate) const ID: HeaderName = HeaderName::from_static("webhook-id");
pub(crate) const TIMESTAMP: HeaderName = HeaderName::from_static("webhook-timestamp");
pub(crate) const SIGNATURE: HeaderName = HeaderName::from_static("webhook-signature");

/// A prepared `standard-webhooks` scheme holding the decoded key.
#[derive(Clone)]
pub(crate) struct StandardWebhooks {
    key: hmac::Key,
    tolerance_secs: u64,
}

impl StandardWebhooks {
    /// Takes the secret as serialised by the sender: `whsec_` + base64. Bare base64 is
    /// accepted too, as the reference libraries do.
    pub(crate) fn new(secret: &[u8], tolerance_secs: u64) -> Result<Self, ConfigError> {
        let encoded = secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret);
        let key = STANDARD
            .decode(encoded)
            .map_err(|source| ConfigError::MalformedSecret { source })?;
        if key.is_empty() {
            return Err(ConfigError::EmptySecret { scheme: NAME });
        }
        Ok(StandardWebhooks {
            key: mac::key(&key),
            tolerance_secs,
        })
    }

    /// Every header present and a timestamp in the window, before the body is read.
    pub(crate) fn check_headers(
        &self,
        headers: &HeaderMap,
        now_unix: i64,
    ) -> Result<(), VerifyError> {
        header::single(headers, &SIGNATURE)?;
        header::single(headers, &ID)?;
        let signed_at = timestamp::parse(&TIMESTAMP, header::single(headers, &TIMESTAMP)?)?;
        timestamp::check_window(signed_at, now_unix, self.tolerance_secs)
    }

    pub(crate) fn verify(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now_unix: i64,
    ) -> Result<(), VerifyError> {
        let signatures = header::single(headers, &SIGNATURE)?;
        let id = header::single(headers, &ID)?;
        let raw_timestamp = header::single(headers, &TIMESTAMP)?;
        let signed_at = timestamp::parse(&TIMESTAMP, raw_timestamp)?;
        timestamp::check_window(signed_at, now_unix, self.tolerance_secs)?;
        let expected = self.tag(id.as_bytes(), raw_timestamp.as_bytes(), body);

        let mut checked_any = false;
        let mut first_malformed = None;
        for entry in signatures.as_bytes().split(|&byte| byte == b' ') {
            // Other versions (`v1a` is ed25519) are for other verifiers; skipping them
            // lets a sender list several kinds of signature at once.
            let Some(encoded) = v1_signature(entry) else {
                continue;
            };
            match decode(encoded) {
                Ok(claimed) => {
                    checked_any = true;
                    if mac::tags_equal(&expected, &claimed) {
                        return Ok(());
                    }
                }
                Err(source) => {
                    first_malformed.get_or_insert(source);
                }
            }
        }
        Err(match (checked_any, first_malformed) {
            (true, _) => VerifyError::SignatureMismatch,
            (false, Some(source)) => VerifyError::MalformedSignature {
                name: SIGNATURE,
                source,
            },
            (false, None) => VerifyError::NoSupportedSignature { name: SIGNATURE },
        })
    }

    /// The headers that make `body` verify at `now_unix`.
    pub(crate) fn sign(
        &self,
        body: &[u8],
        now_unix: i64,
        message_id: &str,
    ) -> Result<Vec<(String, String)>, ConfigError> {
        if !header::survives_as_value(message_id.as_bytes()) {
            return Err(ConfigError::InvalidMessageId {
                message_id: message_id.to_owned(),
                source: http::HeaderValue::from_str(message_id).err(),
            });
        }
        let timestamp = now_unix.to_string();
        let tag = self.tag(message_id.as_bytes(), timestamp.as_bytes(), body);
        Ok(vec![
            (ID.as_str().to_owned(), message_id.to_owned()),
            (TIMESTAMP.as_str().to_owned(), timestamp),
            (
                SIGNATURE.as_str().to_owned(),
                format!("v1,{}", STANDARD.encode(tag)),
            ),
        ])
    }

    fn tag(&self, id: &[u8], timestamp: &[u8], body: &[u8]) -> Tag {
        mac::sign(&self.key, &[id, b".", timestamp, b".", body])
    }
}

/// The base64 part of a `v1,<base64>` entry, or `None` for any other entry.
fn v1_signature(entry: &[u8]) -> Option<&[u8]> {
    let comma = entry.iter().position(|&byte| byte == b',')?;
    let (version, rest) = entry.split_at(comma);
    (version == VERSION).then(|| &rest[1..])
}

fn decode(encoded: &[u8]) -> Result<Tag, SignatureFormatError> {
    let bytes = STANDARD
        .decode(encoded)
        .map_err(SignatureFormatError::Base64)?;
    if bytes.len() != TAG_LEN {
        return Err(SignatureFormatError::WrongLength { len: bytes.len() });
    }
    let mut tag = [0; TAG_LEN];
    tag.copy_from_slice(&bytes);
    Ok(tag)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const NOW: i64 = 1_614_265_330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const ID_VALUE: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";

    fn scheme() -> StandardWebhooks {
        StandardWebhooks::new(SECRET.as_bytes(), 300).expect("valid scheme")
    }

    fn signed_headers() -> HeaderMap {
        let pairs = scheme().sign(BODY, NOW, ID_VALUE).expect("valid id");
        pairs
            .into_iter()
            .map(|(name, value)| {
                (
                    HeaderName::from_bytes(name.as_bytes()).expect("name"),
                    HeaderValue::from_str(&value).expect("value"),
                )
            })
            .collect()
    }

    fn with_signature(list: &str) -> HeaderMap {
        let mut headers = signed_headers();
        headers.insert(SIGNATURE, HeaderValue::from_str(list).expect("value"));
        headers
    }

    fn valid_entry() -> String {
        signed_headers()[&SIGNATURE]
            .to_str()
            .expect("ascii")
            .to_owned()
    }

    #[test]
    fn rotation_passes_when_only_the_second_signature_is_valid() {
        let stale = "v1,R3PTzyfHASBKHH98a7yexTwaJ4yNIcGhFQc1yuN+BPU=";
        let headers = with_signature(&format!("{stale} {}", valid_entry()));
        assert!(scheme().verify(&headers, BODY, NOW).is_ok());
    }

    #[test]
    fn other_versions_are_ignored() {
        let valid = valid_entry();
        let v1a = valid.replacen("v1,", "v1a,", 1);
        assert!(
            scheme()
                .verify(&with_signature(&format!("{v1a} {valid}")), BODY, NOW)
                .is_ok()
        );
        let err = scheme()
            .verify(&with_signature(&v1a), BODY, NOW)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "no v1 signature in header webhook-signature"
        );
    }

    #[test]
    fn wrong_signature_is_a_mismatch_even_beside_malformed_entries() {
        let wrong = "v1,R3PTzyfHASBKHH98a7yexTwaJ4yNIcGhFQc1yuN+BPU=";
        let err = scheme()
            .verify(&with_signature(&format!("v1,!!! {wrong}")), BODY, NOW)
            .unwrap_err();
        assert!(matches!(err, VerifyError::SignatureMismatch));
    }

    #[test]
    fn only_malformed_entries_are_reported_as_malformed() {
        for list in ["v1,not-base64!", "v1,AAAA"] {
            let err = scheme()
                .verify(&with_signature(list), BODY, NOW)
                .unwrap_err();
            assert_eq!(
                err.to_string(),
                "malformed signature in header webhook-signature"
            );
            assert_eq!(err.reason_label(), "malformed");
        }
    }

    #[test]
    fn tampered_id_or_body_fails() {
        let mut headers = signed_headers();
        assert!(matches!(
            scheme().verify(&headers, b"{\"test\": 1}", NOW),
            Err(VerifyError::SignatureMismatch)
        ));
        headers.insert(ID, HeaderValue::from_static("msg_other"));
        assert!(matches!(
            scheme().verify(&headers, BODY, NOW),
            Err(VerifyError::SignatureMismatch)
        ));
    }

    #[test]
    fn each_missing_header_is_named() {
        for name in [ID, TIMESTAMP, SIGNATURE] {
            let mut headers = signed_headers();
            headers.remove(&name);
            let err = scheme().verify(&headers, BODY, NOW).unwrap_err();
            assert_eq!(err.to_string(), format!("missing header {name}"));
        }
    }

    #[test]
    fn tolerance_applies_in_both_directions() {
        let headers = signed_headers();
        for now in [NOW - 300, NOW + 300] {
            assert!(scheme().verify(&headers, BODY, now).is_ok());
        }
        for now in [NOW - 301, NOW + 301] {
            let err = scheme().verify(&headers, BODY, now).unwrap_err();
            assert_eq!(err.reason_label(), "stale_timestamp");
        }
    }

    #[test]
    fn secret_without_prefix_is_the_same_key() {
        let bare = SECRET.trim_start_matches("whsec_");
        let scheme = StandardWebhooks::new(bare.as_bytes(), 300).expect("bare base64");
        assert!(scheme.verify(&signed_headers(), BODY, NOW).is_ok());
    }

    #[test]
    fn bad_secrets_are_config_errors() {
        assert!(matches!(
            StandardWebhooks::new(b"whsec_not base64!", 300),
            Err(ConfigError::MalformedSecret { .. })
        ));
        assert!(matches!(
            StandardWebhooks::new(b"whsec_", 300),
            Err(ConfigError::EmptySecret { .. })
        ));
        assert!(matches!(
            StandardWebhooks::new(b"", 300),
            Err(ConfigError::EmptySecret { .. })
        ));
    }

    #[test]
    fn message_ids_that_are_not_header_values_are_refused() {
        for id in ["line\nbreak", " padded"] {
            assert!(matches!(
                scheme().sign(BODY, NOW, id),
                Err(ConfigError::InvalidMessageId { .. })
            ));
        }
    }
}
