//! M07xx: products, sales prices, companies and polling settings.

use super::inner_span;
use mapc_diag::{did_you_mean, Code, Diagnostic, Diagnostics, Span};
use mapc_syntax::spec::{
    CodeList, Companies, Polling, Products, SalesPrices, Spanned, Spec, Value,
};
use mapc_syntax::yaml::{Scalar, Style};
use std::collections::HashMap;

/// Defaults of the sales-price string, as the lowering fills them in.
pub const DEFAULT_FIELD_SEPARATOR: &str = "//";
pub const DEFAULT_RECORD_DELIMITER: &str = "|";

pub fn run(spec: &Spec, diags: &mut Diagnostics) {
    if let Some(s) = &spec.sales_prices {
        sales_prices(s, diags);
    }
    if let Some(c) = &spec.companies {
        companies(c, diags);
    }
    if let Some(p) = &spec.polling {
        polling(p, diags);
    }
    for m in &spec.mappings {
        if let Some(s) = &m.sales_prices {
            sales_prices(s, diags);
        }
        if let Some(c) = &m.companies {
            companies(c, diags);
        }
        if let Some(p) = &m.polling {
            polling(p, diags);
        }
        if let Some(p) = &m.products {
            products(p, diags);
        }
    }
}

fn products(p: &Products, diags: &mut Diagnostics) {
    if let Some(list) = &p.exclude_skus {
        codes(list, "exclude_skus", "SKU", false, diags);
        let items = list.items();
        if p.sku_field.is_none() && !items.is_empty() {
            // M0708: the SKU of a line is read from `sku_field`; without it
            // no line has one and nothing is ever excluded.
            let span = match list {
                CodeList::Text(t) => t.span,
                CodeList::List(_) => Span::new(
                    items[0].span.start,
                    items[items.len() - 1].span.end.max(items[0].span.start),
                ),
            };
            diags.push(
                Diagnostic::new(
                    Code::M0708,
                    span,
                    "`exclude_skus` without `sku_field`: no product line has a SKU to compare, so nothing would be excluded",
                )
                .label("excludes nothing")
                .help("add `sku_field:` naming the line field that holds the SKU (e.g. `sku_field: productnumber`), or remove `exclude_skus`"),
            );
        }
    }
    if let Some(o) = &p.order_by {
        order_by(o, diags);
    }
}

// ---------------------------------------------------------------- sales_prices

fn sales_prices(s: &SalesPrices, diags: &mut Diagnostics) {
    if let Some(list) = &s.sales_codes {
        codes(list, "sales_codes", "sales code", true, diags);
    }
    separators(s, diags);
}

/// M0701: the separator and the delimiter must be non-empty, differ, and
/// neither may contain the other.
fn separators(s: &SalesPrices, diags: &mut Diagnostics) {
    let (fs, rd) = (s.field_separator.as_ref(), s.record_delimiter.as_ref());
    if fs.is_none() && rd.is_none() {
        return;
    }
    let mut empty = false;
    for (key, v) in [("field_separator", fs), ("record_delimiter", rd)] {
        if let Some(v) = v.filter(|v| v.value.is_empty()) {
            empty = true;
            let what = if key == "field_separator" {
                "the fields of one price rule could not be told apart"
            } else {
                "one price rule could not be told from the next"
            };
            diags.push(
                Diagnostic::new(Code::M0701, v.span, format!("`{key}` is empty: {what}"))
                    .label("empty")
                    .help(format!(
                        "use a non-empty string the receiving system splits on, e.g. `{key}: \"{}\"`",
                        if key == "field_separator" { DEFAULT_FIELD_SEPARATOR } else { DEFAULT_RECORD_DELIMITER }
                    )),
            );
        }
    }
    if empty {
        return;
    }
    let fs_val = fs
        .map(|v| v.value.as_str())
        .unwrap_or(DEFAULT_FIELD_SEPARATOR);
    let rd_val = rd
        .map(|v| v.value.as_str())
        .unwrap_or(DEFAULT_RECORD_DELIMITER);
    let describe = |key: &str, v: Option<&Spanned<String>>, val: &str| {
        if v.is_some() {
            format!("`{key}` \"{val}\"")
        } else {
            format!("`{key}` \"{val}\" (the default)")
        }
    };
    let fs_desc = describe("field_separator", fs, fs_val);
    let rd_desc = describe("record_delimiter", rd, rd_val);
    let help = "use two strings where neither contains the other, e.g. `field_separator: \"//\"` and `record_delimiter: \"|\"`";

    let (msg, at, other) = if fs_val == rd_val {
        (
            format!("{fs_desc} and {rd_desc} are the same: fields and price rules could not be told apart"),
            rd.or(fs),
            if rd.is_some() { fs } else { None },
        )
    } else if fs_val.contains(rd_val) {
        (
            format!("{rd_desc} is contained in {fs_desc}: the price string would be ambiguous"),
            rd.or(fs),
            if rd.is_some() { fs } else { None },
        )
    } else if rd_val.contains(fs_val) {
        (
            format!("{fs_desc} is contained in {rd_desc}: the price string would be ambiguous"),
            fs.or(rd),
            if fs.is_some() { rd } else { None },
        )
    } else {
        return;
    };
    let Some(at) = at else { return };
    let mut d = Diagnostic::new(Code::M0701, at.span, msg)
        .label("ambiguous separator")
        .help(help);
    if let Some(o) = other {
        d = d.related(o.span, "conflicts with this one");
    }
    diags.push(d);
}

/// `sales_prices.fields`: an empty list (M0207) would make every price
/// string empty; a field listed twice (M0703) would be written twice into
/// each price rule. The empty list is reported at its `[]`.
pub(crate) fn sales_price_fields(spec: &Spec, diags: &mut Diagnostics) {
    let blocks = spec
        .sales_prices
        .iter()
        .chain(spec.mappings.iter().filter_map(|m| m.sales_prices.as_ref()));
    for s in blocks {
        let Some(fields) = &s.fields else { continue };
        if fields.is_empty() {
            let span = s.fields_span.unwrap_or(s.span);
            diags.push(
                Diagnostic::new(
                    Code::M0207,
                    span,
                    "`sales_prices.fields` is empty: every price string would be empty",
                )
                .label("no fields")
                .help(format!(
                    "list the price fields to join, or remove `fields` to use the default ({})",
                    mapc_ir::lower::SALES_PRICE_FIELDS.join(", ")
                )),
            );
            continue;
        }
        let mut seen: HashMap<&str, Span> = HashMap::new();
        for f in fields {
            match seen.get(f.value.as_str()) {
                Some(first) => diags.push(
                    Diagnostic::new(
                        Code::M0703,
                        f.span,
                        format!(
                            "the field `{}` is listed twice in `sales_prices.fields`",
                            f.value
                        ),
                    )
                    .label("listed again here")
                    .related(*first, "first listed here")
                    .help(format!(
                        "remove the second `{}`: each price rule would carry it twice",
                        f.value
                    )),
                ),
                None => {
                    seen.insert(&f.value, f.span);
                }
            }
        }
    }
}

/// `sales_prices.sales_codes` that lists no code (`[]` or `""`): only rules
/// whose code is listed are transferred, so every rule would be dropped and
/// every price string empty (M0207). Leaving the key out transfers all.
pub(crate) fn empty_sales_codes(spec: &Spec, diags: &mut Diagnostics) {
    let blocks = spec
        .sales_prices
        .iter()
        .chain(spec.mappings.iter().filter_map(|m| m.sales_prices.as_ref()));
    for s in blocks {
        let Some(list) = &s.sales_codes else { continue };
        let span = match list {
            CodeList::List(v) if v.is_empty() => s.sales_codes_span.unwrap_or(s.span),
            CodeList::Text(t) if t.value.trim().is_empty() => t.span,
            _ => continue,
        };
        diags.push(
            Diagnostic::new(
                Code::M0207,
                span,
                "`sales_codes` is empty: no price rule would be transferred, and every price string would be empty",
            )
            .label("no sales codes")
            .help("list the sales codes to transfer (e.g. `sales_codes: [Y1004N]`), or remove `sales_codes` to transfer the rules of every code"),
        );
    }
}

// ---------------------------------------------------------------- code lists

/// M0702 (empty entry) and M0703 (duplicate entry) of `exclude_skus` /
/// `sales_codes`. With `loose` (sales codes, which the engine matches
/// ignoring case and surrounding blanks), entries equal in that sense are
/// duplicates too: a price rule's code would match both.
fn codes(list: &CodeList, key: &str, noun: &str, loose: bool, diags: &mut Diagnostics) {
    let items = list.items();
    let text_form = matches!(list, CodeList::Text(_));
    let mut seen: HashMap<String, (Span, &str)> = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        if item.value.is_empty() {
            let (span, help) = if text_form {
                // An empty part has no width; point at the comma that makes it.
                let span = if i + 1 < items.len() {
                    Span::new(item.span.start, item.span.start + 1)
                } else if i > 0 {
                    let prev = items[i - 1].span.end;
                    Span::new(prev, prev + 1)
                } else {
                    item.span
                };
                let help = if i + 1 == items.len() {
                    "remove the trailing comma"
                } else {
                    "remove the extra comma"
                };
                (span, help)
            } else {
                (item.span, "remove the empty item")
            };
            diags.push(
                Diagnostic::new(
                    Code::M0702,
                    span,
                    format!("`{key}` has an empty {noun} (entry {})", i + 1),
                )
                .label(format!("empty {noun}"))
                .help(help),
            );
            continue;
        }
        let norm = if loose {
            item.value.trim().to_lowercase()
        } else {
            item.value.clone()
        };
        match seen.get(&norm) {
            Some((first, first_text)) if *first_text == item.value => diags.push(
                Diagnostic::new(
                    Code::M0703,
                    item.span,
                    format!("{noun} `{}` is listed twice in `{key}`", item.value),
                )
                .label("listed again here")
                .related(*first, "first listed here")
                .help(format!(
                    "remove the second `{}`, or replace it with the {noun} that was meant",
                    item.value
                )),
            ),
            Some((first, first_text)) => diags.push(
                Diagnostic::new(
                    Code::M0703,
                    item.span,
                    format!(
                        "{noun} `{}` is listed twice in `{key}`: it differs from `{first_text}` only in case or blanks, and {noun}s are matched ignoring both",
                        item.value
                    ),
                )
                .label("listed again here")
                .related(*first, "first listed here")
                .help(format!(
                    "remove `{}`: price rules with either spelling already match `{first_text}`",
                    item.value
                )),
            ),
            None => {
                seen.insert(norm, (item.span, &item.value));
            }
        }
    }
}

// ---------------------------------------------------------------- polling

/// M0704: `lookback_days` is a positive integer.
fn polling(p: &Polling, diags: &mut Diagnostics) {
    let Some(Value { node }) = &p.lookback_days else {
        return;
    };
    if node.is_null() {
        return;
    }
    let problem = match node.as_scalar() {
        Some(s) if s.style == Style::Plain && s.tag.is_none() => match s.as_number() {
            Some(t) => match t.parse::<i128>() {
                Ok(n) if n >= 1 && n <= u32::MAX as i128 => return,
                Ok(n) if n < 1 => format!("`lookback_days` must be at least 1, found `{t}`"),
                Ok(_) => format!("`lookback_days` `{t}` is too large"),
                Err(_) => format!("`lookback_days` must be a whole number of days, found `{t}`"),
            },
            None => format!(
                "`lookback_days` must be a positive whole number, found {}",
                node.kind_name()
            ),
        },
        Some(s) if number_text(s).is_some() => {
            format!(
                "`lookback_days` must be a number, found the string \"{}\"",
                s.text
            )
        }
        Some(_) => "`lookback_days` must be a positive whole number, found a string".to_string(),
        None => format!(
            "`lookback_days` must be a positive whole number, found {}",
            node.kind_name()
        ),
    };
    let help = match node.as_scalar() {
        Some(s)
            if s.style != Style::Plain
                && number_text(s).is_some_and(|t| t.parse::<u32>().is_ok_and(|n| n > 0)) =>
        {
            format!("remove the quotes: `lookback_days: {}`", s.text.trim())
        }
        _ => {
            "use a positive whole number of days, e.g. `lookback_days: 5` (the default)".to_string()
        }
    };
    diags.push(
        Diagnostic::new(Code::M0704, node.span, problem)
            .label("not a positive whole number")
            .help(help),
    );
}

/// Number text of a scalar regardless of its quoting (for "remove the quotes").
fn number_text(s: &Scalar) -> Option<&str> {
    let t = s.text.trim();
    mapc_value::number::is_yaml_number(t).then_some(t)
}

// ---------------------------------------------------------------- order_by

/// A line field name: `[A-Za-z_][A-Za-z0-9_]*` (what the lowering accepts).
fn is_field_name(s: &str) -> bool {
    let mut cs = s.chars();
    cs.next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && cs.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// M0705: `order_by` is `field`, `field asc` or `field desc`.
fn order_by(o: &Spanned<String>, diags: &mut Diagnostics) {
    let v = o.value.as_str();
    // Tokens with their byte offsets in the value.
    let mut tokens: Vec<(usize, &str)> = Vec::new();
    let mut start = None;
    for (i, c) in v.char_indices().chain(std::iter::once((v.len(), ' '))) {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                tokens.push((s, &v[s..i]));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    let example = |field: &str| format!("`{field}`, `{field} asc` or `{field} desc`");
    let push = |diags: &mut Diagnostics, span: Span, msg: String, label: &str, help: String| {
        diags.push(
            Diagnostic::new(Code::M0705, span, msg)
                .label(label.to_string())
                .help(help),
        );
    };

    if tokens.is_empty() {
        push(
            diags,
            o.span,
            "`order_by` is empty".into(),
            "no field",
            "name the line field to sort by, e.g. `order_by: sequencenumber`".into(),
        );
        return;
    }
    if let Some(comma) = v.find(',') {
        let first = v[..comma]
            .split_whitespace()
            .next()
            .unwrap_or("sequencenumber");
        push(
            diags,
            inner_span(o, comma, v.trim_end().len()),
            format!("`order_by` \"{v}\" names more than one field"),
            "only one field",
            format!(
                "sort by one field: {}; lines with equal values keep their input order",
                example(first)
            ),
        );
        return;
    }
    let (fstart, field) = tokens[0];
    if !is_field_name(field) {
        push(
            diags,
            inner_span(o, fstart, fstart + field.len()),
            format!("`{field}` in `order_by` is not a field name"),
            "not a field name",
            "write the line field to sort by, optionally followed by `asc` or `desc`, e.g. `sequencenumber desc`".into(),
        );
        return;
    }
    if let Some(&(dstart, dir)) = tokens.get(1) {
        if !dir.eq_ignore_ascii_case("asc") && !dir.eq_ignore_ascii_case("desc") {
            let lower = dir.to_ascii_lowercase();
            let meant = if lower.starts_with("desc") {
                Some("desc")
            } else if lower.starts_with("asc") {
                Some("asc")
            } else {
                did_you_mean(dir, ["asc", "desc"]).map(|s| if s == "asc" { "asc" } else { "desc" })
            };
            let help = match meant {
                Some(d) => format!("write `{field} {d}`"),
                None => format!(
                    "the direction is `asc` (the default) or `desc`: {}",
                    example(field)
                ),
            };
            push(
                diags,
                inner_span(o, dstart, dstart + dir.len()),
                format!("`{dir}` in `order_by` is not a sort direction"),
                "expected `asc` or `desc`",
                help,
            );
            return;
        }
    }
    if let Some(&(xstart, extra)) = tokens.get(2) {
        push(
            diags,
            inner_span(o, xstart, v.trim_end().len()),
            format!("unexpected `{extra}` in `order_by` \"{v}\""),
            "unexpected",
            if extra.eq_ignore_ascii_case("nulls") {
                "nulls always sort last (ties keep input order); remove `nulls ...`".to_string()
            } else {
                format!(
                    "`order_by` takes one field and an optional direction: {}",
                    example(field)
                )
            },
        );
    }
}

// ---------------------------------------------------------------- companies

/// M0706: a companies setting is missing what it depends on.
fn companies(c: &Companies, diags: &mut Diagnostics) {
    // Fields given as empty strings.
    for (key, v) in [
        ("id_field", &c.id_field),
        ("number_field", &c.number_field),
        ("parent_field", &c.parent_field),
        ("contact_id_field", &c.contact_id_field),
    ] {
        if let Some(v) = v.as_ref().filter(|v| v.value.trim().is_empty()) {
            diags.push(
                Diagnostic::new(Code::M0706, v.span, format!("`companies.{key}` is empty"))
                    .label("no field name")
                    .help(format!(
                        "name the source field for `{key}`, or remove the key to use its default"
                    )),
            );
        }
    }
    let named =
        |v: &Option<Spanned<String>>| v.as_ref().is_some_and(|v| !v.value.trim().is_empty());

    if let Some(h) = c.hierarchy.as_ref().filter(|h| h.value) {
        if c.parent_field.is_none() {
            diags.push(
                Diagnostic::new(Code::M0706, h.span, "`hierarchy: true` needs `parent_field`, the field holding the parent company's number")
                    .label("no `parent_field` to build the hierarchy from")
                    .help(if c.number_field.is_none() {
                        "add `parent_field:` (e.g. `parent_field: parentcustomerno`) and `number_field:`, or set `hierarchy: false`"
                    } else {
                        "add `parent_field:` (e.g. `parent_field: parentcustomerno`), or set `hierarchy: false`"
                    }),
            );
        }
        if c.number_field.is_none() {
            diags.push(
                Diagnostic::new(Code::M0706, h.span, "`hierarchy: true` needs `number_field`, the company number that `parent_field` refers to")
                    .label("no `number_field` to look parents up by")
                    .help("add `number_field:` (e.g. `number_field: number`), or set `hierarchy: false`"),
            );
        }
    }
    if let Some(p) = c.create_in_prerequisite.as_ref().filter(|p| p.value) {
        if c.parent_field.is_none() || c.hierarchy.as_ref().is_some_and(|h| !h.value) {
            let why = if c.parent_field.is_none() {
                "there is no `parent_field`"
            } else {
                "`hierarchy` is false"
            };
            diags.push(
                Diagnostic::new(Code::M0706, p.span, format!("`create_in_prerequisite: true` writes parents before their children, but {why}"))
                    .label("no parent relationship to order by")
                    .help("set `hierarchy: true` with `parent_field` and `number_field`, or remove `create_in_prerequisite`"),
            );
        }
    }
    if let (Some(p), Some(n)) = (&c.parent_field, &c.number_field) {
        if named(&c.parent_field) && p.value == n.value {
            diags.push(
                Diagnostic::new(
                    Code::M0706,
                    p.span,
                    format!("`parent_field` and `number_field` are the same field `{}`: every company would be its own parent", p.value),
                )
                .label("same as `number_field`")
                .related(n.span, "`number_field`")
                .help("`parent_field` holds the *parent's* number (e.g. `parentcustomerno`); `number_field` the company's own"),
            );
        }
    }
}
