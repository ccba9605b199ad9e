//! The one `YYYY-MM-DD` reader, and why a text is not a calendar date, in words.
//!
//! Every place that reads a date (`--as-of`, a test's `as_of:`, date
//! literals in expressions and filters, date values in records) says the
//! same thing about one that does not exist: `2026-02-29` is "February 2026
//! has 28 days", not "not a date in the form YYYY-MM-DD".

use jiff::civil::Date;

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Days in `month` (1-12) of the proleptic Gregorian `year`; 0 for a month
/// that does not exist. Both grammars accept any digits for a date literal
/// and reject `2026-02-30` with this, so the two languages agree.
pub fn days_in_month(year: i64, month: u32) -> u32 {
    let leap = year.rem_euclid(4) == 0 && (year.rem_euclid(100) != 0 || year.rem_euclid(400) == 0);
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => 0,
    }
}

/// Why a text is not a `YYYY-MM-DD` date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum YmdError {
    /// Not four digits, `-`, two digits, `-`, two digits.
    Shape,
    /// The right shape, but no such day: the reason, e.g. "February 2026
    /// has 28 days" or "there is no month 13".
    NoSuchDay(String),
}

/// Reads exactly `YYYY-MM-DD` (four-digit year) as `(year, month, day)` of a
/// day that exists in the proleptic Gregorian calendar.
pub fn parse_ymd(text: &str) -> Result<(i32, u32, u32), YmdError> {
    let b = text.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape {
        return Err(YmdError::Shape);
    }
    // The shape check made every one of these bytes an ASCII digit.
    let num =
        |r: std::ops::Range<usize>| b[r].iter().fold(0u32, |v, c| v * 10 + u32::from(c - b'0'));
    let (y, m, d) = (num(0..4), num(5..7), num(8..10));
    let y = i32::try_from(y).map_err(|_| YmdError::Shape)?;
    match day_problem(i64::from(y), m, d) {
        Some(why) => Err(YmdError::NoSuchDay(why)),
        None => Ok((y, m, d)),
    }
}

/// Why `year-month-day` is not a day, or `None` when it is one.
pub fn day_problem(year: i64, month: u32, day: u32) -> Option<String> {
    let Some(name) = month.checked_sub(1).and_then(|i| MONTHS.get(i as usize)) else {
        return Some(format!(
            "there is no month {month:02} (months are 01 to 12)"
        ));
    };
    let n = days_in_month(year, month);
    if day == 0 {
        return Some("there is no day 00 (days start at 01)".into());
    }
    (day > n).then(|| format!("{name} {year} has {n} days"))
}

/// The reason the `YYYY-MM-DD` at the start of `text` (a date or a
/// date-time) is not a day, when it has that shape and is not one.
pub fn date_part_problem(text: &str) -> Option<String> {
    match parse_ymd(text.get(..10)?) {
        Err(YmdError::NoSuchDay(why)) => Some(why),
        _ => None,
    }
}

/// Exactly `YYYY-MM-DD` (four-digit year) of a day that exists, as a date;
/// otherwise why not.
pub fn read_date(text: &str) -> Result<Date, YmdError> {
    let (y, m, d) = parse_ymd(text)?;
    // `parse_ymd` checked the calendar; jiff's agrees for years 0000-9999.
    let part = |_| YmdError::Shape;
    Date::new(
        i16::try_from(y).map_err(part)?,
        i8::try_from(m).map_err(part)?,
        i8::try_from(d).map_err(part)?,
    )
    .map_err(|_| YmdError::Shape)
}

/// [`read_date`], without the reason.
pub fn date(text: &str) -> Option<Date> {
    read_date(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_name_the_month_and_its_length() {
        let why = |s: &str| match parse_ymd(s) {
            Err(YmdError::NoSuchDay(w)) => w,
            other => panic!("{s}: {other:?}"),
        };
        assert_eq!(why("2026-02-29"), "February 2026 has 28 days");
        assert_eq!(why("2026-04-31"), "April 2026 has 30 days");
        assert_eq!(why("1900-02-29"), "February 1900 has 28 days");
        assert_eq!(
            why("2026-13-01"),
            "there is no month 13 (months are 01 to 12)"
        );
        assert_eq!(
            why("2026-00-10"),
            "there is no month 00 (months are 01 to 12)"
        );
        assert_eq!(why("2026-01-00"), "there is no day 00 (days start at 01)");
        assert_eq!(parse_ymd("2024-02-29"), Ok((2024, 2, 29)));
        assert_eq!(parse_ymd("2026-2-28"), Err(YmdError::Shape));
        assert_eq!(parse_ymd("22.11.2026"), Err(YmdError::Shape));
        assert_eq!(parse_ymd("２０２６-01-01"), Err(YmdError::Shape));
        assert_eq!(
            date_part_problem("2026-02-30T10:00:00Z").as_deref(),
            Some("February 2026 has 28 days")
        );
        assert_eq!(date_part_problem("2026-02-28T10:00:00Z"), None);
        assert_eq!(date_part_problem("ü"), None);
    }

    #[test]
    fn gregorian_month_lengths() {
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(days_in_month(1900, 2), 28);
        assert_eq!(days_in_month(2000, 2), 29);
        assert_eq!(days_in_month(2026, 4), 30);
        assert_eq!(days_in_month(2026, 13), 0);
    }

    #[test]
    fn dates_are_strict() {
        assert_eq!(date("2026-11-22"), Some(Date::constant(2026, 11, 22)));
        assert_eq!(date("2024-02-29"), Some(Date::constant(2024, 2, 29)));
        assert_eq!(date("0000-01-01"), Some(Date::constant(0, 1, 1)));
        assert_eq!(date("9999-12-31"), Some(Date::constant(9999, 12, 31)));
        assert_eq!(date("0000-02-29"), Some(Date::constant(0, 2, 29)));
        for bad in [
            "2026-02-30",
            "2026-1-2",
            "2026-13-01",
            "2026-00-01",
            "2026-01-00",
            "1900-02-29",
            "22.11.2026",
            "+2026-11-22",
            "-2026-11-22",
            "12026-11-22",
            " 2026-11-22",
            "2026-11-22T10:00:00Z",
            "２０２６-11-22",
            "",
        ] {
            assert_eq!(date(bad), None, "{bad:?}");
        }
        assert_eq!(
            read_date("2026-02-29"),
            Err(YmdError::NoSuchDay("February 2026 has 28 days".into()))
        );
    }
}
