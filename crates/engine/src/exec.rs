//! Mapping one record: filter, rules, fields, products, document amounts,
//! sales prices, company data, then serialization into the output buffer.

use crate::eval::{date_arg, Ctx, EvalError};
use crate::json::parse::{parse_record, Frame, ListData, ListState, RecordError};
use crate::json::write::{write_str, write_value};
use crate::keys::KeyHash;
use crate::plan::{CField, CSource, Compiled, TEntry, TNode};
use crate::value::{id_text, sort_cmp, utc_date, write_date, write_text_shortest, DateLike, Value};
use mapc_diag::Span;
use mapc_ir::OnNull;
use std::borrow::Cow;
use std::cmp::Ordering;

/// A warning attached to a record that is still written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// `R0101` (a `warn` rule matched), `R0102` (unknown parent company),
    /// `R0106` (a contact without an id) or `R0107` (a sales code matched
    /// only when case and surrounding blanks are ignored).
    pub code: &'static str,
    pub message: String,
    /// The rule for R0101: its 0-based index in `rules:` and the span of
    /// its `when:` condition (reports number rules from 1).
    pub rule: Option<(usize, Span)>,
}

/// What a record's company fields say (companies mappings only).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct CompanyData {
    pub id: Option<String>,
    pub number: Option<String>,
    pub parent: Option<String>,
    /// Contacts with an id: (0-based position in the list, id).
    pub contacts: Vec<(usize, String)>,
    /// Positions (0-based) of contacts without an id (null, absent, blank).
    pub contacts_without_id: Vec<usize>,
}

/// The result of mapping one record (the output bytes went to the buffer).
#[derive(Debug)]
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

fn reject(code: &'static str, message: impl Into<String>) -> RecordError {
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

/// Largest record accepted (bytes of one NDJSON line, array element or CSV
/// row as JSON). Bigger records are R0014; a 10 MB string is fine.
pub const MAX_RECORD_BYTES: usize = 64 << 20;

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
                        ..reject("R0007", "invalid UTF-8").with_help("save the input as UTF-8")
                    }),
                    company: None,
                };
            }
        };
        if bytes.len() > MAX_RECORD_BYTES {
            return Processed {
                key: None,
                verdict: Verdict::Rejected(reject(
                    "R0014",
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
                key: if matches!(e.code, "R0002" | "R0021") {
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
                    code: "R0101",
                    message: m.clone(),
                    rule: Some((r.index, r.span)),
                }),
                crate::plan::CAction::Error(m) => {
                    let e = reject("R0008", m.clone()).with_rule(r.index, r.span);
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

    fn map_products<'a>(
        &'a self,
        p: &'a crate::plan::CProducts,
        frame: &Frame<'a>,
        scratch: &mut Scratch,
        lines: &mut Vec<Out<'a>>,
    ) -> Result<(), RecordError> {
        let ld = &frame.lists[p.list as usize];
        check_list(ld, &p.path, "product lines")?;
        let order = &mut scratch.order;
        order.clear();
        for i in 0..ld.len() {
            if let Some(s) = p.sku {
                if let Some(sku) = id_text(&ld.item(i)[s as usize]) {
                    if p.exclude.iter().any(|x| **x == *sku) {
                        continue;
                    }
                }
            }
            order.push(i);
        }
        if let Some((slot, desc)) = p.order {
            let s = slot as usize;
            // Two texts that read as numbers and order differently as text
            // and as numbers (R0020): sorting them either way is a guess.
            let mut ambiguous = None;
            // Stable: ties keep input order; nulls last in both directions.
            order.sort_by(|&a, &b| {
                let (x, y) = (&ld.item(a)[s], &ld.item(b)[s]);
                if let (Value::Str(t), Value::Str(u), None) = (x, y, &ambiguous) {
                    if let Some((m, n)) = crate::eval::numbers_both(t, u) {
                        let (to, no) = (t.as_ref().cmp(u.as_ref()), m.cmp(&n));
                        if to != no {
                            ambiguous = Some(crate::eval::numeric_text_order(t, u, to, no));
                        }
                    }
                }
                match (x.is_null(), y.is_null()) {
                    (true, true) => Ordering::Equal,
                    (true, false) => Ordering::Greater,
                    (false, true) => Ordering::Less,
                    _ if desc => sort_cmp(y, x),
                    _ => sort_cmp(x, y),
                }
            });
            if let Some(e) = ambiguous {
                return Err(reject(e.code, format!("cannot sort the product lines: {}", e.message))
                    .with_field(&p.path)
                    .with_help("send the `order_by` field as numbers (or declare its type), or as text that orders the same way"));
            }
        }
        lines.clear();
        lines.resize_with(order.len() * p.nleaves, || Out::Omit);
        for (j, &i) in order.iter().enumerate() {
            let cx = Ctx {
                slots: ld.item(i),
                as_of: self.options.as_of,
            };
            let dst = &mut lines[j * p.nleaves..(j + 1) * p.nleaves];
            map_fields(&p.fields, cx, dst, Some((&p.to, j, &p.path, i)))?;
        }
        Ok(())
    }

    fn sales_string<'a>(
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
                    reject("R0015", "the price rule has no sales code".to_string()).with_help(
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
                            "R0010",
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
                                "R0012",
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
                code: "R0107",
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

    fn company_data(
        &self,
        c: &crate::plan::CCompanies,
        frame: &Frame,
    ) -> Result<CompanyData, RecordError> {
        let s = &frame.slots;
        // Ids and numbers: null, absent and blank are all "none".
        let text = |v: &Value| {
            id_text(v)
                .filter(|t| !t.trim().is_empty())
                .map(Cow::into_owned)
        };
        let id = text(&s[c.id as usize]);
        let number = text(&s[c.number as usize]);
        let parent = c.parent.and_then(|p| text(&s[p as usize]));
        let mut contacts = Vec::new();
        let mut contacts_without_id = Vec::new();
        if let Some((list, cid)) = c.contacts {
            let ld = &frame.lists[list as usize];
            check_list(ld, &c.contacts_path, "contacts")?;
            for i in 0..ld.len() {
                let v = &ld.item(i)[cid as usize];
                if let Value::List(_) | Value::Obj(_) = v {
                    return Err(reject(
                        "R0010",
                        format!(
                            "the contact id is {}, expected a text or a number",
                            v.kind_name()
                        ),
                    )
                    .with_field(format!("{}[{i}].{}", c.contacts_path, c.contact_id_field))
                    .with_place(format!(
                        "contact {} of `{}`, field `{}`",
                        i + 1,
                        c.contacts_path,
                        c.contact_id_field
                    )));
                }
                // A contact without an id cannot be related: it is left
                // out, and R0106 says so.
                match text(v) {
                    Some(t) => contacts.push((i, t)),
                    None => contacts_without_id.push(i),
                }
            }
        }
        Ok(CompanyData {
            id,
            number,
            parent,
            contacts,
            contacts_without_id,
        })
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

/// The separator inside relationship ids (`{parentId}|{childId}`,
/// `{companyId}|{contactId}`).
pub(crate) const RELATIONSHIP_ID_SEPARATOR: char = '|';

/// R0028: an id that goes into a relationship id contains the separator.
pub(crate) fn separator_in_id(what: &str, id: &str, example: &str) -> RecordError {
    reject(
        "R0028",
        format!(
            "{what} `{id}` contains `{RELATIONSHIP_ID_SEPARATOR}`, so the relationship id `{example}` would be ambiguous (it could join other ids)"
        ),
    )
    .with_help(
        "relationship ids join two ids with `|`; remove the `|` from the id at the source, or map companies and contacts by ids without it",
    )
}

/// The ids a written company's own relationships are built from: its id
/// (needed when it has contacts or a parent) and its contacts' ids; none
/// may contain `|` (R0028). The parent's id is checked when parents are
/// resolved.
fn relationship_ids(c: &crate::plan::CCompanies, d: &CompanyData) -> Result<(), RecordError> {
    let contacts: &[(usize, String)] = if c.relationships { &d.contacts } else { &[] };
    let needs_id = !contacts.is_empty() || (c.hierarchy && d.parent.is_some());
    if !needs_id {
        return Ok(());
    }
    let Some(id) = &d.id else {
        return Err(reject(
            "R0010",
            "the company id is null, absent or blank, so the company's relationships cannot be built",
        )
        .with_field(c.id_field.clone()));
    };
    if id.contains(RELATIONSHIP_ID_SEPARATOR) {
        let example = match contacts.first() {
            Some((_, k)) => format!("{id}|{k}"),
            None => format!("{{parentId}}|{id}"),
        };
        return Err(separator_in_id("the company id", id, &example).with_field(c.id_field.clone()));
    }
    for (i, k) in contacts {
        if k.contains(RELATIONSHIP_ID_SEPARATOR) {
            return Err(separator_in_id("the contact id", k, &format!("{id}|{k}"))
                .with_field(format!("{}[{i}].{}", c.contacts_path, c.contact_id_field))
                .with_place(format!(
                    "contact {} of `{}`, field `{}`",
                    i + 1,
                    c.contacts_path,
                    c.contact_id_field
                )));
        }
    }
    Ok(())
}

/// R0106: contacts without an id get no Person relationship.
fn contacts_without_id(c: &crate::plan::CCompanies, d: &CompanyData) -> Option<Warning> {
    if !c.relationships || d.contacts_without_id.is_empty() {
        return None;
    }
    let which = match d.contacts_without_id.as_slice() {
        [one] => format!("contact {}", one + 1),
        many => format!(
            "contacts {}",
            many.iter()
                .map(|i| (i + 1).to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let verb = if d.contacts_without_id.len() == 1 {
        "has"
    } else {
        "have"
    };
    Some(Warning {
        code: "R0106",
        message: format!(
            "{which} of `{}` {verb} no `{}` (null, absent or blank); no Person relationship is written for {}",
            c.contacts_path,
            c.contact_id_field,
            if d.contacts_without_id.len() == 1 { "it" } else { "them" }
        ),
        rule: None,
    })
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(hay, needle).is_some()
}

fn check_list(ld: &ListData, path: &str, what: &str) -> Result<(), RecordError> {
    match ld.state {
        ListState::NotList(kind) => Err(reject(
            "R0010",
            format!("the value is {kind}, expected a list of {what}"),
        )
        .with_field(path)),
        ListState::Items {
            bad_item: Some((i, kind)),
            ..
        } => Err(reject(
            "R0010",
            format!("the item is {kind}, expected an object (one of the {what})"),
        )
        .with_field(format!("{path}[{i}]"))
        .with_place(format!("item {} of `{path}`", i + 1))),
        _ => Ok(()),
    }
}

fn eval_source<'a>(src: &'a CSource, cx: Ctx<'_, 'a>) -> Result<Value<'a>, EvalError> {
    match src {
        CSource::Slot(s) => Ok(cx.slots.get(*s as usize).cloned().unwrap_or(Value::Absent)),
        CSource::Expr(e) => e.eval(cx),
        CSource::Const(v) => Ok(v.reborrow()),
    }
}

/// Fields into leaves: `default` when null/absent, then `on_null`.
/// `line`: (products `to`, output position, products `path`, input position).
fn map_fields<'a>(
    fields: &'a [CField],
    cx: Ctx<'_, 'a>,
    leaves: &mut [Out<'a>],
    line: Option<(&str, usize, &str, usize)>,
) -> Result<(), RecordError> {
    // Where: the target field; for a product line also the line, numbered
    // from 1 in input order for people (`product line 3 of `products``)
    // and as the output path for programs (`line_items[1].sku`).
    let at = |e: RecordError, f: &CField| match line {
        Some((to, j, path, i)) => e
            .with_field(format!("{to}[{j}].{}", f.to))
            .with_place(format!(
                "product line {} of `{path}`, field `{}`",
                i + 1,
                f.to
            )),
        None => e.with_field(f.to.to_string()),
    };
    for f in fields {
        let mut v = eval_source(&f.src, cx).map_err(|e| at(from_eval(e), f))?;
        if v.is_null() {
            if let Some(d) = &f.default {
                v = d.reborrow();
            }
        }
        leaves[f.leaf as usize] = if v.is_null() {
            match f.on_null {
                OnNull::Write => Out::Val(Value::Null),
                OnNull::Skip => Out::Omit,
                OnNull::Error => {
                    return Err(at(
                        reject(
                            "R0009",
                            "the value is null and the field has `on_null: error`",
                        ),
                        f,
                    ));
                }
            }
        } else {
            Out::Val(v)
        };
    }
    Ok(())
}

/// Writes the entries of an object (without braces). Objects whose leaves
/// are all omitted are left out entirely. Returns whether anything was written.
fn write_entries(
    entries: &[TEntry],
    leaves: &[Out],
    products: Option<(&crate::plan::CProducts, &[Out], usize)>,
    marker: &mut Option<usize>,
    record_start: usize,
    out: &mut Vec<u8>,
) -> bool {
    let mut first = true;
    for e in entries {
        let before = out.len();
        if !first {
            out.push(b',');
        }
        match &e.node {
            TNode::Leaf(l) => match &leaves[*l as usize] {
                Out::Omit => {
                    out.truncate(before);
                    continue;
                }
                Out::Val(v) => {
                    out.extend_from_slice(&e.key_json);
                    write_value(v, out);
                }
                Out::Products => {
                    out.extend_from_slice(&e.key_json);
                    out.push(b'[');
                    if let Some((p, lines, n)) = products {
                        for j in 0..n {
                            if j > 0 {
                                out.push(b',');
                            }
                            out.push(b'{');
                            let ls = &lines[j * p.nleaves..(j + 1) * p.nleaves];
                            write_entries(&p.tree, ls, None, marker, record_start, out);
                            out.push(b'}');
                        }
                    }
                    out.push(b']');
                }
                Out::Relationships => {
                    out.extend_from_slice(&e.key_json);
                    *marker = Some(out.len() - record_start);
                }
            },
            TNode::Obj(children) => {
                out.extend_from_slice(&e.key_json);
                out.push(b'{');
                if !write_entries(children, leaves, products, marker, record_start, out) {
                    out.truncate(before);
                    continue;
                }
                out.push(b'}');
            }
        }
        first = false;
    }
    !first
}

/// Writes a company relationship list: `(other id, is_parent)` entries,
/// where `other` is the parent's id or the contact's id.
pub(crate) fn write_relationships(entries: &[(String, bool)], company: &str, out: &mut Vec<u8>) {
    out.push(b'[');
    for (i, (other, is_parent)) in entries.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        if *is_parent {
            out.extend_from_slice(b"{\"id\":");
            write_str(&format!("{other}|{company}"), out);
            out.extend_from_slice(b",\"relationship_type\":\"Parent Company\",\"parent_id\":");
            write_str(other, out);
            out.extend_from_slice(b",\"company_id\":");
            write_str(company, out);
            out.push(b'}');
        } else {
            out.extend_from_slice(b"{\"id\":");
            write_str(&format!("{company}|{other}"), out);
            out.extend_from_slice(b",\"relationship_type\":\"Person\",\"company_id\":");
            write_str(company, out);
            out.extend_from_slice(b",\"contact_id\":");
            write_str(other, out);
            out.push(b'}');
        }
    }
    out.push(b']');
}
