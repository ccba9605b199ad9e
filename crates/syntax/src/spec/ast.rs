//! The spec's abstract syntax tree: every key of the format, each value with
//! its span. Derives `JsonSchema`, so `specs/mapc.schema.json` is generated
//! from these types and can never drift from what the reader accepts.

use crate::expr::Expr;
use crate::filter::Filter;
use crate::yaml::Node;
use mapc_diag::Span;
use schemars::JsonSchema;
use std::borrow::Cow;

/// A value and the span of the YAML text it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(value: T, span: Span) -> Self {
        Spanned { value, span }
    }
}

impl<T: JsonSchema> JsonSchema for Spanned<T> {
    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }
    fn schema_id() -> Cow<'static, str> {
        T::schema_id()
    }
    fn inline_schema() -> bool {
        T::inline_schema()
    }
    fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
        T::json_schema(g)
    }
}

/// A name -> value entry list that keeps source order and the key's span.
pub type Named<T> = Vec<(Spanned<String>, T)>;

/// An expression string and, when it parsed, its tree (spans in file offsets).
#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(transparent)]
pub struct ExprText {
    pub text: Spanned<String>,
    #[schemars(skip)]
    pub ast: Option<Expr>,
}

/// An OData `$filter` string and, when it parsed, its tree.
#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(transparent)]
pub struct FilterText {
    pub text: Spanned<String>,
    #[schemars(skip)]
    pub ast: Option<Filter>,
}

/// A dotted field path such as `customer.accountnumber`: at most 64
/// segments and 1024 bytes (M0306).
#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(transparent)]
pub struct Path {
    #[schemars(with = "String", length(max = 1024))]
    pub text: Spanned<String>,
    #[schemars(skip)]
    pub segments: Vec<Spanned<String>>,
}

impl Path {
    pub fn dotted(&self) -> &str {
        &self.text.value
    }
}

/// Any YAML value (constants, test inputs and expectations).
#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(transparent)]
pub struct Value {
    #[schemars(with = "serde_json::Value")]
    pub node: Node,
}

/// A list of codes given either as a YAML list or as one comma-separated string.
#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(untagged)]
pub enum CodeList {
    List(Vec<Spanned<String>>),
    #[schemars(description = "comma-separated codes, e.g. \"SKU123,SKU456\"")]
    Text(Spanned<String>),
}

impl CodeList {
    /// Every code with its own span (for the string form, the span of that part).
    pub fn items(&self) -> Vec<Spanned<String>> {
        match self {
            CodeList::List(v) => v.clone(),
            CodeList::Text(t) => crate::spec::read::split_codes(t),
        }
    }
}

#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(
    deny_unknown_fields,
    title = "mapc spec",
    description = "A mapc mapping spec (format version 1)."
)]
pub struct Spec {
    /// Format version; must be 1.
    pub mapc: Spanned<u32>,
    /// Spec name: `[a-z0-9][a-z0-9-]*`.
    pub name: Spanned<String>,
    pub description: Option<Spanned<String>>,
    #[schemars(with = "std::collections::BTreeMap<String, Connection>")]
    pub connections: Named<Connection>,
    pub mappings: Vec<Mapping>,
    pub sales_prices: Option<SalesPrices>,
    pub companies: Option<Companies>,
    pub polling: Option<Polling>,
    #[schemars(default)]
    pub locks: Vec<Lock>,
    #[schemars(with = "std::collections::BTreeMap<String, Environment>", default)]
    pub environments: Named<Environment>,
    #[schemars(default)]
    pub tests: Vec<TestCase>,
    /// Where an editor can find the schema (`$schema`), ignored by mapc.
    #[schemars(rename = "$schema")]
    pub schema: Option<Spanned<String>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[schemars(rename_all = "snake_case")]
pub enum ConnectionKind {
    Dataverse,
    BusinessCentral,
    Odata,
    File,
}

#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Connection {
    #[schemars(skip)]
    pub span: Span,
    /// Required for a connection; optional in an environment overlay.
    pub kind: Option<Spanned<ConnectionKind>>,
    pub url: Option<Spanned<String>>,
    pub api_version: Option<Spanned<String>>,
    pub auth: Option<Auth>,
    pub page_size: Option<Spanned<u64>>,
    pub batch_size: Option<Spanned<u64>>,
    pub max_concurrency: Option<Spanned<u64>>,
    pub tenant: Option<Spanned<String>>,
    pub environment: Option<Spanned<String>>,
    pub company: Option<Spanned<String>>,
    pub base_url: Option<Spanned<String>>,
    pub entity_url_convention: Option<Spanned<String>>,
    pub path: Option<Spanned<String>>,
    pub dir: Option<Spanned<String>>,
    /// CSV files only: the character between columns, one of `,` `;` `|`
    /// or a tab (`"\t"` or `tab`). Default: detected from the header row
    /// (an ambiguous header is an error, R0019).
    pub delimiter: Option<Spanned<String>>,
    /// CSV files only: the type of each column (by header name; a dotted
    /// header such as `customer.name` names a related record's column).
    /// Values are converted while reading; a value that is not of its
    /// column's type rejects the record (R0017). Without a declaration,
    /// every CSV value is text.
    #[schemars(with = "std::collections::BTreeMap<String, ColumnType>", default)]
    pub columns: Named<Spanned<ColumnType>>,
}

/// The type of a CSV column (`columns:` of a file connection).
#[derive(Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[schemars(rename_all = "snake_case")]
pub enum ColumnType {
    /// Text as it is in the file.
    String,
    /// A whole number (`42`, `-7`); read exactly.
    Integer,
    /// An exact decimal number with a `.` (`99.50`, `-0.5`, `1e3`); no thousands separators.
    Decimal,
    /// `true` or `false` (any case).
    Boolean,
    /// `YYYY-MM-DD`.
    Date,
    /// An RFC 3339 date-time (`2026-03-01T09:30:00+01:00`); written in UTC.
    Datetime,
    /// A GUID (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`), kept as text.
    Guid,
}

/// The delimiters a CSV file may use, as `(byte, name)`: detected from
/// the header or given by `delimiter:` / `--csv-delimiter`.
pub const CSV_DELIMITERS: [(u8, &str); 4] = [
    (b',', "`,`"),
    (b';', "`;`"),
    (b'\t', "a tab"),
    (b'|', "`|`"),
];

/// A `delimiter:` (or `--csv-delimiter`) as its byte: one of `,` `;` `|`,
/// or a tab written as a tab character, `\t` or `tab`.
pub fn delimiter_byte(text: &str) -> Option<u8> {
    match text {
        "," => Some(b','),
        ";" => Some(b';'),
        "|" => Some(b'|'),
        "\t" | "\\t" | "tab" => Some(b'\t'),
        _ => None,
    }
}

impl ColumnType {
    /// The name as written in a spec.
    pub fn name(self) -> &'static str {
        match self {
            ColumnType::String => "string",
            ColumnType::Integer => "integer",
            ColumnType::Decimal => "decimal",
            ColumnType::Boolean => "boolean",
            ColumnType::Date => "date",
            ColumnType::Datetime => "datetime",
            ColumnType::Guid => "guid",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[schemars(rename_all = "snake_case")]
pub enum AuthFlow {
    ClientCredentials,
    AuthorizationCode,
    DeviceCode,
    None,
}

#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Auth {
    #[schemars(skip)]
    pub span: Span,
    pub flow: Option<Spanned<AuthFlow>>,
    pub tenant: Option<Spanned<String>>,
    pub client_id: Option<Spanned<String>>,
    /// Must be a `${ENV}` reference.
    pub client_secret: Option<Spanned<String>>,
    pub scope: Option<Spanned<String>>,
    pub authority: Option<Spanned<String>>,
    pub redirect_uri: Option<Spanned<String>>,
    /// Keys the reader did not know (each reported as M0202), kept with
    /// their values: a literal secret under a misspelt key is still a
    /// secret in the file (M0801).
    #[schemars(skip)]
    pub unknown: Vec<UnknownKey>,
}

/// A key of a mapping the reader did not know (reported as M0202), with its
/// value as written.
#[derive(Clone, Debug, PartialEq)]
pub struct UnknownKey {
    pub key: Spanned<String>,
    pub value: Value,
}

/// A text setting of a connection, keyed as users write it (`url`,
/// `auth.client_id`, ...), whether it is set or not.
pub type TextSetting<'a> = (&'static str, &'a Option<Spanned<String>>);

impl Connection {
    /// The text settings outside `auth:` (not `kind`, not the numbers), in
    /// the order of the fields: `url` and `api_version` first.
    pub fn text_settings(&self) -> [TextSetting<'_>; 10] {
        [
            ("url", &self.url),
            ("api_version", &self.api_version),
            ("tenant", &self.tenant),
            ("environment", &self.environment),
            ("company", &self.company),
            ("base_url", &self.base_url),
            ("entity_url_convention", &self.entity_url_convention),
            ("path", &self.path),
            ("dir", &self.dir),
            ("delimiter", &self.delimiter),
        ]
    }
}

impl Auth {
    /// The text settings of `auth:` (all but `flow`), keyed `auth.<key>`.
    pub fn text_settings(&self) -> [TextSetting<'_>; 6] {
        [
            ("auth.tenant", &self.tenant),
            ("auth.client_id", &self.client_id),
            ("auth.client_secret", &self.client_secret),
            ("auth.scope", &self.scope),
            ("auth.authority", &self.authority),
            ("auth.redirect_uri", &self.redirect_uri),
        ]
    }
}

#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Environment {
    #[schemars(skip)]
    pub span: Span,
    pub default: Option<Spanned<bool>>,
    #[schemars(with = "std::collections::BTreeMap<String, Connection>", default)]
    pub connections: Named<Connection>,
}

#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Mapping {
    #[schemars(skip)]
    pub span: Span,
    pub name: Spanned<String>,
    pub description: Option<Spanned<String>>,
    pub active: Option<Spanned<bool>>,
    pub source: Source,
    pub target: Target,
    #[schemars(with = "std::collections::BTreeMap<String, Related>", default)]
    pub related: Named<Related>,
    #[schemars(default)]
    pub fields: Vec<Field>,
    #[schemars(default)]
    pub rules: Vec<Rule>,
    pub products: Option<Products>,
    pub sales_prices: Option<SalesPrices>,
    pub companies: Option<Companies>,
    pub polling: Option<Polling>,
}

#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Source {
    #[schemars(skip)]
    pub span: Span,
    pub connection: Spanned<String>,
    pub entity: Spanned<String>,
    pub entity_set: Option<Spanned<String>>,
    pub key: Option<Spanned<String>>,
    /// OData v4 `$filter` syntax.
    pub filter: Option<FilterText>,
    pub changed_since: Option<Spanned<String>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[schemars(rename_all = "snake_case")]
pub enum WriteMode {
    Upsert,
    Create,
    Update,
}

#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Target {
    #[schemars(skip)]
    pub span: Span,
    pub connection: Spanned<String>,
    pub entity: Spanned<String>,
    pub entity_set: Option<Spanned<String>>,
    pub key: Option<Spanned<String>>,
    pub write: Option<Spanned<WriteMode>>,
    pub delete: Option<Spanned<bool>>,
}

#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Related {
    #[schemars(skip)]
    pub span: Span,
    pub entity: Spanned<String>,
    /// The N:1 lookup (navigation property) from the primary entity.
    pub via: Spanned<String>,
    pub entity_set: Option<Spanned<String>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[schemars(rename_all = "snake_case")]
pub enum SyncDirection {
    Once,
    SourceToTarget,
    TargetToSource,
    TwoWay,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[schemars(rename_all = "snake_case")]
pub enum Conflict {
    SourceWins,
    TargetWins,
    Newest,
    Fail,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[schemars(rename_all = "snake_case")]
pub enum OnNull {
    Write,
    Skip,
    Error,
}

/// One target path from exactly one of `from`, `expr` or `value`.
#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Field {
    #[schemars(skip)]
    pub span: Span,
    pub from: Option<Path>,
    pub expr: Option<ExprText>,
    pub value: Option<Value>,
    #[schemars(required)]
    pub to: Option<Path>,
    pub sync: Option<Spanned<SyncDirection>>,
    pub conflict: Option<Spanned<Conflict>>,
    pub default: Option<Value>,
    pub on_null: Option<Spanned<OnNull>>,
    /// A `from:` value that could not be read as a path (already reported,
    /// e.g. M0304, M0306): it still counts as the entry's value source, so
    /// that no "no value source" (M0406) follows from it.
    #[schemars(skip)]
    pub unread_from: Option<Span>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[schemars(rename_all = "snake_case")]
pub enum Action {
    Skip,
    Warn,
    Error,
    Set,
}

#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Rule {
    #[schemars(skip)]
    pub span: Span,
    pub when: ExprText,
    pub action: Spanned<Action>,
    pub message: Option<Spanned<String>>,
    pub to: Option<Path>,
    pub expr: Option<ExprText>,
    pub value: Option<Value>,
}

#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Products {
    #[schemars(skip)]
    pub span: Span,
    /// The line entity (`opportunityproduct`, `quotedetail`, ... or a custom one).
    pub source: Spanned<String>,
    pub path: Option<Path>,
    pub navigation: Option<Spanned<String>>,
    pub sku_field: Option<Spanned<String>>,
    /// `field`, `field asc` or `field desc`.
    pub order_by: Option<Spanned<String>>,
    pub overwrite_template_products: Option<Spanned<bool>>,
    pub exclude_skus: Option<CodeList>,
    pub to: Option<Path>,
    pub sync: Option<Spanned<SyncDirection>>,
    #[schemars(default)]
    pub fields: Vec<Field>,
    pub discount: Option<Amount>,
    pub tax: Option<Amount>,
    pub freight: Option<Amount>,
}

/// A document-level amount (discount, tax, freight).
#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Amount {
    #[schemars(skip)]
    pub span: Span,
    pub from: Option<Path>,
    pub expr: Option<ExprText>,
    pub to: Option<Path>,
    pub sync: Option<Spanned<SyncDirection>>,
    /// As [`Field::unread_from`].
    #[schemars(skip)]
    pub unread_from: Option<Span>,
}

#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct SalesPrices {
    #[schemars(skip)]
    pub span: Span,
    pub path: Option<Path>,
    pub to: Option<Path>,
    pub transfer_customer_price_groups: Option<Spanned<bool>>,
    pub sales_codes: Option<CodeList>,
    pub field_separator: Option<Spanned<String>>,
    pub record_delimiter: Option<Spanned<String>>,
    pub exclude_expired: Option<Spanned<bool>>,
    pub fields: Option<Vec<Spanned<String>>>,
    /// Where the value of `fields` is written (an empty list is reported at
    /// its `[]`).
    #[schemars(skip)]
    pub fields_span: Option<Span>,
    /// Where the value of `sales_codes` is written.
    #[schemars(skip)]
    pub sales_codes_span: Option<Span>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[schemars(rename_all = "snake_case")]
pub enum ContactsEndpoint {
    Contacts,
    Customers,
}

#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Companies {
    #[schemars(skip)]
    pub span: Span,
    pub to: Option<Path>,
    pub id_field: Option<Spanned<String>>,
    pub number_field: Option<Spanned<String>>,
    pub parent_field: Option<Spanned<String>>,
    pub hierarchy: Option<Spanned<bool>>,
    pub relationships: Option<Spanned<bool>>,
    pub contacts_path: Option<Path>,
    pub contact_id_field: Option<Spanned<String>>,
    pub contacts_endpoint: Option<Spanned<ContactsEndpoint>>,
    pub create_in_prerequisite: Option<Spanned<bool>>,
}

#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Polling {
    #[schemars(skip)]
    pub span: Span,
    /// Positive integer; default 5.
    #[schemars(with = "Option<u32>", range(min = 1))]
    pub lookback_days: Option<Value>,
}

#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Lock {
    #[schemars(skip)]
    pub span: Span,
    pub entity: Spanned<String>,
    /// Locked source field -> fixed target field.
    #[schemars(with = "std::collections::BTreeMap<String, String>")]
    pub fields: Named<Spanned<String>>,
    pub two_way: Option<Spanned<bool>>,
}

#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct TestCase {
    #[schemars(skip)]
    pub span: Span,
    pub name: Spanned<String>,
    pub mapping: Option<Spanned<String>>,
    /// `YYYY-MM-DD`; the as-of date for expiry rules and `today()`.
    pub as_of: Option<Spanned<String>>,
    pub input: Value,
    /// A full or partial target record, `skip`, or `{ error: CODE }`.
    pub expect: Value,
}
