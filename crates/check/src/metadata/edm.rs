//! Constants against Edm types: a `value:`/`default:` constant that does not
//! fit the target property (M0904) or is too long (M0905), and the validators
//! of Edm literal shapes (date, date-time, time of day, GUID).

use super::names::TargetCx;
use super::types::describe;
use mapc_connect::metadata::{suggest, EdmType, Property};
use mapc_diag::{code_list, Code, Diagnostic, Diagnostics};
use mapc_syntax::spec::Value;
use mapc_syntax::yaml::{NodeKind, Style};

impl TargetCx<'_> {
    /// M0904 / M0905 for a `value:` or `default:` constant written to `prop`.
    pub(super) fn constant(
        &self,
        key: &str,
        v: &Value,
        prop: &Property,
        to: &str,
        diags: &mut Diagnostics,
    ) {
        let node = &v.node;
        if node.is_null() {
            return;
        }
        let owner = self.entity.name();
        let ty = &prop.ty;
        let found = node.kind_name();
        let mismatch = |help: String| {
            Diagnostic::new(
                Code::M0904,
                node.span,
                format!(
                    "`{key}:` is {found}, but `{to}` of `{owner}` is {} (connection `{}`)",
                    ty, self.conn
                ),
            )
            .label(format!("does not fit {ty}"))
            .help(help)
        };
        let s = match &node.kind {
            NodeKind::Scalar(s) => s,
            NodeKind::Seq(_) | NodeKind::Map(_) => {
                if !matches!(ty, EdmType::Complex(_) | EdmType::Other(_)) && !prop.collection {
                    diags.push(mismatch(format!("write a single {} value", describe(ty))));
                }
                return;
            }
        };
        let is_string = s.is_string();
        let text = s.text.as_str();
        let quoted_number =
            s.style != Style::Plain && !text.trim().is_empty() && plain_number(text.trim());
        let problem: Option<String> = match ty {
            EdmType::String => (!is_string)
                .then(|| format!("quote the value to write it as text: `{key}: \"{text}\"`")),
            EdmType::Boolean => {
                (s.as_bool().is_none()).then(|| format!("write `{key}: true` or `{key}: false`"))
            }
            t if t.is_numeric() => match s.as_number() {
                Some(n)
                    if t.is_integer()
                        && !n
                            .bytes()
                            .all(|b| b.is_ascii_digit() || b == b'-' || b == b'+') =>
                {
                    Some(format!(
                        "`{to}` takes whole numbers; write an integer, e.g. `{key}: {}`",
                        n.split('.').next().unwrap_or("0")
                    ))
                }
                Some(_) => None,
                None if quoted_number => Some(format!(
                    "remove the quotes to write a number: `{key}: {}`",
                    text.trim()
                )),
                None => {
                    // "5000 USD" -> suggest the number it starts with.
                    let lead: String = text
                        .trim()
                        .chars()
                        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == '-')
                        .collect();
                    let example = if plain_number(&lead) {
                        lead
                    } else {
                        "0".to_string()
                    };
                    Some(format!("write the amount as a plain number, without quotes or units, e.g. `{key}: {example}`"))
                }
            },
            EdmType::Date => (!(is_string && is_date(text))).then(|| {
                match mapc_value::dates::date_part_problem(text).filter(|_| is_string) {
                    Some(why) => format!("`{text}` is not a day ({why}); write a real date, e.g. `{key}: 2026-11-22`"),
                    None => format!("write a date as `YYYY-MM-DD`, e.g. `{key}: 2026-11-22`"),
                }
            }),
            EdmType::DateTimeOffset => (!(is_string && is_datetime(text))).then(|| {
                match mapc_value::dates::date_part_problem(text).filter(|_| is_string) {
                    Some(why) => format!("`{text}` is not a day ({why}); write a real date-time, e.g. `{key}: \"2026-11-22T10:00:00Z\"`"),
                    None => format!("write a date-time with an offset, e.g. `{key}: \"2026-11-22T10:00:00Z\"`"),
                }
            }),
            EdmType::TimeOfDay => (!(is_string && is_time(text)))
                .then(|| format!("write a time of day, e.g. `{key}: \"10:00:00\"`")),
            EdmType::Guid => (!(is_string && is_guid(text))).then(|| {
                format!("write a GUID, e.g. `{key}: \"00000000-0000-0000-0000-000000000000\"`")
            }),
            EdmType::Enum(name) => match self.model.enum_type(name) {
                Some(en) if is_string => {
                    let ok = en
                        .members
                        .iter()
                        .any(|m| m.name == text || m.decoded_name() == text);
                    (!ok).then(|| {
                        let names: Vec<String> =
                            en.members.iter().map(|m| m.decoded_name()).collect();
                        match suggest(text, names.iter().map(String::as_str)).first() {
                            Some(s) => format!("did you mean `{s}`?"),
                            None => format!("use one of: {}", code_list(&names)),
                        }
                    })
                }
                Some(en) => Some(format!(
                    "write one of the member names as a string: {}",
                    code_list(en.members.iter().map(|m| m.decoded_name()))
                )),
                None => None,
            },
            _ => None,
        };
        if let Some(help) = problem {
            let mut d = mismatch(help);
            if matches!(ty, EdmType::Enum(_)) && is_string {
                d.message = format!("`{text}` is not a member of {ty}, the type of `{to}` of `{owner}` (connection `{}`)", self.conn);
                d.label = Some(format!("not a member of {ty}"));
            } else if is_string
                && !matches!(ty, EdmType::String)
                && matches!(
                    ty,
                    EdmType::Date | EdmType::DateTimeOffset | EdmType::TimeOfDay | EdmType::Guid
                )
            {
                d.message = format!(
                    "`{key}:` is not {}, but `{to}` of `{owner}` is {ty} (connection `{}`)",
                    describe(ty),
                    self.conn
                );
            }
            diags.push(d);
            return;
        }
        // M0905: string constants longer than MaxLength.
        if let (EdmType::String, Some(max), true) = (ty, prop.max_length, is_string) {
            let len = text.chars().count();
            if len > max as usize {
                diags.push(
                    Diagnostic::new(
                        Code::M0905,
                        node.span,
                        format!("the `{key}:` constant is {len} characters long, but `{to}` of `{owner}` allows at most {max} (MaxLength)"),
                    )
                    .label(format!("{len} > {max} characters"))
                    .help(format!("shorten the constant to at most {max} characters")),
                );
            }
        }
    }
}

fn plain_number(t: &str) -> bool {
    mapc_value::number::is_yaml_number(t)
}

fn digits(s: &str, n: usize) -> Option<u32> {
    (s.len() == n && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// `YYYY-MM-DD`, a real calendar date (the one date reader,
/// [`mapc_value::dates::parse_ymd`]).
pub fn is_date(s: &str) -> bool {
    mapc_value::dates::parse_ymd(s).is_ok()
}

/// `HH:MM`, `HH:MM:SS` or `HH:MM:SS.fff`.
pub fn is_time(s: &str) -> bool {
    let (hms, frac) = match s.split_once('.') {
        Some((a, f)) => (a, Some(f)),
        None => (s, None),
    };
    if frac.is_some_and(|f| f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit())) {
        return false;
    }
    let parts: Vec<&str> = hms.split(':').collect();
    let ok = |p: &str, max: u32| digits(p, 2).is_some_and(|v| v <= max);
    match parts.as_slice() {
        [h, m] => frac.is_none() && ok(h, 23) && ok(m, 59),
        [h, m, sec] => ok(h, 23) && ok(m, 59) && ok(sec, 59),
        _ => false,
    }
}

/// RFC 3339: `YYYY-MM-DDTHH:MM[:SS[.f]](Z|±HH:MM)`.
pub fn is_datetime(s: &str) -> bool {
    let Some((date, rest)) = s.split_once(['T', 't']) else {
        return false;
    };
    if !is_date(date) {
        return false;
    }
    let (time, offset_ok) = if let Some(t) = rest.strip_suffix(['Z', 'z']) {
        (t, true)
    } else if let Some(i) = rest.rfind(['+', '-']) {
        let off = &rest[i + 1..];
        (
            &rest[..i],
            off.split_once(':').is_some_and(|(h, m)| {
                digits(h, 2).is_some_and(|h| h <= 23) && digits(m, 2).is_some_and(|m| m <= 59)
            }),
        )
    } else {
        return false;
    };
    offset_ok && is_time(time)
}

pub fn is_guid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_shapes() {
        assert!(is_date("2024-02-29"));
        assert!(!is_date("2023-02-29"));
        assert!(!is_date("2024-13-01"));
        assert!(!is_date("next monday"));
        assert!(is_datetime("2026-11-22T10:00:00Z"));
        assert!(is_datetime("2026-11-22T10:00:00.5+01:00"));
        assert!(!is_datetime("2026-11-22"));
        assert!(is_time("10:00"));
        assert!(is_time("23:59:59.123"));
        assert!(!is_time("24:00"));
        assert!(is_guid("01234567-89ab-cdef-0123-456789abcdef"));
        assert!(!is_guid("not-a-guid"));
    }
}
