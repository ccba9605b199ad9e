//! Checks against cached `$metadata` (M09xx).
//!
//! With `--schema-cache DIR`, [`Schemas::load`] reads `DIR/{connection}.xml`
//! for every connection of the spec (M0906 when a file is broken, M0907 when
//! an OData connection has none), the lowering takes property types from it
//! through [`SchemaInfo`], and [`Schemas::check`] validates every entity,
//! field, navigation and constant of the spec against the models:
//!
//! - M0901: source, target, related and products entities;
//! - M0902: fields in `from:` paths, expressions, filters, `key`,
//!   `changed_since`, `sku_field`, `order_by`, `navigation`, company fields
//!   and target paths;
//! - M0903: `related.via` is a single-valued navigation to the related entity;
//! - M0904: a `value:`/`default:` constant, or the inferred type of a `from:`
//!   path or an `expr:` (of fields, `set` rules and document amounts), does
//!   not fit the target property's type (only clear mismatches: see
//!   [`value_mismatch`]);
//! - M0905: a string constant is longer than the target property's MaxLength.
//!
//! Connections without a cached model are skipped silently (after M0907):
//! nothing here guesses.

use mapc_connect::metadata::{
    load_cache, suggest, ComplexType, EdmType, EntityType, LookupError, Model, Property, ViaError,
};
use mapc_diag::{code_list, Diagnostic, Diagnostics, Span};
use mapc_ir::{
    Mapping as IrMapping, PathRef, Program, RuleAction, SchemaInfo, TargetPath, Type, ValueSource,
};
use mapc_syntax::expr::{Expr, ExprKind};
use mapc_syntax::filter::{FilterExpr, FilterKind, SegmentKind};
use mapc_syntax::spec::{
    Connection, ConnectionKind, Mapping, Path as SpecPath, Spanned, Spec, Value,
};
use mapc_syntax::yaml::{NodeKind, Style};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The cached models of a spec's connections.
pub struct Schemas {
    dir: PathBuf,
    models: HashMap<String, Model>,
}

fn kind_of(c: &Connection) -> Option<ConnectionKind> {
    c.kind.as_ref().map(|k| k.value)
}

impl Schemas {
    pub fn load(dir: &Path, spec: &Spec, diags: &mut Diagnostics) -> Schemas {
        let mut models = HashMap::new();
        for (name, c) in &spec.connections {
            let odata = matches!(
                kind_of(c),
                Some(
                    ConnectionKind::Dataverse
                        | ConnectionKind::BusinessCentral
                        | ConnectionKind::Odata
                )
            );
            match load_cache(dir, &name.value) {
                Ok(Some(model)) => {
                    models.insert(name.value.clone(), model);
                }
                Ok(None) if odata => diags.push(
                    Diagnostic::new("M0907", name.span, format!("no cached `$metadata` for connection `{}`", name.value))
                        .label(format!("no {}", mapc_connect::metadata::cache_path(dir, &name.value).display()))
                        .help(format!(
                            "{}; until then its entities and fields are not checked",
                            put_metadata(dir, &name.value)
                        )),
                ),
                Ok(None) => {}
                Err(e) => diags.push(
                    Diagnostic::new(
                        "M0906",
                        name.span,
                        format!("the cached `$metadata` of connection `{}` cannot be read: {e}", name.value),
                    )
                    .label("broken schema cache file")
                    .help(format!(
                        "replace {} with the connection's `$metadata` document (the connector's `mapc schema pull` will do this), or delete the file to check without it",
                        mapc_connect::metadata::cache_path(dir, &name.value).display()
                    )),
                ),
            }
        }
        Schemas {
            dir: dir.to_path_buf(),
            models,
        }
    }

    /// The cache directory the models were read from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The connections whose cache file was read.
    pub fn connections(&self) -> impl Iterator<Item = &str> {
        self.models.keys().map(String::as_str)
    }

    /// The model of one connection, when its cache file was read.
    pub fn model(&self, connection: &str) -> Option<&Model> {
        self.models.get(connection)
    }

    pub fn check(&self, spec: &Spec, program: &Program, diags: &mut Diagnostics) {
        for m in &spec.mappings {
            self.mapping(spec, m, diags);
        }
        for m in &program.mappings {
            self.value_types(m, diags);
        }
    }

    /// M0904 for `from:` paths and expressions (of fields, `set` rules and
    /// document amounts) whose type, inferred with the source metadata, does
    /// not fit the target property. Only mappings lowered without errors are
    /// looked at (their types are trustworthy), and only clear mismatches are
    /// reported; see [`value_mismatch`].
    fn value_types(&self, m: &IrMapping, diags: &mut Diagnostics) {
        let Some(model) = self.model(&m.target.connection) else {
            return;
        };
        let Ok(target) = model.entity(&m.target.entity) else {
            return;
        };
        let mut entries: Vec<(&ValueSource, &TargetPath)> = m
            .fields
            .iter()
            .filter(|f| !f.implicit)
            .map(|f| (&f.source, &f.to))
            .collect();
        for r in &m.rules {
            if let RuleAction::Set { to, source } = &r.action {
                entries.push((source, to));
            }
        }
        if let Some(p) = &m.products {
            for a in [&p.discount, &p.tax, &p.freight].into_iter().flatten() {
                entries.push((&a.source, &a.to));
            }
        }
        for (source, to) in entries {
            let (ty, span, what, arg) = match source {
                ValueSource::From(p) => (
                    self.source_path_type(m, p),
                    p.span,
                    format!("`from: {}`", p.dotted()),
                    p.dotted(),
                ),
                ValueSource::Expr(e) => (
                    e.ty.clone(),
                    e.span,
                    "the expression".to_string(),
                    "...".to_string(),
                ),
                ValueSource::Value(_) => continue, // constants: `TargetCx::constant`
            };
            let segs: Vec<(&str, Span)> = to.segments.iter().map(|s| (&**s, to.span)).collect();
            // Unknown target paths were reported (M0902) by the spec walk.
            let mut ignored = Diagnostics::new();
            let Some(prop) = walk(model, &m.target.connection, target, &segs, &mut ignored) else {
                continue;
            };
            if prop.collection {
                continue;
            }
            let Some(help) = value_mismatch(&ty, &prop.ty, &arg) else {
                continue;
            };
            diags.push(
                Diagnostic::new(
                    "M0904",
                    span,
                    format!(
                        "{what} is {}, but `{}` of `{}` is {} (connection `{}`)",
                        mapc_ir_a(&ty),
                        to.dotted(),
                        target.name(),
                        prop.ty,
                        m.target.connection
                    ),
                )
                .label(format!("{} does not fit {}", mapc_ir_a(&ty), prop.ty))
                .help(help),
            );
        }
    }

    /// The type of a source path from the source metadata (as the lowering
    /// infers it), else `Unknown`.
    fn source_path_type(&self, m: &IrMapping, p: &PathRef) -> Type {
        let conn = &m.source.connection;
        match p.related {
            Some(i) => match p.segments.len() {
                1 => Type::Record,
                2 => m
                    .related
                    .get(i)
                    .and_then(|r| self.field_type(conn, &r.entity, &p.segments[1]))
                    .unwrap_or(Type::Unknown),
                _ => Type::Unknown,
            },
            None if p.segments.len() == 1 => self
                .field_type(conn, &m.source.entity, &p.segments[0])
                .unwrap_or(Type::Unknown),
            None => Type::Unknown,
        }
    }

    fn mapping(&self, spec: &Spec, m: &Mapping, diags: &mut Diagnostics) {
        let conn_kind = |name: &str| {
            spec.connections
                .iter()
                .find(|(n, _)| n.value == name)
                .and_then(|(_, c)| kind_of(c))
        };
        let src_model = self.model(&m.source.connection.value);
        let tgt_model = self.model(&m.target.connection.value);
        let sales_prices = m.sales_prices.as_ref().or(spec.sales_prices.as_ref());
        let companies = m.companies.as_ref().or(spec.companies.as_ref());

        // ---- source side
        if let Some(model) = src_model {
            let conn = m.source.connection.value.as_str();
            let primary = entity(model, conn, &m.source.entity, diags);
            if let Some(set) = &m.source.entity_set {
                entity_set(model, conn, set, diags);
            }
            let mut related = Vec::new();
            for (alias, r) in &m.related {
                let re = entity(model, conn, &r.entity, diags);
                if let (Some(p), Some(_)) = (primary, re) {
                    if let Err(e) = model.resolve_via(p, &r.via.value, &r.entity.value) {
                        diags.push(via_error(&e, &r.via, conn));
                    }
                }
                related.push((alias.value.as_str(), re, r.via.value.as_str()));
            }
            let mut nested_roots: Vec<String> = Vec::new();
            if let Some(p) = &m.products {
                nested_roots.push(first_or(&p.path, "products"));
            }
            if let Some(s) = sales_prices {
                nested_roots.push(first_or(&s.path, "salesprices"));
            }
            if let Some(c) = companies {
                nested_roots.push(first_or(&c.contacts_path, "contacts"));
            }
            let cx = SourceCx {
                model,
                conn,
                primary,
                related,
                flat: matches!(
                    conn_kind(conn),
                    Some(ConnectionKind::Dataverse | ConnectionKind::BusinessCentral)
                ),
                nested_roots,
            };
            if let Some(p) = primary {
                for s in [&m.source.key, &m.source.changed_since]
                    .into_iter()
                    .flatten()
                {
                    cx.field(p, s, diags);
                }
                if let Some(f) = m.source.filter.as_ref().and_then(|f| f.ast.as_ref()) {
                    cx.filter(&f.expr, &[], diags);
                }
                if let Some(c) = companies {
                    for s in [&c.id_field, &c.number_field, &c.parent_field]
                        .into_iter()
                        .flatten()
                    {
                        if !s.value.trim().is_empty() {
                            cx.field(p, s, diags);
                        }
                    }
                }
            }
            for f in &m.fields {
                if let Some(from) = &f.from {
                    cx.path(&segments(from), diags);
                }
                if let Some(e) = f.expr.as_ref().and_then(|e| e.ast.as_ref()) {
                    cx.expr(e, diags);
                }
            }
            for r in &m.rules {
                for e in [
                    r.when.ast.as_ref(),
                    r.expr.as_ref().and_then(|e| e.ast.as_ref()),
                ]
                .into_iter()
                .flatten()
                {
                    cx.expr(e, diags);
                }
            }
            if let Some(p) = &m.products {
                let line = entity(model, conn, &p.source, diags);
                if let (Some(primary), Some(nav)) = (primary, &p.navigation) {
                    if primary.navigation(&nav.value).is_none() && !primary.is_open() {
                        let names: Vec<&str> = primary
                            .navigations()
                            .filter(|n| n.collection)
                            .map(|n| n.name.as_str())
                            .collect();
                        diags.push(unknown_member(
                            &nav.value,
                            nav.span,
                            primary,
                            conn,
                            suggest(&nav.value, names),
                            "navigation property",
                        ));
                    }
                }
                if let Some(line) = line {
                    let line_cx = SourceCx {
                        primary: Some(line),
                        related: Vec::new(),
                        flat: false,
                        nested_roots: Vec::new(),
                        ..cx.clone()
                    };
                    if let Some(s) = &p.sku_field {
                        if s.value.contains('.') {
                            // A path through a lookup of the line, e.g. Dataverse's
                            // `productid.productnumber` (the SKU lives on product).
                            let mut at = 0;
                            let segs: Vec<(&str, Span)> = s
                                .value
                                .split('.')
                                .map(|seg| {
                                    let span = crate::rules::inner_span(s, at, at + seg.len());
                                    at += seg.len() + 1;
                                    (seg, span)
                                })
                                .collect();
                            line_cx.path(&segs, diags);
                        } else {
                            line_cx.field(line, s, diags);
                        }
                    }
                    if let Some(o) = &p.order_by {
                        if let Some(field) = o.value.split_whitespace().next() {
                            let at = o.value.find(field).unwrap_or(0);
                            let s = Spanned::new(
                                field.to_string(),
                                crate::rules::inner_span(o, at, at + field.len()),
                            );
                            // A malformed `order_by` is M0705's; check only a well-formed field.
                            let well_formed = field
                                .chars()
                                .next()
                                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                                && field.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                            if o.value.split_whitespace().count() <= 2 && well_formed {
                                line_cx.field(line, &s, diags);
                            }
                        }
                    }
                    for f in &p.fields {
                        if let Some(from) = &f.from {
                            line_cx.path(&segments(from), diags);
                        }
                        if let Some(e) = f.expr.as_ref().and_then(|e| e.ast.as_ref()) {
                            line_cx.expr(e, diags);
                        }
                    }
                }
                for a in [&p.discount, &p.tax, &p.freight].into_iter().flatten() {
                    if let Some(from) = &a.from {
                        cx.path(&segments(from), diags);
                    }
                    if let Some(e) = a.expr.as_ref().and_then(|e| e.ast.as_ref()) {
                        cx.expr(e, diags);
                    }
                }
            }
        }

        // ---- target side
        if let Some(model) = tgt_model {
            let conn = m.target.connection.value.as_str();
            let Some(target) = entity(model, conn, &m.target.entity, diags) else {
                return;
            };
            if let Some(set) = &m.target.entity_set {
                entity_set(model, conn, set, diags);
            }
            let tcx = TargetCx {
                model,
                conn,
                entity: target,
            };
            if let Some(k) = &m.target.key {
                tcx.path(&[(k.value.as_str(), k.span)], diags);
            }
            for f in &m.fields {
                let Some(to) = &f.to else { continue };
                let prop = tcx.path(&segments(to), diags);
                if let Some(prop) = prop {
                    let to_name = to.dotted();
                    if let Some(v) = &f.value {
                        tcx.constant("value", v, prop, to_name, diags);
                    }
                    if let Some(v) = &f.default {
                        tcx.constant("default", v, prop, to_name, diags);
                    }
                }
            }
            for r in &m.rules {
                let Some(to) = &r.to else { continue };
                let prop = tcx.path(&segments(to), diags);
                if let (Some(prop), Some(v)) = (prop, &r.value) {
                    tcx.constant("value", v, prop, to.dotted(), diags);
                }
            }
            if let Some(p) = &m.products {
                for a in [&p.discount, &p.tax, &p.freight].into_iter().flatten() {
                    if let Some(to) = &a.to {
                        tcx.path(&segments(to), diags);
                    }
                }
            }
            if let Some(to) = sales_prices.and_then(|s| s.to.as_ref()) {
                tcx.path(&segments(to), diags);
            }
        }
    }
}

fn first_or(p: &Option<SpecPath>, default: &str) -> String {
    p.as_ref()
        .and_then(|p| p.segments.first())
        .map(|s| s.value.clone())
        .unwrap_or_else(|| default.to_string())
}

fn segments(p: &SpecPath) -> Vec<(&str, Span)> {
    p.segments
        .iter()
        .map(|s| (s.value.as_str(), s.span))
        .collect()
}

fn did_you_mean_help(suggestions: &[String], fallback: String) -> String {
    match suggestions {
        [] => fallback,
        [one] => format!("did you mean `{one}`?"),
        [one, rest @ ..] => format!(
            "did you mean `{one}`? (also close: {})",
            rest.iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// M0901: an entity by logical name.
fn entity<'m>(
    model: &'m Model,
    conn: &str,
    name: &Spanned<String>,
    diags: &mut Diagnostics,
) -> Option<&'m EntityType> {
    match model.entity(&name.value) {
        Ok(e) => Some(e),
        Err(e) => {
            diags.push(unknown_entity(&e, name.span, conn));
            None
        }
    }
}

fn entity_set(model: &Model, conn: &str, set: &Spanned<String>, diags: &mut Diagnostics) {
    if let Err(e) = model.entity_by_set(&set.value) {
        diags.push(unknown_entity(&e, set.span, conn));
    }
}

/// How to provide a connection's metadata: no command fetches it yet.
fn put_metadata(dir: &Path, connection: &str) -> String {
    format!(
        "put the connection's `$metadata` document in {} (the connector's `mapc schema pull` will do this)",
        mapc_connect::metadata::cache_path(dir, connection).display()
    )
}

fn unknown_entity(e: &LookupError, span: Span, conn: &str) -> Diagnostic {
    let what = match e.kind {
        mapc_connect::metadata::LookupKind::EntityType => "entity",
        mapc_connect::metadata::LookupKind::EntitySet => "entity set",
    };
    let mut help = did_you_mean_help(
        &e.suggestions,
        format!("check the logical name (singular, lower case in Dataverse); if the table is new, update the cached `$metadata` of connection `{conn}` (the connector's `mapc schema pull` will do this)"),
    );
    if let Some(h) = &e.hint {
        help = format!("{h}; {help}");
    }
    Diagnostic::new(
        "M0901",
        span,
        format!(
            "{what} `{}` is not in the `$metadata` of connection `{conn}`",
            e.name
        ),
    )
    .label(format!("unknown {what}"))
    .help(help)
}

fn unknown_member(
    name: &str,
    span: Span,
    owner: &EntityType,
    conn: &str,
    suggestions: Vec<String>,
    what: &str,
) -> Diagnostic {
    Diagnostic::new(
        "M0902",
        span,
        format!("`{name}` is not a {what} of `{}` (connection `{conn}`)", owner.name()),
    )
    .label(format!("unknown {what}"))
    .help(did_you_mean_help(
        &suggestions,
        format!("check the spelling against the columns of `{}`; if the column is new, update the cached `$metadata` of connection `{conn}` (the connector's `mapc schema pull` will do this)", owner.name()),
    ))
}

/// M0903: `via` is not a single-valued navigation to the related entity.
fn via_error(e: &ViaError, via: &Spanned<String>, conn: &str) -> Diagnostic {
    let help = match e {
        ViaError::NotFound { suggestions, .. } => did_you_mean_help(
            suggestions,
            "`via` names the lookup column or single-valued navigation property of the primary entity".into(),
        ),
        ViaError::CollectionValued { .. } => {
            "related entities are N:1: use the lookup on the primary entity that points at one related record; one-to-many lines belong under `products`".into()
        }
        ViaError::WrongTarget { found, .. } => format!(
            "use a lookup that points at the related entity, or change `entity:` to {}",
            found.iter().map(|(_, t)| format!("`{t}`")).collect::<Vec<_>>().join(" or ")
        ),
    };
    Diagnostic::new("M0903", via.span, format!("{e} (connection `{conn}`)"))
        .label("not a single-valued navigation to the related entity")
        .help(help)
}

/// Where a path walk stands: an entity or a complex type.
#[derive(Clone, Copy)]
enum Scope<'m> {
    Entity(&'m EntityType),
    Complex(&'m ComplexType),
}

/// Walks `segs` from `start`; reports the first unknown segment (M0902) and
/// returns the final structural property when the whole path resolves.
fn walk<'m>(
    model: &'m Model,
    conn: &str,
    start: &'m EntityType,
    segs: &[(&str, Span)],
    diags: &mut Diagnostics,
) -> Option<&'m Property> {
    let mut scope = Scope::Entity(start);
    for (i, (name, span)) in segs.iter().enumerate() {
        let last = i + 1 == segs.len();
        match scope {
            Scope::Entity(e) => {
                if let Some(p) = e.property(name) {
                    if last {
                        return Some(p);
                    }
                    match &p.ty {
                        EdmType::Complex(t) => scope = Scope::Complex(model.complex_type(t)?),
                        _ => return None,
                    }
                } else if let Some(n) = e.navigation(name) {
                    if last || n.collection {
                        return None;
                    }
                    scope = Scope::Entity(model.find_entity(&n.target_qualified)?);
                } else {
                    if !e.is_open() {
                        diags.push(unknown_member(
                            name,
                            *span,
                            e,
                            conn,
                            e.suggest_member(name),
                            "property",
                        ));
                    }
                    return None;
                }
            }
            Scope::Complex(c) => match c.property(name) {
                Some(p) if last => return Some(p),
                Some(p) => match &p.ty {
                    EdmType::Complex(t) => scope = Scope::Complex(model.complex_type(t)?),
                    _ => return None,
                },
                None => {
                    diags.push(
                        Diagnostic::new(
                            "M0902",
                            *span,
                            format!(
                                "`{name}` is not a property of `{}` (connection `{conn}`)",
                                c.name
                            ),
                        )
                        .label("unknown property")
                        .help(did_you_mean_help(
                            &suggest(name, c.properties.iter().map(|p| p.name.as_str())),
                            format!("check the spelling against the properties of `{}`", c.name),
                        )),
                    );
                    return None;
                }
            },
        }
    }
    None
}

/// Source-side path resolution of one mapping (or of its product lines).
#[derive(Clone)]
struct SourceCx<'m> {
    model: &'m Model,
    conn: &'m str,
    /// The entity unprefixed paths start from (the primary, or the line entity).
    primary: Option<&'m EntityType>,
    /// `(alias, entity when known, via)`.
    related: Vec<(&'m str, Option<&'m EntityType>, &'m str)>,
    /// Dataverse / Business Central records are flat: a nested path that does
    /// not start with a related alias is the lowering's M0403.
    flat: bool,
    nested_roots: Vec<String>,
}

impl<'m> SourceCx<'m> {
    /// A single field name of `owner` (`key`, `changed_since`, `sku_field`, ...).
    fn field(&self, owner: &EntityType, s: &Spanned<String>, diags: &mut Diagnostics) {
        if owner.property(&s.value).is_none()
            && owner.navigation(&s.value).is_none()
            && !owner.is_open()
        {
            diags.push(unknown_member(
                &s.value,
                s.span,
                owner,
                self.conn,
                owner.suggest_member(&s.value),
                "property",
            ));
        }
    }

    /// A source path: `field`, `alias.field` or a navigation path.
    fn path(&self, segs: &[(&str, Span)], diags: &mut Diagnostics) {
        let Some(&(first, _)) = segs.first() else {
            return;
        };
        if let Some((_, re, _)) = self.related.iter().find(|(a, _, _)| *a == first) {
            if let (Some(re), true) = (re, segs.len() >= 2) {
                walk(self.model, self.conn, re, &segs[1..], diags);
            }
            return;
        }
        let Some(primary) = self.primary else { return };
        let known_first = primary.property(first).is_some() || primary.navigation(first).is_some();
        if !known_first
            && segs.len() > 1
            && (self.flat || self.nested_roots.iter().any(|r| r == first))
        {
            return;
        }
        if !known_first && self.nested_roots.iter().any(|r| r == first) {
            return;
        }
        walk(self.model, self.conn, primary, segs, diags);
    }

    fn expr(&self, e: &Expr, diags: &mut Diagnostics) {
        match &e.kind {
            ExprKind::Path(idents) => {
                let segs: Vec<(&str, Span)> =
                    idents.iter().map(|i| (i.name.as_str(), i.span)).collect();
                self.path(&segs, diags);
            }
            ExprKind::Call { args, .. } => args.iter().for_each(|a| self.expr(a, diags)),
            ExprKind::Unary { expr, .. } => self.expr(expr, diags),
            ExprKind::Binary { lhs, rhs, .. } => {
                self.expr(lhs, diags);
                self.expr(rhs, diags);
            }
            ExprKind::List(items) => items.iter().for_each(|a| self.expr(a, diags)),
            _ => {}
        }
    }

    /// Member paths of a `$filter`; `vars` are lambda variables in scope.
    fn filter(
        &self,
        f: &FilterExpr,
        vars: &[(&str, Option<&'m EntityType>)],
        diags: &mut Diagnostics,
    ) {
        match &f.kind {
            FilterKind::Literal(_) => {}
            FilterKind::Path(segs) => self.filter_path(segs, vars, diags),
            FilterKind::Call { args, .. } => args.iter().for_each(|a| self.filter(a, vars, diags)),
            FilterKind::Cast { expr, .. } | FilterKind::IsOf { expr, .. } => {
                if let Some(e) = expr {
                    self.filter(e, vars, diags);
                }
            }
            FilterKind::Case(arms) => arms.iter().for_each(|(c, v)| {
                self.filter(c, vars, diags);
                self.filter(v, vars, diags);
            }),
            FilterKind::Unary { expr, .. } => self.filter(expr, vars, diags),
            FilterKind::Binary { lhs, rhs, .. } => {
                self.filter(lhs, vars, diags);
                self.filter(rhs, vars, diags);
            }
            FilterKind::List(items) => items.iter().for_each(|a| self.filter(a, vars, diags)),
            FilterKind::Object(members) => members
                .iter()
                .for_each(|(_, v)| self.filter(v, vars, diags)),
        }
    }

    fn filter_path(
        &self,
        segs: &[mapc_syntax::filter::Segment],
        vars: &[(&str, Option<&'m EntityType>)],
        diags: &mut Diagnostics,
    ) {
        let Some(first) = segs.first() else { return };
        // The scope the path starts in.
        let (mut scope, rest): (Option<&'m EntityType>, &[mapc_syntax::filter::Segment]) =
            match &first.kind {
                SegmentKind::Name(id) => {
                    if let Some((_, e)) = vars.iter().rev().find(|(v, _)| *v == id.name) {
                        (*e, &segs[1..])
                    } else if let Some((_, re, _)) = self
                        .related
                        .iter()
                        .find(|(a, _, v)| *a == id.name || *v == id.name)
                    {
                        // `alias/field` (or `via/field`): the related entity.
                        if self
                            .primary
                            .is_some_and(|p| p.navigation(&id.name).is_some())
                        {
                            (self.primary, segs)
                        } else {
                            (*re, &segs[1..])
                        }
                    } else {
                        let Some(primary) = self.primary else { return };
                        let known = primary.property(&id.name).is_some()
                            || primary.navigation(&id.name).is_some();
                        if !known && segs.len() > 1 && self.flat {
                            return; // the lowering reports navigations it cannot evaluate
                        }
                        (self.primary, segs)
                    }
                }
                SegmentKind::It => (self.primary, &segs[1..]),
                _ => return,
            };
        for seg in rest {
            let Some(e) = scope else { return };
            match &seg.kind {
                SegmentKind::Name(id) => {
                    if id.name.contains('.') {
                        return; // a type cast segment
                    }
                    if e.property(&id.name).is_some() {
                        return; // a structural property ends what can be checked
                    } else if let Some(n) = e.navigation(&id.name) {
                        scope = self.model.find_entity(&n.target_qualified);
                    } else {
                        if !e.is_open() {
                            diags.push(unknown_member(
                                &id.name,
                                id.span,
                                e,
                                self.conn,
                                e.suggest_member(&id.name),
                                "property",
                            ));
                        }
                        return;
                    }
                }
                SegmentKind::Any { var, predicate } => {
                    if let (Some(v), Some(p)) = (var, predicate) {
                        let mut inner: Vec<(&str, Option<&'m EntityType>)> = vars.to_vec();
                        inner.push((v.name.as_str(), Some(e)));
                        self.filter(p, &inner, diags);
                    }
                    return;
                }
                SegmentKind::All { var, predicate } => {
                    let mut inner: Vec<(&str, Option<&'m EntityType>)> = vars.to_vec();
                    inner.push((var.name.as_str(), Some(e)));
                    self.filter(predicate, &inner, diags);
                    return;
                }
                // Function, key, `$count`, annotation segments: not checked.
                _ => return,
            }
        }
    }
}

/// Target-side checks of one mapping.
struct TargetCx<'m> {
    model: &'m Model,
    conn: &'m str,
    entity: &'m EntityType,
}

impl<'m> TargetCx<'m> {
    fn path(&self, segs: &[(&str, Span)], diags: &mut Diagnostics) -> Option<&'m Property> {
        walk(self.model, self.conn, self.entity, segs, diags)
    }

    /// M0904 / M0905 for a `value:` or `default:` constant written to `prop`.
    fn constant(&self, key: &str, v: &Value, prop: &Property, to: &str, diags: &mut Diagnostics) {
        let node = &v.node;
        if node.is_null() {
            return;
        }
        let owner = self.entity.name();
        let ty = &prop.ty;
        let found = node.kind_name();
        let mismatch = |help: String| {
            Diagnostic::new(
                "M0904",
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
                match mapc_syntax::dates::date_part_problem(text).filter(|_| is_string) {
                    Some(why) => format!("`{text}` is not a day ({why}); write a real date, e.g. `{key}: 2026-11-22`"),
                    None => format!("write a date as `YYYY-MM-DD`, e.g. `{key}: 2026-11-22`"),
                }
            }),
            EdmType::DateTimeOffset => (!(is_string && is_datetime(text))).then(|| {
                match mapc_syntax::dates::date_part_problem(text).filter(|_| is_string) {
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
                        "M0905",
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

fn mapc_ir_a(t: &Type) -> String {
    let name = t.name();
    match name.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => format!("an {name}"),
        _ => format!("a {name}"),
    }
}

/// The help for a value of type `found` written to a property of type
/// `want`, when that is a clear mismatch; `None` when it fits or may fit.
/// `arg` is what the suggested conversion applies to (a path, or `...`).
///
/// Conservative by design: what is written is JSON, and a mismatch is
/// reported only when the service rejects (or silently mangles) the JSON
/// value for every record:
/// - unknown, null, time-of-day, binary, enum and complex types: never;
/// - text (`Edm.String`): numbers and booleans are reported (a JSON number
///   or `true` is not a string to OData); dates, date-times and GUIDs are
///   written as JSON strings and fit;
/// - numbers (`Edm.Decimal`, `Edm.Double`, `Edm.Int*`): integers, decimals
///   and numbers fit (a decimal to an integer column may still be whole);
///   text, booleans and dates are reported;
/// - `Edm.Boolean`: only booleans fit;
/// - `Edm.Date`: dates fit; text (it may not be a date), numbers and
///   booleans are reported (a date-time is not: `format_date` would not help);
/// - `Edm.DateTimeOffset`: date-times and dates fit, and text is not reported
///   (there is no text-to-date-time conversion to suggest); numbers and
///   booleans are;
/// - `Edm.Guid`: GUIDs and text fit; numbers, booleans and dates do not;
/// - lists and records never fit a single scalar property.
pub fn value_mismatch(found: &Type, want: &EdmType, arg: &str) -> Option<String> {
    use Type as T;
    let scalar_target = matches!(
        want,
        EdmType::String
            | EdmType::Boolean
            | EdmType::Date
            | EdmType::DateTimeOffset
            | EdmType::Guid
    ) || want.is_numeric();
    if !scalar_target {
        return None;
    }
    let describe_want = describe(want);
    match found {
        T::Unknown | T::Null => None,
        T::List(_) | T::Record => Some(format!(
            "write a single value ({describe_want}), e.g. one field of the related record"
        )),
        t => {
            let numeric = t.is_numeric();
            let fits = match want {
                EdmType::String => !numeric && *t != T::Bool,
                EdmType::Boolean => *t == T::Bool,
                EdmType::Date => matches!(t, T::Date | T::DateTime),
                EdmType::DateTimeOffset => matches!(t, T::DateTime | T::Date | T::String),
                EdmType::Guid => matches!(t, T::Guid | T::String),
                w if w.is_numeric() => numeric,
                _ => true,
            };
            if fits {
                return None;
            }
            Some(match (t, want) {
                (_, EdmType::String) => {
                    format!("convert the value to text with `expr: \"to_string({arg})\"`")
                }
                (T::String, w) if w.is_numeric() => {
                    format!("convert the text to a number with `expr: \"to_decimal({arg})\"`")
                }
                (T::String, EdmType::Date) => {
                    format!("parse the text with `expr: \"parse_date({arg}, 'YYYY-MM-DD')\"`")
                }
                (T::Bool, w) if w.is_numeric() => {
                    format!("turn the condition into a number with `expr: \"if({arg}, 1, 0)\"`")
                }
                (t, EdmType::Boolean) if t.is_numeric() => {
                    format!("turn the value into a condition, e.g. `expr: \"{arg} > 0\"`")
                }
                (T::String, EdmType::Boolean) => {
                    format!("turn the text into a condition, e.g. `expr: \"{arg} == 'yes'\"`")
                }
                _ => format!("map a value of the right type ({describe_want})"),
            })
        }
    }
}

/// `a date`, `a number`, ... for an Edm type.
fn describe(ty: &EdmType) -> &'static str {
    match ty {
        EdmType::String => "a string",
        EdmType::Boolean => "a boolean",
        EdmType::Date => "a date",
        EdmType::DateTimeOffset => "a date-time",
        EdmType::TimeOfDay => "a time of day",
        EdmType::Guid => "a GUID",
        t if t.is_integer() => "a whole number",
        t if t.is_numeric() => "a number",
        _ => "a value",
    }
}

fn plain_number(t: &str) -> bool {
    mapc_syntax::number::is_yaml_number(t)
}

fn digits(s: &str, n: usize) -> Option<u32> {
    (s.len() == n && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// `YYYY-MM-DD`, a real calendar date.
pub fn is_date(s: &str) -> bool {
    let mut it = s.split('-');
    let (Some(y), Some(m), Some(d), None) = (it.next(), it.next(), it.next(), it.next()) else {
        return false;
    };
    let (Some(y), Some(m), Some(d)) = (digits(y, 4), digits(m, 2), digits(d, 2)) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
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

/// The expression-language type of an Edm type.
pub fn edm_to_type(ty: &EdmType) -> Type {
    match ty {
        EdmType::String => Type::String,
        EdmType::Decimal | EdmType::Double => Type::Decimal,
        EdmType::Int16 | EdmType::Int32 | EdmType::Int64 => Type::Integer,
        EdmType::Boolean => Type::Bool,
        EdmType::Date => Type::Date,
        EdmType::DateTimeOffset => Type::DateTime,
        EdmType::Guid => Type::Guid,
        _ => Type::Unknown,
    }
}

impl SchemaInfo for Schemas {
    fn field_type(&self, connection: &str, entity: &str, field: &str) -> Option<Type> {
        let model = self.model(connection)?;
        let e = model.find_entity(entity)?;
        let p = e.property(field)?;
        if p.collection {
            return Some(Type::List(Box::new(edm_to_type(&p.ty))));
        }
        Some(edm_to_type(&p.ty))
    }
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

    #[test]
    fn edm_types_map_to_expression_types() {
        assert_eq!(edm_to_type(&EdmType::Decimal), Type::Decimal);
        assert_eq!(edm_to_type(&EdmType::Double), Type::Decimal);
        assert_eq!(edm_to_type(&EdmType::Int32), Type::Integer);
        assert_eq!(edm_to_type(&EdmType::DateTimeOffset), Type::DateTime);
        assert_eq!(edm_to_type(&EdmType::Binary), Type::Unknown);
    }
}
