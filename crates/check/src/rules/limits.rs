//! M0306 for the settings that name a record field by a dotted name given
//! as plain text (`source.key`, `sku_field`, `companies.id_field`, ...):
//! the same limits as for paths (see `mapc_syntax::limits`), which the
//! reader already applies to `from:`, `to:` and paths in expressions and
//! filters. Preview reads each of them as a path, at a cost quadratic in
//! its number of segments (a 40,000-segment `source.key` took 3 GB).

use super::inner_span;
use mapc_diag::{Code, Diagnostic, Diagnostics, Span};
use mapc_syntax::limits::{check_path, PATH_LIMIT_HELP};
use mapc_syntax::spec::{Companies, Mapping, Products, SalesPrices, Spanned, Spec};

pub fn run(spec: &Spec, diags: &mut Diagnostics) {
    for m in &spec.mappings {
        mapping(m, diags);
    }
    if let Some(s) = &spec.sales_prices {
        sales_prices(s, diags);
    }
    if let Some(c) = &spec.companies {
        companies(c, diags);
    }
}

fn mapping(m: &Mapping, diags: &mut Diagnostics) {
    let names = [&m.source.key, &m.source.changed_since, &m.target.key];
    for n in names.into_iter().flatten() {
        dotted(n, diags);
    }
    if let Some(p) = &m.products {
        products(p, diags);
    }
    if let Some(s) = &m.sales_prices {
        sales_prices(s, diags);
    }
    if let Some(c) = &m.companies {
        companies(c, diags);
    }
}

fn products(p: &Products, diags: &mut Diagnostics) {
    for n in [&p.sku_field, &p.order_by].into_iter().flatten() {
        dotted(n, diags);
    }
}

fn sales_prices(s: &SalesPrices, diags: &mut Diagnostics) {
    for n in s.fields.iter().flatten() {
        dotted(n, diags);
    }
}

fn companies(c: &Companies, diags: &mut Diagnostics) {
    let names = [
        &c.id_field,
        &c.number_field,
        &c.parent_field,
        &c.contact_id_field,
    ];
    for n in names.into_iter().flatten() {
        dotted(n, diags);
    }
}

/// One dotted name, read as the engine reads it (split at every `.`).
fn dotted(n: &Spanned<String>, diags: &mut Diagnostics) {
    let text = n.value.as_str();
    // Quick exit for the usual short name.
    if text.len() <= mapc_syntax::limits::MAX_PATH_BYTES
        && text.bytes().filter(|&b| b == b'.').count() < mapc_syntax::limits::MAX_PATH_SEGMENTS
    {
        return;
    }
    let mut segments = Vec::new();
    let mut at = 0;
    for s in text.split('.') {
        segments.push(Span::new(at, at + s.len()));
        at += s.len() + 1;
    }
    if let Some((at, msg)) = check_path(text, &segments) {
        diags.push(
            Diagnostic::new(Code::M0306, inner_span(n, at.start, at.end), msg)
                .label("the name is too long from here")
                .help(PATH_LIMIT_HELP),
        );
    }
}
