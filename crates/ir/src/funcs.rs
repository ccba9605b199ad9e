//! The function library of the expression language: names, arity, types and
//! documented examples. The engine implements each `Func`; its tests run every
//! example below, so the documentation cannot drift from the behaviour.

use crate::Type;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Func {
    Round,
    Concat,
    Coalesce,
    IsNull,
    Upper,
    Lower,
    Trim,
    Substring,
    Len,
    If,
    FormatDate,
    ParseDate,
    Today,
    AsOf,
    ToString,
    ToDecimal,
    Contains,
    StartsWith,
    EndsWith,
    IndexOf,
    Year,
    Month,
    Day,
    Floor,
    Ceiling,
    Abs,
}

pub struct FuncInfo {
    pub func: Func,
    pub name: &'static str,
    /// Other accepted spellings (OData names used in `filter:`).
    pub aliases: &'static [&'static str],
    pub min_args: usize,
    /// `usize::MAX` for variadic functions.
    pub max_args: usize,
    pub signature: &'static str,
    pub doc: &'static str,
    /// `(expression, expected result as JSON)`, evaluated with as-of date 2026-11-22.
    pub examples: &'static [(&'static str, &'static str)],
}

const V: usize = usize::MAX;

pub const FUNCS: &[FuncInfo] = &[
    FuncInfo { func: Func::Round, name: "round", aliases: &[], min_args: 1, max_args: 3,
        signature: "round(x: decimal, places: integer = 0, mode: string = 'half_away_from_zero') -> decimal",
        doc: "Rounds exactly to `places` decimals (-28 to 28). Modes: half_away_from_zero (default), half_even, half_up (towards +inf), half_down, up (away from zero), down (truncate), floor, ceiling. `round(a / b, places)` rounds the exact quotient once; a quotient that does not end within 28 places is an error (R0022) anywhere else.",
        examples: &[("round(10.005, 2)", "10.01"), ("round(2 / 3, 2)", "0.67"), ("round(-1.005, 2)", "-1.01"), ("round(1234.565, 2)", "1234.57"), ("round(2.5)", "3"), ("round(2.345, 2, 'half_even')", "2.34"), ("round(2.349, 2, 'down')", "2.34"), ("round(null, 2)", "null")] },
    FuncInfo { func: Func::Concat, name: "concat", aliases: &[], min_args: 1, max_args: V,
        signature: "concat(a: any, ...) -> string",
        doc: "Joins the text of every argument; null counts as the empty string. Numbers are written in plain decimal form.",
        examples: &[("concat('a', 'b', 'c')", "\"abc\""), ("concat('Ann', ' ', null)", "\"Ann \""), ("concat('n=', 45.10)", "\"n=45.10\"")] },
    FuncInfo { func: Func::Coalesce, name: "coalesce", aliases: &[], min_args: 1, max_args: V,
        signature: "coalesce(a: T, ...) -> T",
        doc: "The first argument that is not null (absent counts as null; the empty string is not null).",
        examples: &[("coalesce(null, 'x')", "\"x\""), ("coalesce('', 'x')", "\"\""), ("coalesce(null, null)", "null")] },
    FuncInfo { func: Func::IsNull, name: "is_null", aliases: &[], min_args: 1, max_args: 1,
        signature: "is_null(x: any) -> boolean",
        doc: "True when `x` is null or absent. The empty string is not null.",
        examples: &[("is_null(null)", "true"), ("is_null('')", "false"), ("is_null(0)", "false")] },
    FuncInfo { func: Func::Upper, name: "upper", aliases: &["toupper"], min_args: 1, max_args: 1,
        signature: "upper(s: string) -> string", doc: "Upper-cases `s` (Unicode). Null stays null.",
        examples: &[("upper('abc')", "\"ABC\""), ("upper('straße')", "\"STRASSE\""), ("upper(null)", "null")] },
    FuncInfo { func: Func::Lower, name: "lower", aliases: &["tolower"], min_args: 1, max_args: 1,
        signature: "lower(s: string) -> string", doc: "Lower-cases `s` (Unicode). Null stays null.",
        examples: &[("lower('ÄBC')", "\"äbc\""), ("lower(null)", "null")] },
    FuncInfo { func: Func::Trim, name: "trim", aliases: &[], min_args: 1, max_args: 1,
        signature: "trim(s: string) -> string", doc: "Removes leading and trailing whitespace.",
        examples: &[("trim('  a b  ')", "\"a b\""), ("trim(null)", "null")] },
    FuncInfo { func: Func::Substring, name: "substring", aliases: &[], min_args: 2, max_args: 3,
        signature: "substring(s: string, start: integer, length: integer = rest) -> string",
        doc: "Characters of `s` from 0-based `start`, at most `length` of them. Out-of-range positions give a shorter (or empty) string, never an error.",
        examples: &[("substring('abcdef', 1, 3)", "\"bcd\""), ("substring('abc', 1)", "\"bc\""), ("substring('héllo', 1, 2)", "\"él\""), ("substring('abc', 5)", "\"\"")] },
    FuncInfo { func: Func::Len, name: "len", aliases: &["length"], min_args: 1, max_args: 1,
        signature: "len(x: string | list) -> integer", doc: "Number of characters of a string, or of items of a list. Null stays null.",
        examples: &[("len('héllo')", "5"), ("len([1, 2, 3])", "3"), ("len(null)", "null")] },
    FuncInfo { func: Func::If, name: "if", aliases: &[], min_args: 3, max_args: 3,
        signature: "if(cond: boolean, then: T, else: T) -> T", doc: "`then` when `cond` is true, else `else` (a null condition counts as false).",
        examples: &[("if(1 < 2, 'yes', 'no')", "\"yes\""), ("if(null, 'yes', 'no')", "\"no\"")] },
    FuncInfo { func: Func::FormatDate, name: "format_date", aliases: &[], min_args: 2, max_args: 2,
        signature: "format_date(d: date | datetime, pattern: string) -> string",
        doc: "Formats with the tokens YYYY, MM, DD, HH, mm, ss (other characters are copied). Date-times are formatted in UTC.",
        examples: &[("format_date(@2026-11-22, 'DD.MM.YYYY')", "\"22.11.2026\""), ("format_date(@2026-11-22T08:05:09Z, 'YYYY-MM-DD HH:mm:ss')", "\"2026-11-22 08:05:09\"")] },
    FuncInfo { func: Func::ParseDate, name: "parse_date", aliases: &[], min_args: 1, max_args: 2,
        signature: "parse_date(s: string, pattern: string = 'YYYY-MM-DD') -> date",
        doc: "Parses a date with the tokens of `format_date`. A string that does not match is a per-record error (R0003).",
        examples: &[("parse_date('22.11.2026', 'DD.MM.YYYY')", "\"2026-11-22\""), ("parse_date('2026-01-31')", "\"2026-01-31\"")] },
    FuncInfo { func: Func::Today, name: "today", aliases: &[], min_args: 0, max_args: 0,
        signature: "today() -> date", doc: "The as-of date: `--as-of` (or a test's `as_of`), else the run date in UTC. Same as `as_of()`.",
        examples: &[("today()", "\"2026-11-22\"")] },
    FuncInfo { func: Func::AsOf, name: "as_of", aliases: &[], min_args: 0, max_args: 0,
        signature: "as_of() -> date", doc: "The as-of date used for expiry rules.",
        examples: &[("as_of()", "\"2026-11-22\""), ("as_of() > @2026-01-01", "true")] },
    FuncInfo { func: Func::ToString, name: "to_string", aliases: &[], min_args: 1, max_args: 1,
        signature: "to_string(x: any) -> string",
        doc: "Text of a value: numbers in shortest plain decimal form (no exponent, no trailing zeros), dates as YYYY-MM-DD, booleans as true/false. Null stays null.",
        examples: &[("to_string(45.10)", "\"45.1\""), ("to_string(100.00)", "\"100\""), ("to_string(@2026-11-22)", "\"2026-11-22\""), ("to_string(true)", "\"true\"")] },
    FuncInfo { func: Func::ToDecimal, name: "to_decimal", aliases: &[], min_args: 1, max_args: 1,
        signature: "to_decimal(x: string | decimal) -> decimal",
        doc: "Parses decimal text exactly (`.` as the decimal point). Text that is not a number is a per-record error (R0010).",
        examples: &[("to_decimal('12.50')", "12.50"), ("to_decimal(' 7 ')", "7"), ("to_decimal(null)", "null")] },
    FuncInfo { func: Func::Contains, name: "contains", aliases: &[], min_args: 2, max_args: 2,
        signature: "contains(s: string, part: string) -> boolean", doc: "True when `part` occurs in `s` (OData `contains`).",
        examples: &[("contains('abc', 'b')", "true"), ("contains('abc', 'x')", "false")] },
    FuncInfo { func: Func::StartsWith, name: "starts_with", aliases: &["startswith"], min_args: 2, max_args: 2,
        signature: "starts_with(s: string, prefix: string) -> boolean", doc: "OData `startswith`.",
        examples: &[("starts_with('abc', 'ab')", "true")] },
    FuncInfo { func: Func::EndsWith, name: "ends_with", aliases: &["endswith"], min_args: 2, max_args: 2,
        signature: "ends_with(s: string, suffix: string) -> boolean", doc: "OData `endswith`.",
        examples: &[("ends_with('abc', 'bc')", "true")] },
    FuncInfo { func: Func::IndexOf, name: "index_of", aliases: &["indexof"], min_args: 2, max_args: 2,
        signature: "index_of(s: string, part: string) -> integer", doc: "0-based character position of `part` in `s`, or -1.",
        examples: &[("index_of('abc', 'c')", "2"), ("index_of('abc', 'x')", "-1")] },
    FuncInfo { func: Func::Year, name: "year", aliases: &[], min_args: 1, max_args: 1,
        signature: "year(d: date | datetime) -> integer", doc: "The year (UTC for date-times).",
        examples: &[("year(@2026-11-22)", "2026")] },
    FuncInfo { func: Func::Month, name: "month", aliases: &[], min_args: 1, max_args: 1,
        signature: "month(d: date | datetime) -> integer", doc: "The month, 1-12.",
        examples: &[("month(@2026-11-22)", "11")] },
    FuncInfo { func: Func::Day, name: "day", aliases: &[], min_args: 1, max_args: 1,
        signature: "day(d: date | datetime) -> integer", doc: "The day of the month.",
        examples: &[("day(@2026-11-22T23:30:00Z)", "22")] },
    FuncInfo { func: Func::Floor, name: "floor", aliases: &[], min_args: 1, max_args: 1,
        signature: "floor(x: decimal) -> decimal", doc: "Largest whole number not above `x`.",
        examples: &[("floor(2.7)", "2"), ("floor(-2.1)", "-3")] },
    FuncInfo { func: Func::Ceiling, name: "ceiling", aliases: &["ceil"], min_args: 1, max_args: 1,
        signature: "ceiling(x: decimal) -> decimal", doc: "Smallest whole number not below `x`.",
        examples: &[("ceiling(2.1)", "3")] },
    FuncInfo { func: Func::Abs, name: "abs", aliases: &[], min_args: 1, max_args: 1,
        signature: "abs(x: decimal) -> decimal", doc: "Absolute value.",
        examples: &[("abs(-2.50)", "2.50")] },
];

pub fn lookup(name: &str) -> Option<&'static FuncInfo> {
    FUNCS
        .iter()
        .find(|f| f.name == name || f.aliases.contains(&name))
}

pub fn info(func: Func) -> &'static FuncInfo {
    FUNCS.iter().find(|f| f.func == func).unwrap_or(&FUNCS[0])
}

/// What argument `i` of `func` must be, for type checking. `None`: anything.
pub fn arg_type(func: Func, i: usize) -> Option<&'static [Type]> {
    use Func::*;
    const NUM: &[Type] = &[Type::Decimal];
    const INT: &[Type] = &[Type::Integer];
    const STR: &[Type] = &[Type::String];
    const DATEISH: &[Type] = &[Type::Date, Type::DateTime];
    const BOOL: &[Type] = &[Type::Bool];
    match (func, i) {
        (Round, 0) | (Floor, 0) | (Ceiling, 0) | (Abs, 0) => Some(NUM),
        (Round, 1) | (Substring, 1) | (Substring, 2) => Some(INT),
        (Round, 2) | (FormatDate, 1) | (ParseDate, _) => Some(STR),
        (Upper, 0) | (Lower, 0) | (Trim, 0) | (Substring, 0) => Some(STR),
        (Contains, _) | (StartsWith, _) | (EndsWith, _) | (IndexOf, _) => Some(STR),
        (FormatDate, 0) | (Year, 0) | (Month, 0) | (Day, 0) => Some(DATEISH),
        (If, 0) => Some(BOOL),
        _ => None,
    }
}

/// The result type given the argument types.
pub fn result_type(func: Func, args: &[Type]) -> Type {
    use Func::*;
    match func {
        Round | Floor | Ceiling | Abs | ToDecimal => Type::Decimal,
        Concat | Upper | Lower | Trim | Substring | FormatDate | ToString => Type::String,
        Coalesce => args.iter().fold(Type::Null, |acc, t| acc.join(t)),
        If => args
            .get(1)
            .cloned()
            .unwrap_or(Type::Unknown)
            .join(args.get(2).unwrap_or(&Type::Unknown)),
        IsNull | Contains | StartsWith | EndsWith => Type::Bool,
        Len | IndexOf | Year | Month | Day => Type::Integer,
        ParseDate | Today | AsOf => Type::Date,
    }
}

/// The tokens of `format_date` and `parse_date` patterns.
pub const DATE_TOKENS: &[&str] = &["YYYY", "MM", "DD", "HH", "mm", "ss"];

/// A date pattern that cannot be what its author meant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatternError {
    /// Byte range of the offending letters in the pattern.
    pub at: std::ops::Range<usize>,
    pub message: String,
    /// The pattern with every letter run replaced by the token it most
    /// likely means (`yyyy` -> `YYYY`, `dd` -> `DD`, `MMM` -> `MM`), when
    /// every run has one.
    pub corrected: Option<String>,
}

/// The token a run of `n` letters `c` most likely means (the .NET and Java
/// spellings), if any.
fn date_token_for(c: char, n: usize) -> Option<&'static str> {
    match c {
        'y' | 'Y' => Some("YYYY"),
        'M' => Some("MM"),
        'd' | 'D' => Some("DD"),
        'h' | 'H' => Some("HH"),
        'm' if n <= 2 => Some("mm"),
        's' => Some("ss"),
        _ => None,
    }
}

/// Checks a literal `format_date` / `parse_date` pattern: letters must form
/// the tokens YYYY, MM, DD, HH, mm, ss exactly; other characters (not
/// letters) are copied. A pattern for `parse_date` (`needs_date`) must hold
/// YYYY, MM and DD.
pub fn check_date_pattern(pattern: &str, needs_date: bool) -> Result<(), PatternError> {
    let mut runs = Vec::new();
    let mut it = pattern.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        if !c.is_alphabetic() {
            continue;
        }
        let mut end = i + c.len_utf8();
        while let Some(&(j, d)) = it.peek() {
            if d != c {
                break;
            }
            end = j + d.len_utf8();
            it.next();
        }
        runs.push((i..end, c));
    }
    // A single `T` or `Z` is the ISO 8601 separator or UTC mark, copied as is.
    let bad = runs.iter().find(|(r, _)| {
        let run = &pattern[r.clone()];
        !DATE_TOKENS.contains(&run) && run != "T" && run != "Z"
    });
    if let Some((r, c)) = bad {
        let corrected = runs
            .iter()
            .map(|(r, c)| date_token_for(*c, r.len() / c.len_utf8()).map(|t| (r.clone(), t)))
            .collect::<Option<Vec<_>>>()
            .map(|subs| {
                let mut out = String::new();
                let mut last = 0;
                for (r, t) in subs {
                    out.push_str(&pattern[last..r.start]);
                    out.push_str(t);
                    last = r.end;
                }
                out.push_str(&pattern[last..]);
                out
            });
        let run = &pattern[r.clone()];
        let message = match date_token_for(*c, r.len() / c.len_utf8()) {
            Some(t) => format!("`{run}` is not a date pattern token (did you mean `{t}`?)"),
            None => format!("`{run}` is not a date pattern token"),
        };
        return Err(PatternError {
            at: r.clone(),
            message,
            corrected,
        });
    }
    if needs_date {
        let missing: Vec<&str> = ["YYYY", "MM", "DD"]
            .into_iter()
            .filter(|t| !runs.iter().any(|(r, _)| &pattern[r.clone()] == *t))
            .collect();
        if !missing.is_empty() {
            return Err(PatternError {
                at: 0..pattern.len(),
                message: format!(
                    "the pattern has no {}; `parse_date` needs YYYY, MM and DD",
                    missing.join(", ")
                ),
                corrected: None,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod pattern_tests {
    use super::*;

    #[test]
    fn date_patterns() {
        for ok in [
            "YYYY-MM-DD",
            "DD.MM.YYYY",
            "YYYYMMDD",
            "YYYY-MM-DD HH:mm:ss",
            "MM/YYYY",
        ] {
            assert_eq!(check_date_pattern(ok, false), Ok(()), "{ok}");
        }
        let e = check_date_pattern("yyyy-MM-dd", false).unwrap_err();
        assert_eq!(e.at, 0..4);
        assert_eq!(e.corrected.as_deref(), Some("YYYY-MM-DD"));
        let e = check_date_pattern("dd.MM.yyyy", true).unwrap_err();
        assert_eq!(e.corrected.as_deref(), Some("DD.MM.YYYY"));
        let e = check_date_pattern("DD MMM YYYY hh:mm", false).unwrap_err();
        assert_eq!(e.at, 3..6);
        assert_eq!(e.corrected.as_deref(), Some("DD MM YYYY HH:mm"));
        // ISO 8601's `T` and `Z` are literal letters.
        assert_eq!(check_date_pattern("YYYY-MM-DDTHH:mm:ssZ", false), Ok(()));
        // A letter that is no token, without a likely meaning.
        let e = check_date_pattern("YYYY-MM-DD at HH:mm", false).unwrap_err();
        assert_eq!(e.at, 11..12);
        assert_eq!(e.corrected, None);
        let e = check_date_pattern("MM/YYYY", true).unwrap_err();
        assert!(e.message.contains("no DD"), "{}", e.message);
    }
}
