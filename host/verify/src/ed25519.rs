//! `ed25519`: an Ed25519 signature over `{timestamp}{body}`, made with the sender's
//! private key and checked with its public key, with the timestamp inside a replay
//! window (Discord's interactions endpoint: `x-signature-ed25519: <hex>` and
//! `x-signature-timestamp`).
//!
//! The host holds only the public key, so unlike the HMAC schemes it cannot produce a
//! signature; [`crate::sign_ed25519`] signs with the private key for tests and tools.

use crate::error::{ConfigError, KeyFormatError, SignatureFormatError, VerifyError};
use crate::scheme::{DEFAULT_ED25519_SIGNATURE_HEADER, DEFAULT_ED25519_TIMESTAMP_HEADER};
use crate::{header, timestamp};
use ed25519_dalek::{
    PUBLIC_KEY_LENGTH, SECRET_KEY_LENGTH, SIGNATURE_LENGTH, Signature, Signer as _, SigningKey,
    VerifyingKey,
};
use http::{HeaderMap, HeaderName, HeaderValue};

const NAME: &str = "ed25519";
/// Hex digits in a signature header.
const SIGNATURE_DIGITS: usize = 2 * SIGNATURE_LENGTH;

/// A prepared `ed25519` scheme holding the decoded public key.
#[derive(Clone)]
pub(crate) struct Ed25519 {
    key: VerifyingKey,
    signature_header: HeaderName,
    timestamp_header: HeaderName,
    tolerance_secs: u64,
}

impl Ed25519 {
    /// Takes the public key as 64 hex digits, in either case.
    pub(crate) fn new(
        signature_header: &str,
        timestamp_header: &str,
        public_key: &[u8],
        tolerance_secs: u64,
    ) -> Result<Self, ConfigError> {
        if public_key.is_empty() {
            return Err(ConfigError::EmptySecret { scheme: NAME });
        }
        let malformed = |source| ConfigError::MalformedPublicKey { source };
        let bytes: [u8; PUBLIC_KEY_LENGTH] = decode_key(public_key).map_err(malformed)?;
        let key =
            VerifyingKey::from_bytes(&bytes).map_err(|_| malformed(KeyFormatError::NotOnCurve))?;
        if key.is_weak() {
            return Err(malformed(KeyFormatError::Weak));
        }
        Ok(Ed25519 {
            key,
            signature_header: header::parse_name(NAME, signature_header)?,
            timestamp_header: header::parse_name(NAME, timestamp_header)?,
            tolerance_secs,
        })
    }

    pub(crate) fn signature_header(&self) -> &HeaderName {
        &self.signature_header
    }

    /// A decodable signature and a timestamp in the window, before the body is read.
    pub(crate) fn check_headers(
        &self,
        headers: &HeaderMap,
        now_unix: i64,
    ) -> Result<(), VerifyError> {
        self.decode(header::single(headers, &self.signature_header)?)?;
        let raw_timestamp = header::single(headers, &self.timestamp_header)?;
        let signed_at = timestamp::parse(&self.timestamp_header, raw_timestamp)?;
        timestamp::check_window(signed_at, now_unix, self.tolerance_secs)
    }

    pub(crate) fn verify(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now_unix: i64,
    ) -> Result<(), VerifyError> {
        let claimed = self.decode(header::single(headers, &self.signature_header)?)?;
        let raw_timestamp = header::single(headers, &self.timestamp_header)?;
        let signed_at = timestamp::parse(&self.timestamp_header, raw_timestamp)?;
        timestamp::check_window(signed_at, now_unix, self.tolerance_secs)?;
        // The message uses the header's bytes as sent, not a re-formatted number.
        self.check(&claimed, raw_timestamp.as_bytes(), body)
    }

    /// Whether `signature` is the key owner's over `timestamp` followed by `body`.
    ///
    /// Strict verification refuses the malleable encodings plain RFC 8032 verification
    /// lets through (a non-canonical `s`, a small-order `R`), so one message has one
    /// valid signature per key. Nothing here is secret, so nothing needs to be
    /// constant-time.
    fn check(
        &self,
        signature: &Signature,
        timestamp: &[u8],
        body: &[u8],
    ) -> Result<(), VerifyError> {
        // `verify_strict` takes the message in one piece; the copy is bounded by the body
        // limit the daemon enforces before verification.
        let message = [timestamp, body].concat();
        self.key
            .verify_strict(&message, signature)
            .map_err(|_| VerifyError::SignatureMismatch)
    }

    fn decode(&self, value: &HeaderValue) -> Result<Signature, VerifyError> {
        let malformed = |source| VerifyError::MalformedSignature {
            name: self.signature_header.clone(),
            source,
        };
        let digits = value.as_bytes();
        if digits.len() != SIGNATURE_DIGITS {
            return Err(malformed(SignatureFormatError::HexLength {
                len: digits.len(),
                expected: SIGNATURE_DIGITS,
            }));
        }
        let mut bytes = [0; SIGNATURE_LENGTH];
        hex::decode_to_slice(digits, &mut bytes)
            .map_err(|source| malformed(SignatureFormatError::NotHex(source)))?;
        Ok(Signature::from_bytes(&bytes))
    }
}

/// The headers that make `body` verify at `now_unix` under a scheme with the default
/// header names, signed with the private key whose seed is `seed_hex`.
pub(crate) fn sign(
    seed_hex: &str,
    now_unix: i64,
    body: &[u8],
) -> Result<Vec<(String, String)>, ConfigError> {
    let seed: [u8; SECRET_KEY_LENGTH] = decode_key(seed_hex.as_bytes())
        .map_err(|source| ConfigError::MalformedPrivateKey { source })?;
    let key = SigningKey::from_bytes(&seed);
    let timestamp = now_unix.to_string();
    let signature = signature_of(&key, timestamp.as_bytes(), body);
    Ok(vec![
        (DEFAULT_ED25519_TIMESTAMP_HEADER.to_owned(), timestamp),
        (
            DEFAULT_ED25519_SIGNATURE_HEADER.to_owned(),
            hex::encode(signature.to_bytes()),
        ),
    ])
}

fn signature_of(key: &SigningKey, timestamp: &[u8], body: &[u8]) -> Signature {
    key.sign(&[timestamp, body].concat())
}

/// 32 bytes from 64 hex digits in either case. The error never quotes the value, which
/// for a seed is the private key.
fn decode_key(hex_digits: &[u8]) -> Result<[u8; 32], KeyFormatError> {
    let mut key = [0; 32];
    if hex_digits.len() != 2 * key.len() {
        return Err(KeyFormatError::WrongLength {
            len: hex_digits.len(),
        });
    }
    hex::decode_to_slice(hex_digits, &mut key).map_err(|_| KeyFormatError::NotHex)?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 8032 section 7.1, "TEST 2": the secret key (seed), the public key, a
    // one-byte message and its signature, as published.
    const RFC_SEED: &str = "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb";
    const RFC_PUBLIC_KEY: &str = "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c";
    const RFC_MESSAGE: &[u8] = &[0x72];
    const RFC_SIGNATURE: &str = concat!(
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da",
        "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    );

    const NOW: i64 = 1_700_000_000;
    /// Discord's PING interaction, the first request its Developer Portal sends to a new
    /// interactions endpoint.
    const PING: &[u8] = br#"{"type":1}"#;

    fn scheme() -> Ed25519 {
        Ed25519::new(
            DEFAULT_ED25519_SIGNATURE_HEADER,
            DEFAULT_ED25519_TIMESTAMP_HEADER,
            RFC_PUBLIC_KEY.as_bytes(),
            300,
        )
        .expect("valid scheme")
    }

    fn signed_ping() -> HeaderMap {
        crate::header::header_map(sign(RFC_SEED, NOW, PING).expect("valid seed"))
    }

    fn signature_header() -> HeaderName {
        HeaderName::from_static(DEFAULT_ED25519_SIGNATURE_HEADER)
    }

    fn timestamp_header() -> HeaderName {
        HeaderName::from_static(DEFAULT_ED25519_TIMESTAMP_HEADER)
    }

    fn with_signature(value: &str) -> HeaderMap {
        let mut headers = signed_ping();
        headers.insert(
            signature_header(),
            HeaderValue::from_str(value).expect("value"),
        );
        headers
    }

    fn ping_signature() -> String {
        signed_ping()[&signature_header()]
            .to_str()
            .expect("ascii")
            .to_owned()
    }

    #[test]
    fn rfc_8032_vector_verifies_with_the_timestamp_split_off_the_message() {
        let signature = Signature::from_bytes(
            &hex::decode(RFC_SIGNATURE)
                .expect("hex")
                .try_into()
                .expect("64 bytes"),
        );
        // The signed message is the timestamp's bytes and then the body, so wherever
        // the message is cut, the two parts verify.
        for cut in 0..=RFC_MESSAGE.len() {
            let (timestamp, body) = RFC_MESSAGE.split_at(cut);
            assert!(scheme().check(&signature, timestamp, body).is_ok(), "{cut}");
        }
        assert!(matches!(
            scheme().check(&signature, b"", b"\x73"),
            Err(VerifyError::SignatureMismatch)
        ));

        // Ed25519 is deterministic: the seed reproduces the public key and the signature.
        let seed = decode_key(RFC_SEED.as_bytes()).expect("hex");
        let key = SigningKey::from_bytes(&seed);
        assert_eq!(hex::encode(key.verifying_key().as_bytes()), RFC_PUBLIC_KEY);
        let (timestamp, body) = RFC_MESSAGE.split_at(1);
        assert_eq!(
            hex::encode(signature_of(&key, timestamp, body).to_bytes()),
            RFC_SIGNATURE
        );
    }

    #[test]
    fn signed_ping_verifies_and_a_changed_body_byte_is_a_bad_signature() {
        let headers = signed_ping();
        assert!(scheme().check_headers(&headers, NOW).is_ok());
        assert!(scheme().verify(&headers, PING, NOW).is_ok());
        for i in 0..PING.len() {
            let mut tampered = PING.to_vec();
            tampered[i] ^= 0x01;
            let err = scheme().verify(&headers, &tampered, NOW).unwrap_err();
            assert!(matches!(err, VerifyError::SignatureMismatch), "byte {i}");
            assert_eq!(err.reason_label(), "bad_signature");
        }
    }

    #[test]
    fn timestamp_is_part_of_the_signature() {
        let mut headers = signed_ping();
        headers.insert(timestamp_header(), HeaderValue::from(NOW + 1));
        let err = scheme().verify(&headers, PING, NOW).unwrap_err();
        assert!(matches!(err, VerifyError::SignatureMismatch));
        // The same number written differently is a different message.
        headers.insert(timestamp_header(), HeaderValue::from_static("01700000000"));
        let err = scheme().verify(&headers, PING, NOW).unwrap_err();
        assert!(matches!(err, VerifyError::SignatureMismatch));
    }

    #[test]
    fn timestamps_beyond_five_minutes_either_way_are_stale_even_before_the_body() {
        let headers = signed_ping();
        for now in [NOW + 300, NOW - 300] {
            assert!(scheme().verify(&headers, PING, now).is_ok());
        }
        for now in [NOW + 301, NOW - 301, NOW + 3600] {
            let err = scheme().verify(&headers, PING, now).unwrap_err();
            assert!(matches!(err, VerifyError::StaleTimestamp { .. }));
            assert_eq!(err.reason_label(), "stale_timestamp");
            let err = scheme().check_headers(&headers, now).unwrap_err();
            assert_eq!(err.reason_label(), "stale_timestamp");
        }
        let err = scheme().verify(&headers, PING, NOW + 301).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("timestamp {NOW} is 301 s away from now (allowed 300 s)")
        );
    }

    #[test]
    fn signatures_of_the_wrong_length_are_malformed() {
        let good = ping_signature();
        for value in [
            good[..good.len() - 2].to_owned(),
            good[..good.len() - 1].to_owned(),
            format!("{good}00"),
            String::new(),
        ] {
            let err = scheme()
                .verify(&with_signature(&value), PING, NOW)
                .unwrap_err();
            assert!(
                matches!(
                    err,
                    VerifyError::MalformedSignature {
                        source: SignatureFormatError::HexLength { expected: 128, .. },
                        ..
                    }
                ),
                "{value}: {err:?}"
            );
            assert_eq!(
                err.to_string(),
                "malformed signature in header x-signature-ed25519"
            );
            assert_eq!(err.reason_label(), "malformed");
            let source = std::error::Error::source(&err).expect("source").to_string();
            assert_eq!(
                source,
                format!(
                    "signature is {} characters long, expected 128 hex digits",
                    value.len()
                )
            );
        }
    }

    #[test]
    fn non_hex_signatures_are_malformed_and_told_apart_from_wrong_lengths() {
        let good = ping_signature();
        for value in [
            format!("{}zz", &good[..good.len() - 2]),
            format!("0x{}", &good[2..]),
            format!(" {}", &good[1..]),
        ] {
            let err = scheme()
                .verify(&with_signature(&value), PING, NOW)
                .unwrap_err();
            assert!(
                matches!(
                    err,
                    VerifyError::MalformedSignature {
                        source: SignatureFormatError::NotHex(_),
                        ..
                    }
                ),
                "{value}: {err:?}"
            );
            assert_eq!(err.reason_label(), "malformed");
            assert!(
                scheme()
                    .check_headers(&with_signature(&value), NOW)
                    .is_err()
            );
        }
    }

    #[test]
    fn upper_case_hex_signatures_are_accepted() {
        // Discord sends lower case; hex is case-insensitive, as in `hmac-sha256`.
        let upper = ping_signature().to_uppercase();
        assert!(scheme().verify(&with_signature(&upper), PING, NOW).is_ok());
    }

    #[test]
    fn malleated_signature_is_a_bad_signature() {
        // s + L, with L the order of the base point (RFC 8032 section 5.1), verifies the
        // same equation; strict verification refuses the non-canonical s.
        const L: [u8; 32] = [
            0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9,
            0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
        ];
        let mut bytes = hex::decode(ping_signature()).expect("hex");
        let mut carry = 0u16;
        for (s, l) in bytes[32..].iter_mut().zip(L) {
            let sum = u16::from(*s) + u16::from(l) + carry;
            *s = sum as u8;
            carry = sum >> 8;
        }
        assert_eq!(carry, 0, "s + L fits in 32 bytes");
        let err = scheme()
            .verify(&with_signature(&hex::encode(bytes)), PING, NOW)
            .unwrap_err();
        assert!(matches!(err, VerifyError::SignatureMismatch));
    }

    #[test]
    fn missing_and_repeated_headers_are_named() {
        for name in [signature_header(), timestamp_header()] {
            let mut headers = signed_ping();
            headers.remove(&name);
            let err = scheme().verify(&headers, PING, NOW).unwrap_err();
            assert_eq!(err.to_string(), format!("missing header {name}"));
            assert_eq!(err.reason_label(), "missing_signature");
            let err = scheme().check_headers(&headers, NOW).unwrap_err();
            assert_eq!(err.to_string(), format!("missing header {name}"));

            let mut headers = signed_ping();
            let value = headers[&name].clone();
            headers.append(&name, value);
            let err = scheme().verify(&headers, PING, NOW).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("header {name} appears more than once")
            );
        }
    }

    #[test]
    fn non_numeric_timestamp_is_malformed() {
        let mut headers = signed_ping();
        headers.insert(timestamp_header(), HeaderValue::from_static("soon"));
        let err = scheme().verify(&headers, PING, NOW).unwrap_err();
        assert_eq!(
            err.to_string(),
            "malformed timestamp in header x-signature-timestamp"
        );
        assert_eq!(err.reason_label(), "malformed");
    }

    #[test]
    fn header_names_come_from_the_manifest() {
        let scheme = Ed25519::new("X-Sig", "X-Sig-Time", RFC_PUBLIC_KEY.as_bytes(), 300)
            .expect("valid scheme");
        let mut headers = HeaderMap::new();
        for (name, value) in sign(RFC_SEED, NOW, PING).expect("valid seed") {
            let name = if name == DEFAULT_ED25519_SIGNATURE_HEADER {
                "x-sig"
            } else {
                "x-sig-time"
            };
            headers.insert(name, HeaderValue::from_str(&value).expect("value"));
        }
        assert!(scheme.verify(&headers, PING, NOW).is_ok());
        assert_eq!(scheme.signature_header().as_str(), "x-sig");
        let err = scheme.verify(&signed_ping(), PING, NOW).unwrap_err();
        assert_eq!(err.to_string(), "missing header x-sig");
        assert!(matches!(
            Ed25519::new("bad header", "x-t", RFC_PUBLIC_KEY.as_bytes(), 300),
            Err(ConfigError::InvalidHeaderName { .. })
        ));
    }

    #[test]
    fn a_key_from_another_application_is_a_bad_signature() {
        // RFC 8032 section 7.1, "TEST 1": the public key.
        let other = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
        let scheme = Ed25519::new(
            DEFAULT_ED25519_SIGNATURE_HEADER,
            DEFAULT_ED25519_TIMESTAMP_HEADER,
            other.as_bytes(),
            300,
        )
        .expect("valid key");
        let err = scheme.verify(&signed_ping(), PING, NOW).unwrap_err();
        assert!(matches!(err, VerifyError::SignatureMismatch));
    }

    fn public_key_error(value: &[u8]) -> ConfigError {
        match Ed25519::new("x-s", "x-t", value, 300) {
            Ok(_) => panic!("{value:?} accepted"),
            Err(err) => err,
        }
    }

    #[test]
    fn public_keys_that_are_not_32_bytes_of_hex_are_named_without_their_value() {
        let short = &RFC_PUBLIC_KEY[..62];
        let not_hex = format!("{}zz", &RFC_PUBLIC_KEY[..62]);
        let with_newline = format!("{RFC_PUBLIC_KEY}\n");
        let cases: [(&[u8], &str); 3] = [
            (
                short.as_bytes(),
                "key is 62 characters long, expected 64 hex digits",
            ),
            (
                not_hex.as_bytes(),
                "key has a character that is not a hex digit",
            ),
            (
                with_newline.as_bytes(),
                "key is 65 characters long, expected 64 hex digits",
            ),
        ];
        for (value, problem) in cases {
            let err = public_key_error(value);
            assert!(matches!(err, ConfigError::MalformedPublicKey { .. }));
            assert_eq!(err.reason_label(), "malformed_secret");
            assert_eq!(
                err.to_string(),
                "the ed25519 secret is not a valid public key (expected 64 hex digits)"
            );
            let source = std::error::Error::source(&err).expect("source").to_string();
            assert_eq!(source, problem);
            assert!(!format!("{err:?}").contains(&RFC_PUBLIC_KEY[..62]));
        }
        assert!(matches!(
            public_key_error(b""),
            ConfigError::EmptySecret { scheme: "ed25519" }
        ));
        // The upper-case form is the same key.
        let upper = RFC_PUBLIC_KEY.to_uppercase();
        let scheme = Ed25519::new(
            DEFAULT_ED25519_SIGNATURE_HEADER,
            DEFAULT_ED25519_TIMESTAMP_HEADER,
            upper.as_bytes(),
            300,
        )
        .expect("valid key");
        assert!(scheme.verify(&signed_ping(), PING, NOW).is_ok());
    }

    #[test]
    fn points_off_the_curve_and_weak_keys_are_refused() {
        // y = 2 has no x on the curve.
        let off_curve = format!("02{}", "0".repeat(62));
        assert!(matches!(
            public_key_error(off_curve.as_bytes()),
            ConfigError::MalformedPublicKey {
                source: KeyFormatError::NotOnCurve
            }
        ));
        // y = 1 is the identity point, of order 1.
        let identity = format!("01{}", "0".repeat(62));
        assert!(matches!(
            public_key_error(identity.as_bytes()),
            ConfigError::MalformedPublicKey {
                source: KeyFormatError::Weak
            }
        ));
    }

    #[test]
    fn seeds_that_are_not_32_bytes_of_hex_are_refused() {
        for seed in [&RFC_SEED[..63], "", &format!("{}g", &RFC_SEED[..63])] {
            let err = sign(seed, NOW, PING).unwrap_err();
            assert!(matches!(err, ConfigError::MalformedPrivateKey { .. }));
            assert_eq!(err.reason_label(), "malformed_secret");
            assert!(!format!("{err:?}").contains(&RFC_SEED[..20]));
        }
    }
}
