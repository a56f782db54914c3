//! Reading request headers and checking values that are meant to be sent as headers.

use crate::error::{ConfigError, VerifyError};
use http::{HeaderMap, HeaderName, HeaderValue};

/// The one value of header `name`.
///
/// A repeated header is refused rather than resolved: a proxy in front of the host might
/// pick a different copy than we do.
pub(crate) fn single<'a>(
    headers: &'a HeaderMap,
    name: &HeaderName,
) -> Result<&'a HeaderValue, VerifyError> {
    let mut values = headers.get_all(name).iter();
    let Some(value) = values.next() else {
        return Err(VerifyError::MissingHeader { name: name.clone() });
    };
    if values.next().is_some() {
        return Err(VerifyError::DuplicateHeader { name: name.clone() });
    }
    Ok(value)
}

/// Parses a header name from a manifest (names are case-insensitive and normalised to
/// lower case).
pub(crate) fn parse_name(scheme: &'static str, name: &str) -> Result<HeaderName, ConfigError> {
    HeaderName::from_bytes(name.as_bytes()).map_err(|source| ConfigError::InvalidHeaderName {
        scheme,
        name: name.to_owned(),
        source,
    })
}

/// Whether `value` arrives unchanged when sent as a whole header value: no control
/// characters, and no leading or trailing whitespace (HTTP parsers strip it).
pub(crate) fn survives_as_value(value: &[u8]) -> bool {
    let is_space = |b: &u8| *b == b' ' || *b == b'\t';
    HeaderValue::from_bytes(value).is_ok()
        && !value.contains(&b'\t')
        && !value.first().is_some_and(is_space)
        && !value.last().is_some_and(is_space)
}

/// Headers from `(name, value)` pairs, as the signers return them: for tests.
#[cfg(test)]
pub(crate) fn header_map(pairs: Vec<(String, String)>) -> http::HeaderMap {
    pairs
        .into_iter()
        .map(|(name, value)| {
            (
                http::HeaderName::from_bytes(name.as_bytes()).expect("name"),
                http::HeaderValue::from_str(&value).expect("value"),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_reports_missing_and_duplicate_headers() {
        let name = HeaderName::from_static("x-token");
        let mut headers = HeaderMap::new();
        assert!(matches!(
            single(&headers, &name),
            Err(VerifyError::MissingHeader { .. })
        ));
        headers.append(&name, HeaderValue::from_static("a"));
        assert_eq!(
            single(&headers, &name).ok(),
            Some(&HeaderValue::from_static("a"))
        );
        headers.append(&name, HeaderValue::from_static("b"));
        assert!(matches!(
            single(&headers, &name),
            Err(VerifyError::DuplicateHeader { .. })
        ));
    }

    #[test]
    fn values_with_controls_or_outer_whitespace_do_not_survive() {
        assert!(survives_as_value(b"abc DEF-123_~"));
        assert!(!survives_as_value(b" abc"));
        assert!(!survives_as_value(b"abc "));
        assert!(!survives_as_value(b"a\tb"));
        assert!(!survives_as_value(b"a\nb"));
        assert!(!survives_as_value(b"a\x7fb"));
    }
}
