//! One mapping: connections, related entities, rules, fields, products and
//! the integration blocks (sales prices, companies, polling) with defaults.

use super::expr::Scope;
use super::targets::{self, Written};
use super::{filter, literal, unknown_connection, SchemaInfo};
use crate::{
    Companies, Conflict, ConnectionKind, ContactsEndpoint, DocAmount, Field, Mapping, OnNull,
    OrderBy, Polling, Products, Related, Rule, RuleAction, SalesPrices, Source, SyncDirection,
    Target, TargetPath, Type, ValueSource, WriteMode,
};
use mapc_diag::{Code, Diagnostic, Diagnostics, Span};
use mapc_syntax::spec::{self as ast, Spanned, Spec};
use std::sync::Arc;

pub struct KnownConnection<'a> {
    pub name: &'a str,
    /// `None` when the connection has no (valid) `kind`; already reported.
    pub kind: Option<ConnectionKind>,
}

pub struct Cx<'a> {
    pub spec: &'a Spec,
    pub schema: Option<&'a dyn SchemaInfo>,
    pub connections: &'a [KnownConnection<'a>],
}

pub struct Out {
    pub mapping: Mapping,
    /// False when an entry was dropped because of an error reported earlier
    /// (by the reader) or a connection without a kind.
    pub complete: bool,
}

/// The out-of-the-box Dynamics line entities whose pricing fields are locked.
pub const LOCKED_LINE_ENTITIES: &[&str] = &[
    "opportunityproduct",
    "quotedetail",
    "salesorderdetail",
    "invoicedetail",
];
/// Locked source field -> fixed target field for the built-in line entities.
pub const BUILTIN_LOCKED_FIELDS: &[(&str, &str)] =
    &[("quantity", "quantity"), ("priceperunit", "price")];
/// Default `sales_prices.fields`.
pub const SALES_PRICE_FIELDS: &[&str] = &[
    "unitprice",
    "salestype",
    "salescode",
    "itemno",
    "description",
    "uom",
    "minimumqty",
    "startingdate",
    "endingdate",
];

fn segs(p: &ast::Path) -> Vec<Arc<str>> {
    p.segments
        .iter()
        .map(|s| Arc::from(s.value.as_str()))
        .collect()
}

fn target_path(p: &ast::Path) -> TargetPath {
    TargetPath {
        segments: segs(p),
        span: p.text.span,
    }
}

fn target_or(p: &Option<ast::Path>, default: &str, span: Span) -> TargetPath {
    match p {
        Some(p) => target_path(p),
        None => TargetPath {
            segments: vec![Arc::from(default)],
            span,
        },
    }
}

fn path_or(p: &Option<ast::Path>, default: &str) -> Vec<Arc<str>> {
    match p {
        Some(p) => segs(p),
        None => vec![Arc::from(default)],
    }
}

fn text(s: &Option<Spanned<String>>) -> Option<String> {
    s.as_ref().map(|s| s.value.clone())
}

fn flag(s: &Option<Spanned<bool>>, default: bool) -> bool {
    s.as_ref().map(|s| s.value).unwrap_or(default)
}

/// `Some(kind)` when the connection exists; reports M0401 otherwise.
fn resolve_connection(
    cx: &Cx,
    name: &Spanned<String>,
    diags: &mut Diagnostics,
) -> Option<Option<ConnectionKind>> {
    match cx.connections.iter().find(|c| c.name == name.value) {
        Some(c) => Some(c.kind),
        None => {
            diags.push(unknown_connection(&name.value, name.span, cx.spec));
            None
        }
    }
}

pub fn lower_mapping(cx: &Cx, m: &ast::Mapping, diags: &mut Diagnostics) -> Option<Out> {
    let mut complete = true;
    let src_kind = resolve_connection(cx, &m.source.connection, diags);
    let tgt_kind = resolve_connection(cx, &m.target.connection, diags);
    let kinds = match (src_kind, tgt_kind) {
        (Some(Some(s)), Some(Some(t))) => Some((s, t)),
        (Some(_), Some(_)) => {
            complete = false;
            None
        }
        _ => None,
    };

    let related: Vec<Related> = m
        .related
        .iter()
        .map(|(alias, r)| Related {
            alias: alias.value.clone(),
            entity: r.entity.value.clone(),
            via: r.via.value.clone(),
            entity_set: text(&r.entity_set),
            span: alias.span,
        })
        .collect();

    let spec = cx.spec;
    let source_key = m
        .source
        .key
        .as_ref()
        .map(|k| k.value.clone())
        .unwrap_or_else(|| format!("{}id", m.source.entity.value));
    let sales_prices = m
        .sales_prices
        .as_ref()
        .or(spec.sales_prices.as_ref())
        .map(lower_sales_prices);
    let companies = m
        .companies
        .as_ref()
        .or(spec.companies.as_ref())
        .map(|c| lower_companies(c, &source_key));
    let polling = lower_polling(m.polling.as_ref().or(spec.polling.as_ref()));

    let mut nested_roots = Vec::new();
    if let Some(p) = &m.products {
        nested_roots.push(path_or(&p.path, "products")[0].to_string());
    }
    if let Some(s) = &sales_prices {
        nested_roots.push(s.path[0].to_string());
    }
    if let Some(c) = &companies {
        nested_roots.push(c.contacts_path[0].to_string());
    }

    let declared: Vec<(String, Type)> = spec
        .connections
        .iter()
        .find(|(n, _)| n.value == m.source.connection.value)
        .map(|(_, c)| super::declared_columns(c))
        .unwrap_or_default();
    let scope = Scope {
        mapping: &m.name.value,
        related: &related,
        // An unresolved connection was reported; check no flat-record rule against it.
        kind: src_kind.flatten().unwrap_or(ConnectionKind::File),
        connection: &m.source.connection.value,
        entity: &m.source.entity.value,
        line: false,
        nested_roots,
        schema: cx.schema,
        columns: &declared,
    };

    let filter = match &m.source.filter {
        Some(f) => {
            let out = filter::lower_filter(&scope, f, diags);
            if out.is_none() {
                complete = false;
            }
            out
        }
        None => None,
    };

    let mut rules = Vec::new();
    for (index, r) in m.rules.iter().enumerate() {
        match lower_rule(&scope, r, index, diags) {
            Some(r) => rules.push(r),
            None => complete = false,
        }
    }

    let mut fields = Vec::new();
    for f in &m.fields {
        match lower_field(&scope, f, SyncDirection::SourceToTarget, diags) {
            Some(f) => fields.push(f),
            None => complete = false,
        }
    }

    let products = m
        .products
        .as_ref()
        .map(|p| lower_products(cx, &scope, p, &mut complete, diags));

    // Target paths on the record: fields, set rules, and the blocks that write.
    let mut written: Vec<Written> = Vec::new();
    for f in &fields {
        written.push(Written {
            path: &f.to.segments,
            span: f.to.span,
            what: "field",
            overrides: false,
        });
    }
    for r in &rules {
        if let RuleAction::Set { to, .. } = &r.action {
            written.push(Written {
                path: &to.segments,
                span: to.span,
                what: "`set` rule",
                overrides: true,
            });
        }
    }
    if let Some(p) = &products {
        written.push(Written {
            path: &p.to.segments,
            span: p.to.span,
            what: "products list",
            overrides: false,
        });
        for a in [&p.discount, &p.tax, &p.freight].into_iter().flatten() {
            written.push(Written {
                path: &a.to.segments,
                span: a.to.span,
                what: "document amount",
                overrides: false,
            });
        }
    }
    if let Some(s) = sales_prices
        .as_ref()
        .filter(|s| s.transfer_customer_price_groups)
    {
        written.push(Written {
            path: &s.to.segments,
            span: s.to.span,
            what: "sales price string",
            overrides: false,
        });
    }
    if let Some(c) = companies
        .as_ref()
        .filter(|c| c.hierarchy || c.relationships)
    {
        written.push(Written {
            path: &c.to.segments,
            span: c.to.span,
            what: "company relationship list",
            overrides: false,
        });
    }
    written.sort_by_key(|w| w.span.start);
    targets::check(&written, &format!("mapping `{}`", m.name.value), diags);
    if let Some(key) = &m.target.key {
        target_key_written(key, &written, &source_key, complete, diags);
    }

    let (skind, tkind) = kinds?;
    let columns = source_columns(&scope, &filter, &rules, &fields, &products);
    let mapping = Mapping {
        name: m.name.value.clone(),
        active: flag(&m.active, true),
        source: Source {
            connection: m.source.connection.value.clone(),
            kind: skind,
            entity: m.source.entity.value.clone(),
            entity_set: text(&m.source.entity_set),
            key: source_key,
            filter,
            changed_since: text(&m.source.changed_since),
            columns,
        },
        target: Target {
            connection: m.target.connection.value.clone(),
            kind: tkind,
            entity: m.target.entity.value.clone(),
            entity_set: text(&m.target.entity_set),
            key: text(&m.target.key),
            write: m
                .target
                .write
                .as_ref()
                .map(|w| w.value)
                .unwrap_or(WriteMode::Upsert),
            delete: flag(&m.target.delete, false),
        },
        related,
        rules,
        fields,
        products,
        sales_prices,
        companies,
        polling,
        span: m.span,
    };
    Some(Out { mapping, complete })
}

/// The CSV column types of a mapping (see [`Source::columns`]): every
/// record-level path read (filter, rules, fields, document amounts) whose
/// type the metadata or the declared `columns:` give, then the other
/// declared columns.
fn source_columns(
    scope: &Scope,
    filter: &Option<crate::Filter>,
    rules: &[Rule],
    fields: &[Field],
    products: &Option<Products>,
) -> Vec<(String, Type)> {
    fn source<'a>(s: &'a ValueSource, out: &mut Vec<&'a crate::PathRef>) {
        match s {
            ValueSource::From(p) => out.push(p),
            ValueSource::Expr(e) => e.paths(out),
            ValueSource::Value(_) => {}
        }
    }
    let mut paths = Vec::new();
    if let Some(f) = filter {
        f.expr.paths(&mut paths);
    }
    for r in rules {
        r.when.paths(&mut paths);
        if let RuleAction::Set { source: s, .. } = &r.action {
            source(s, &mut paths);
        }
    }
    for f in fields {
        source(&f.source, &mut paths);
    }
    if let Some(p) = products {
        for a in [&p.discount, &p.tax, &p.freight].into_iter().flatten() {
            source(&a.source, &mut paths);
        }
    }
    let mut out: Vec<(String, Type)> = Vec::new();
    for p in paths {
        let dotted = p.dotted();
        if out.iter().any(|(n, _)| *n == dotted) {
            continue;
        }
        let t = scope.path_type(p);
        if matches!(
            t,
            Type::String
                | Type::Integer
                | Type::Decimal
                | Type::Bool
                | Type::Date
                | Type::DateTime
                | Type::Guid
        ) {
            out.push((dotted, t));
        }
    }
    for (name, t) in scope.columns {
        if !out.iter().any(|(n, _)| n == name) {
            out.push((name.clone(), t.clone()));
        }
    }
    out
}

/// M0411: the target key is how records are matched; a record written
/// without it cannot be matched (and previews show records without it).
/// The key counts as written when an entry writes it, a whole object above
/// it, or a member below it. When an entry was dropped because of an earlier
/// error (`complete` is false) nothing is reported: it may be the one.
fn target_key_written(
    key: &Spanned<String>,
    written: &[Written],
    source_key: &str,
    complete: bool,
    diags: &mut Diagnostics,
) {
    let text = key.value.trim();
    if text.is_empty() || !complete {
        return;
    }
    let segments: Vec<&str> = text.split('.').collect();
    let related = |w: &Written| {
        let n = w.path.len().min(segments.len());
        w.path[..n]
            .iter()
            .zip(&segments[..n])
            .all(|(a, b)| **a == **b)
    };
    if written.iter().any(related) {
        return;
    }
    diags.push(
        Diagnostic::new(
            Code::M0411,
            key.span,
            format!("the target key `{text}` is not written by any field or `set` rule"),
        )
        .label("no entry writes this key")
        .help(format!(
            "records are matched on `{text}`; map it, e.g. `- {{ from: {source_key}, to: {text} }}`"
        )),
    );
}

fn lower_sales_prices(b: &ast::SalesPrices) -> SalesPrices {
    SalesPrices {
        path: path_or(&b.path, "salesprices"),
        to: target_or(&b.to, "sales_price", b.span),
        transfer_customer_price_groups: flag(&b.transfer_customer_price_groups, true),
        sales_codes: b
            .sales_codes
            .as_ref()
            .map(|c| c.items().into_iter().map(|s| s.value).collect()),
        field_separator: text(&b.field_separator).unwrap_or_else(|| "//".into()),
        record_delimiter: text(&b.record_delimiter).unwrap_or_else(|| "|".into()),
        exclude_expired: flag(&b.exclude_expired, true),
        fields: match &b.fields {
            Some(f) => f.iter().map(|s| s.value.clone()).collect(),
            None => SALES_PRICE_FIELDS.iter().map(|s| s.to_string()).collect(),
        },
    }
}

fn lower_companies(b: &ast::Companies, source_key: &str) -> Companies {
    Companies {
        to: target_or(&b.to, "relationships", b.span),
        id_field: text(&b.id_field).unwrap_or_else(|| source_key.to_string()),
        number_field: text(&b.number_field).unwrap_or_else(|| "number".into()),
        parent_field: text(&b.parent_field),
        hierarchy: flag(&b.hierarchy, true),
        relationships: flag(&b.relationships, true),
        contacts_path: path_or(&b.contacts_path, "contacts"),
        contact_id_field: text(&b.contact_id_field).unwrap_or_else(|| "id".into()),
        contacts_endpoint: b
            .contacts_endpoint
            .as_ref()
            .map(|e| e.value)
            .unwrap_or(ContactsEndpoint::Contacts),
        create_in_prerequisite: flag(&b.create_in_prerequisite, false),
    }
}

/// `lookback_days` when it is a positive whole number, else the default 5
/// (an invalid value is reported by the checker, M0704).
fn lower_polling(b: Option<&ast::Polling>) -> Polling {
    let days = b
        .and_then(|b| b.lookback_days.as_ref())
        .and_then(|v| v.node.as_scalar())
        .and_then(|s| s.as_number())
        .and_then(|t| t.parse::<u32>().ok())
        .filter(|d| *d > 0);
    Polling {
        lookback_days: days.unwrap_or(5),
    }
}

/// `field`, `field asc` or `field desc`; `None` for anything else (M0705 is the checker's).
pub fn parse_order_by(s: &str) -> Option<OrderBy> {
    let mut parts = s.split_whitespace();
    let field = parts.next()?;
    let ok_field = field
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && field.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ok_field {
        return None;
    }
    let descending = match parts.next() {
        None => false,
        Some(d) if d.eq_ignore_ascii_case("asc") => false,
        Some(d) if d.eq_ignore_ascii_case("desc") => true,
        Some(_) => return None,
    };
    if parts.next().is_some() {
        return None;
    }
    Some(OrderBy {
        field: field.to_string(),
        descending,
    })
}

/// The single value source of a field-like entry, or M0406.
fn one_source(
    sources: &[(&'static str, Option<Span>)],
    entry_span: Span,
    to: Option<&str>,
    diags: &mut Diagnostics,
) -> Option<&'static str> {
    let mut present = sources.iter().filter_map(|(k, s)| s.map(|s| (*k, s)));
    let (first, second) = (present.next(), present.next());
    // Message parts are built only for an error: this runs for every field.
    let what = || match to {
        Some(t) => format!("the entry for `{t}`"),
        None => "this entry".to_string(),
    };
    match (first, second) {
        (Some((k, _)), None) => Some(k),
        (None, _) => {
            let names = sources
                .iter()
                .map(|(k, _)| format!("`{k}`"))
                .collect::<Vec<_>>();
            let what = what();
            diags.push(
                Diagnostic::new(
                    Code::M0406,
                    entry_span,
                    format!("{what} has none of {}", names.join(", ")),
                )
                .label("no value source")
                .help(format!(
                    "add exactly one of {}: a source path, an expression or a constant",
                    names.join(", ")
                )),
            );
            None
        }
        (Some((k1, s1)), Some((k2, s2))) => {
            let what = what();
            diags.push(
                Diagnostic::new(Code::M0406, s2, format!("{what} has both `{k1}` and `{k2}`"))
                    .label(format!("second value source `{k2}`"))
                    .related(s1, format!("first value source `{k1}`"))
                    .help("keep exactly one of them; a fallback constant for a null source goes in `default:`"),
            );
            None
        }
    }
}

fn from_path(scope: &Scope, p: &ast::Path, diags: &mut Diagnostics) -> crate::PathRef {
    let segments: Vec<(&str, Span)> = p
        .segments
        .iter()
        .map(|s| (s.value.as_str(), s.span))
        .collect();
    scope.path(&segments, p.text.span, diags)
}

/// `None` when the entry cannot be lowered (an error was reported, here or by the reader).
fn lower_field(
    scope: &Scope,
    f: &ast::Field,
    default_sync: SyncDirection,
    diags: &mut Diagnostics,
) -> Option<Field> {
    let to_text = f.to.as_ref().map(|t| t.text.value.as_str());
    let which = one_source(
        &[
            (
                "from",
                f.from.as_ref().map(|p| p.text.span).or(f.unread_from),
            ),
            ("expr", f.expr.as_ref().map(|e| e.text.span)),
            ("value", f.value.as_ref().map(|v| v.node.span)),
        ],
        f.span,
        to_text,
        diags,
    );
    let mut local = Diagnostics::new();
    let default = f
        .default
        .as_ref()
        .map(|v| literal::literal(&v.node, &mut local));
    let source = match which {
        Some("from") => f
            .from
            .as_ref()
            .map(|p| ValueSource::From(from_path(scope, p, &mut local))),
        Some("expr") => f
            .expr
            .as_ref()
            .and_then(|e| e.ast.as_ref())
            .map(|e| ValueSource::Expr(scope.expr(e, &mut local))),
        Some("value") => f
            .value
            .as_ref()
            .map(|v| ValueSource::Value(literal::literal(&v.node, &mut local))),
        _ => {
            // Still check what is there, so every problem shows in one run.
            if let Some(p) = &f.from {
                from_path(scope, p, &mut local);
            }
            if let Some(e) = f.expr.as_ref().and_then(|e| e.ast.as_ref()) {
                scope.expr(e, &mut local);
            }
            None
        }
    };
    diags.extend(local.iter().cloned());
    Some(Field {
        to: target_path(f.to.as_ref()?),
        source: source?,
        sync: f.sync.as_ref().map(|s| s.value).unwrap_or(default_sync),
        conflict: f
            .conflict
            .as_ref()
            .map(|c| c.value)
            .unwrap_or(Conflict::Fail),
        default,
        on_null: f.on_null.as_ref().map(|o| o.value).unwrap_or(OnNull::Write),
        implicit: false,
        span: f.span,
    })
}

fn lower_rule(scope: &Scope, r: &ast::Rule, index: usize, diags: &mut Diagnostics) -> Option<Rule> {
    let when = r.when.ast.as_ref().map(|e| scope.expr(e, diags));
    if let Some(w) = &when {
        if !matches!(w.ty, Type::Bool | Type::Unknown) {
            diags.push(
                Diagnostic::new(Code::M0504, r.when.text.span, format!("the rule condition `{}` is {}, not a boolean", r.when.text.value, super::expr::a(&w.ty.name())))
                    .label(format!("this is {}", super::expr::a(&w.ty.name())))
                    .help("a `when:` must be true or false: compare the value (e.g. `statecode == 2`) or test it with is_null(...)"),
            );
        } else if let Some(b) = non_boolean_branch(w) {
            // `coalesce(flag, 'no')`: unknown as a whole, but one of the
            // values it can take is not a boolean.
            diags.push(
                Diagnostic::new(Code::M0504, b.span, format!("the rule condition `{}` can be {}, not a boolean", r.when.text.value, super::expr::a(&b.ty.name())))
                    .label(format!("this is {}", super::expr::a(&b.ty.name())))
                    .help("every value a `when:` can take must be true, false or null: use a boolean here (e.g. `coalesce(flag, false)`)"),
            );
        }
    }
    let action = match r.action.value {
        ast::Action::Skip => Some(RuleAction::Skip),
        ast::Action::Warn => Some(RuleAction::Warn(message(r))),
        ast::Action::Error => Some(RuleAction::Error(message(r))),
        ast::Action::Set => lower_set(scope, r, diags),
    };
    Some(Rule {
        when: when?,
        action: action?,
        index,
        span: r.span,
    })
}

/// A value an `if`/`coalesce` of unknown type can take that is known not
/// to be a boolean (null fits a condition: it counts as false).
fn non_boolean_branch(e: &crate::Expr) -> Option<&crate::Expr> {
    use crate::{ExprKind, Func};
    if !matches!(e.ty, Type::Unknown) {
        return (!e.ty.fits(&Type::Bool)).then_some(e);
    }
    match &e.kind {
        ExprKind::Call(Func::Coalesce, args) => args.iter().find_map(non_boolean_branch),
        ExprKind::Call(Func::If, args) => args.iter().skip(1).find_map(non_boolean_branch),
        _ => None,
    }
}

fn message(r: &ast::Rule) -> String {
    match &r.message {
        Some(m) => m.value.clone(),
        None => format!("rule `{}` matched", r.when.text.value),
    }
}

fn lower_set(scope: &Scope, r: &ast::Rule, diags: &mut Diagnostics) -> Option<RuleAction> {
    let to = match &r.to {
        Some(t) => Some(target_path(t)),
        None => {
            diags.push(
                Diagnostic::new(Code::M0409, r.action.span, "a `set` rule has no `to`")
                    .label("`set` needs a target path")
                    .help("add `to: <target path>` and one of `expr:` or `value:` with what to assign"),
            );
            None
        }
    };
    let source = match (&r.expr, &r.value) {
        (Some(e), None) => e
            .ast
            .as_ref()
            .map(|a| ValueSource::Expr(scope.expr(a, diags))),
        (None, Some(v)) => Some(ValueSource::Value(literal::literal(&v.node, diags))),
        (Some(e), Some(v)) => {
            let (first, second, k2) = if e.text.span.start <= v.node.span.start {
                (e.text.span, v.node.span, "value")
            } else {
                (v.node.span, e.text.span, "expr")
            };
            diags.push(
                Diagnostic::new(
                    Code::M0409,
                    second,
                    "a `set` rule has both `expr` and `value`",
                )
                .label(format!("second value source `{k2}`"))
                .related(first, "first value source")
                .help("keep exactly one: `expr:` for a computed value, `value:` for a constant"),
            );
            if let Some(a) = &e.ast {
                scope.expr(a, diags);
            }
            None
        }
        (None, None) => {
            diags.push(
                Diagnostic::new(
                    Code::M0409,
                    r.action.span,
                    "a `set` rule has neither `expr` nor `value`",
                )
                .label("`set` needs a value to assign")
                .help("add `expr: \"...\"` for a computed value or `value: ...` for a constant"),
            );
            None
        }
    };
    Some(RuleAction::Set {
        to: to?,
        source: source?,
    })
}

fn lower_amount(
    scope: &Scope,
    a: &ast::Amount,
    default_to: &str,
    diags: &mut Diagnostics,
) -> Option<DocAmount> {
    let to = target_or(&a.to, default_to, a.span);
    let which = one_source(
        &[
            (
                "from",
                a.from.as_ref().map(|p| p.text.span).or(a.unread_from),
            ),
            ("expr", a.expr.as_ref().map(|e| e.text.span)),
        ],
        a.span,
        Some(&to.dotted()),
        diags,
    );
    let source = match which {
        Some("from") => a
            .from
            .as_ref()
            .map(|p| ValueSource::From(from_path(scope, p, diags))),
        Some("expr") => a
            .expr
            .as_ref()
            .and_then(|e| e.ast.as_ref())
            .map(|e| ValueSource::Expr(scope.expr(e, diags))),
        _ => {
            if let Some(e) = a.expr.as_ref().and_then(|e| e.ast.as_ref()) {
                scope.expr(e, diags);
            }
            None
        }
    };
    Some(DocAmount {
        source: source?,
        to,
        sync: a
            .sync
            .as_ref()
            .map(|s| s.value)
            .unwrap_or(SyncDirection::SourceToTarget),
    })
}

fn lower_products(
    cx: &Cx,
    primary: &Scope,
    p: &ast::Products,
    complete: &mut bool,
    diags: &mut Diagnostics,
) -> Products {
    let entity = p.source.value.clone();
    let lock = cx.spec.locks.iter().find(|l| l.entity.value == entity);
    let locked = lock.is_some() || LOCKED_LINE_ENTITIES.contains(&entity.as_str());
    let sync = p
        .sync
        .as_ref()
        .map(|s| s.value)
        .unwrap_or(SyncDirection::SourceToTarget);

    let line = Scope {
        mapping: primary.mapping,
        related: &[],
        kind: primary.kind,
        connection: primary.connection,
        entity: &entity,
        line: true,
        nested_roots: Vec::new(),
        schema: primary.schema,
        columns: &[],
    };
    let mut fields = Vec::new();
    for f in &p.fields {
        match lower_field(&line, f, sync, diags) {
            Some(f) => fields.push(f),
            None => *complete = false,
        }
    }
    let written: Vec<Written> = fields
        .iter()
        .map(|f| Written {
            path: &f.to.segments,
            span: f.to.span,
            what: "product field",
            overrides: false,
        })
        .collect();
    targets::check(
        &written,
        &format!("each product line of mapping `{}`", primary.mapping),
        diags,
    );

    if locked {
        let pairs: Vec<(String, String, Span)> = match lock {
            Some(l) => l
                .fields
                .iter()
                .map(|(k, v)| (k.value.clone(), v.value.clone(), l.span))
                .collect(),
            None => BUILTIN_LOCKED_FIELDS
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string(), p.source.span))
                .collect(),
        };
        for (from, to, span) in pairs {
            let identical = fields.iter().any(|f| {
                matches!(&f.source, ValueSource::From(pr) if pr.segments.len() == 1 && *pr.segments[0] == *from)
                    && f.to.segments.len() == 1
                    && *f.to.segments[0] == *to
            });
            if identical {
                continue;
            }
            fields.push(Field {
                to: TargetPath {
                    segments: vec![Arc::from(to.as_str())],
                    span,
                },
                source: ValueSource::From(crate::PathRef {
                    segments: vec![Arc::from(from.as_str())],
                    related: None,
                    span,
                }),
                sync,
                conflict: Conflict::Fail,
                default: None,
                on_null: OnNull::Write,
                implicit: true,
                span,
            });
        }
    }

    let mut amount = |a: &Option<ast::Amount>, name: &str| -> Option<DocAmount> {
        let a = a.as_ref()?;
        let out = lower_amount(primary, a, name, diags);
        if out.is_none() {
            *complete = false;
        }
        out
    };
    let discount = amount(&p.discount, "discount");
    let tax = amount(&p.tax, "tax");
    let freight = amount(&p.freight, "freight");

    Products {
        entity,
        locked,
        path: path_or(&p.path, "products"),
        navigation: text(&p.navigation),
        sku_field: text(&p.sku_field),
        order_by: p.order_by.as_ref().and_then(|o| parse_order_by(&o.value)),
        overwrite_template_products: flag(&p.overwrite_template_products, false),
        exclude_skus: p
            .exclude_skus
            .as_ref()
            .map(|c| c.items().into_iter().map(|s| s.value).collect())
            .unwrap_or_default(),
        to: target_or(&p.to, "products", p.span),
        sync,
        fields,
        discount,
        tax,
        freight,
    }
}
