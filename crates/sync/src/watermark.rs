//! The watermark rule: records are taken when their `changed_since` value
//! is `>=` the stored watermark (several records share a timestamp, and one
//! written in the same second after the last read must not be lost), and
//! the new watermark is the largest value among records that are done,
//! never past a record that is not.

use jiff::{Timestamp, ToSpan};

#[derive(Clone, Debug, Default)]
pub struct Watermark {
    /// Records older than this are not taken (`None`: a full pull).
    from: Option<Timestamp>,
    /// The largest value among records that are done (written, unchanged,
    /// skipped or rejected by a rule: nothing more will happen to them).
    done: Option<Timestamp>,
    /// The smallest value among records that are not done (a failed write,
    /// a record past `--limit`): the watermark may not pass it.
    open: Option<Timestamp>,
}

/// Where a pull starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    /// `--full`, or no `changed_since`: every record.
    Full,
    /// The stored watermark.
    Stored(Timestamp),
    /// No watermark yet: `lookback_days` before the run started.
    Lookback(Timestamp),
}

impl Start {
    pub fn choose(
        full: bool,
        stored: Option<Timestamp>,
        started: Timestamp,
        lookback_days: u32,
    ) -> Start {
        match (full, stored) {
            (true, _) => Start::Full,
            (false, Some(w)) => Start::Stored(w),
            (false, None) => Start::Lookback(
                started
                    .checked_sub((i64::from(lookback_days) * 24).hours())
                    .unwrap_or(Timestamp::MIN),
            ),
        }
    }

    pub fn from(self) -> Option<Timestamp> {
        match self {
            Start::Full => None,
            Start::Stored(t) | Start::Lookback(t) => Some(t),
        }
    }
}

impl Watermark {
    pub fn new(start: Start) -> Watermark {
        Watermark {
            from: start.from(),
            ..Watermark::default()
        }
    }

    /// Whether a record changed at `t` is taken by this pull.
    pub fn takes(&self, t: Timestamp) -> bool {
        match self.from {
            Some(f) => t >= f,
            None => true,
        }
    }

    pub fn done(&mut self, t: Timestamp) {
        self.done = Some(self.done.map_or(t, |d| d.max(t)));
    }

    pub fn open(&mut self, t: Timestamp) {
        self.open = Some(self.open.map_or(t, |o| o.min(t)));
    }

    /// The watermark to store after every done record is committed; `None`
    /// keeps the stored one.
    pub fn next(&self, stored: Option<Timestamp>) -> Option<Timestamp> {
        let w = match (self.done, self.open) {
            (Some(d), Some(o)) => Some(d.min(o)),
            // Nothing done: the next pull starts no later than the first
            // record not done.
            (None, Some(o)) => Some(o),
            (d, None) => d,
        }?;
        // A full pull may find less than the stored watermark covered (the
        // data shrank); an incremental one cannot go back.
        match (stored, self.from) {
            (Some(s), Some(_)) if w < s => None,
            _ => Some(w),
        }
    }
}

/// Reads a `changed_since` value with the engine's date reader, so a run
/// reads timestamps exactly as `preview` does: an RFC 3339 date-time with
/// `Z` or an offset, one without (taken as UTC, as Dataverse and Business
/// Central write theirs), or a date (its midnight UTC).
pub fn parse(text: &str) -> Result<Timestamp, String> {
    use mapc_value::{date_start, parse_date_like, DateLike};
    match parse_date_like(text) {
        Some(DateLike::DateTime(t)) => Ok(t),
        Some(DateLike::Date(d)) => date_start(d).ok_or_else(|| format!("`{text}` is out of range")),
        None => Err(format!("`{text}` is not an RFC 3339 date-time")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn equal_timestamps_at_the_watermark_are_taken_again() {
        let w = Watermark::new(Start::Stored(ts("2026-11-20T10:00:00Z")));
        assert!(w.takes(ts("2026-11-20T10:00:00Z")));
        assert!(w.takes(ts("2026-11-20T11:00:00+01:00")));
        assert!(!w.takes(ts("2026-11-20T09:59:59.999Z")));
    }

    #[test]
    fn never_past_a_record_that_is_not_done() {
        let mut w = Watermark::new(Start::Full);
        w.done(ts("2026-11-20T10:00:00Z"));
        w.done(ts("2026-11-22T10:00:00Z"));
        w.open(ts("2026-11-21T10:00:00Z"));
        assert_eq!(w.next(None), Some(ts("2026-11-21T10:00:00Z")));
        let mut w = Watermark::new(Start::Full);
        w.done(ts("2026-11-20T10:00:00Z"));
        assert_eq!(w.next(None), Some(ts("2026-11-20T10:00:00Z")));
        assert_eq!(
            Watermark::new(Start::Full).next(Some(ts("2026-01-01T00:00:00Z"))),
            None
        );
    }

    #[test]
    fn incremental_never_goes_back_and_lookback_counts_from_the_start() {
        let stored = ts("2026-11-20T10:00:00Z");
        let mut w = Watermark::new(Start::Stored(stored));
        w.done(stored);
        assert_eq!(w.next(Some(stored)), Some(stored));
        let s = Start::choose(false, None, ts("2026-11-20T10:00:00Z"), 5);
        assert_eq!(s, Start::Lookback(ts("2026-11-15T10:00:00Z")));
        assert_eq!(Start::choose(true, Some(stored), stored, 5), Start::Full);
        assert_eq!(
            Start::choose(false, Some(stored), ts("2030-01-01T00:00:00Z"), 5),
            Start::Stored(stored)
        );
    }

    #[test]
    fn date_times_read_as_the_engine_reads_them() {
        assert_eq!(
            parse("2026-11-20T10:00:00").unwrap(),
            ts("2026-11-20T10:00:00Z")
        );
        assert_eq!(parse("2026-11-20").unwrap(), ts("2026-11-20T00:00:00Z"));
        assert!(parse("yesterday").unwrap_err().contains("not an RFC 3339"));
        assert!(parse("2026-02-30T00:00:00Z").is_err());
        assert_eq!(
            parse("2026-11-20T10:00:00.5+02:00").unwrap(),
            ts("2026-11-20T08:00:00.5Z")
        );
    }
}
