//! `Authorization: Bearer <token>` against the `[api] token`, in constant time.

use http::{HeaderMap, header};
use ring::hmac;

/// The configured token, prepared for repeated comparisons.
///
/// Comparing the strings directly would leak the token's length (any compare stops
/// at the shorter input). Both sides are reduced to an HMAC-SHA256 tag keyed with
/// the token itself, and `ring` compares tags in constant time, so the time taken
/// says nothing about how much of a guess was right.
pub(crate) struct ApiToken {
    key: hmac::Key,
    expected: hmac::Tag,
}

impl std::fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiToken(..)")
    }
}

/// Why a request was not let in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// No `Authorization` header.
    Missing,
    /// An `Authorization` header that is not one `Bearer <token>`.
    NotBearer,
    /// A bearer token that is not the configured one.
    WrongToken,
}

impl Refused {
    pub(crate) fn reason(self) -> &'static str {
        match self {
            Refused::Missing => "no Authorization header",
            Refused::NotBearer => "the Authorization header is not one `Bearer <token>`",
            Refused::WrongToken => "the bearer token is not the configured [api] token",
        }
    }
}

impl ApiToken {
    pub(crate) fn new(token: &str) -> ApiToken {
        let key = hmac::Key::new(hmac::HMAC_SHA256, token.as_bytes());
        let expected = hmac::sign(&key, token.as_bytes());
        ApiToken { key, expected }
    }

    /// Whether `candidate` is the token.
    pub(crate) fn matches(&self, candidate: &[u8]) -> bool {
        hmac::verify(&self.key, candidate, self.expected.as_ref()).is_ok()
    }

    /// Checks a request's `Authorization` header.
    pub(crate) fn check(&self, headers: &HeaderMap) -> Result<(), Refused> {
        let mut values = headers.get_all(header::AUTHORIZATION).iter();
        let Some(value) = values.next() else {
            return Err(Refused::Missing);
        };
        if values.next().is_some() {
            return Err(Refused::NotBearer);
        }
        let value = value.as_bytes();
        // The scheme is case-insensitive (RFC 9110, 11.1); the token is not.
        let scheme = b"bearer ";
        if value.len() <= scheme.len() || !value[..scheme.len()].eq_ignore_ascii_case(scheme) {
            return Err(Refused::NotBearer);
        }
        let token = value[scheme.len()..].trim_ascii();
        if self.matches(token) {
            Ok(())
        } else {
            Err(Refused::WrongToken)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in values {
            map.append(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn only_the_exact_token_as_a_bearer_credential_lets_a_request_in() {
        let token = ApiToken::new("s3cret-api-token-0123");
        assert_eq!(
            token.check(&headers(&["Bearer s3cret-api-token-0123"])),
            Ok(())
        );
        assert_eq!(
            token.check(&headers(&["bearer s3cret-api-token-0123"])),
            Ok(())
        );
        assert_eq!(token.check(&headers(&[])), Err(Refused::Missing));
        for wrong in [
            "Bearer s3cret-api-token-012",
            "Bearer s3cret-api-token-01234",
            "Bearer S3CRET-API-TOKEN-0123",
            "Bearer  ",
        ] {
            assert_eq!(
                token.check(&headers(&[wrong])),
                Err(Refused::WrongToken),
                "{wrong}"
            );
        }
        for not_bearer in [
            "Basic czNjcmV0",
            "s3cret-api-token-0123",
            "Bearer",
            "Bearer ",
        ] {
            assert_eq!(
                token.check(&headers(&[not_bearer])),
                Err(Refused::NotBearer),
                "{not_bearer}"
            );
        }
        assert_eq!(
            token.check(&headers(&[
                "Bearer s3cret-api-token-0123",
                "Bearer s3cret-api-token-0123"
            ])),
            Err(Refused::NotBearer),
            "two credentials are one too many"
        );
    }
}
