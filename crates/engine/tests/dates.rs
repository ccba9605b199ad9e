//! A date that does not exist is named as such, with the reason, wherever
//! it is read: record values and `parse_date` patterns.

mod common;
use common::*;

fn message(expr: &str, rec: &str) -> String {
    let spec = spec_with(&format!(
        "    fields:\n      - {{ expr: \"{expr}\", to: out }}\n"
    ));
    match one(&spec, rec) {
        Got::Rejected { code, message, .. } => {
            assert_eq!(code, "R0003", "{message}");
            message
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[test]
fn a_record_date_that_does_not_exist_says_why() {
    assert_eq!(
        message("year(d)", r#"{"d": "2026-02-29"}"#),
        "`year` needs a date: \"2026-02-29\" is not a date: February 2026 has 28 days"
    );
    assert_eq!(
        message("year(d)", r#"{"d": "2026-04-31T10:00:00Z"}"#),
        "`year` needs a date: \"2026-04-31T10:00:00Z\" is not a date: April 2026 has 30 days"
    );
    // Text that is no date at all keeps the general message.
    assert!(message("year(d)", r#"{"d": "soon"}"#)
        .ends_with("\"soon\" is not a date (YYYY-MM-DD) or date-time (RFC 3339)"));
}

#[test]
fn parse_date_of_a_day_that_does_not_exist_says_why() {
    assert_eq!(
        message("parse_date(d, 'DD.MM.YYYY')", r#"{"d": "29.02.2026"}"#),
        "\"29.02.2026\" is not a date: February 2026 has 28 days"
    );
    assert_eq!(
        message("parse_date(d, 'DD.MM.YYYY')", r#"{"d": "01.13.2026"}"#),
        "\"01.13.2026\" is not a date: there is no month 13 (months are 01 to 12)"
    );
    assert_eq!(
        message("parse_date(d, 'DD.MM.YYYY')", r#"{"d": "2026-11-22"}"#),
        "\"2026-11-22\" does not match the date pattern 'DD.MM.YYYY'"
    );
}
