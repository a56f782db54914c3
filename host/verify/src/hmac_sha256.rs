//! `hmac-sha256`: a prefixed hex HMAC of the raw body in one header (WhatsApp
//! `x-hub-signature-256: sha256=<hex>`, also GitHub's format).

use crate::error::{ConfigError, SignatureFormatError, VerifyError};
use crate::mac::{self, TAG_LEN, Tag};
use crate::{header, unicode_escape};
use http::{HeaderMap, HeaderName, HeaderValue};
use ring::hmac;

const NAME: &str = "hmac-sha256";

/// A prepared `hmac-sha256` scheme.
#[derive(Clone)]
pub(crate) struct HmacSha256 {
    header: HeaderName,
    prefix: String,
    key: hmac::Key,
}

impl HmacSha256 {
    pub(crate) fn new(header: &str, prefix: &str, secret: &[u8]) -> Result<Self, ConfigError> {
        if secret.is_empty() {
            return Err(ConfigError::EmptySecret { scheme: NAME });
        }
        let header = header::parse_name(NAME, header)?;
        let printable = prefix.bytes().all(|byte| (b' '..=b'~').contains(&byte));
        if !printable || prefix.starts_with(' ') {
            return Err(ConfigError::InvalidPrefix {
                prefix: prefix.to_owned(),
            });
        }
        Ok(HmacSha256 {
            header,
            prefix: prefix.to_owned(),
            key: mac::key(secret),
        })
    }

    pub(crate) fn header(&self) -> &HeaderName {
        &self.header
    }

    /// A signature header that can be decoded, before the body is read.
    pub(crate) fn check_headers(&self, headers: &HeaderMap) -> Result<(), VerifyError> {
        self.decode(header::single(headers, &self.header)?)
            .map(drop)
    }

    pub(crate) fn verify(&self, headers: &HeaderMap, body: &[u8]) -> Result<(), VerifyError> {
        let value = header::single(headers, &self.header)?;
        let claimed = self.decode(value)?;
        if hmac::verify(&self.key, body, &claimed).is_ok() {
            return Ok(());
        }
        // Meta has signed the `\uXXXX`-escaped payload for bodies with non-ASCII text
        // (the whatsapp-api-js 401s on "J'ai mangé des pâtes"), so a raw-body mismatch
        // on such a body gets one more try before it counts as a forgery.
        if unicode_escape::changes(body)
            && let Ok(text) = std::str::from_utf8(body)
        {
            let mut context = hmac::Context::with_key(&self.key);
            unicode_escape::for_each_piece(text, |piece| context.update(piece));
            if mac::tags_equal(&mac::finish(context), &claimed) {
                return Ok(());
            }
        }
        Err(VerifyError::SignatureMismatch)
    }

    /// The header that makes `body` verify.
    pub(crate) fn sign(&self, body: &[u8]) -> Vec<(String, String)> {
        let tag = hmac::sign(&self.key, body);
        let value = format!("{}{}", self.prefix, hex::encode(tag.as_ref()));
        vec![(self.header.as_str().to_owned(), value)]
    }

    fn decode(&self, value: &HeaderValue) -> Result<Tag, VerifyError> {
        let malformed = |source| VerifyError::MalformedSignature {
            name: self.header.clone(),
            source,
        };
        let digits = value
            .as_bytes()
            .strip_prefix(self.prefix.as_bytes())
            .ok_or_else(|| {
                malformed(SignatureFormatError::MissingPrefix {
                    prefix: self.prefix.clone(),
                })
            })?;
        let mut tag = [0; TAG_LEN];
        hex::decode_to_slice(digits, &mut tag)
            .map_err(|source| malformed(SignatureFormatError::Hex(source)))?;
        Ok(tag)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"app-secret";

    fn scheme() -> HmacSha256 {
        HmacSha256::new("X-Hub-Signature-256", "sha256=", SECRET).expect("valid scheme")
    }

    fn headers_with(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-hub-signature-256",
            HeaderValue::from_str(value).expect("valid header value"),
        );
        headers
    }

    fn signature_of(bytes: &[u8]) -> String {
        format!(
            "sha256={}",
            hex::encode(hmac::sign(&mac::key(SECRET), bytes))
        )
    }

    #[test]
    fn accepts_lower_and_upper_case_hex() {
        let body = br#"{"object":"whatsapp_business_account"}"#;
        let signature = signature_of(body);
        assert!(scheme().verify(&headers_with(&signature), body).is_ok());
        let upper = format!("sha256={}", signature["sha256=".len()..].to_uppercase());
        assert!(scheme().verify(&headers_with(&upper), body).is_ok());
    }

    #[test]
    fn tampered_body_fails() {
        let signature = signature_of(b"{\"amount\":1}");
        let err = scheme()
            .verify(&headers_with(&signature), b"{\"amount\":9}")
            .unwrap_err();
        assert!(matches!(err, VerifyError::SignatureMismatch));
        assert_eq!(err.reason_label(), "bad_signature");
    }

    #[test]
    fn missing_header_names_the_header() {
        let err = scheme().verify(&HeaderMap::new(), b"{}").unwrap_err();
        assert_eq!(err.to_string(), "missing header x-hub-signature-256");
        assert_eq!(err.reason_label(), "missing_signature");
    }

    #[test]
    fn wrong_prefix_short_hex_and_non_hex_are_malformed() {
        let good = signature_of(b"{}");
        let cases = [
            good.replace("sha256=", "sha1="),
            good[..good.len() - 2].to_owned(),
            format!("{}zz", &good[..good.len() - 2]),
            format!("{good}00"),
        ];
        for value in cases {
            let err = scheme().verify(&headers_with(&value), b"{}").unwrap_err();
            assert_eq!(
                err.to_string(),
                "malformed signature in header x-hub-signature-256",
                "for {value}"
            );
            assert_eq!(err.reason_label(), "malformed");
        }
    }

    #[test]
    fn unicode_escaped_signature_verifies_the_raw_body() {
        let raw = r#"{"text":{"body":"J'ai mangé des pâtes 🍝"}}"#;
        let escaped = r#"{"text":{"body":"J'ai mang\u00e9 des p\u00e2tes \ud83c\udf5d"}}"#;
        let signature = signature_of(escaped.as_bytes());
        assert!(
            scheme()
                .verify(&headers_with(&signature), raw.as_bytes())
                .is_ok()
        );
        // The fallback must not turn into "any body with non-ASCII passes".
        let other = raw.replace("pâtes", "pâtés");
        let err = scheme()
            .verify(&headers_with(&signature), other.as_bytes())
            .unwrap_err();
        assert!(matches!(err, VerifyError::SignatureMismatch));
    }

    #[test]
    fn empty_prefix_means_bare_hex() {
        let scheme = HmacSha256::new("x-signature", "", SECRET).expect("valid scheme");
        let body = b"payload";
        let headers = scheme.sign(body);
        assert_eq!(headers[0].1.len(), 64);
        let mut map = HeaderMap::new();
        map.insert(
            "x-signature",
            HeaderValue::from_str(&headers[0].1).expect("hex"),
        );
        assert!(scheme.verify(&map, body).is_ok());
    }

    #[test]
    fn config_rejects_empty_secret_bad_header_and_bad_prefix() {
        assert!(matches!(
            HmacSha256::new("x-sig", "", b""),
            Err(ConfigError::EmptySecret { .. })
        ));
        assert!(matches!(
            HmacSha256::new("bad header", "", SECRET),
            Err(ConfigError::InvalidHeaderName { .. })
        ));
        assert!(matches!(
            HmacSha256::new("x-sig", " sha256=", SECRET),
            Err(ConfigError::InvalidPrefix { .. })
        ));
    }
}
