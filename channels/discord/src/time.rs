//! Discord's times: ISO 8601 timestamps on messages (`"2017-07-11T17:27:07.299000+00:00"`)
//! and the creation time every snowflake id carries.

/// The Discord epoch, the first millisecond of 2015, in Unix milliseconds.
const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;

/// An ISO 8601 date and time with an offset (`Z` or `±HH:MM`), in Unix
/// milliseconds; `None` if it is not one or lies before 1970. Digits of the
/// fraction beyond the millisecond are cut, not rounded.
pub(crate) fn iso8601_millis(text: &str) -> Option<u64> {
    let text = text.trim();
    let bytes = text.as_bytes();
    let number = |from: usize, len: usize| -> Option<i64> {
        let digits = bytes.get(from..from + len)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(digits).ok()?.parse().ok()
    };
    let separator =
        |at: usize, expected: &[u8]| bytes.get(at).is_some_and(|b| expected.contains(b));
    if !(separator(4, b"-")
        && separator(7, b"-")
        && separator(10, b"Tt ")
        && separator(13, b":")
        && separator(16, b":"))
    {
        return None;
    }
    let (year, month, day) = (number(0, 4)?, number(5, 2)?, number(8, 2)?);
    let (hour, minute, second) = (number(11, 2)?, number(14, 2)?, number(17, 2)?);
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut at = 19;
    let mut millis = 0;
    if bytes.get(at) == Some(&b'.') {
        at += 1;
        let start = at;
        while bytes.get(at).is_some_and(u8::is_ascii_digit) {
            at += 1;
        }
        if at == start {
            return None;
        }
        // The first three digits, missing ones read as zeros.
        millis = (0..3).fold(0, |millis, i| {
            let digit = bytes
                .get(start + i)
                .filter(|_| start + i < at)
                .map_or(0, |b| i64::from(b - b'0'));
            millis * 10 + digit
        });
    }
    let offset_minutes = match bytes.get(at) {
        Some(b'Z' | b'z') if at + 1 == bytes.len() => 0,
        Some(sign @ (b'+' | b'-')) if at + 6 == bytes.len() && separator(at + 3, b":") => {
            let (hours, minutes) = (number(at + 1, 2)?, number(at + 4, 2)?);
            if hours > 23 || minutes > 59 {
                return None;
            }
            let offset = hours * 60 + minutes;
            if *sign == b'-' { -offset } else { offset }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second - offset_minutes * 60;
    u64::try_from(seconds * 1_000 + millis).ok()
}

/// When the object a snowflake id names was created, in Unix milliseconds:
/// the top 42 bits are milliseconds since the Discord epoch.
pub(crate) fn snowflake_millis(id: &str) -> Option<u64> {
    let id: u64 = id.trim().parse().ok()?;
    Some((id >> 22) + DISCORD_EPOCH_MS)
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to the given date of the proleptic Gregorian calendar.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    // Counted in eras of 400 years from a year that starts in March, so that the
    // leap day is the last day of its year.
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discord_message_timestamps_read_to_the_millisecond() {
        // The timestamp of the message example in Discord's documentation.
        assert_eq!(
            iso8601_millis("2017-07-11T17:27:07.299000+00:00"),
            Some(1_499_794_027_299)
        );
        assert_eq!(iso8601_millis("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            iso8601_millis("2024-02-29T23:59:59.9999+00:00"),
            Some(1_709_251_199_999)
        );
        assert_eq!(
            iso8601_millis("2021-07-22T15:42:57.7+00:00"),
            Some(1_626_968_577_700)
        );
    }

    #[test]
    fn offsets_move_the_time_to_utc() {
        let utc = iso8601_millis("2020-01-01T12:00:00+00:00");
        assert_eq!(iso8601_millis("2020-01-01T14:30:00+02:30"), utc);
        assert_eq!(iso8601_millis("2020-01-01T07:00:00-05:00"), utc);
    }

    #[test]
    fn anything_else_is_none() {
        for text in [
            "",
            "2017-07-11",
            "2017-07-11T17:27:07",
            "2017-13-11T17:27:07Z",
            "2017-02-29T17:27:07Z",
            "2017-07-11T24:00:00Z",
            "2017-07-11T17:27:07.Z",
            "2017-07-11T17:27:07+0000",
            "2017-07-11T17:27:07Zjunk",
            "1969-12-31T23:59:59Z",
            "１７-07-11T17:27:07Z",
        ] {
            assert_eq!(iso8601_millis(text), None, "{text}");
        }
    }

    #[test]
    fn snowflakes_carry_their_creation_time() {
        // Discord's documented example: 175928847299117063 was created at
        // 2016-04-30 11:18:25.796 UTC.
        assert_eq!(
            snowflake_millis("175928847299117063"),
            Some(1_462_015_105_796)
        );
        assert_eq!(snowflake_millis("not a snowflake"), None);
    }
}
