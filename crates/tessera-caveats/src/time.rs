//! Durations (Go's notation, as SpiceDB and cel-go parse them) and timestamps (RFC 3339, in
//! CEL's range of years 1 to 9999; `jiff` stops 26 hours short of the end of 9999, so those
//! last instants are out of range here).

use jiff::Timestamp;
use jiff::tz::{Offset, TimeZone};

use crate::program::TimePart;

const NANOS_PER_SECOND: i64 = 1_000_000_000;

/// Seconds of `0001-01-01T00:00:00Z` and `9999-12-31T23:59:59Z`, CEL's timestamp range.
const MIN_SECOND: i64 = -62_135_596_800;
const MAX_SECOND: i64 = 253_402_300_799;

/// Parses a Go duration (`300ms`, `-1.5h`, `1h30m`, `0`) into nanoseconds.
pub(crate) fn parse_duration(text: &str) -> Result<i64, String> {
    let invalid = || format!("`{text}` is not a duration such as `1h30m`, `10s` or `1.5h`");
    let (negative, mut rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    // Accumulated as unsigned so that exactly -2^63 ns is reachable, as in Go.
    let mut total: u64 = 0;
    let overflow = || format!("duration `{text}` is out of range");
    while !rest.is_empty() {
        let integer_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (integer, after) = rest.split_at(integer_len);
        let (fraction, after) = match after.strip_prefix('.') {
            Some(tail) => tail.split_at(tail.bytes().take_while(u8::is_ascii_digit).count()),
            None => ("", after),
        };
        if integer.is_empty() && fraction.is_empty() {
            return Err(invalid());
        }
        let unit_len = after
            .char_indices()
            .find(|(_, ch)| ch.is_ascii_digit() || *ch == '.')
            .map_or(after.len(), |(index, _)| index);
        let (unit, tail) = after.split_at(unit_len);
        let scale: u64 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60 * 1_000_000_000,
            "h" => 3_600 * 1_000_000_000,
            "" => return Err(format!("missing unit in duration `{text}`")),
            other => return Err(format!("unknown unit `{other}` in duration `{text}`")),
        };
        let whole: u64 = if integer.is_empty() {
            0
        } else {
            integer.parse().map_err(|_| overflow())?
        };
        let mut value = whole.checked_mul(scale).ok_or_else(overflow)?;
        // Fractional digits beyond nanosecond precision of the unit cannot matter.
        let mut divisor: u64 = 1;
        let mut numerator: u64 = 0;
        for digit in fraction.bytes().take(18) {
            numerator = numerator * 10 + u64::from(digit - b'0');
            divisor *= 10;
        }
        let fraction_value = u128::from(numerator) * u128::from(scale) / u128::from(divisor);
        value = value
            .checked_add(u64::try_from(fraction_value).map_err(|_| overflow())?)
            .ok_or_else(overflow)?;
        total = total.checked_add(value).ok_or_else(overflow)?;
        rest = tail;
    }
    if negative {
        0i64.checked_sub_unsigned(total).ok_or_else(overflow)
    } else {
        i64::try_from(total).map_err(|_| overflow())
    }
}

/// Formats nanoseconds as CEL's `string(duration)` does: seconds with a minimal fraction and
/// an `s` suffix (`90s`, `0.5s`, `-1.000000001s`).
pub(crate) fn format_duration(nanos: i64) -> String {
    let sign = if nanos < 0 { "-" } else { "" };
    let magnitude = nanos.unsigned_abs();
    let seconds = magnitude / 1_000_000_000;
    let fraction = magnitude % 1_000_000_000;
    if fraction == 0 {
        return format!("{sign}{seconds}s");
    }
    let digits = format!("{fraction:09}");
    format!("{sign}{seconds}.{}s", digits.trim_end_matches('0'))
}

/// Parses RFC 3339 text (`2023-01-01T00:00:00Z`, with an optional fraction and offset).
pub(crate) fn parse_timestamp(text: &str) -> Result<Timestamp, String> {
    let parsed: Timestamp = text.parse().map_err(|_| {
        format!("`{text}` is not an RFC 3339 timestamp such as `2023-01-01T00:00:00Z`")
    })?;
    check_timestamp(parsed).ok_or_else(|| format!("timestamp `{text}` is out of range"))
}

/// `Some(timestamp)` if it lies in CEL's range.
pub(crate) fn check_timestamp(timestamp: Timestamp) -> Option<Timestamp> {
    (MIN_SECOND..=MAX_SECOND)
        .contains(&timestamp.as_second())
        .then_some(timestamp)
}

/// A timestamp `seconds` after the Unix epoch, if in range.
pub(crate) fn timestamp_from_seconds(seconds: i64) -> Option<Timestamp> {
    Timestamp::from_second(seconds)
        .ok()
        .and_then(check_timestamp)
}

/// `timestamp + nanos`, if the result is in range.
pub(crate) fn add_nanos(timestamp: Timestamp, nanos: i64) -> Option<Timestamp> {
    let sum = timestamp.as_nanosecond().checked_add(i128::from(nanos))?;
    Timestamp::from_nanosecond(sum)
        .ok()
        .and_then(check_timestamp)
}

/// `a - b` in nanoseconds, if it fits a duration.
pub(crate) fn difference(a: Timestamp, b: Timestamp) -> Option<i64> {
    i64::try_from(a.as_nanosecond() - b.as_nanosecond()).ok()
}

/// The time zone a `get*` accessor names: `UTC`, an IANA name or a fixed `+hh:mm` offset
/// (CEL's `FixedTZ`: a sign, two digits, a colon, two digits).
fn time_zone(name: &str) -> Result<TimeZone, String> {
    let sign = match name.as_bytes().first() {
        Some(b'+') => Some(1),
        Some(b'-') => Some(-1),
        _ => None,
    };
    if let Some(sign) = sign {
        let digits = |range: std::ops::Range<usize>| {
            name.get(range)
                .filter(|part| part.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|part| part.parse::<i32>().ok())
        };
        let offset = match (
            name.len(),
            name.as_bytes().get(3),
            digits(1..3),
            digits(4..6),
        ) {
            (6, Some(b':'), Some(hours), Some(minutes)) => {
                Offset::from_seconds(sign * (hours * 3600 + minutes * 60)).ok()
            }
            _ => None,
        };
        return offset.map(TimeZone::fixed).ok_or_else(|| {
            format!("invalid time zone offset `{name}`; expected `+hh:mm` or `-hh:mm`")
        });
    }
    if name == "UTC" {
        return Ok(TimeZone::UTC);
    }
    TimeZone::get(name).map_err(|_| format!("unknown time zone `{name}`"))
}

/// The component `part` of `timestamp` seen in `zone` (UTC when `None`), with CEL's
/// zero-based months, days of the month and days of the year.
pub(crate) fn timestamp_part(
    timestamp: Timestamp,
    part: TimePart,
    zone: Option<&str>,
) -> Result<i64, String> {
    let zone = match zone {
        Some(name) => time_zone(name)?,
        None => TimeZone::UTC,
    };
    let zoned = timestamp.to_zoned(zone);
    Ok(match part {
        TimePart::FullYear => i64::from(zoned.year()),
        TimePart::Month => i64::from(zoned.month()) - 1,
        TimePart::DayOfYear => i64::from(zoned.day_of_year()) - 1,
        TimePart::DayOfMonth => i64::from(zoned.day()) - 1,
        TimePart::Date => i64::from(zoned.day()),
        TimePart::DayOfWeek => i64::from(zoned.weekday().to_sunday_zero_offset()),
        TimePart::Hours => i64::from(zoned.hour()),
        TimePart::Minutes => i64::from(zoned.minute()),
        TimePart::Seconds => i64::from(zoned.second()),
        TimePart::Milliseconds => i64::from(zoned.millisecond()),
    })
}

/// The duration accessors: whole hours, minutes or seconds in total, or the millisecond part.
pub(crate) fn duration_part(nanos: i64, part: TimePart) -> Option<i64> {
    match part {
        TimePart::Hours => Some(nanos / (3_600 * NANOS_PER_SECOND)),
        TimePart::Minutes => Some(nanos / (60 * NANOS_PER_SECOND)),
        TimePart::Seconds => Some(nanos / NANOS_PER_SECOND),
        TimePart::Milliseconds => Some((nanos % NANOS_PER_SECOND) / 1_000_000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations_parse_like_go() {
        let cases = [
            ("0", 0),
            ("10s", 10 * NANOS_PER_SECOND),
            ("1h30m", 5_400 * NANOS_PER_SECOND),
            ("1.5h", 5_400 * NANOS_PER_SECOND),
            ("-1.5h", -5_400 * NANOS_PER_SECOND),
            ("+2m", 120 * NANOS_PER_SECOND),
            ("300ms", 300_000_000),
            ("1us", 1_000),
            ("1µs", 1_000),
            ("1μs", 1_000),
            ("7ns", 7),
            (".5s", 500_000_000),
            ("1.s", NANOS_PER_SECOND),
            ("1h1m1s1ms1us1ns", 3_661_001_001_001),
            ("2562047h47m16.854775807s", i64::MAX),
            ("-2562047h47m16.854775808s", i64::MIN),
            ("0.000000001s", 1),
            ("0.0000000001s", 0),
        ];
        for (text, nanos) in cases {
            assert_eq!(parse_duration(text), Ok(nanos), "{text}");
        }
    }

    #[test]
    fn malformed_durations_are_rejected() {
        assert_eq!(
            parse_duration("10"),
            Err("missing unit in duration `10`".to_owned())
        );
        assert_eq!(
            parse_duration("1d"),
            Err("unknown unit `d` in duration `1d`".to_owned())
        );
        for text in ["", "-", "s", ".s", "1h-1m", "abc"] {
            assert!(parse_duration(text).is_err(), "{text}");
        }
        assert_eq!(
            parse_duration("2562047h47m16.854775808s"),
            Err("duration `2562047h47m16.854775808s` is out of range".to_owned())
        );
        assert!(parse_duration("99999999999999999999h").is_err());
    }

    #[test]
    fn durations_format_as_seconds() {
        assert_eq!(format_duration(60_001_000_000), "60.001s");
        assert_eq!(format_duration(0), "0s");
        assert_eq!(format_duration(-1_500_000_000), "-1.5s");
        assert_eq!(format_duration(i64::MIN), "-9223372036.854775808s");
    }

    #[test]
    fn timestamps_parse_rfc3339_within_cel_range() {
        let ts = parse_timestamp("2023-08-26T12:39:00-07:00").unwrap();
        assert_eq!(ts.to_string(), "2023-08-26T19:39:00Z");
        assert!(parse_timestamp("2023-08-26").is_err());
        assert!(parse_timestamp("0001-01-01T00:00:00Z").is_ok());
        // jiff's range ends 26 hours before CEL's: the last instants of 9999 are refused.
        assert!(parse_timestamp("9999-12-30T22:00:00.999999999Z").is_ok());
        assert!(parse_timestamp("9999-12-31T23:59:59Z").is_err());
        assert_eq!(
            parse_timestamp("0000-06-01T00:00:00Z"),
            Err("timestamp `0000-06-01T00:00:00Z` is out of range".to_owned())
        );
        assert!(add_nanos(ts, i64::MAX).is_some());
        let end = parse_timestamp("9999-12-30T22:00:00Z").unwrap();
        assert!(add_nanos(end, NANOS_PER_SECOND).is_none());
    }

    #[test]
    fn timestamp_parts_follow_cel_indexing_and_zones() {
        let ts = parse_timestamp("2023-12-25T00:30:15.250Z").unwrap();
        let part = |p, zone| timestamp_part(ts, p, zone).unwrap();
        assert_eq!(part(TimePart::FullYear, None), 2023);
        assert_eq!(part(TimePart::Month, None), 11);
        assert_eq!(part(TimePart::Date, None), 25);
        assert_eq!(part(TimePart::DayOfMonth, None), 24);
        assert_eq!(part(TimePart::DayOfYear, None), 358);
        assert_eq!(part(TimePart::DayOfWeek, None), 1);
        assert_eq!(part(TimePart::Hours, None), 0);
        assert_eq!(part(TimePart::Minutes, None), 30);
        assert_eq!(part(TimePart::Seconds, None), 15);
        assert_eq!(part(TimePart::Milliseconds, None), 250);
        assert_eq!(part(TimePart::Date, Some("-08:00")), 24);
        assert_eq!(part(TimePart::Hours, Some("+05:30")), 6);
        assert_eq!(part(TimePart::Hours, Some("UTC")), 0);
        assert!(timestamp_part(ts, TimePart::Hours, Some("Mars/Base")).is_err());
        for bad in [
            "+5",
            "+05",
            "+05:3",
            "+0a:00",
            "+999999999:00",
            "-99:99x",
            "+",
        ] {
            assert!(
                timestamp_part(ts, TimePart::Hours, Some(bad)).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn duration_parts_are_totals_except_milliseconds() {
        let nanos = parse_duration("1h30m1.234s").unwrap();
        assert_eq!(duration_part(nanos, TimePart::Hours), Some(1));
        assert_eq!(duration_part(nanos, TimePart::Minutes), Some(90));
        assert_eq!(duration_part(nanos, TimePart::Seconds), Some(5_401));
        assert_eq!(duration_part(nanos, TimePart::Milliseconds), Some(234));
        assert_eq!(duration_part(nanos, TimePart::Date), None);
    }
}
