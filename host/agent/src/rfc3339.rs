//! RFC 3339 timestamps from Unix milliseconds, for the JSON the agents send.
//!
//! Only formatting in UTC is needed, which is a few lines of calendar arithmetic and not
//! worth a date-time dependency.

/// 0000-01-01T00:00:00.000Z, the earliest instant RFC 3339 can write.
const MIN_MS: i64 = -62_167_219_200_000;
/// 9999-12-31T23:59:59.999Z, the latest instant RFC 3339 can write.
const MAX_MS: i64 = 253_402_300_799_999;

const MS_PER_DAY: i64 = 86_400_000;

/// Formats Unix milliseconds as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
///
/// Instants outside years 0000–9999 are clamped to that range so the output is always
/// valid RFC 3339; stored timestamps never come near either end.
pub fn format_unix_ms(ms: i64) -> String {
    let ms = ms.clamp(MIN_MS, MAX_MS);
    let days = ms.div_euclid(MS_PER_DAY);
    let in_day = ms.rem_euclid(MS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    let (hour, minute) = (in_day / 3_600_000, in_day / 60_000 % 60);
    let (second, milli) = (in_day / 1000 % 60, in_day % 1000);
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{milli:03}Z")
}

/// The proleptic Gregorian date of a day counted from 1970-01-01.
///
/// Works in 400-year eras that start on 1 March, so the leap day falls at the end of a
/// year and every era has the same 146,097 days.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    // 719,468 days lie between 0000-03-01 and 1970-01-01.
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    // Every 4th year is leap, except every 100th, except every 400th.
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    // Months from March: 31, 30, 31, 30, 31, 31, 30, 31, 30, 31, 31, 28/29, which the
    // line (153 * m + 2) / 5 reproduces.
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::format_unix_ms;

    #[test]
    fn formats_known_instants() {
        assert_eq!(format_unix_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            format_unix_ms(1_700_000_000_123),
            "2023-11-14T22:13:20.123Z"
        );
        assert_eq!(
            format_unix_ms(1_709_210_096_789),
            "2024-02-29T12:34:56.789Z"
        );
        assert_eq!(format_unix_ms(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn formats_instants_before_the_epoch() {
        assert_eq!(format_unix_ms(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(format_unix_ms(-31_536_000_000), "1969-01-01T00:00:00.000Z");
    }

    #[test]
    fn clamps_to_the_years_rfc3339_can_write() {
        assert_eq!(format_unix_ms(i64::MAX), "9999-12-31T23:59:59.999Z");
        assert_eq!(format_unix_ms(i64::MIN), "0000-01-01T00:00:00.000Z");
    }

    #[test]
    fn every_day_boundary_advances_the_date_by_one() {
        // Walks 1900..2101 (leap rules for 1900, 2000 and 2100 included) and checks the
        // calendar against day counts: each date follows the previous one.
        let days_in = |year: i64, month: i64| match month {
            2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        let (mut year, mut month, mut day) = (1900, 1, 1);
        let start = -25_567; // 1900-01-01
        for days in start..start + 73_415 {
            let expected = format!("{year:04}-{month:02}-{day:02}T00:00:00.000Z");
            assert_eq!(format_unix_ms(days * 86_400_000), expected);
            day += 1;
            if day > days_in(year, month) {
                day = 1;
                month += 1;
                if month > 12 {
                    month = 1;
                    year += 1;
                }
            }
        }
    }
}
