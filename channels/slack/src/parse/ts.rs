//! Slack timestamps such as `"1358878755.000001"`: Unix seconds and microseconds
//! as a decimal string. They identify messages as much as they tell time, so they
//! are read digit by digit, never through a float, which cannot hold every
//! microsecond of a current date.

/// The whole seconds of a timestamp; 0 if it is not one.
pub(super) fn seconds(ts: &str) -> u64 {
    parts(ts).map_or(0, |(seconds, _)| seconds)
}

/// The timestamp in Unix milliseconds, the fraction cut to whole milliseconds
/// (`"1358878755.000001"` → `1358878755000`); `None` if it is not a timestamp.
pub(super) fn millis(ts: &str) -> Option<u64> {
    let (seconds, millis) = parts(ts)?;
    seconds.checked_mul(1000)?.checked_add(millis)
}

/// `(seconds, milliseconds)` of a timestamp with an optional fraction.
fn parts(ts: &str) -> Option<(u64, u64)> {
    let ts = ts.trim();
    let (whole, fraction) = ts.split_once('.').unwrap_or((ts, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(fraction) {
        return None;
    }
    let seconds = whole.parse().ok()?;
    // The first three fractional digits, missing ones read as zeros.
    let millis = (0..3).fold(0, |millis, i| {
        let digit = fraction
            .as_bytes()
            .get(i)
            .map_or(0, |b| u64::from(b - b'0'));
        millis * 10 + digit
    });
    Some((seconds, millis))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_times_keep_every_digit_up_to_the_millisecond() {
        assert_eq!(millis("1358878755.000001"), Some(1_358_878_755_000));
        assert_eq!(millis("1701743154.999999"), Some(1_701_743_154_999));
        assert_eq!(millis("1701743154.5"), Some(1_701_743_154_500));
        assert_eq!(millis("1701743154"), Some(1_701_743_154_000));
        // A float would round this up to the next millisecond.
        assert_eq!(millis("9007199254.740993"), Some(9_007_199_254_740));
    }

    #[test]
    fn what_is_not_a_timestamp_has_no_time() {
        for bad in ["", ".5", "12a.3", "1.2.3", "-1.0", "1.x"] {
            assert_eq!(millis(bad), None, "{bad}");
            assert_eq!(seconds(bad), 0, "{bad}");
        }
        assert_eq!(millis("99999999999999999999.0"), None);
        assert_eq!(seconds("1515449522.000016"), 1_515_449_522);
    }
}
