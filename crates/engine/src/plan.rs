//! Compiling one mapping of a [`Program`] into an execution plan.
//!
//! Every source path the mapping reads (fields, rules, filter, products,
//! sales prices, companies, the key) is registered in a projection tree and
//! given a slot; every target path gets a leaf in an ordered output tree.
//! The per-record work then is: parse the projected keys into slots, run
//! the compiled expressions over slots, fill leaves, serialize the tree.

use crate::eval::{self, CExpr, RelatedCheck};
use jiff::civil::Date;
use mapc_diag::Span;
use mapc_ir::{
    Field, Mapping, OnNull, PathRef, Program, Related, RuleAction, SyncDirection, TargetPath,
    ValueSource,
};
use mapc_value::json::parse::{ListProj, Proj};
use mapc_value::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// Whether the target records are being created or updated: decides
/// whether `sync: once` entries are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum WriteMode {
    /// A new target record: everything that flows source -> target is
    /// written, `sync: once` entries included.
    #[default]
    Create,
    /// An existing target record: `sync: once` entries (fields, product
    /// line fields, a `products` block with `sync: once`, and `discount`,
    /// `tax`, `freight` with `sync: once`) are left out; they are neither
    /// read nor written. A `set` rule whose target a `once` field writes is
    /// left out with it. The exception is the target key
    /// (`target.key`): a field that writes it is always written, `once` or
    /// not, because the key is how the update finds its record.
    Update,
}

/// Run options.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// The as-of date: `today()`, `as_of()` and sales-price expiry.
    pub as_of: Date,
    /// Create (default) or update of the target records.
    pub mode: WriteMode,
}

impl Options {
    /// Options for creating target records as of `as_of`.
    pub fn new(as_of: Date) -> Options {
        Options {
            as_of,
            mode: WriteMode::Create,
        }
    }
}

/// Why a mapping cannot be compiled (a spec that passed `mapc check` always can).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompileError {
    pub message: String,
}

impl std::fmt::Display for CompileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CompileError {}

fn cerr(message: impl Into<String>) -> CompileError {
    CompileError {
        message: message.into(),
    }
}

/// Slot allocation for one scope (the record, or one list element).
#[derive(Default)]
pub(crate) struct Scope {
    pub proj: Proj,
    pub n: u32,
    /// The mapping's related aliases (record scope only), with the check a
    /// read of each compiles to once one is read.
    related: Vec<(Related, Option<Arc<RelatedCheck>>)>,
    /// Every path read through [`Scope::path`] (dotted, first-read order):
    /// the columns a CSV input must have.
    pub reads: Vec<String>,
    /// Where the spec first reads each path (dotted; line fields under
    /// `list[].`), for reports about the path (R0104).
    pub spans: HashMap<String, Span>,
}

impl Scope {
    fn with_related(related: &[Related]) -> Scope {
        Scope {
            related: related.iter().map(|r| (r.clone(), None)).collect(),
            ..Scope::default()
        }
    }

    /// A read of `p`: a slot, or for a path into a related alias a slot
    /// read that first checks the alias is in the record (R0004).
    pub fn path(&mut self, p: &PathRef) -> CExpr {
        let dotted = p.dotted();
        if !dotted.is_empty() && !self.reads.contains(&dotted) {
            self.reads.push(dotted);
        }
        self.spans.entry(p.segments.join(".")).or_insert(p.span);
        let slot = self.slot(&segs(p));
        let Some(i) = p.related.filter(|&i| i < self.related.len()) else {
            return CExpr::Slot(slot);
        };
        let check = match &self.related[i].1 {
            Some(c) => c.clone(),
            None => {
                let r = self.related[i].0.clone();
                let present = self.presence(&r.alias);
                let c = Arc::new(RelatedCheck {
                    present,
                    alias: r.alias,
                    entity: r.entity,
                    via: r.via,
                });
                self.related[i].1 = Some(c.clone());
                c
            }
        };
        CExpr::Related(slot, check)
    }

    /// A slot that the parser sets when the top-level `key` is in the record.
    fn presence(&mut self, key: &str) -> u32 {
        let c = self.proj.child(key, key);
        if let Some(p) = c.present {
            return p;
        }
        let p = self.n;
        c.present = Some(p);
        self.n += 1;
        p
    }

    /// The slot holding the whole value at `segs` (shared by equal paths).
    pub fn slot(&mut self, segs: &[&str]) -> u32 {
        let mut node = &mut self.proj;
        let mut path = String::new();
        for (i, s) in segs.iter().enumerate() {
            if i > 0 {
                path.push('.');
            }
            path.push_str(s);
            let c = node.child(s, &path);
            if i + 1 == segs.len() {
                if let Some(slot) = c.whole {
                    return slot;
                }
                let slot = self.n;
                c.whole = Some(slot);
                self.n += 1;
                return slot;
            }
            node = c.sub.get_or_insert_with(Proj::default);
        }
        // An empty path reads nothing.
        let slot = self.n;
        self.n += 1;
        slot
    }

    /// Registers a projected list at `segs` with element scope `elem`
    /// (the list id is chosen by the caller).
    pub fn list(&mut self, segs: &[&str], id: u32, elem: Scope) -> Result<(), CompileError> {
        let prefix = segs.join(".");
        for (d, span) in &elem.spans {
            self.spans.entry(format!("{prefix}[].{d}")).or_insert(*span);
        }
        let mut node = &mut self.proj;
        let mut path = String::new();
        for (i, s) in segs.iter().enumerate() {
            if i > 0 {
                path.push('.');
            }
            path.push_str(s);
            let c = node.child(s, &path);
            if i + 1 == segs.len() {
                let lp = ListProj {
                    id,
                    elem: elem.proj,
                    nslots: elem.n,
                };
                if c.list.is_none() {
                    c.list = Some(lp);
                } else {
                    // A second list over the same path: materialize the value
                    // once and serve both lists from it.
                    c.more_lists.push(lp);
                    if c.whole.is_none() {
                        c.whole = Some(self.n);
                        self.n += 1;
                    }
                }
                return Ok(());
            }
            node = c.sub.get_or_insert_with(Proj::default);
        }
        Err(cerr("a list path is empty"))
    }
}

fn segs(p: &PathRef) -> Vec<&str> {
    p.segments.iter().map(|s| &**s).collect()
}

fn split(s: &str) -> Vec<&str> {
    s.split('.').filter(|x| !x.is_empty()).collect()
}

// ---------------------------------------------------------------------------
// Output tree
// ---------------------------------------------------------------------------

#[derive(Clone, Debug)]
pub(crate) enum TNode {
    Leaf(u32),
    Obj(Vec<TEntry>),
}

#[derive(Clone, Debug)]
pub(crate) struct TEntry {
    /// `"key":` pre-escaped.
    pub key_json: Box<[u8]>,
    pub key: Arc<str>,
    pub node: TNode,
}

/// Builds an ordered output tree: keys in first-written order.
#[derive(Default)]
pub(crate) struct Tree {
    pub root: Vec<TEntry>,
    pub n: u32,
}

impl Tree {
    /// The leaf for a target path; the same path always gets the same leaf.
    pub fn leaf(&mut self, path: &[Arc<str>]) -> Result<u32, CompileError> {
        if path.is_empty() {
            return Err(cerr("an empty target path"));
        }
        let dotted = path.iter().map(|s| &**s).collect::<Vec<_>>().join(".");
        let mut entries = &mut self.root;
        for (i, seg) in path.iter().enumerate() {
            let last = i + 1 == path.len();
            let pos = match entries.iter().position(|e| e.key == *seg) {
                Some(p) => p,
                None => {
                    let mut key_json = Vec::new();
                    mapc_value::json::write::write_str(seg, &mut key_json);
                    key_json.push(b':');
                    let node = if last {
                        self.n += 1;
                        TNode::Leaf(self.n - 1)
                    } else {
                        TNode::Obj(Vec::new())
                    };
                    entries.push(TEntry {
                        key_json: key_json.into(),
                        key: seg.clone(),
                        node,
                    });
                    entries.len() - 1
                }
            };
            match (&mut entries[pos].node, last) {
                (TNode::Leaf(l), true) => return Ok(*l),
                (TNode::Obj(children), false) => entries = children,
                _ => {
                    return Err(cerr(format!(
                        "target path `{dotted}` is written both as a value and as an object"
                    )))
                }
            }
        }
        Err(cerr("unreachable target path"))
    }
}

// ---------------------------------------------------------------------------
// Compiled parts
// ---------------------------------------------------------------------------

#[derive(Clone, Debug)]
pub(crate) enum CSource {
    Slot(u32),
    Expr(CExpr),
    Const(Value<'static>),
}

#[derive(Clone, Debug)]
pub(crate) struct CField {
    pub leaf: u32,
    pub src: CSource,
    pub default: Option<Value<'static>>,
    pub on_null: OnNull,
    /// Dotted target path, for messages.
    pub to: Arc<str>,
}

#[derive(Clone, Debug)]
pub(crate) enum CAction {
    Skip,
    Warn(String),
    Error(String),
    Set {
        leaf: u32,
        src: CSource,
        to: Arc<str>,
    },
}

#[derive(Clone, Debug)]
pub(crate) struct CRule {
    pub when: CExpr,
    pub action: CAction,
    pub index: usize,
    /// The span of the rule's `when:` condition.
    pub span: Span,
}

#[derive(Clone, Debug)]
pub(crate) struct CProducts {
    pub leaf: u32,
    pub list: u32,
    pub path: String,
    pub to: String,
    pub sku: Option<u32>,
    pub exclude: Vec<Box<str>>,
    pub order: Option<(u32, bool)>,
    pub fields: Vec<CField>,
    pub tree: Vec<TEntry>,
    pub nleaves: usize,
}

#[derive(Clone, Debug)]
pub(crate) struct CAmount {
    pub leaf: u32,
    pub src: CSource,
    /// Dotted target path, for messages.
    pub to: Arc<str>,
}

/// One field of a flattened price rule.
#[derive(Clone, Debug)]
pub(crate) struct CSalesField {
    pub name: String,
    pub slot: u32,
    /// A date-typed field (`startingdate`, `endingdate`): validated and
    /// written as `YYYY-MM-DD`.
    pub date: bool,
}

/// The price-rule fields that hold dates.
pub(crate) const SALES_DATE_FIELDS: [&str; 2] = ["startingdate", "endingdate"];

#[derive(Clone, Debug)]
pub(crate) struct CSales {
    pub leaf: u32,
    pub list: u32,
    pub path: String,
    pub code: u32,
    pub end: u32,
    pub fields: Vec<CSalesField>,
    pub codes: Option<Vec<Box<str>>>,
    pub sep: String,
    pub delim: String,
    pub exclude_expired: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct CCompanies {
    pub leaf: u32,
    pub id: u32,
    pub id_field: String,
    pub number: u32,
    pub parent: Option<u32>,
    pub parent_field: Option<String>,
    pub contacts: Option<(u32, u32)>,
    pub contacts_path: String,
    pub contact_id_field: String,
    pub hierarchy: bool,
    pub relationships: bool,
    pub create_in_prerequisite: bool,
}

/// One mapping, compiled for execution. Cheap to share across threads.
pub struct Compiled {
    pub(crate) name: String,
    pub(crate) options: Options,
    pub(crate) proj: Proj,
    pub(crate) nslots: usize,
    /// Element slot counts, by list id.
    pub(crate) list_slots: Vec<usize>,
    pub(crate) key: Option<u32>,
    /// A projection of only the key (slot 0), to name records whose full
    /// parse failed on a number.
    pub(crate) key_proj: Proj,
    pub(crate) filter: Option<CExpr>,
    /// The filter as written, for messages.
    pub(crate) filter_text: Option<String>,
    pub(crate) rules: Vec<CRule>,
    pub(crate) fields: Vec<CField>,
    pub(crate) products: Option<CProducts>,
    pub(crate) amounts: Vec<CAmount>,
    pub(crate) sales: Option<CSales>,
    pub(crate) companies: Option<CCompanies>,
    pub(crate) tree: Vec<TEntry>,
    pub(crate) nleaves: usize,
    /// Where the target key (`target.key`) is in the output.
    pub(crate) target_key: Option<crate::keys::KeyPlan>,
    /// `products.overwrite_template_products`, carried for `run`.
    pub overwrite_template_products: bool,
    /// How a CSV input of this mapping is read.
    pub(crate) csv: mapc_connect::source::CsvOptions,
    /// Where the spec reads each path, for [`Compiled::track_reads`].
    pub(crate) read_spans: HashMap<String, Span>,
    /// Which read paths records had (R0104), when asked for.
    pub(crate) reads: Option<crate::reads::ReadTracker>,
}

impl std::fmt::Debug for Compiled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compiled")
            .field("mapping", &self.name)
            .field("slots", &self.nslots)
            .finish_non_exhaustive()
    }
}

fn compile_source(src: &ValueSource, scope: &mut Scope) -> CSource {
    match src {
        ValueSource::From(p) => match scope.path(p) {
            CExpr::Slot(s) => CSource::Slot(s),
            other => CSource::Expr(other),
        },
        ValueSource::Expr(e) => CSource::Expr(eval::compile(e, &mut |p| scope.path(p))),
        ValueSource::Value(lit) => CSource::Const(Value::from(lit)),
    }
}

/// Whether an entry with this `sync` is written in `mode`: `target_to_source`
/// never (it flows the other way), `once` only when creating.
fn writes(sync: SyncDirection, mode: WriteMode) -> bool {
    match sync {
        SyncDirection::TargetToSource => false,
        SyncDirection::Once => mode == WriteMode::Create,
        _ => true,
    }
}

/// Whether a field writing `to` writes (part of) the target key `key`: the
/// key itself, an object holding it, or a part of a key that is an object.
fn writes_key(to: &TargetPath, key: &[&str]) -> bool {
    let n = to.segments.len().min(key.len());
    n > 0
        && to.segments[..n]
            .iter()
            .zip(&key[..n])
            .all(|(a, b)| **a == **b)
}

/// Whether field `f` is written in `mode`. `key` is the dotted target key
/// (record-level fields only): a field that writes it is written in an
/// update even when it is `sync: once`, because the key is how the update
/// finds its record.
fn writes_field(f: &Field, mode: WriteMode, key: &[&str]) -> bool {
    writes(f.sync, mode)
        || (f.sync == SyncDirection::Once && !key.is_empty() && writes_key(&f.to, key))
}

/// Fields that reach the target in `mode`: `target_to_source` ones flow the
/// other way, `once` ones only on create (or when they write the target
/// `key`); the others are not written (nor read) by the engine.
fn compile_fields(
    fields: &[Field],
    scope: &mut Scope,
    tree: &mut Tree,
    mode: WriteMode,
    key: &[&str],
) -> Result<Vec<CField>, CompileError> {
    let mut out = Vec::new();
    for f in fields {
        if !writes_field(f, mode, key) {
            continue;
        }
        let leaf = tree.leaf(&f.to.segments)?;
        out.push(CField {
            leaf,
            src: compile_source(&f.source, scope),
            default: f.default.as_ref().map(Value::from),
            on_null: f.on_null,
            to: f.to.dotted().into(),
        });
    }
    Ok(out)
}

fn dotted(t: &TargetPath) -> String {
    t.dotted()
}

impl Compiled {
    /// Compiles `program.mappings[mapping]`.
    pub fn new(
        program: &Program,
        mapping: usize,
        options: Options,
    ) -> Result<Compiled, CompileError> {
        let m: &Mapping = program
            .mappings
            .get(mapping)
            .ok_or_else(|| cerr(format!("the spec has no mapping number {mapping}")))?;
        let mode = options.mode;
        let mut scope = Scope::with_related(&m.related);
        let mut tree = Tree::default();
        let mut list_slots: Vec<usize> = Vec::new();

        let key = {
            let k = split(&m.source.key);
            (!k.is_empty()).then(|| scope.slot(&k))
        };
        let filter = m
            .source
            .filter
            .as_ref()
            .map(|f| eval::compile(&f.expr, &mut |p| scope.path(p)));
        let filter_text = m.source.filter.as_ref().map(|f| f.text.clone());
        let target_key = m.target.key.as_deref().map(split).unwrap_or_default();
        let fields = compile_fields(&m.fields, &mut scope, &mut tree, mode, &target_key)?;

        // Rule `set` targets: a path no field writes goes after the fields.
        // A `set` onto a path that a `sync: once` field writes is left out
        // of an update with that field (not when that field writes the key).
        let once_paths: Vec<String> = m
            .fields
            .iter()
            .filter(|f| f.sync == SyncDirection::Once && !writes_field(f, mode, &target_key))
            .map(|f| f.to.dotted())
            .collect();
        let mut rules = Vec::new();
        for r in &m.rules {
            if let RuleAction::Set { to, .. } = &r.action {
                if mode == WriteMode::Update && once_paths.contains(&to.dotted()) {
                    continue;
                }
            }
            let when = eval::compile(&r.when, &mut |p| scope.path(p));
            let action = match &r.action {
                RuleAction::Skip => CAction::Skip,
                RuleAction::Warn(msg) => CAction::Warn(msg.clone()),
                RuleAction::Error(msg) => CAction::Error(msg.clone()),
                RuleAction::Set { to, source } => CAction::Set {
                    leaf: tree.leaf(&to.segments)?,
                    src: compile_source(source, &mut scope),
                    to: dotted(to).into(),
                },
            };
            rules.push(CRule {
                when,
                action,
                index: r.index,
                span: r.when.span,
            });
        }

        let mut overwrite = false;
        let mut amounts = Vec::new();
        let products = match &m.products {
            Some(p) if !writes(p.sync, mode) => None,
            None => None,
            Some(p) => {
                overwrite = p.overwrite_template_products;
                let mut elem = Scope::default();
                let mut ltree = Tree::default();
                let sku = p.sku_field.as_deref().map(|s| elem.slot(&split(s)));
                let order = p
                    .order_by
                    .as_ref()
                    .map(|o| (elem.slot(&split(&o.field)), o.descending));
                let lfields = compile_fields(&p.fields, &mut elem, &mut ltree, mode, &[])?;
                let id = list_slots.len() as u32;
                list_slots.push(elem.n as usize);
                let path: Vec<&str> = p.path.iter().map(|s| &**s).collect();
                scope.list(&path, id, elem)?;
                let leaf = tree.leaf(&p.to.segments)?;
                Some(CProducts {
                    leaf,
                    list: id,
                    path: path.join("."),
                    to: dotted(&p.to),
                    sku,
                    exclude: p.exclude_skus.iter().map(|s| s.as_str().into()).collect(),
                    order,
                    fields: lfields,
                    tree: ltree.root,
                    nleaves: ltree.n as usize,
                })
            }
        };
        // Document amounts come from the primary record and have their own
        // `sync`: they are written even when a `once` products list is not.
        if let Some(p) = &m.products {
            for a in [&p.discount, &p.tax, &p.freight].into_iter().flatten() {
                if !writes(a.sync, mode) {
                    continue;
                }
                amounts.push(CAmount {
                    leaf: tree.leaf(&a.to.segments)?,
                    src: compile_source(&a.source, &mut scope),
                    to: dotted(&a.to).into(),
                });
            }
        }

        let sales = match &m.sales_prices {
            Some(s) if s.transfer_customer_price_groups => {
                let mut elem = Scope::default();
                let code = elem.slot(&["salescode"]);
                let end = elem.slot(&["endingdate"]);
                let fields = s
                    .fields
                    .iter()
                    .map(|f| CSalesField {
                        name: f.clone(),
                        slot: elem.slot(&split(f)),
                        date: SALES_DATE_FIELDS.contains(&f.as_str()),
                    })
                    .collect();
                let id = list_slots.len() as u32;
                list_slots.push(elem.n as usize);
                let path: Vec<&str> = s.path.iter().map(|x| &**x).collect();
                scope.list(&path, id, elem)?;
                Some(CSales {
                    leaf: tree.leaf(&s.to.segments)?,
                    list: id,
                    path: path.join("."),
                    code,
                    end,
                    fields,
                    codes: s
                        .sales_codes
                        .as_ref()
                        .map(|c| c.iter().map(|x| x.as_str().into()).collect()),
                    sep: s.field_separator.clone(),
                    delim: s.record_delimiter.clone(),
                    exclude_expired: s.exclude_expired,
                })
            }
            _ => None,
        };

        let companies = match &m.companies {
            None => None,
            Some(c) => {
                for f in [
                    Some(&c.id_field),
                    Some(&c.number_field),
                    c.parent_field.as_ref(),
                ]
                .into_iter()
                .flatten()
                {
                    if !f.is_empty() && !scope.reads.contains(f) {
                        scope.reads.push(f.clone());
                    }
                }
                let id = scope.slot(&split(&c.id_field));
                let number = scope.slot(&split(&c.number_field));
                let parent = c.parent_field.as_deref().map(|p| scope.slot(&split(p)));
                let contacts = if c.relationships {
                    let mut elem = Scope::default();
                    let cid = elem.slot(&split(&c.contact_id_field));
                    let lid = list_slots.len() as u32;
                    list_slots.push(elem.n as usize);
                    let path: Vec<&str> = c.contacts_path.iter().map(|x| &**x).collect();
                    scope.list(&path, lid, elem)?;
                    Some((lid, cid))
                } else {
                    None
                };
                Some(CCompanies {
                    leaf: tree.leaf(&c.to.segments)?,
                    id,
                    id_field: c.id_field.clone(),
                    number,
                    parent,
                    parent_field: c.parent_field.clone(),
                    contacts,
                    contacts_path: c
                        .contacts_path
                        .iter()
                        .map(|x| &**x)
                        .collect::<Vec<_>>()
                        .join("."),
                    contact_id_field: c.contact_id_field.clone(),
                    hierarchy: c.hierarchy,
                    relationships: c.relationships,
                    create_in_prerequisite: c.create_in_prerequisite,
                })
            }
        };

        let key_proj = {
            let mut k = Scope::default();
            let segs = split(&m.source.key);
            if !segs.is_empty() {
                k.slot(&segs);
            }
            k.proj
        };
        let csv = mapc_connect::source::CsvOptions {
            delimiter: program
                .connection(&m.source.connection)
                .filter(|c| c.kind == mapc_ir::ConnectionKind::File)
                .and_then(|c| c.setting("delimiter"))
                .and_then(mapc_ir::csv::delimiter_byte),
            types: m.source.columns.clone(),
            required: std::mem::take(&mut scope.reads),
        };
        let target_key = m.target.key.as_deref().and_then(|k| {
            let mut proj = Scope::default();
            proj.slot(&split(k));
            crate::keys::KeyPlan::new(&tree.root, k, proj.proj)
        });
        let read_spans = std::mem::take(&mut scope.spans);
        Ok(Compiled {
            csv,
            target_key,
            read_spans,
            reads: None,
            key_proj,
            name: m.name.clone(),
            options,
            proj: scope.proj,
            nslots: scope.n as usize,
            list_slots,
            key,
            filter,
            filter_text,
            rules,
            fields,
            products,
            amounts,
            sales,
            companies,
            tree: tree.root,
            nleaves: tree.n as usize,
            overwrite_template_products: overwrite,
        })
    }

    /// How a CSV input of this mapping is read: the source connection's
    /// `delimiter:` (a `--csv-delimiter` replaces it), the column types
    /// (cached `$metadata` of the source, else its `columns:`), and the
    /// columns the mapping reads (fields, rules, filter, document amounts,
    /// company fields; not the source key alone, not product lines, sales
    /// prices or contacts, which a CSV file cannot hold).
    pub fn csv_options(&self) -> &mapc_connect::source::CsvOptions {
        &self.csv
    }

    /// Remembers, from now on, which of the paths the mapping reads the
    /// records had, for [`Compiled::unseen_paths`]. Meant for sources
    /// without cached `$metadata` (where `mapc check` could not check the
    /// names). Costs a check per record until every path was seen.
    pub fn track_reads(&mut self) {
        self.reads = Some(crate::reads::ReadTracker::new(
            &self.proj,
            self.read_spans.clone(),
        ));
    }

    /// The paths the mapping reads that none of the records read so far
    /// had, although the object that would hold them was there (R0104);
    /// empty when no record was read or [`Compiled::track_reads`] was not
    /// called.
    pub fn unseen_paths(&self) -> Vec<crate::reads::UnseenPath> {
        self.reads
            .as_ref()
            .map(crate::reads::ReadTracker::unseen)
            .unwrap_or_default()
    }

    /// Feeds a whole record to the read tracking without mapping it (test
    /// inputs, which are checked as a set).
    pub fn observe_record(&self, record: &crate::Value) {
        if let Some(r) = &self.reads {
            r.count_record();
            r.observe_value(record);
        }
    }

    /// The mapping's name.
    pub fn mapping_name(&self) -> &str {
        &self.name
    }

    /// The dotted target key (`target.key`), when the mapping has one:
    /// every written record has a value there, and no two records of one
    /// input have the same (see [`crate::keys`]).
    pub fn target_key(&self) -> Option<&str> {
        self.target_key.as_ref().map(|k| k.dotted.as_str())
    }

    pub fn options(&self) -> Options {
        self.options
    }

    /// True when output order depends on all records (companies with
    /// `create_in_prerequisite`, or any parent lookup): such a run buffers
    /// every record's output until the input ends.
    pub fn needs_all_records(&self) -> bool {
        self.companies.is_some()
    }
}
