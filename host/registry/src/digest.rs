//! The sha256 digest that pins every artifact.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest as _, Sha256};

/// A sha256 digest, written as 64 lower-case hex digits in JSON and in messages.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sha256Digest([u8; 32]);

/// Text that is not 64 hex digits.
#[derive(Debug, thiserror::Error)]
#[error("`{input}` is not a sha256 digest (64 hex digits)")]
pub struct DigestParseError {
    /// The offending text.
    pub input: String,
    /// Why it is not a digest.
    #[source]
    pub source: hex::FromHexError,
}

impl Sha256Digest {
    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Self(Sha256::digest(bytes).into())
    }

    /// The first 16 hex digits: enough to tell artifacts of one version apart in a
    /// file name, short enough to read.
    pub fn short(&self) -> String {
        hex::encode(&self.0[..8])
    }

    /// The raw digest.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256Digest({self})")
    }
}

impl FromStr for Sha256Digest {
    type Err = DigestParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).map_err(|source| DigestParseError {
            input: s.to_owned(),
            source,
        })?;
        Ok(Self(out))
    }
}

impl Serialize for Sha256Digest {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Sha256Digest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digest_round_trips_through_text() {
        let empty = Sha256Digest::of(b"");
        let hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(empty.to_string(), hex);
        assert_eq!(empty.short(), "e3b0c44298fc1c14");
        assert_eq!(hex.parse::<Sha256Digest>().ok(), Some(empty));
        assert_eq!(hex.to_uppercase().parse::<Sha256Digest>().ok(), Some(empty));
    }

    #[test]
    fn wrong_length_or_alphabet_is_rejected() {
        for bad in ["", "abc", &"g".repeat(64), &"a".repeat(66)] {
            let err = bad.parse::<Sha256Digest>().err();
            assert!(err.is_some(), "{bad:?} parsed");
        }
    }
}
