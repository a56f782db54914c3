//! `query-token`: the GET subscription handshake (WhatsApp
//! `?hub.mode=subscribe&hub.challenge=…&hub.verify_token=…`). The host checks the token
//! here; answering with the challenge is the guest's job.

use crate::error::{ConfigError, VerifyError};
use crate::scheme::Handshake;
use crate::token::TokenMatcher;
use std::borrow::Cow;
use std::fmt;

const NAME: &str = "query-token";

/// A handshake prepared once per channel instance.
#[derive(Clone)]
pub struct HandshakeVerifier {
    param: String,
    matcher: TokenMatcher,
    mode: Option<RequiredMode>,
}

#[derive(Clone)]
struct RequiredMode {
    param: String,
    value: String,
}

impl HandshakeVerifier {
    /// Prepares `handshake` with the resolved value of its secret.
    pub fn new(handshake: &Handshake, secret: &[u8]) -> Result<HandshakeVerifier, ConfigError> {
        let Handshake::QueryToken {
            param,
            mode_param,
            mode,
            ..
        } = handshake;
        if secret.is_empty() {
            return Err(ConfigError::EmptySecret { scheme: NAME });
        }
        // Query values arrive as text, so a secret that is not UTF-8 could never match.
        std::str::from_utf8(secret).map_err(|source| ConfigError::SecretNotText {
            scheme: NAME,
            source,
        })?;
        let mode = match (mode_param, mode) {
            (Some(param), Some(value)) => Some(RequiredMode {
                param: param.clone(),
                value: value.clone(),
            }),
            (None, None) => None,
            _ => return Err(ConfigError::IncompleteMode),
        };
        Ok(HandshakeVerifier {
            param: param.clone(),
            matcher: TokenMatcher::new(secret),
            mode,
        })
    }

    /// Checks a handshake's `query`: the raw, percent-encoded query string without `?`.
    pub fn verify(&self, query: &str) -> Result<(), VerifyError> {
        let mut token = None;
        let mut mode = None;
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            let slot = if name == self.param.as_str() {
                &mut token
            } else if self.mode.as_ref().is_some_and(|m| name == m.param.as_str()) {
                &mut mode
            } else {
                continue;
            };
            // Two tokens would let a proxy and the host check different ones.
            if slot.replace(value).is_some() {
                return Err(VerifyError::DuplicateQueryParameter {
                    name: name.into_owned(),
                });
            }
        }
        let token = token.ok_or_else(|| VerifyError::MissingQueryParameter {
            name: self.param.clone(),
        })?;
        if let Some(required) = &self.mode {
            check_mode(required, mode)?;
        }
        if self.matcher.matches(token.as_bytes()) {
            Ok(())
        } else {
            Err(VerifyError::TokenMismatch)
        }
    }
}

fn check_mode(required: &RequiredMode, sent: Option<Cow<'_, str>>) -> Result<(), VerifyError> {
    let sent = sent.ok_or_else(|| VerifyError::MissingQueryParameter {
        name: required.param.clone(),
    })?;
    if sent != required.value.as_str() {
        return Err(VerifyError::WrongMode {
            name: required.param.clone(),
        });
    }
    Ok(())
}

impl fmt::Debug for HandshakeVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HandshakeVerifier")
            .field("scheme", &NAME)
            .field("param", &self.param)
            .field("mode_param", &self.mode.as_ref().map(|m| &m.param))
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &[u8] = b"my verify/token";

    fn whatsapp() -> Handshake {
        Handshake::QueryToken {
            param: "hub.verify_token".to_owned(),
            secret: "verify_token".to_owned(),
            mode_param: Some("hub.mode".to_owned()),
            mode: Some("subscribe".to_owned()),
        }
    }

    fn verifier() -> HandshakeVerifier {
        HandshakeVerifier::new(&whatsapp(), TOKEN).expect("valid handshake")
    }

    #[test]
    fn meta_style_handshake_passes_with_percent_encoded_token() {
        let query =
            "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=my+verify%2Ftoken";
        assert!(verifier().verify(query).is_ok());
    }

    #[test]
    fn wrong_token_fails() {
        let err = verifier()
            .verify("hub.mode=subscribe&hub.challenge=1&hub.verify_token=guess")
            .unwrap_err();
        assert_eq!(err.to_string(), "token mismatch");
        assert_eq!(err.reason_label(), "bad_token");
    }

    #[test]
    fn missing_token_is_named() {
        let err = verifier()
            .verify("hub.mode=subscribe&hub.challenge=1")
            .unwrap_err();
        assert_eq!(err.to_string(), "missing query parameter hub.verify_token");
        assert_eq!(err.reason_label(), "missing_signature");
    }

    #[test]
    fn wrong_or_missing_mode_fails() {
        let err = verifier()
            .verify("hub.mode=unsubscribe&hub.verify_token=my+verify%2Ftoken")
            .unwrap_err();
        assert_eq!(err.to_string(), "wrong hub.mode");
        let err = verifier()
            .verify("hub.verify_token=my+verify%2Ftoken")
            .unwrap_err();
        assert_eq!(err.to_string(), "missing query parameter hub.mode");
    }

    #[test]
    fn repeated_token_is_refused() {
        let err = verifier()
            .verify("hub.mode=subscribe&hub.verify_token=x&hub.verify_token=my+verify%2Ftoken")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "query parameter hub.verify_token appears more than once"
        );
    }

    #[test]
    fn mode_is_optional() {
        let handshake = Handshake::QueryToken {
            param: "token".to_owned(),
            secret: "t".to_owned(),
            mode_param: None,
            mode: None,
        };
        let verifier = HandshakeVerifier::new(&handshake, b"abc").expect("valid");
        assert!(verifier.verify("token=abc&hub.mode=anything").is_ok());
    }

    #[test]
    fn config_errors() {
        assert!(matches!(
            HandshakeVerifier::new(&whatsapp(), b""),
            Err(ConfigError::EmptySecret { .. })
        ));
        assert!(matches!(
            HandshakeVerifier::new(&whatsapp(), b"\xff"),
            Err(ConfigError::SecretNotText { .. })
        ));
        let half = Handshake::QueryToken {
            param: "token".to_owned(),
            secret: "t".to_owned(),
            mode_param: Some("hub.mode".to_owned()),
            mode: None,
        };
        assert!(matches!(
            HandshakeVerifier::new(&half, b"abc"),
            Err(ConfigError::IncompleteMode)
        ));
    }

    #[test]
    fn debug_output_does_not_contain_the_secret() {
        let debug = format!("{:?}", verifier());
        assert!(!debug.contains("my verify/token"), "{debug}");
        assert!(debug.contains("hub.verify_token"));
    }
}
