//! `header-token`: a shared token in a header (Telegram
//! `x-telegram-bot-api-secret-token`). No HMAC of the body and no timestamp: the token
//! only proves the sender knows the secret.

use crate::error::{ConfigError, VerifyError};
use crate::header;
use crate::token::TokenMatcher;
use http::{HeaderMap, HeaderName};

const NAME: &str = "header-token";

/// A prepared `header-token` scheme.
#[derive(Clone)]
pub(crate) struct HeaderToken {
    header: HeaderName,
    matcher: TokenMatcher,
    /// Kept only so `sign` can produce the header; never logged or compared directly.
    token: String,
}

impl HeaderToken {
    pub(crate) fn new(header: &str, secret: &[u8]) -> Result<Self, ConfigError> {
        if secret.is_empty() {
            return Err(ConfigError::EmptySecret { scheme: NAME });
        }
        let header = header::parse_name(NAME, header)?;
        let token = std::str::from_utf8(secret).map_err(|source| ConfigError::SecretNotText {
            scheme: NAME,
            source,
        })?;
        if !header::survives_as_value(secret) {
            return Err(ConfigError::SecretNotHeaderValue { scheme: NAME });
        }
        Ok(HeaderToken {
            header,
            matcher: TokenMatcher::new(secret),
            token: token.to_owned(),
        })
    }

    pub(crate) fn header(&self) -> &HeaderName {
        &self.header
    }

    pub(crate) fn verify(&self, headers: &HeaderMap) -> Result<(), VerifyError> {
        let value = header::single(headers, &self.header)?;
        if self.matcher.matches(value.as_bytes()) {
            Ok(())
        } else {
            Err(VerifyError::TokenMismatch)
        }
    }

    /// The header that makes any body verify.
    pub(crate) fn sign(&self) -> Vec<(String, String)> {
        vec![(self.header.as_str().to_owned(), self.token.clone())]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    const HEADER: &str = "X-Telegram-Bot-Api-Secret-Token";

    fn scheme() -> HeaderToken {
        HeaderToken::new(HEADER, b"Abc_123-xyz").expect("valid scheme")
    }

    fn headers_with(value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(HEADER, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn exact_token_passes() {
        assert!(scheme().verify(&headers_with("Abc_123-xyz")).is_ok());
    }

    #[test]
    fn other_tokens_fail_without_revealing_them() {
        for wrong in ["abc_123-xyz", "Abc_123-xy", "Abc_123-xyzz", ""] {
            let err = scheme().verify(&headers_with(wrong)).unwrap_err();
            assert_eq!(err.to_string(), "token mismatch");
            assert_eq!(err.reason_label(), "bad_token");
        }
    }

    #[test]
    fn missing_header_is_named_in_lower_case() {
        let err = scheme().verify(&HeaderMap::new()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "missing header x-telegram-bot-api-secret-token"
        );
    }

    #[test]
    fn secrets_that_cannot_arrive_in_a_header_are_refused() {
        assert!(matches!(
            HeaderToken::new(HEADER, b"line\nbreak"),
            Err(ConfigError::SecretNotHeaderValue { .. })
        ));
        assert!(matches!(
            HeaderToken::new(HEADER, b" padded"),
            Err(ConfigError::SecretNotHeaderValue { .. })
        ));
        assert!(matches!(
            HeaderToken::new(HEADER, b"\xff\xfe"),
            Err(ConfigError::SecretNotText { .. })
        ));
        assert!(matches!(
            HeaderToken::new(HEADER, b""),
            Err(ConfigError::EmptySecret { .. })
        ));
    }
}
