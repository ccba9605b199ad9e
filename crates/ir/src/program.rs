//! The compiled program: what one spec means, ready to execute.

use crate::{Expr, PathRef, Type};
use jiff::civil::Date;
use mapc_diag::{Code, Span};
use rust_decimal::Decimal;
use std::sync::Arc;

pub use mapc_syntax::spec::{
    Action, AuthFlow, ColumnType, Conflict, ConnectionKind, ContactsEndpoint, OnNull,
    SyncDirection, WriteMode,
};

#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    pub name: String,
    pub connections: Vec<Connection>,
    pub environments: Vec<Environment>,
    pub mappings: Vec<Mapping>,
    pub tests: Vec<Test>,
}

impl Program {
    pub fn mapping(&self, name: &str) -> Option<&Mapping> {
        self.mappings.iter().find(|m| m.name == name)
    }
    pub fn connection(&self, name: &str) -> Option<&Connection> {
        self.connections.iter().find(|c| c.name == name)
    }
}

/// A connection's settings as written; `${ENV}` references stay unresolved
/// (they are resolved at run time only, never by `check`).
#[derive(Clone, Debug, PartialEq)]
pub struct Connection {
    pub name: String,
    pub kind: ConnectionKind,
    /// Every other setting by key (`url`, `auth.client_id`, ...), as text.
    pub settings: Vec<(String, String)>,
    /// `columns:` of a file connection: CSV header name -> declared type.
    pub columns: Vec<(String, Type)>,
    pub span: Span,
}

impl Connection {
    pub fn setting(&self, key: &str) -> Option<&str> {
        self.settings
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Environment {
    pub name: String,
    pub default: bool,
    /// Connection name -> overridden settings.
    pub overlays: Vec<(String, Vec<(String, String)>)>,
}

/// A target path such as `counterparty.email`, split into segments.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TargetPath {
    pub segments: Vec<Arc<str>>,
    pub span: Span,
}

impl TargetPath {
    pub fn dotted(&self) -> String {
        self.segments
            .iter()
            .map(|s| &**s)
            .collect::<Vec<_>>()
            .join(".")
    }
}

/// A constant value from the spec (`value:`, `default:`, test inputs).
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    Null,
    Bool(bool),
    Number(Decimal),
    String(Arc<str>),
    List(Vec<Literal>),
    /// Keys in the order written.
    Map(Vec<(Arc<str>, Literal)>),
}

/// A spec constant as the engine holds it.
impl From<&Literal> for mapc_value::Value<'static> {
    fn from(lit: &Literal) -> Self {
        use mapc_value::Value;
        use Literal as L;
        match lit {
            L::Null => Value::Null,
            L::Bool(b) => Value::Bool(*b),
            L::Number(n) => Value::Num(*n),
            L::String(s) => Value::Str(std::borrow::Cow::Owned(s.to_string())),
            L::List(items) => Value::List(items.iter().map(Value::from).collect()),
            L::Map(entries) => Value::Obj(
                entries
                    .iter()
                    .map(|(k, v)| (std::borrow::Cow::Owned(k.to_string()), Value::from(v)))
                    .collect(),
            ),
        }
    }
}

/// Where a field's value comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum ValueSource {
    From(PathRef),
    Expr(Expr),
    Value(Literal),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub to: TargetPath,
    pub source: ValueSource,
    pub sync: SyncDirection,
    /// Only meaningful for `two_way`; default `fail`.
    pub conflict: Conflict,
    /// Used when the value is null (or absent).
    pub default: Option<Literal>,
    pub on_null: OnNull,
    /// True for fields the system adds (locked product pricing fields).
    pub implicit: bool,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum RuleAction {
    Skip,
    Warn(String),
    Error(String),
    Set { to: TargetPath, source: ValueSource },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    pub when: Expr,
    pub action: RuleAction,
    /// Position in `rules:` (0-based), reported with skips and errors.
    pub index: usize,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Source {
    pub connection: String,
    pub kind: ConnectionKind,
    pub entity: String,
    pub entity_set: Option<String>,
    /// The key field (given, or `{entity}id`).
    pub key: String,
    pub filter: Option<Filter>,
    pub changed_since: Option<String>,
    /// The types of CSV columns when this mapping reads a CSV file: every
    /// column declared in the source connection's `columns:`, and every
    /// column the mapping reads whose type the source's cached `$metadata`
    /// gives (metadata first). Dotted names for related records
    /// (`customer.name`), in first-read order.
    pub columns: Vec<(String, Type)>,
}

/// A source filter: the text as written (pushed down as `$filter`) and its
/// typed boolean expression (evaluated by the engine for files and previews).
/// When a non-file source's filter uses a construct mapc cannot evaluate
/// locally (lambda `any`/`all`, `has`, `cast`, ...), `expr` is the constant
/// `true`: the server applies the text, local evaluation is skipped (and
/// `check` warns with M0305).
#[derive(Clone, Debug, PartialEq)]
pub struct Filter {
    pub text: String,
    pub expr: Expr,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    pub connection: String,
    pub kind: ConnectionKind,
    pub entity: String,
    pub entity_set: Option<String>,
    pub key: Option<String>,
    pub write: WriteMode,
    pub delete: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Related {
    pub alias: String,
    pub entity: String,
    pub via: String,
    pub entity_set: Option<String>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct OrderBy {
    pub field: String,
    pub descending: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DocAmount {
    pub source: ValueSource,
    pub to: TargetPath,
    pub sync: SyncDirection,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Products {
    pub entity: String,
    /// Out-of-the-box line entity (or one named in `locks:`): pricing fields locked.
    pub locked: bool,
    /// Where the lines are embedded in a source record.
    pub path: Vec<Arc<str>>,
    pub navigation: Option<String>,
    pub sku_field: Option<String>,
    pub order_by: Option<OrderBy>,
    pub overwrite_template_products: bool,
    pub exclude_skus: Vec<String>,
    pub to: TargetPath,
    pub sync: SyncDirection,
    /// Line fields; paths are relative to one line. Locked pricing fields are
    /// included as `implicit` entries.
    pub fields: Vec<Field>,
    pub discount: Option<DocAmount>,
    pub tax: Option<DocAmount>,
    pub freight: Option<DocAmount>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SalesPrices {
    pub path: Vec<Arc<str>>,
    pub to: TargetPath,
    pub transfer_customer_price_groups: bool,
    /// `None`: every code is transferred.
    pub sales_codes: Option<Vec<String>>,
    pub field_separator: String,
    pub record_delimiter: String,
    pub exclude_expired: bool,
    pub fields: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Companies {
    pub to: TargetPath,
    pub id_field: String,
    pub number_field: String,
    pub parent_field: Option<String>,
    pub hierarchy: bool,
    pub relationships: bool,
    pub contacts_path: Vec<Arc<str>>,
    pub contact_id_field: String,
    pub contacts_endpoint: ContactsEndpoint,
    pub create_in_prerequisite: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Polling {
    pub lookback_days: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Mapping {
    pub name: String,
    pub active: bool,
    pub source: Source,
    pub target: Target,
    pub related: Vec<Related>,
    /// In order: evaluated before fields, for every record.
    pub rules: Vec<Rule>,
    pub fields: Vec<Field>,
    pub products: Option<Products>,
    /// The mapping's own block, else the spec-wide default.
    pub sales_prices: Option<SalesPrices>,
    pub companies: Option<Companies>,
    pub polling: Polling,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Expect {
    Skip,
    /// A runtime error code such as `R0008`.
    Error(Code),
    /// Full or partial target record.
    Record(Literal),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Test {
    pub name: String,
    /// Index into `Program::mappings`.
    pub mapping: usize,
    pub as_of: Option<Date>,
    pub input: Literal,
    pub expect: Expect,
    pub span: Span,
}
