//! The replay window shared by the timestamped schemes.

use crate::error::VerifyError;
use http::{HeaderName, HeaderValue};

/// Reads a header holding integer Unix seconds.
pub(crate) fn parse(name: &HeaderName, value: &HeaderValue) -> Result<i64, VerifyError> {
    let text = value
        .to_str()
        .map_err(|source| VerifyError::TimestampNotText {
            name: name.clone(),
            source,
        })?;
    text.parse()
        .map_err(|source| VerifyError::MalformedTimestamp {
            name: name.clone(),
            source,
        })
}

/// Accepts `timestamp` if it is at most `tolerance_secs` away from `now_unix` in either
/// direction; a clock running ahead at the sender is as suspicious as a replay.
pub(crate) fn check_window(
    timestamp: i64,
    now_unix: i64,
    tolerance_secs: u64,
) -> Result<(), VerifyError> {
    let skew_secs = timestamp.abs_diff(now_unix);
    if skew_secs > tolerance_secs {
        return Err(VerifyError::StaleTimestamp {
            timestamp,
            skew_secs,
            tolerance_secs,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_is_inclusive_in_both_directions() {
        assert!(check_window(1000, 1300, 300).is_ok());
        assert!(check_window(1600, 1300, 300).is_ok());
        assert!(check_window(999, 1300, 300).is_err());
        assert!(check_window(1601, 1300, 300).is_err());
    }

    #[test]
    fn window_does_not_overflow_at_the_extremes() {
        let err = check_window(i64::MIN, i64::MAX, 300).unwrap_err();
        assert!(matches!(
            err,
            VerifyError::StaleTimestamp {
                skew_secs: u64::MAX,
                ..
            }
        ));
    }

    #[test]
    fn stale_message_names_timestamp_skew_and_tolerance() {
        let err = check_window(1531420618, 1531420618 + 1234, 300).unwrap_err();
        assert_eq!(
            err.to_string(),
            "timestamp 1531420618 is 1234 s away from now (allowed 300 s)"
        );
        assert_eq!(err.reason_label(), "stale_timestamp");
    }

    #[test]
    fn parse_rejects_non_integers() {
        let name = HeaderName::from_static("x-ts");
        assert_eq!(
            parse(&name, &HeaderValue::from_static("1531420618")).ok(),
            Some(1531420618)
        );
        let err = parse(&name, &HeaderValue::from_static("12.5")).unwrap_err();
        assert_eq!(err.to_string(), "malformed timestamp in header x-ts");
        let err = parse(&name, &HeaderValue::from_bytes(b"\xff").unwrap()).unwrap_err();
        assert_eq!(err.reason_label(), "malformed");
    }
}
