//! Secret values and their removal from anything a guest or a log may see.

use std::fmt;

use crate::Policy;
use crate::placement::SecretPlacement;

/// The text that replaces a secret value.
const REDACTED: &str = "[redacted]";

/// A secret value, such as an API token, and where its manifest lets the host fill
/// it in. `Debug` never shows the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    value: String,
    placements: Vec<SecretPlacement>,
}

impl Secret {
    /// Wraps a secret value. Until [`Secret::placed`] says where, it is never
    /// filled in anywhere (it is still redacted everywhere).
    pub fn new(value: impl Into<String>) -> Secret {
        Secret {
            value: value.into(),
            placements: Vec::new(),
        }
    }

    /// The places the manifest declares for this secret.
    #[must_use]
    pub fn placed(mut self, placements: Vec<SecretPlacement>) -> Secret {
        self.placements = placements;
        self
    }

    /// The value itself, for the few places that must send or match it.
    pub fn expose(&self) -> &str {
        &self.value
    }

    pub(crate) fn placements(&self) -> &[SecretPlacement] {
        &self.placements
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Secret {
        Secret::new(value)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// Replaces every secret value of `policy` in `text` with `[redacted]`.
///
/// The value and its URL-encoded form are replaced, because a secret that went into
/// a URL may come back encoded (in an error, a `Location` header or an echoed URL),
/// and both are matched in any ASCII case, because a transport may fold the case
/// (header names arrive lower-cased).
pub fn redact(text: &str, policy: &Policy) -> String {
    policy.redactor().redact_str(text)
}

/// The byte patterns to hide, ASCII lower-cased and longest first, so that a secret
/// that contains another secret is replaced whole rather than leaving its remainder
/// behind.
pub(crate) struct Redactor {
    patterns: Vec<String>,
}

impl Redactor {
    pub(crate) fn new<'a>(values: impl Iterator<Item = &'a str>) -> Redactor {
        let mut patterns: Vec<String> = Vec::new();
        for value in values.filter(|v| !v.is_empty()) {
            patterns.push(value.to_ascii_lowercase());
            // The host's own encoding uses upper-case hex; case-folding covers `%2f`.
            patterns.push(crate::placeholder::encode_for_url(value).to_ascii_lowercase());
        }
        patterns.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        patterns.dedup();
        Redactor { patterns }
    }

    pub(crate) fn redact_bytes(&self, input: &[u8]) -> Vec<u8> {
        if self.patterns.is_empty() {
            return input.to_vec();
        }
        let mut out = Vec::with_capacity(input.len());
        let mut i = 0;
        while i < input.len() {
            let rest = &input[i..];
            let found = self.patterns.iter().find(|p| {
                rest.get(..p.len())
                    .is_some_and(|head| head.eq_ignore_ascii_case(p.as_bytes()))
            });
            match found {
                Some(pattern) => {
                    out.extend_from_slice(REDACTED.as_bytes());
                    i += pattern.len();
                }
                None => {
                    out.push(input[i]);
                    i += 1;
                }
            }
        }
        out
    }

    pub(crate) fn redact_str(&self, input: &str) -> String {
        // A match differs from its pattern only in the case of ASCII letters, so it
        // starts and ends on a character boundary and the output stays valid UTF-8;
        // the lossy branch only exists to avoid a panic path.
        match String::from_utf8(self.redact_bytes(input.as_bytes())) {
            Ok(text) => text,
            Err(err) => String::from_utf8_lossy(err.as_bytes()).into_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret:?}"), "[redacted]");
        assert_eq!(format!("{:?}", Some(&secret)), "Some([redacted])");
        assert_eq!(secret.expose(), "hunter2");
    }

    #[test]
    fn redacts_every_occurrence_and_the_encoded_form() {
        let redactor = Redactor::new(["tok/en", "abc"].into_iter());
        assert_eq!(
            redactor.redact_str("a tok/en, tok%2Fen and abcabc"),
            "a [redacted], [redacted] and [redacted][redacted]"
        );
    }

    #[test]
    fn case_folded_forms_are_redacted_too() {
        let redactor = Redactor::new(["Tok/En-9x"].into_iter());
        assert_eq!(
            redactor.redact_str("x-tok%2fen-9x: TOK/EN-9X tok/en-9x Tok%2FEn-9x"),
            "x-[redacted]: [redacted] [redacted] [redacted]"
        );
        // Non-ASCII letters are compared as they are: only ASCII case is folded.
        let redactor = Redactor::new(["grün"].into_iter());
        assert_eq!(redactor.redact_str("GRüN GRÜN"), "[redacted] GRÜN");
    }

    #[test]
    fn longer_secret_wins_over_its_prefix() {
        let redactor = Redactor::new(["abc", "abcdef"].into_iter());
        assert_eq!(redactor.redact_str("xabcdefx"), "x[redacted]x");
    }

    #[test]
    fn empty_secrets_are_ignored_and_text_survives() {
        let redactor = Redactor::new(["", "ü"].into_iter());
        assert_eq!(redactor.redact_str("grüße"), "gr[redacted]ße");
        assert_eq!(redactor.redact_bytes(b"plain"), b"plain");
    }
}
