//! YAML constants (`value:`, `default:`, test inputs and expectations) and
//! number/date literal text -> exact IR values.

use crate::Literal;
use mapc_diag::{Code, Diagnostic, Diagnostics, Span};
use mapc_syntax::yaml::{Node, NodeKind, Scalar};
use rust_decimal::Decimal;
use std::str::FromStr;

/// Parses number text exactly (`10.005`, `-3`, `+7`, `1.5e3` = `1500`), by
/// the workspace's one number reader ([`mapc_value::number`], lenient
/// syntax). `None` when the text is not a number or its value cannot be held
/// exactly; trailing zeros beyond 28 places are dropped, not refused.
pub fn parse_decimal(text: &str) -> Option<Decimal> {
    mapc_value::number::parse_literal(text.trim())
}

/// True when the scalar carries an explicit string tag (`!!str 12`).
fn tagged_str(s: &Scalar) -> bool {
    s.tag
        .as_deref()
        .is_some_and(|t| t == "!!str" || t.ends_with(":str"))
}

/// A YAML value as a `Literal`. Numbers are parsed exactly from the scalar
/// text; a number that does not fit is M0303 (and becomes `Null`).
pub fn literal(node: &Node, diags: &mut Diagnostics) -> Literal {
    match &node.kind {
        NodeKind::Scalar(s) => scalar(s, node.span, diags),
        NodeKind::Seq(items) => Literal::List(items.iter().map(|n| literal(n, diags)).collect()),
        NodeKind::Map(entries) => Literal::Map(
            entries
                .iter()
                .map(|(k, v)| {
                    let key = match k.as_scalar() {
                        Some(s) => s.text.clone(),
                        None => String::new(),
                    };
                    (key.into(), literal(v, diags))
                })
                .collect(),
        ),
    }
}

fn scalar(s: &Scalar, span: Span, diags: &mut Diagnostics) -> Literal {
    if tagged_str(s) {
        return Literal::String(s.text.as_str().into());
    }
    if s.is_null() {
        return Literal::Null;
    }
    if yaml_number_mapc_reads_as_text(s) {
        diags.push(number_not_mapc(&s.text, span));
        return Literal::String(s.text.as_str().into());
    }
    if s.is_string() {
        return Literal::String(s.text.as_str().into());
    }
    if let Some(b) = s.as_bool() {
        return Literal::Bool(b);
    }
    match s.as_number() {
        Some(t) => match parse_decimal(t) {
            Some(d) => Literal::Number(d),
            None => {
                diags.push(number_too_large(t, span));
                Literal::Null
            }
        },
        None => Literal::String(s.text.as_str().into()),
    }
}

/// A plain scalar the YAML 1.2 core schema reads as a number but mapc's
/// number syntax does not (`.5`, `-.5`, `0x1F`, `0o17`, `.inf`, `.nan`):
/// silently keeping it as text would write `".5"` where `0.5` was meant.
fn yaml_number_mapc_reads_as_text(s: &Scalar) -> bool {
    use mapc_syntax::yaml::Style;
    if s.style != Style::Plain || s.tag.is_some() {
        return false;
    }
    let t = s.text.as_str();
    let body = t.strip_prefix(['-', '+']).unwrap_or(t);
    let leading_point = body.strip_prefix('.').is_some_and(|rest| {
        rest.starts_with(|c: char| c.is_ascii_digit())
            && parse_decimal(&format!("0{body}")).is_some()
    });
    let radix = |prefix: &str, digit: fn(&u8) -> bool| {
        t.strip_prefix(prefix)
            .is_some_and(|d| !d.is_empty() && d.as_bytes().iter().all(digit))
    };
    leading_point
        || radix("0x", u8::is_ascii_hexdigit)
        || radix("0o", |b| (b'0'..=b'7').contains(b))
        || matches!(body, ".inf" | ".Inf" | ".INF")
        || matches!(t, ".nan" | ".NaN" | ".NAN")
}

fn number_not_mapc(text: &str, span: Span) -> Diagnostic {
    let help = match text.strip_prefix(['-', '+']).unwrap_or(text).strip_prefix('.') {
        Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit()) => {
            let sign = if text.starts_with('-') { "-" } else { "" };
            format!("write the number with a digit before the point (`{sign}0.{rest}`), or quote the text (`'{text}'`)")
        }
        _ => format!("mapc numbers are exact decimals (`16`, `0.5`): write the number in decimal digits, or quote the text (`'{text}'`)"),
    };
    Diagnostic::new(
        Code::M0303,
        span,
        format!("`{text}` is a number in YAML but not in mapc, which would keep it as the text \"{text}\""),
    )
    .label("not a mapc number")
    .help(help)
}

pub fn number_too_large(text: &str, span: Span) -> Diagnostic {
    Diagnostic::new(Code::M0303, span, format!("the number `{text}` does not fit an exact decimal"))
        .label("too many digits or too large")
        .help("mapc numbers are exact decimals with at most 28 digits after the point and a magnitude below 7.9e28; shorten the number or write it as a string")
}

/// RFC 3339 date-time with an offset or `Z`.
pub fn parse_datetime(text: &str) -> Option<jiff::Timestamp> {
    jiff::Timestamp::from_str(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_exact() {
        assert_eq!(parse_decimal("10.005").unwrap().to_string(), "10.005");
        assert_eq!(parse_decimal("+7").unwrap().to_string(), "7");
        assert_eq!(parse_decimal("-0.10").unwrap().to_string(), "-0.10");
        assert_eq!(parse_decimal("1.5e3").unwrap().to_string(), "1500");
        assert_eq!(
            parse_decimal("1.00000000000000000000000000000")
                .unwrap()
                .to_string(),
            "1.0000000000000000000000000000"
        );
        assert_eq!(parse_decimal("15e-1").unwrap().to_string(), "1.5");
        assert!(parse_decimal("1e40").is_none());
        assert!(parse_decimal("123456789012345678901234567890").is_none());
        assert!(parse_decimal("0.12345678901234567890123456789012").is_none());
    }

    /// Leading zeros cost the parser one stack frame each (rust_decimal parses
    /// digits recursively while the value is still zero): 30,000 of them in a
    /// test input aborted `mapc check` with a stack overflow. Values are
    /// compared as numbers, so the test holds whatever scale rules apply.
    #[test]
    fn long_runs_of_zeros_are_parsed_without_recursion() {
        let zeros = "0".repeat(200_000);
        let num = |s: String| parse_decimal(&s);
        let dec = |s: &str| Decimal::from_str(s).ok();
        assert_eq!(num(zeros.clone()), dec("0"));
        assert_eq!(num(format!("-{zeros}12.50")), dec("-12.50"));
        assert_eq!(num(format!("+{zeros}1.5e3")), dec("1500"));
        assert_eq!(num(format!("{zeros}.5")), dec("0.5"));
        assert_eq!(num(format!("{zeros}e5")), dec("0"));
        // Zeros after the point: refused (more than 28 places) or the same value.
        assert!(num(format!("0.{zeros}")).is_none_or(|d| d.is_zero()));
        assert!(num(format!("1.{zeros}")).is_none_or(|d| d == Decimal::ONE));
        assert_eq!(num(format!("0.{zeros}1")), None, "more than 28 places");
        assert_eq!(num("7".repeat(200_000)), None, "too large");
        assert_eq!(
            num(format!("{zeros}1{}", "0".repeat(29))),
            None,
            "1e29 is too large"
        );
        let e28 = format!("1{}", "0".repeat(28));
        assert_eq!(num(format!("{zeros}{e28}")), dec(&e28));
        assert!(dec(&e28).is_some());
    }

    #[test]
    fn datetimes_are_strict() {
        assert!(parse_datetime("2026-11-22T10:00:00Z").is_some());
        assert!(parse_datetime("2026-11-22T10:00:00").is_none());
    }
}
