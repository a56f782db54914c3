//! Constant-time equality of a presented token with the secret.
//!
//! Comparing the raw strings would leak the secret's length through timing (any
//! compare has to stop at the shorter input). Both sides are first reduced to an
//! HMAC-SHA256 tag keyed with the secret itself, so the compare is always 32 bytes, and
//! an attacker cannot precompute tags without knowing the secret.

use ring::hmac;

/// A secret token prepared for repeated comparisons.
#[derive(Clone)]
pub(crate) struct TokenMatcher {
    key: hmac::Key,
    expected: hmac::Tag,
}

impl TokenMatcher {
    /// Prepares `secret`; the caller has already refused an empty one.
    pub(crate) fn new(secret: &[u8]) -> TokenMatcher {
        let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
        let expected = hmac::sign(&key, secret);
        TokenMatcher { key, expected }
    }

    /// Whether `candidate` equals the secret.
    pub(crate) fn matches(&self, candidate: &[u8]) -> bool {
        hmac::verify(&self.key, candidate, self.expected.as_ref()).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_only_the_exact_secret() {
        let matcher = TokenMatcher::new(b"s3cr3t-token");
        assert!(matcher.matches(b"s3cr3t-token"));
        assert!(!matcher.matches(b"s3cr3t-toke"));
        assert!(!matcher.matches(b"s3cr3t-token2"));
        assert!(!matcher.matches(b"S3CR3T-TOKEN"));
        assert!(!matcher.matches(b""));
    }
}
