//! Sales prices: the price rules of a record written as one price string
//! (`transfer_customer_price_groups`).

use super::{check_list, from_eval, reject, Warning};
use crate::plan::Compiled;
use mapc_diag::Code;
use mapc_value::json::parse::{Frame, RecordError};
use mapc_value::operand::date_arg;
use mapc_value::{id_text, utc_date, write_date, write_text_shortest, DateLike, Value};
use std::borrow::Cow;

impl Compiled {
    pub(super) fn sales_string<'a>(
        &self,
        s: &'a crate::plan::CSales,
        frame: &Frame<'a>,
        buf: &mut Vec<u8>,
        warnings: &mut Vec<Warning>,
    ) -> Result<Value<'a>, RecordError> {
        let ld = &frame.lists[s.list as usize];
        check_list(ld, &s.path, "sales price rules")?;
        buf.clear();
        let mut count = 0usize;
        let mut field_text = Vec::new();
        // Codes that matched a listed code only ignoring case and blanks:
        // (code as in the source, the listed code, price rules numbered from 1).
        let mut loose: Vec<(String, &str, Vec<usize>)> = Vec::new();
        for i in 0..ld.len() {
            let item = ld.item(i);
            // Where a problem is: the rule numbered from 1 for people, the
            // JSON path (0-based) for programs.
            let at = |e: RecordError, name: &str| {
                e.with_field(format!("{}[{i}].{name}", s.path))
                    .with_place(format!(
                        "price rule {} of `{}`, field `{name}`",
                        i + 1,
                        s.path
                    ))
            };
            // A price rule without a sales code cannot be attributed to a
            // customer price group: transferring or silently dropping it
            // would both give the target a wrong price list.
            let Some(code) = id_text(&item[s.code as usize]) else {
                return Err(at(
                    reject(Code::R0015, "the price rule has no sales code".to_string()).with_help(
                        "give every price rule a `salescode` at the source, or set \
                         `transfer_customer_price_groups: false` for this mapping",
                    ),
                    "salescode",
                ));
            };
            // A code is matched exactly, else ignoring case and surrounding
            // blanks; such a rule is transferred with the listed code (a
            // Business Central code is upper case without blanks anyway),
            // and R0107 says so.
            let mut listed: Option<&str> = None;
            if let Some(codes) = &s.codes {
                if !codes.iter().any(|c| **c == *code) {
                    match codes.iter().find(|c| loose_code_eq(c, &code)) {
                        Some(c) => listed = Some(c),
                        None => continue,
                    }
                }
            }
            if s.exclude_expired {
                let end = &item[s.end as usize];
                let d = date_arg(end, "").map_err(|e| at(from_eval(e), "endingdate"))?;
                let expired = match d {
                    None => false,
                    Some(DateLike::Date(d)) => d < self.options.as_of,
                    Some(DateLike::DateTime(t)) => utc_date(t) < self.options.as_of,
                };
                if expired {
                    continue;
                }
            }
            if let Some(c) = listed {
                match loose.iter_mut().find(|(src, _, _)| *src == *code) {
                    Some((_, _, rules)) => rules.push(i + 1),
                    None => loose.push((code.to_string(), c, vec![i + 1])),
                }
            }
            if count > 0 {
                buf.extend_from_slice(s.delim.as_bytes());
            }
            for (k, f) in s.fields.iter().enumerate() {
                if k > 0 {
                    buf.extend_from_slice(s.sep.as_bytes());
                }
                field_text.clear();
                let v = &item[f.slot as usize];
                if let Some(c) = listed.filter(|_| f.slot == s.code) {
                    field_text.extend_from_slice(c.as_bytes());
                } else if f.date {
                    // Date-typed price fields are validated and written as
                    // `YYYY-MM-DD` (a date-time as its UTC date), as the
                    // ending date is for expiry.
                    match date_arg(v, "").map_err(|e| at(from_eval(e), &f.name))? {
                        None => {}
                        Some(DateLike::Date(d)) => write_date(d, &mut field_text),
                        Some(DateLike::DateTime(t)) => write_date(utc_date(t), &mut field_text),
                    }
                } else if !write_text_shortest(v, &mut field_text) {
                    return Err(at(
                        reject(
                            Code::R0010,
                            format!(
                                "the value is {}, which has no text form in a price string",
                                v.kind_name()
                            ),
                        ),
                        &f.name,
                    ));
                }
                for (what, sep) in [("field separator", &s.sep), ("record delimiter", &s.delim)] {
                    if !sep.is_empty() && contains(&field_text, sep.as_bytes()) {
                        return Err(at(
                            reject(
                                Code::R0012,
                                format!(
                                    "the value contains the {what} `{sep}`, which would make the price string ambiguous"
                                ),
                            )
                            .with_help("choose a `field_separator` and `record_delimiter` that never occur in the data, or clean the value at the source"),
                            &f.name,
                        ));
                    }
                }
                buf.extend_from_slice(&field_text);
            }
            count += 1;
        }
        for (code, listed, rules) in loose {
            let which = match rules.as_slice() {
                [one] => format!("price rule {one}"),
                many => format!(
                    "price rules {}",
                    many.iter()
                        .map(|r| r.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            warnings.push(Warning {
                code: Code::R0107,
                message: format!(
                    "{which} of `{}`: the sales code `{code}` is not listed in `sales_codes` as written; it matches `{listed}` when case and surrounding blanks are ignored, so the rule is transferred with the code `{listed}`",
                    s.path
                ),
                rule: None,
            });
        }
        Ok(Value::Str(Cow::Owned(
            String::from_utf8_lossy(buf).into_owned(),
        )))
    }
}

/// Sales codes match ignoring case and surrounding blanks (`y1004n ` is
/// `Y1004N`).
fn loose_code_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim(), b.trim());
    a.chars()
        .flat_map(char::to_lowercase)
        .eq(b.chars().flat_map(char::to_lowercase))
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(hay, needle).is_some()
}
