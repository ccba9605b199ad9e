//! `FromNode` for every struct of the spec, key by key.

use super::ast::*;
use super::read::{named, FromNode, MapReader, Reader};
use crate::yaml::Node;
use mapc_diag::{Code, Diagnostic};

/// The keys `auth:` accepts; any other is reported as M0202. The reader
/// asks for each key itself (that is the list M0202 uses); this copy is for
/// the rules, which look at the unknown keys, and a debug assertion in the
/// reader keeps the two the same.
pub const AUTH_KEYS: &[&str] = &[
    "flow",
    "tenant",
    "client_id",
    "client_secret",
    "scope",
    "authority",
    "redirect_uri",
];

fn connection(node: &Node, name: &str, overlay: bool, r: &mut Reader) -> Option<Connection> {
    let mut m = MapReader::new(node, format!("connection `{name}`"), r)?;
    let kind = if overlay {
        m.opt("kind", r)
    } else {
        m.req("kind", r)
    };
    let c = Connection {
        span: node.span,
        kind,
        url: m.opt("url", r),
        api_version: m.opt("api_version", r),
        auth: m
            .get("auth")
            .filter(|n| !n.is_null())
            .and_then(|n| auth(n, overlay, r)),
        page_size: m.opt("page_size", r),
        batch_size: m.opt("batch_size", r),
        max_concurrency: m.opt("max_concurrency", r),
        tenant: m.opt("tenant", r),
        environment: m.opt("environment", r),
        company: m.opt("company", r),
        base_url: m.opt("base_url", r),
        entity_url_convention: m.opt("entity_url_convention", r),
        path: m.opt("path", r),
        dir: m.opt("dir", r),
        delimiter: m.opt("delimiter", r),
        columns: match m.get("columns") {
            Some(n) => named(n, "column types", r, |v, _, r| {
                Spanned::<ColumnType>::from_node(v, r)
            }),
            None => Vec::new(),
        },
    };
    m.finish(r);
    csv_settings(&c, name, overlay, &csv_key_spans(node), r);
    Some(c)
}

/// The spans of the keys `delimiter` and `columns` of a connection node.
fn csv_key_spans(node: &Node) -> [Option<mapc_diag::Span>; 2] {
    let key = |want: &str| match &node.kind {
        crate::yaml::NodeKind::Map(entries) => entries
            .iter()
            .find(|(k, _)| k.as_scalar().is_some_and(|s| s.text == want))
            .map(|(k, _)| k.span),
        _ => None,
    };
    [key("delimiter"), key("columns")]
}

/// `delimiter:` (M0208) and `columns:` (M0209) of a connection: both
/// describe a CSV file, so they need a `kind: file` connection whose
/// `path:` is not an NDJSON/JSON file; `columns:` is not overridden per
/// environment (the types belong to the file's format, not its place).
fn csv_settings(
    c: &Connection,
    name: &str,
    overlay: bool,
    keys: &[Option<mapc_diag::Span>; 2],
    r: &mut Reader,
) {
    if let Some(d) = &c.delimiter {
        if delimiter_byte(&d.value).is_none() {
            let shown = d.value.escape_debug().to_string();
            let help = match d.value.trim() {
                t if t != d.value && delimiter_byte(t).is_some() => {
                    format!("remove the blanks around it: `delimiter: \"{t}\"`")
                }
                t if matches!(
                    t.to_ascii_lowercase().as_str(),
                    "semicolon" | "comma" | "pipe" | "tabulator"
                ) =>
                {
                    let c = match t.to_ascii_lowercase().as_str() {
                        "semicolon" => "\";\"",
                        "comma" => "\",\"",
                        "pipe" => "\"|\"",
                        _ => "tab",
                    };
                    format!("write the character itself: `delimiter: {c}`")
                }
                _ if d.value.contains(',') && d.value.len() > 1 => {
                    "give one delimiter, e.g. `delimiter: \";\"`".to_string()
                }
                _ => "use `,`, `;`, `|` or `tab` (quote `;` and `|` in YAML: `delimiter: \";\"`)"
                    .to_string(),
            };
            r.push(
                Diagnostic::new(
                    Code::M0208,
                    d.span,
                    format!("`{shown}` is not a CSV delimiter of connection `{name}`"),
                )
                .label("expected `,`, `;`, `|` or `tab`")
                .help(help),
            );
        }
    }
    if overlay {
        if let (Some(span), false) = (keys[1], c.columns.is_empty()) {
            r.push(
                Diagnostic::new(
                    Code::M0209,
                    span,
                    format!("`columns:` cannot be changed per environment (connection `{name}`)"),
                )
                .label("declare the column types on the connection itself")
                .help(format!(
                    "move `columns:` to `connections: {{ {name}: ... }}` at the top level"
                )),
            );
        }
        return;
    }
    let kind = c.kind.as_ref().map(|k| k.value);
    let json_path = c.path.as_ref().and_then(|p| {
        let ext = p.value.rsplit_once('.')?.1.to_ascii_lowercase();
        matches!(ext.as_str(), "ndjson" | "jsonl" | "json").then(|| p.value.clone())
    });
    for (key, span) in [("delimiter", keys[0]), ("columns", keys[1])] {
        let Some(span) = span else { continue };
        let file_help = format!(
            "remove `{key}:`, or point the connection at a .csv file (`path: data/{name}.csv`)"
        );
        let (why, help) = match kind {
            Some(ConnectionKind::File) => match (&json_path, &c.dir) {
                (Some(p), _) => (
                    format!("connection `{name}` reads `{p}`, which is not a CSV file"),
                    file_help,
                ),
                (None, Some(_)) => (
                    format!(
                        "connection `{name}` uses `dir:` ({{entity}}.ndjson files), not a CSV file"
                    ),
                    file_help,
                ),
                _ => continue,
            },
            Some(_) => (
                format!("connection `{name}` is not a file: its types come from its `$metadata`"),
                format!(
                    "remove `{key}:`; declare it on the `kind: file` connection that reads the CSV file (a CSV sample of this source is typed by the cached `$metadata`, `--schema-cache`)"
                ),
            ),
            None => continue,
        };
        r.push(
            Diagnostic::new(
                Code::M0209,
                span,
                format!("`{key}:` applies to CSV files only: {why}"),
            )
            .label("only for a `kind: file` connection reading a .csv file")
            .help(help),
        );
    }
}

/// `auth` of a connection; in an environment overlay every key (`flow`
/// included) is optional, since the overlay changes only what it names.
fn auth(node: &Node, overlay: bool, r: &mut Reader) -> Option<Auth> {
    let mut m = MapReader::new(node, "`auth`", r)?;
    let mut a = Auth {
        span: node.span,
        flow: if overlay {
            m.opt("flow", r)
        } else {
            m.req("flow", r)
        },
        tenant: m.opt("tenant", r),
        client_id: m.opt("client_id", r),
        client_secret: m.opt("client_secret", r),
        scope: m.opt("scope", r),
        authority: m.opt("authority", r),
        redirect_uri: m.opt("redirect_uri", r),
        unknown: Vec::new(),
    };
    debug_assert_eq!(m.known(), AUTH_KEYS, "AUTH_KEYS lists what `auth` reads");
    a.unknown = m.finish_keeping(r);
    Some(a)
}

fn environment(node: &Node, name: &str, r: &mut Reader) -> Option<Environment> {
    let mut m = MapReader::new(node, format!("environment `{name}`"), r)?;
    let default = m.opt("default", r);
    let connections = match m.get("connections") {
        Some(n) => named(n, "connection overlays", r, |v, name, r| {
            connection(v, name, true, r)
        }),
        None => Vec::new(),
    };
    m.finish(r);
    Some(Environment {
        span: node.span,
        default,
        connections,
    })
}

impl FromNode for Source {
    const EXPECTED: &'static str = "a source mapping";
    fn from_node(node: &Node, r: &mut Reader) -> Option<Self> {
        let mut m = MapReader::new(node, "`source`", r)?;
        let connection = m.req("connection", r);
        let entity = m.req("entity", r);
        let s = (
            m.opt("entity_set", r),
            m.opt("key", r),
            m.opt("filter", r),
            m.opt("changed_since", r),
        );
        m.finish(r);
        Some(Source {
            span: node.span,
            connection: connection?,
            entity: entity?,
            entity_set: s.0,
            key: s.1,
            filter: s.2,
            changed_since: s.3,
        })
    }
}

impl FromNode for Target {
    const EXPECTED: &'static str = "a target mapping";
    fn from_node(node: &Node, r: &mut Reader) -> Option<Self> {
        let mut m = MapReader::new(node, "`target`", r)?;
        let connection = m.req("connection", r);
        let entity = m.req("entity", r);
        let rest = (
            m.opt("entity_set", r),
            m.opt("key", r),
            m.opt("write", r),
            m.opt("delete", r),
        );
        m.finish(r);
        Some(Target {
            span: node.span,
            connection: connection?,
            entity: entity?,
            entity_set: rest.0,
            key: rest.1,
            write: rest.2,
            delete: rest.3,
        })
    }
}

fn related(node: &Node, name: &str, r: &mut Reader) -> Option<Related> {
    let mut m = MapReader::new(node, format!("related `{name}`"), r)?;
    let entity = m.req("entity", r);
    let via = m.req("via", r);
    let entity_set = m.opt("entity_set", r);
    m.finish(r);
    Some(Related {
        span: node.span,
        entity: entity?,
        via: via?,
        entity_set,
    })
}

/// The span of a present, non-null value that could not be read.
fn unread<T>(read: &Option<T>, node: Option<&Node>) -> Option<mapc_diag::Span> {
    match (read, node) {
        (None, Some(n)) if !n.is_null() => Some(n.span),
        _ => None,
    }
}

impl FromNode for Field {
    const EXPECTED: &'static str = "a field mapping";
    fn from_node(node: &Node, r: &mut Reader) -> Option<Self> {
        let mut m = MapReader::new(node, "a field entry", r)?;
        let mut f = Field {
            span: node.span,
            from: m.opt("from", r),
            expr: m.opt("expr", r),
            value: m.get("value").map(|n| Value { node: n.clone() }),
            to: m.req("to", r),
            sync: m.opt("sync", r),
            conflict: m.opt("conflict", r),
            default: m.get("default").map(|n| Value { node: n.clone() }),
            on_null: m.opt("on_null", r),
            unread_from: None,
        };
        f.unread_from = unread(&f.from, m.get("from"));
        // A `sync:` value that could not be read (a typo, already reported)
        // leaves the direction unknown: `conflict:` is not judged against
        // the default direction (no M0602 cascade).
        if f.sync.is_none() && m.get("sync").is_some_and(|n| !n.is_null()) {
            f.conflict = None;
        }
        m.finish(r);
        Some(f)
    }
}

impl FromNode for Rule {
    const EXPECTED: &'static str = "a rule";
    fn from_node(node: &Node, r: &mut Reader) -> Option<Self> {
        let mut m = MapReader::new(node, "a rule", r)?;
        let when = m.req("when", r);
        let action = m.req("action", r);
        let rest = (m.opt("message", r), m.opt("to", r), m.opt("expr", r));
        let value = m.get("value").map(|n| Value { node: n.clone() });
        m.finish(r);
        Some(Rule {
            span: node.span,
            when: when?,
            action: action?,
            message: rest.0,
            to: rest.1,
            expr: rest.2,
            value,
        })
    }
}

impl FromNode for Amount {
    const EXPECTED: &'static str = "an amount mapping";
    fn from_node(node: &Node, r: &mut Reader) -> Option<Self> {
        let mut m = MapReader::new(node, "a document amount", r)?;
        let mut a = Amount {
            span: node.span,
            from: m.opt("from", r),
            expr: m.opt("expr", r),
            to: m.opt("to", r),
            sync: m.opt("sync", r),
            unread_from: None,
        };
        a.unread_from = unread(&a.from, m.get("from"));
        m.finish(r);
        Some(a)
    }
}

impl FromNode for Products {
    const EXPECTED: &'static str = "a products mapping";
    fn from_node(node: &Node, r: &mut Reader) -> Option<Self> {
        let mut m = MapReader::new(node, "`products`", r)?;
        let source = m.req("source", r);
        let p = Products {
            span: node.span,
            source: Spanned::new(String::new(), node.span),
            path: m.opt("path", r),
            navigation: m.opt("navigation", r),
            sku_field: m.opt("sku_field", r),
            order_by: m.opt("order_by", r),
            overwrite_template_products: m.opt("overwrite_template_products", r),
            exclude_skus: m.opt("exclude_skus", r),
            to: m.opt("to", r),
            sync: m.opt("sync", r),
            fields: m.opt("fields", r).unwrap_or_default(),
            discount: m.opt("discount", r),
            tax: m.opt("tax", r),
            freight: m.opt("freight", r),
        };
        m.finish(r);
        Some(Products {
            source: source?,
            ..p
        })
    }
}

impl FromNode for SalesPrices {
    const EXPECTED: &'static str = "a sales_prices mapping";
    fn from_node(node: &Node, r: &mut Reader) -> Option<Self> {
        let mut m = MapReader::new(node, "`sales_prices`", r)?;
        let s = SalesPrices {
            span: node.span,
            fields_span: m.value_span("fields"),
            sales_codes_span: m.value_span("sales_codes"),
            path: m.opt("path", r),
            to: m.opt("to", r),
            transfer_customer_price_groups: m.opt("transfer_customer_price_groups", r),
            sales_codes: m.opt("sales_codes", r),
            field_separator: m.opt("field_separator", r),
            record_delimiter: m.opt("record_delimiter", r),
            exclude_expired: m.opt("exclude_expired", r),
            fields: m.opt("fields", r),
        };
        m.finish(r);
        Some(s)
    }
}

impl FromNode for Companies {
    const EXPECTED: &'static str = "a companies mapping";
    fn from_node(node: &Node, r: &mut Reader) -> Option<Self> {
        let mut m = MapReader::new(node, "`companies`", r)?;
        let c = Companies {
            span: node.span,
            to: m.opt("to", r),
            id_field: m.opt("id_field", r),
            number_field: m.opt("number_field", r),
            parent_field: m.opt("parent_field", r),
            hierarchy: m.opt("hierarchy", r),
            relationships: m.opt("relationships", r),
            contacts_path: m.opt("contacts_path", r),
            contact_id_field: m.opt("contact_id_field", r),
            contacts_endpoint: m.opt("contacts_endpoint", r),
            create_in_prerequisite: m.opt("create_in_prerequisite", r),
        };
        m.finish(r);
        Some(c)
    }
}

impl FromNode for Polling {
    const EXPECTED: &'static str = "a polling mapping";
    fn from_node(node: &Node, r: &mut Reader) -> Option<Self> {
        let mut m = MapReader::new(node, "`polling`", r)?;
        let lookback_days = m.get("lookback_days").map(|n| Value { node: n.clone() });
        m.finish(r);
        Some(Polling {
            span: node.span,
            lookback_days,
        })
    }
}

impl FromNode for Lock {
    const EXPECTED: &'static str = "a lock rule";
    fn from_node(node: &Node, r: &mut Reader) -> Option<Self> {
        let mut m = MapReader::new(node, "a lock rule", r)?;
        let entity = m.req("entity", r);
        let fields = match m.get("fields") {
            Some(n) => named(n, "locked fields", r, |v, _, r| {
                Spanned::<String>::from_node(v, r)
            }),
            None => {
                m.missing(
                    "fields",
                    "a mapping of locked source field -> target field",
                    r,
                );
                Vec::new()
            }
        };
        let two_way = m.opt("two_way", r);
        m.finish(r);
        Some(Lock {
            span: node.span,
            entity: entity?,
            fields,
            two_way,
        })
    }
}

impl FromNode for TestCase {
    const EXPECTED: &'static str = "a test case";
    fn from_node(node: &Node, r: &mut Reader) -> Option<Self> {
        let mut m = MapReader::new(node, "a test", r)?;
        let name = m.req("name", r);
        let mapping = m.opt("mapping", r);
        let as_of = m.opt("as_of", r);
        let input = m.req("input", r);
        let expect = m.req("expect", r);
        m.finish(r);
        Some(TestCase {
            span: node.span,
            name: name?,
            mapping,
            as_of,
            input: input?,
            expect: expect?,
        })
    }
}

impl FromNode for Mapping {
    const EXPECTED: &'static str = "a mapping";
    fn from_node(node: &Node, r: &mut Reader) -> Option<Self> {
        let label = node
            .get("name")
            .and_then(|n| n.as_scalar())
            .map(|s| format!("mapping `{}`", s.text))
            .unwrap_or_else(|| "a mapping".into());
        let mut m = MapReader::new(node, label, r)?;
        // Read in the order M0202 lists the known keys.
        let name = m.req("name", r);
        let description = m.opt("description", r);
        let active = m.opt("active", r);
        let source = m.req("source", r);
        let target = m.req("target", r);
        let related = match m.get("related") {
            Some(n) => named(n, "related entities", r, related),
            None => Vec::new(),
        };
        let fields = m.opt("fields", r).unwrap_or_default();
        let rules = m.opt("rules", r).unwrap_or_default();
        let products = m.opt("products", r);
        let sales_prices = m.opt("sales_prices", r);
        let companies = m.opt("companies", r);
        let polling = m.opt("polling", r);
        m.finish(r);
        if let Some(n) = &name {
            check_name(n, "mapping name", r);
        }
        Some(Mapping {
            span: node.span,
            name: name?,
            description,
            active,
            source: source?,
            target: target?,
            related,
            fields,
            rules,
            products,
            sales_prices,
            companies,
            polling,
        })
    }
}

fn check_name(n: &Spanned<String>, what: &str, r: &mut Reader) {
    let ok = n
        .value
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && n.value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !ok {
        let fixed: String = n
            .value
            .to_ascii_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect::<String>()
            .trim_matches('-')
            .to_string();
        r.push(
            Diagnostic::new(
                Code::M0205,
                n.span,
                format!("{what} `{}` must match [a-z0-9][a-z0-9-]*", n.value),
            )
            .label("lowercase letters, digits and `-` only")
            .help(format!("try `{fixed}`")),
        );
    }
}

/// The top-level keys of a spec, for the JSON schema test; the reader asks
/// for each key itself, and a debug assertion keeps this list the same.
pub const TOP_KEYS: &[&str] = &[
    "mapc",
    "name",
    "description",
    "connections",
    "mappings",
    "sales_prices",
    "companies",
    "polling",
    "locks",
    "environments",
    "tests",
    "$schema",
];

/// Reads the whole spec; `None` only when the top level is not a mapping.
pub fn spec(node: &Node, r: &mut Reader) -> Option<Spec> {
    let mut m = MapReader::new(node, "the spec", r)?;
    let version: Option<Spanned<u32>> = m.req("mapc", r);
    if let Some(v) = &version {
        if v.value != 1 {
            r.push(
                Diagnostic::new(
                    Code::M0206,
                    v.span,
                    format!("spec format version {} is not supported", v.value),
                )
                .label("this mapc supports version 1")
                .help(
                    "write `mapc: 1`, or upgrade mapc if the spec was written for a newer version",
                ),
            );
        }
    }
    let name: Option<Spanned<String>> = m.req("name", r);
    if let Some(n) = &name {
        check_name(n, "spec name", r);
    }
    let description = m.opt("description", r);
    let connections = match m.get("connections") {
        Some(n) => named(n, "connections", r, |v, name, r| {
            connection(v, name, false, r)
        }),
        None => {
            m.missing(
                "connections",
                "a mapping of connection name -> connection",
                r,
            );
            Vec::new()
        }
    };
    let mappings: Vec<Mapping> = match m.get("mappings") {
        Some(n) => {
            let v = Vec::<Mapping>::from_node(n, r).unwrap_or_default();
            if matches!(&n.kind, crate::yaml::NodeKind::Seq(items) if items.is_empty())
                || n.is_null()
            {
                r.push(
                    Diagnostic::new(Code::M0207, n.span, "`mappings` is empty")
                        .label("no mappings")
                        .help(
                            "add at least one mapping with `name`, `source`, `target` and `fields`",
                        ),
                );
            }
            v
        }
        None => {
            m.missing("mappings", "a list of mappings", r);
            Vec::new()
        }
    };
    let sales_prices = m.opt("sales_prices", r);
    let companies = m.opt("companies", r);
    let polling = m.opt("polling", r);
    let locks = m.opt("locks", r).unwrap_or_default();
    let environments = match m.get("environments") {
        Some(n) => named(n, "environments", r, environment),
        None => Vec::new(),
    };
    let tests = m.opt("tests", r).unwrap_or_default();
    let schema = m.opt("$schema", r);
    debug_assert_eq!(m.known(), TOP_KEYS, "TOP_KEYS lists what the spec reads");
    m.finish(r);
    Some(Spec {
        mapc: version.unwrap_or(Spanned::new(1, m_span(node))),
        name: name.unwrap_or(Spanned::new(String::new(), m_span(node))),
        description,
        connections,
        mappings,
        sales_prices,
        companies,
        polling,
        locks,
        environments,
        tests,
        schema,
    })
}

fn m_span(node: &Node) -> mapc_diag::Span {
    mapc_diag::Span::new(node.span.start, node.span.start)
}
