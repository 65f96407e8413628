//! UTC timestamps in the ISO-8601 form Java's `Instant.toString()` writes and `Instant.parse` reads
//! (`2025-05-20T10:00:04.123Z`), which is what the status file has always carried. A dozen lines of
//! calendar arithmetic instead of a date-time crate: the binary needs nothing else from one.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

const MILLIS_PER_DAY: i64 = 86_400_000;

/// Milliseconds since the Unix epoch, now.
pub fn now_millis() -> i64 {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO);
    i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX)
}

/// `2025-05-20T10:00:04.123Z` for a time in milliseconds since the epoch.
pub fn format_iso(epoch_millis: i64) -> String {
    let days = epoch_millis.div_euclid(MILLIS_PER_DAY);
    let in_day = epoch_millis.rem_euclid(MILLIS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000
    )
}

/// Milliseconds since the epoch for `YYYY-MM-DDTHH:MM:SS[.fraction]Z`; None for anything else.
pub fn parse_iso(text: &str) -> Option<i64> {
    let text = text.strip_suffix('Z')?;
    let (date, time) = text.split_once('T')?;
    let mut date_parts = date.splitn(3, '-').map(|part| part.parse::<i64>().ok());
    let (year, month, day) = (
        date_parts.next()??,
        date_parts.next()??,
        date_parts.next()??,
    );
    let (clock, fraction) = time.split_once('.').unwrap_or((time, ""));
    let mut clock_parts = clock.splitn(3, ':').map(|part| part.parse::<i64>().ok());
    let (hour, minute, second) = (
        clock_parts.next()??,
        clock_parts.next()??,
        clock_parts.next()??,
    );
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    if !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let millis = format!("{fraction:0<3}")[..3].parse::<i64>().ok()?;
    Some(
        days_from_civil(year, month, day) * MILLIS_PER_DAY
            + ((hour * 60 + minute) * 60 + second) * 1000
            + millis,
    )
}

// Howard Hinnant's algorithms (http://howardhinnant.github.io/date_algorithms.html), proleptic Gregorian.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_java_instant() {
        assert_eq!(format_iso(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(format_iso(1_747_735_204_123), "2025-05-20T10:00:04.123Z");
        assert_eq!(format_iso(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn parses_what_java_and_this_module_write() {
        assert_eq!(
            parse_iso("2025-05-20T10:00:04.123Z"),
            Some(1_747_735_204_123)
        );
        assert_eq!(parse_iso("2025-05-20T10:00:04Z"), Some(1_747_735_204_000));
        assert_eq!(
            parse_iso("2025-05-20T10:00:04.123456789Z"),
            Some(1_747_735_204_123)
        );
        for millis in [0, 1, 951_782_400_000, 4_102_444_799_999, now_millis()] {
            assert_eq!(parse_iso(&format_iso(millis)), Some(millis));
        }
    }

    #[test]
    fn rejects_other_text() {
        for text in [
            "",
            "yesterday",
            "2025-05-20T10:00:04",
            "2025-13-20T10:00:04Z",
            "2025-05-20T10:00:04.1x3Z",
        ] {
            assert_eq!(parse_iso(text), None, "{text}");
        }
    }
}
