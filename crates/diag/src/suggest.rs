/// The closest candidate to `word`, if one is close enough to be a likely typo.
pub fn did_you_mean<'a, I>(word: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
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
}
