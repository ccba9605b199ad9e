//! Mapping one record: filter, rules, fields, products, document amounts,
//! sales prices, company data, then serialization into the output buffer.
//!
//! One module per job: [`fields`] (fields into leaves, leaves into the
//! output object), [`products`] (product lines), [`prices`] (the sales
//! price string), [`companies`] (company identity and relationships).

mod companies;
mod fields;
mod prices;
mod products;

use companies::{contacts_without_id, relationship_ids};
pub(crate) use companies::{
    separator_in_id, write_relationships, CompanyData, RELATIONSHIP_ID_SEPARATOR,
};
use fields::{eval_source, map_fields, write_entries};

use crate::eval::{Ctx, EvalError};
use crate::keys::KeyHash;
use crate::plan::Compiled;
use mapc_connect::source::MAX_RECORD_BYTES;
use mapc_diag::{Code, Span};
use mapc_value::json::parse::{parse_record, Frame, ListData, ListState, RecordError};
use mapc_value::{id_text, Value};
use std::borrow::Cow;

/// A warning attached to a record that is still written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// `R0101` (a `warn` rule matched), `R0102` (unknown parent company),
    /// `R0106` (a contact without an id) or `R0107` (a sales code matched
    /// only when case and surrounding blanks are ignored).
    pub code: Code,
    pub message: String,
    /// The rule for R0101: its 0-based index in `rules:` and the span of
    /// its `when:` condition (reports number rules from 1).
    pub rule: Option<(usize, Span)>,
}

/// The result of mapping one record (the output bytes went to the buffer).
#[derive(Clone, Debug)]
pub(crate) enum Verdict {
    Written {
        warnings: Vec<Warning>,
        /// Where the relationship list goes (companies), as an offset from
        /// the start of this record's output.
        marker: Option<usize>,
        /// The record's target key, when the mapping has one.
        target_key: Option<KeyHash>,
    },
    Skipped {
        rule: usize,
        span: Span,
        message: String,
    },
    Filtered,
    Rejected(RecordError),
}

/// Per-thread reusable buffers, so the steady state allocates almost nothing.
#[derive(Default)]
pub struct Scratch {
    frame: Frame<'static>,
    leaves: Vec<Out<'static>>,
    lines: Vec<Out<'static>>,
    sets: Vec<(u32, Value<'static>)>,
    order: Vec<usize>,
    text: Vec<u8>,
    key: Vec<u8>,
}

impl Scratch {
    pub fn new(c: &Compiled) -> Scratch {
        Scratch {
            frame: Frame::new(c.nslots, &c.list_slots),
            ..Scratch::default()
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) enum Out<'a> {
    Omit,
    Val(Value<'a>),
    Products,
    Relationships,
}

fn recycle_out<'b>(mut v: Vec<Out<'_>>) -> Vec<Out<'b>> {
    v.clear();
    v.into_iter().map(|_| Out::Omit).collect()
}

fn recycle_sets<'b>(mut v: Vec<(u32, Value<'_>)>) -> Vec<(u32, Value<'b>)> {
    v.clear();
    v.into_iter().map(|_| (0, Value::Absent)).collect()
}

fn reject(code: Code, message: impl Into<String>) -> RecordError {
    RecordError::new(code, message)
}

/// An evaluation error as a rejection; the caller says where.
fn from_eval(e: EvalError) -> RecordError {
    RecordError {
        help: e.help.map(String::into_boxed_str),
        ..RecordError::new(e.code, e.message)
    }
}

/// The text of a key-like value, borrowing from the record when possible.
fn key_of<'a>(v: &Value<'a>) -> Option<Cow<'a, str>> {
    match v {
        Value::Str(Cow::Borrowed(s)) => Some(Cow::Borrowed(s)),
        other => id_text(other).map(|c| Cow::Owned(c.into_owned())),
    }
}

pub(crate) struct Processed<'a> {
    pub key: Option<Cow<'a, str>>,
    pub verdict: Verdict,
    pub company: Option<CompanyData>,
}

impl Compiled {
    /// Maps one record (`bytes` of one JSON value); appends its output to
    /// `out` when it is written, and leaves `out` untouched otherwise.
    pub(crate) fn process<'a>(
        &self,
        bytes: &'a [u8],
        scratch: &mut Scratch,
        out: &mut Vec<u8>,
    ) -> Processed<'a> {
        let text = match std::str::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                let at = e.valid_up_to();
                return Processed {
                    key: None,
                    verdict: Verdict::Rejected(RecordError {
                        offset: Some(at),
                        ..reject(Code::R0007, "invalid UTF-8").with_help("save the input as UTF-8")
                    }),
                    company: None,
                };
            }
        };
        if bytes.len() > MAX_RECORD_BYTES {
            return Processed {
                key: None,
                verdict: Verdict::Rejected(reject(
                    Code::R0014,
                    format!(
                        "the record is {} bytes; at most {} are accepted",
                        bytes.len(),
                        MAX_RECORD_BYTES
                    ),
                )),
                company: None,
            };
        }
        let mut frame: Frame<'a> = std::mem::take(&mut scratch.frame).reuse();
        if frame.slots.len() != self.nslots || frame.lists.len() != self.list_slots.len() {
            frame = Frame::new(self.nslots, &self.list_slots);
        }
        let mut leaves = recycle_out(std::mem::take(&mut scratch.leaves));
        let mut lines = recycle_out(std::mem::take(&mut scratch.lines));
        let mut sets = recycle_sets(std::mem::take(&mut scratch.sets));
        let start = out.len();
        let res = match parse_record(text, &self.proj, &mut frame) {
            Err(e) => Processed {
                // Valid JSON (a number out of range, a repeated key): a
                // parse of the key alone can still name the record.
                key: if matches!(e.code, Code::R0002 | Code::R0021) {
                    self.salvage_key(text)
                } else {
                    None
                },
                verdict: Verdict::Rejected(e),
                company: None,
            },
            Ok(()) => {
                if let Some(r) = &self.reads {
                    r.observe(text, &frame);
                }
                let key = self.key.and_then(|k| key_of(&frame.slots[k as usize]));
                let (verdict, company) =
                    self.map_record(&frame, scratch, &mut leaves, &mut lines, &mut sets, out);
                if !matches!(verdict, Verdict::Written { .. }) {
                    out.truncate(start);
                }
                Processed {
                    key,
                    verdict,
                    company,
                }
            }
        };
        scratch.frame = frame.reuse();
        scratch.leaves = recycle_out(leaves);
        scratch.lines = recycle_out(lines);
        scratch.sets = recycle_sets(sets);
        res
    }

    /// The key of a record rejected for a number that does not fit or a
    /// repeated key: the record is valid JSON, so a parse that reads only the key finds it and
    /// the rejection can say which record it was.
    pub(crate) fn salvage_key<'a>(&self, text: &'a str) -> Option<Cow<'a, str>> {
        let mut frame = Frame::new(1, &[]);
        parse_record(text, &self.key_proj, &mut frame).ok()?;
        key_of(&frame.slots[0])
    }

    fn map_record<'a>(
        &'a self,
        frame: &Frame<'a>,
        scratch: &mut Scratch,
        leaves: &mut Vec<Out<'a>>,
        lines: &mut Vec<Out<'a>>,
        sets: &mut Vec<(u32, Value<'a>)>,
        out: &mut Vec<u8>,
    ) -> (Verdict, Option<CompanyData>) {
        let cx = Ctx {
            slots: &frame.slots,
            as_of: self.options.as_of,
        };
        if let Some(f) = &self.filter {
            match f.test(cx) {
                Ok(true) => {}
                Ok(false) => return (Verdict::Filtered, None),
                Err(e) => {
                    let place = match &self.filter_text {
                        Some(t) => format!("the source filter `{t}`"),
                        None => "the source filter".to_string(),
                    };
                    return (Verdict::Rejected(from_eval(e).with_place(place)), None);
                }
            }
        }
        // Company identity is read before the rules: a skipped or rejected
        // company can still be another company's parent.
        let company = match &self.companies {
            None => None,
            Some(c) => match self.company_data(c, frame) {
                Ok(d) => Some(d),
                Err(e) => return (Verdict::Rejected(e), None),
            },
        };
        let mut warnings = Vec::new();
        for r in &self.rules {
            let hit = match r.when.test(cx) {
                Ok(b) => b,
                Err(e) => {
                    let e = from_eval(e).with_rule(r.index, r.span);
                    return (Verdict::Rejected(e), company);
                }
            };
            if !hit {
                continue;
            }
            match &r.action {
                crate::plan::CAction::Skip => {
                    return (
                        Verdict::Skipped {
                            rule: r.index,
                            span: r.span,
                            message: format!("skipped by rule {}", r.index + 1),
                        },
                        company,
                    )
                }
                crate::plan::CAction::Warn(m) => warnings.push(Warning {
                    code: Code::R0101,
                    message: m.clone(),
                    rule: Some((r.index, r.span)),
                }),
                crate::plan::CAction::Error(m) => {
                    let e = reject(Code::R0008, m.clone()).with_rule(r.index, r.span);
                    return (Verdict::Rejected(e), company);
                }
                crate::plan::CAction::Set { leaf, src, to } => match eval_source(src, cx) {
                    Ok(v) => sets.push((*leaf, v)),
                    Err(e) => {
                        let e = from_eval(e)
                            .with_field(to.to_string())
                            .with_rule(r.index, r.span);
                        return (Verdict::Rejected(e), company);
                    }
                },
            }
        }

        leaves.resize_with(self.nleaves, || Out::Omit);
        if let Err(e) = map_fields(&self.fields, cx, leaves, None) {
            return (Verdict::Rejected(e), company);
        }
        if let Some(p) = &self.products {
            if let Err(e) = self.map_products(p, frame, scratch, lines) {
                return (Verdict::Rejected(e), company);
            }
            leaves[p.leaf as usize] = Out::Products;
        }
        for a in &self.amounts {
            match eval_source(&a.src, cx) {
                Ok(v) => {
                    leaves[a.leaf as usize] = Out::Val(if v.is_null() { Value::Null } else { v })
                }
                Err(e) => {
                    return (
                        Verdict::Rejected(from_eval(e).with_field(a.to.to_string())),
                        company,
                    )
                }
            }
        }
        if let Some(s) = &self.sales {
            match self.sales_string(s, frame, &mut scratch.text, &mut warnings) {
                Ok(v) => leaves[s.leaf as usize] = Out::Val(v),
                Err(e) => return (Verdict::Rejected(e), company),
            }
        }
        if let Some(c) = &self.companies {
            leaves[c.leaf as usize] = Out::Relationships;
        }
        for (leaf, v) in sets.drain(..) {
            leaves[leaf as usize] = Out::Val(if v.is_null() { Value::Null } else { v });
        }
        if let (Some(c), Some(d)) = (&self.companies, &company) {
            if let Err(e) = relationship_ids(c, d) {
                return (Verdict::Rejected(e), company);
            }
            if let Some(w) = contacts_without_id(c, d) {
                warnings.push(w);
            }
        }
        let target_key = match &self.target_key {
            None => None,
            Some(k) => match k.hash(leaves, &mut scratch.key) {
                Ok(h) => Some(h),
                Err(e) => return (Verdict::Rejected(e), company),
            },
        };

        let start = out.len();
        let mut marker = None;
        let products = self
            .products
            .as_ref()
            .map(|p| (p, &lines[..], scratch.order.len()));
        out.push(b'{');
        write_entries(&self.tree, leaves, products, &mut marker, start, out);
        out.push(b'}');
        (
            Verdict::Written {
                warnings,
                marker,
                target_key,
            },
            company,
        )
    }
}

fn check_list(ld: &ListData, path: &str, what: &str) -> Result<(), RecordError> {
    match ld.state {
        ListState::NotList(kind) => Err(reject(
            Code::R0010,
            format!("the value is {kind}, expected a list of {what}"),
        )
        .with_field(path)),
        ListState::Items {
            bad_item: Some((i, kind)),
            ..
        } => Err(reject(
            Code::R0010,
            format!("the item is {kind}, expected an object (one of the {what})"),
        )
        .with_field(format!("{path}[{i}]"))
        .with_place(format!("item {} of `{path}`", i + 1))),
        _ => Ok(()),
    }
}
