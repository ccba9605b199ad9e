//! Dates as the IR and the engine hold them (`jiff::civil::Date`), read by
//! the workspace's one `YYYY-MM-DD` reader, [`parse_ymd`] (re-exported here
//! with the reasons it gives), so a spec literal, an `as_of:`, `--as-of`
//! and a record value accept and refuse exactly the same texts. Here and
//! not in `mapc-syntax` because only the IR and the engine need a calendar
//! value; the spec reader only validates.

use jiff::civil::Date;
pub use mapc_syntax::dates::*;

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
