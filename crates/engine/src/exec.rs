//! Mapping one record: filter, rules, fields, products, document amounts,
//! sales prices, company data, then serialization into the output buffer.

use crate::eval::{date_arg, Ctx, EvalError};
use crate::json::parse::{parse_record, Frame, ListData, ListState, RecordError};
use crate::json::write::{write_str, write_value};
use crate::plan::{CField, CSource, Compiled, TEntry, TNode};
use crate::value::{id_text, sort_cmp, utc_date, write_date, write_text_shortest, DateLike, Value};
use mapc_diag::Span;
use mapc_ir::OnNull;
use std::borrow::Cow;
use std::cmp::Ordering;

/// A warning attached to a record that is still written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// `R0101` (a `warn` rule matched) or `R0102` (unknown parent company).
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
    pub contacts: Vec<String>,
}

/// The result of mapping one record (the output bytes went to the buffer).
#[derive(Debug)]
pub(crate) enum Verdict {
    Written {
        warnings: Vec<Warning>,
        /// Where the relationship list goes (companies), as an offset from
        /// the start of this record's output.
        marker: Option<usize>,
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
                key: if e.code == "R0002" {
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

    /// The key of a record rejected for a number that does not fit: the
    /// record is valid JSON, so a parse that reads only the key finds it and
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
            match self.sales_string(s, frame, &mut scratch.text) {
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

        let start = out.len();
        let mut marker = None;
        let products = self
            .products
            .as_ref()
            .map(|p| (p, &lines[..], scratch.order.len()));
        out.push(b'{');
        write_entries(&self.tree, leaves, products, &mut marker, start, out);
        out.push(b'}');
        (Verdict::Written { warnings, marker }, company)
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
            // Stable: ties keep input order; nulls last in both directions.
            order.sort_by(|&a, &b| {
                let (x, y) = (&ld.item(a)[s], &ld.item(b)[s]);
                match (x.is_null(), y.is_null()) {
                    (true, true) => Ordering::Equal,
                    (true, false) => Ordering::Greater,
                    (false, true) => Ordering::Less,
                    _ if desc => sort_cmp(y, x),
                    _ => sort_cmp(x, y),
                }
            });
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
        s: &crate::plan::CSales,
        frame: &Frame<'a>,
        buf: &mut Vec<u8>,
    ) -> Result<Value<'a>, RecordError> {
        let ld = &frame.lists[s.list as usize];
        check_list(ld, &s.path, "sales price rules")?;
        buf.clear();
        let mut count = 0usize;
        let mut field_text = Vec::new();
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
            if let Some(codes) = &s.codes {
                if !codes.iter().any(|c| **c == *code) {
                    continue;
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
            if count > 0 {
                buf.extend_from_slice(s.delim.as_bytes());
            }
            for (k, f) in s.fields.iter().enumerate() {
                if k > 0 {
                    buf.extend_from_slice(s.sep.as_bytes());
                }
                field_text.clear();
                let v = &item[f.slot as usize];
                if f.date {
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
        let text = |slot: u32| id_text(&s[slot as usize]).map(Cow::into_owned);
        let id = text(c.id);
        let number = text(c.number);
        let parent = c.parent.and_then(text).filter(|p| !p.is_empty());
        let mut contacts = Vec::new();
        if let Some((list, cid)) = c.contacts {
            let ld = &frame.lists[list as usize];
            check_list(ld, &c.contacts_path, "contacts")?;
            for i in 0..ld.len() {
                // A contact without an id cannot be related; it is left out.
                if let Some(t) = id_text(&ld.item(i)[cid as usize]) {
                    contacts.push(t.into_owned());
                }
            }
        }
        let needs_id = !contacts.is_empty() || (c.hierarchy && parent.is_some());
        if id.is_none() && needs_id {
            return Err(reject(
                "R0010",
                "the company id is null or absent, so the company's relationships cannot be built",
            )
            .with_field(c.id_field.clone()));
        }
        Ok(CompanyData {
            id,
            number,
            parent,
            contacts,
        })
    }
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
