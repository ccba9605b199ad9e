//! Name checks on the AST: entities (M0901), fields and paths (M0902) and
//! navigations (M0903) of every mapping, against the cached models.

use super::{kind_of, Schemas};
use mapc_connect::metadata::{
    suggest, ComplexType, EdmType, EntityType, LookupError, Model, Property, ViaError,
};
use mapc_diag::{Code, Diagnostic, Diagnostics, Span};
use mapc_syntax::expr::{Expr, ExprKind};
use mapc_syntax::filter::{FilterExpr, FilterKind, SegmentKind};
use mapc_syntax::spec::{ConnectionKind, Mapping, Path as SpecPath, Spanned, Spec};

impl Schemas {
    pub(super) fn mapping(&self, spec: &Spec, m: &Mapping, diags: &mut Diagnostics) {
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
        Code::M0901,
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
        Code::M0902,
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
    Diagnostic::new(Code::M0903, via.span, format!("{e} (connection `{conn}`)"))
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
pub(super) fn walk<'m>(
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
                            Code::M0902,
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
pub(super) struct TargetCx<'m> {
    pub(super) model: &'m Model,
    pub(super) conn: &'m str,
    pub(super) entity: &'m EntityType,
}

impl<'m> TargetCx<'m> {
    fn path(&self, segs: &[(&str, Span)], diags: &mut Diagnostics) -> Option<&'m Property> {
        walk(self.model, self.conn, self.entity, segs, diags)
    }
}
