/// Words longer than this get no suggestion: no identifier is that long (an
/// OData identifier has at most 128 characters), and scoring is quadratic in
/// the length, so a megabyte-long name would keep a command busy for seconds.
pub const MAX_SUGGESTION_WORD: usize = 256;

/// The closest candidate to `word`, if one is close enough to be a likely typo.
pub fn did_you_mean<'a, I>(word: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    if word.len() > MAX_SUGGESTION_WORD {
        return None;
    }
    let lower = word.to_ascii_lowercase();
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        let score = strsim::jaro_winkler(&lower, &c.to_ascii_lowercase());
        if best.is_none_or(|(b, _)| score > b) {
            best = Some((score, c));
        }
    }
    best.filter(|(s, _)| *s >= 0.8).map(|(_, c)| c.to_string())
}

/// The candidate `word` is most likely a misspelling of, by a stricter
/// measure than [`did_you_mean`]: the same ignoring case, or one or two
/// edits away (insert, delete, replace, swap; one for words of up to 9
/// characters). For findings that are errors rather than hints, where a
/// merely similar name (`cust` for `customer`) must not count.
pub fn close_typo<'a, I>(word: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    let lower = word.to_lowercase();
    let allowed = if word.chars().count() <= 9 { 1 } else { 2 };
    candidates
        .into_iter()
        .filter(|c| *c != word)
        .map(|c| (strsim::osa_distance(&lower, &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= allowed)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.to_string())
}

/// Names for a message, each in backticks: `` `a`, `b`, `c` ``.
pub fn code_list<I>(names: I) -> String
where
    I: IntoIterator,
    I::Item: std::fmt::Display,
{
    names
        .into_iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn suggests_close_and_rejects_far() {
        let keys = ["estimatedvalue", "name", "statecode"];
        assert_eq!(
            did_you_mean("estimatedvalu", keys),
            Some("estimatedvalue".into())
        );
        assert_eq!(did_you_mean("zzz", keys), None);
    }

    #[test]
    fn close_typos_are_an_edit_or_two_away() {
        let aliases = ["customer", "contact", "owner"];
        assert_eq!(close_typo("custommer", aliases), Some("customer".into()));
        assert_eq!(close_typo("Customer", aliases), Some("customer".into()));
        assert_eq!(close_typo("cusotmer", aliases), Some("customer".into()));
        assert_eq!(close_typo("contcat", aliases), Some("contact".into()));
        assert_eq!(close_typo("customer", aliases), None);
        assert_eq!(close_typo("cust", aliases), None);
        assert_eq!(close_typo("contracts", aliases), None);
        assert_eq!(
            close_typo("pricelevelid", ["pricelevel_id", "pricelevel"]),
            Some("pricelevel_id".into())
        );
        assert_eq!(close_typo("owners", aliases), Some("owner".into()));
        assert_eq!(close_typo("address", aliases), None);
    }

    /// Scoring is quadratic in the word's length: a 1 MB misspelled function
    /// name kept `mapc check` busy for 14 s. A word longer than any identifier
    /// is no typo: no suggestion, at once.
    #[test]
    fn a_word_longer_than_an_identifier_is_answered_at_once() {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let keys: Vec<String> = (0..20).map(|i| format!("column_{i}")).collect();
            let word = "column_".repeat(600_000);
            let _ = tx.send(did_you_mean(&word, keys.iter().map(String::as_str)));
        });
        let got = rx.recv_timeout(std::time::Duration::from_secs(5));
        assert_eq!(got, Ok(None), "took longer than 5 s, or suggested a name");
        let keys = ["estimatedvalue"];
        assert_eq!(
            did_you_mean("estimatedvalu", keys),
            Some("estimatedvalue".into())
        );
    }
}
