//! AST -> IR: resolves names, fills defaults, types every expression.
//!
//! CONTRACT (implemented by the lowering work item):
//! `lower(spec, schema, diags)` always returns a `Program` containing every
//! mapping/test it could lower (entries with errors are left out), and pushes
//! every reference (M04xx), literal (M0303) and type (M05xx) diagnostic.
//!
//! Decisions beyond the spec text (also in the module docs below):
//! - A mapping is left out of `Program::mappings` when lowering it reported an
//!   error, when one of its entries could not be lowered because of an error
//!   the reader already reported (an expression that does not parse, a field
//!   without `to`), or when its name repeats an earlier mapping's (M0404).
//!   `Lowered::all_mappings` still holds every mapping whose connections
//!   resolve, lowered as far as possible, so later checks can look at them.
//! - A test is left out when its mapping is unknown, ambiguous or left out,
//!   or when its `as_of`, `input` or `expect` has an error.
//! - Test `expect`: the plain scalar `skip` is `Expect::Skip`; a plain scalar
//!   naming a code, or a mapping with the single key `error`, is
//!   `Expect::Error` (a runtime code, given by code or name, stored as the
//!   code; a check-time code is M0204); any other plain scalar (`skiped`,
//!   `42`) is M0204, a list M0203, and a one-key mapping whose key is a typo
//!   of `error` with a runtime code as its value is M0204; anything else (a
//!   quoted "skip" too) is a record.
//! - A test without `mapping:` exercises the spec's only mapping name (a
//!   repeated name, M0404, counts once); with several names it is M0408.
//! - Two environments with `default: true` are M0412.
//! - A `target.key` that no field, `set` rule or block writes (as the path
//!   itself, an object above it or a member below it) is M0411.
//! - Product fields default to the `products:` block's own `sync`; locked
//!   pricing fields are appended as `implicit` entries after the user's.
//! - An environment overlay that sets `kind` keeps it as a `kind` setting.
//! - Expressions: dates and date-times compare with each other; `a / b` is
//!   always decimal division (exact, or a per-record R0022), `+ - * %` of two integers are integers,
//!   with an operand of unknown type they are `Type::Number` (a number, but
//!   not known to be whole); an operator or function whose result type is
//!   fixed (arithmetic, comparisons, `and`/`or`/`not`, `concat`, ...) has it
//!   whatever its operands, so `when: "x + 1"` is M0504 without metadata; a
//!   call with the wrong number of arguments (M0502) has its argument types
//!   left unchecked;
//!   `len` takes a string or a list, `to_decimal` a string or a number;
//!   `if`/`coalesce` branches must share a type; a
//!   literal `round` mode must be one of [`ROUND_MODES`] (M0303).
//! - Constants no record can make right are check errors: `round` to more
//!   than 28 places (or fewer than -28), a negative `substring` position,
//!   `to_decimal` of text that is not a number (M0505); `HH`/`mm`/`ss` in a
//!   `format_date` pattern of a date, or `mm` in a pattern with neither `MM`
//!   nor `HH` but a date token (`DD.mm.YYYY`, M0506); division or `%` by a
//!   constant zero (M0507); a `when:` of unknown type with an `if`/`coalesce`
//!   branch that is not a boolean (M0504); a list or record given to
//!   `concat` (M0503).
//! - A path of a file or OData source whose first name is not a related
//!   alias but one or two edits from one (`custommer.name`) is M0403 unless
//!   the metadata knows it as a property; a related alias alone is a record.
//! - Filters: see the `filter` submodule (OData functions, unsupported
//!   constructs, `via` names, integer `div`).
//! - Target paths of `products.to`, document amounts, the sales-price string
//!   and the companies relationship list take part in M0405/M0407 with the
//!   fields; `set` rule targets only in M0407 (overriding is their purpose).

mod expr;
mod filter;
mod literal;
mod mapping;
mod targets;

pub use crate::funcs::ROUND_MODES;
pub(crate) use expr::{a, const_number, Lang};
pub use literal::parse_decimal;
pub use mapping::{BUILTIN_LOCKED_FIELDS, LOCKED_LINE_ENTITIES, SALES_PRICE_FIELDS};

use crate::{
    AuthFlow, Connection, ConnectionKind, Environment, Expect, Literal, Mapping, Program, Test,
    Type,
};
use mapc_diag::{code_list, did_you_mean, Code, Diagnostic, Diagnostics, Span};
use mapc_syntax::spec::{self as ast, Spec};
use mapc_syntax::yaml::NodeKind;

/// Field types known from cached `$metadata`, used for type inference.
pub trait SchemaInfo {
    /// The type of `field` of `entity` on `connection`, when known.
    fn field_type(&self, connection: &str, entity: &str, field: &str) -> Option<Type>;
}

pub struct Lowered {
    pub program: Program,
    /// Every mapping of the spec (in spec order) whose source and target
    /// connections resolve, lowered as far as possible: including those left
    /// out of `program` because of errors (their broken entries are dropped)
    /// and repeated names. For checks that should still see such mappings.
    pub all_mappings: Vec<Mapping>,
}

pub fn lower(spec: &Spec, schema: Option<&dyn SchemaInfo>, diags: &mut Diagnostics) -> Lowered {
    let connections = lower_connections(spec);
    let environments = lower_environments(spec, diags);

    let known: Vec<mapping::KnownConnection> = spec
        .connections
        .iter()
        .map(|(name, c)| mapping::KnownConnection {
            name: &name.value,
            kind: c.kind.as_ref().map(|k| k.value),
        })
        .collect();
    let cx = mapping::Cx {
        spec,
        schema,
        connections: &known,
    };

    let mut mappings = Vec::new();
    let mut all_mappings = Vec::new();
    for (i, m) in spec.mappings.iter().enumerate() {
        let mut local = Diagnostics::new();
        let first = spec.mappings[..i]
            .iter()
            .find(|o| o.name.value == m.name.value);
        if let Some(first) = first {
            local.push(
                Diagnostic::new(
                    Code::M0404,
                    m.name.span,
                    format!("the mapping name `{}` is used twice", m.name.value),
                )
                .label("second mapping with this name")
                .related(first.name.span, "first defined here")
                .help("mapping names must be unique within a spec; rename one of them"),
            );
        }
        let out = mapping::lower_mapping(&cx, m, &mut local);
        let ok = first.is_none() && !local.has_errors() && out.as_ref().is_some_and(|o| o.complete);
        diags.extend(local.iter().cloned());
        if let Some(o) = out {
            if ok {
                mappings.push(o.mapping.clone());
            }
            all_mappings.push(o.mapping);
        }
    }

    let tests = lower_tests(spec, &spec.tests, &mappings, diags);

    Lowered {
        program: Program {
            name: spec.name.value.clone(),
            connections,
            environments,
            mappings,
            tests,
        },
        all_mappings,
    }
}

pub(crate) fn auth_flow_name(f: AuthFlow) -> &'static str {
    match f {
        AuthFlow::ClientCredentials => "client_credentials",
        AuthFlow::AuthorizationCode => "authorization_code",
        AuthFlow::DeviceCode => "device_code",
        AuthFlow::None => "none",
    }
}

pub(crate) fn kind_name(k: ConnectionKind) -> &'static str {
    match k {
        ConnectionKind::Dataverse => "dataverse",
        ConnectionKind::BusinessCentral => "business_central",
        ConnectionKind::Odata => "odata",
        ConnectionKind::File => "file",
    }
}

/// A connection's settings (except `kind`) as `(key, text)`, `auth.*` prefixed.
fn settings(c: &ast::Connection) -> Vec<(String, String)> {
    let text = |(k, v): ast::TextSetting<'_>| v.as_ref().map(|v| (k.to_string(), v.value.clone()));
    let [url, api_version, rest @ ..] = c.text_settings();
    let mut out: Vec<(String, String)> = [url, api_version].into_iter().filter_map(text).collect();
    if let Some(a) = &c.auth {
        if let Some(f) = &a.flow {
            out.push(("auth.flow".to_string(), auth_flow_name(f.value).to_string()));
        }
        out.extend(a.text_settings().into_iter().filter_map(text));
    }
    for (k, v) in [
        ("page_size", &c.page_size),
        ("batch_size", &c.batch_size),
        ("max_concurrency", &c.max_concurrency),
    ] {
        if let Some(v) = v {
            out.push((k.to_string(), v.value.to_string()));
        }
    }
    out.extend(rest.into_iter().filter_map(text));
    out
}

/// The type a `columns:` entry declares.
pub fn column_type(t: ast::ColumnType) -> Type {
    match t {
        ast::ColumnType::String => Type::String,
        ast::ColumnType::Integer => Type::Integer,
        ast::ColumnType::Decimal => Type::Decimal,
        ast::ColumnType::Boolean => Type::Bool,
        ast::ColumnType::Date => Type::Date,
        ast::ColumnType::Datetime => Type::DateTime,
        ast::ColumnType::Guid => Type::Guid,
    }
}

/// `columns:` of a file connection (M0209 when on another kind).
pub(crate) fn declared_columns(c: &ast::Connection) -> Vec<(String, Type)> {
    if c.kind.as_ref().map(|k| k.value) != Some(ConnectionKind::File) {
        return Vec::new();
    }
    c.columns
        .iter()
        .map(|(n, t)| (n.value.clone(), column_type(t.value)))
        .collect()
}

/// Connections without a `kind` (already reported) are left out.
fn lower_connections(spec: &Spec) -> Vec<Connection> {
    spec.connections
        .iter()
        .filter_map(|(name, c)| {
            let kind = c.kind.as_ref()?.value;
            Some(Connection {
                name: name.value.clone(),
                kind,
                settings: settings(c),
                columns: declared_columns(c),
                span: name.span,
            })
        })
        .collect()
}

fn unknown_connection(name: &str, span: Span, spec: &Spec) -> Diagnostic {
    let names = spec.connections.iter().map(|(n, _)| n.value.as_str());
    let help = match did_you_mean(name, names.clone()) {
        Some(m) => format!("did you mean `{m}`?"),
        None if spec.connections.is_empty() => "define it under `connections:`".to_string(),
        None => format!(
            "define it under `connections:`, or use one of: {}",
            code_list(names)
        ),
    };
    Diagnostic::new(Code::M0401, span, format!("unknown connection `{name}`"))
        .label("not defined under `connections:`")
        .help(help)
}

fn lower_environments(spec: &Spec, diags: &mut Diagnostics) -> Vec<Environment> {
    // M0412: `--env` falls back to the one default; two would be a guess.
    let mut first_default: Option<(&str, Span)> = None;
    for (name, e) in &spec.environments {
        let Some(d) = e.default.as_ref().filter(|d| d.value) else {
            continue;
        };
        match first_default {
            None => first_default = Some((&name.value, d.span)),
            Some((first, first_span)) => diags.push(
                Diagnostic::new(
                    Code::M0412,
                    d.span,
                    format!(
                        "environments `{first}` and `{}` are both marked `default: true`",
                        name.value
                    ),
                )
                .label("a second default environment")
                .related(first_span, format!("`{first}` is already the default"))
                .help(format!(
                    "only one environment can be the default (used when `--env` is not given); remove `default: true` from `{}` or from `{first}`",
                    name.value
                )),
            ),
        }
    }
    spec.environments
        .iter()
        .map(|(name, e)| {
            let mut overlays = Vec::new();
            for (cname, c) in &e.connections {
                if !spec.connections.iter().any(|(n, _)| n.value == cname.value) {
                    diags.push(unknown_connection(&cname.value, cname.span, spec));
                    continue;
                }
                let mut s = settings(c);
                if let Some(k) = &c.kind {
                    s.insert(0, ("kind".to_string(), kind_name(k.value).to_string()));
                }
                overlays.push((cname.value.clone(), s));
            }
            Environment {
                name: name.value.clone(),
                default: e.default.as_ref().is_some_and(|d| d.value),
                overlays,
            }
        })
        .collect()
}

/// Lowers test cases kept outside the spec (a `*.test.yaml` beside it)
/// against the spec and its lowered program, exactly as inline tests are:
/// mapping names are resolved in the spec (M0402, M0408, M0410) and cases
/// whose mapping is not in `program` (left out because of errors) are left out.
pub fn lower_test_cases(
    spec: &Spec,
    cases: &[ast::TestCase],
    program: &Program,
    diags: &mut Diagnostics,
) -> Vec<Test> {
    lower_tests(spec, cases, &program.mappings, diags)
}

fn lower_tests(
    spec: &Spec,
    cases: &[ast::TestCase],
    mappings: &[Mapping],
    diags: &mut Diagnostics,
) -> Vec<Test> {
    let mut tests = Vec::new();
    // Distinct mapping names in spec order.
    let mut seen = std::collections::HashSet::new();
    let names: Vec<&str> = spec
        .mappings
        .iter()
        .map(|m| m.name.value.as_str())
        .filter(|n| seen.insert(*n))
        .collect();
    for t in cases {
        let mut ok = true;
        let spec_index = match &t.mapping {
            Some(name) => match spec
                .mappings
                .iter()
                .position(|m| m.name.value == name.value)
            {
                Some(i) => Some(i),
                None => {
                    let help = match did_you_mean(&name.value, names.iter().copied()) {
                        Some(m) => Some(format!("did you mean `{m}`?")),
                        None if names.is_empty() => None,
                        None => Some(format!("use one of: {}", code_list(&names))),
                    };
                    diags.push(
                        Diagnostic::new(
                            Code::M0402,
                            name.span,
                            format!(
                                "test `{}` names the unknown mapping `{}`",
                                t.name.value, name.value
                            ),
                        )
                        .label("no mapping with this name")
                        .help_opt(help),
                    );
                    None
                }
            },
            // One name (repeated names are M0404): the first mapping with it.
            None if names.len() == 1 => Some(0),
            None if names.len() > 1 => {
                diags.push(
                    Diagnostic::new(Code::M0408, t.name.span, format!("test `{}` does not say which mapping it exercises", t.name.value))
                        .label("no `mapping:` in this test")
                        .help(format!(
                            "the spec has {} mappings; add `mapping: {}` (or another mapping's name) to the test",
                            names.len(),
                            names[0]
                        )),
                );
                None
            }
            None => None,
        };
        if let Some(i) = spec_index {
            let m = &spec.mappings[i];
            if m.active.as_ref().is_some_and(|a| !a.value) {
                let at = t.mapping.as_ref().map(|n| n.span).unwrap_or(t.name.span);
                let mut d = Diagnostic::new(Code::M0410, at, format!("test `{}` exercises the inactive mapping `{}`", t.name.value, m.name.value))
                    .label("this mapping has `active: false`")
                    .help("the test still runs; set the mapping `active: true`, or remove the test if the mapping is retired");
                if let Some(a) = &m.active {
                    d = d.related(a.span, "deactivated here");
                }
                diags.push(d);
            }
        }

        let as_of = match &t.as_of {
            Some(s) => match mapc_value::dates::date(&s.value) {
                Some(d) => Some(d),
                None => {
                    let d = match mapc_value::dates::parse_ymd(&s.value) {
                        Err(mapc_value::dates::YmdError::NoSuchDay(why)) => Diagnostic::new(
                            Code::M0303,
                            s.span,
                            format!("`as_of` `{}` is not a date: {why}", s.value),
                        )
                        .label("no such day"),
                        _ => Diagnostic::new(
                            Code::M0303,
                            s.span,
                            format!("`as_of` `{}` is not a date in the form YYYY-MM-DD", s.value),
                        )
                        .label("expected YYYY-MM-DD"),
                    };
                    diags.push(d.help("write a real calendar date, e.g. `as_of: 2026-11-22`"));
                    ok = false;
                    None
                }
            },
            None => None,
        };
        let mut local = Diagnostics::new();
        let input = literal::literal(&t.input.node, &mut local);
        let expect = expect(&t.expect, &mut local);
        ok &= !local.has_errors();
        diags.extend(local.iter().cloned());
        // A mapping repeated by name (M0404) is never in the program, so the
        // name finds the first one exactly when it was lowered without errors.
        let lowered = spec_index.and_then(|i| {
            let name = &spec.mappings[i].name.value;
            mappings.iter().position(|m| &m.name == name)
        });
        let Some(mapping) = lowered else {
            continue;
        };
        if let (true, Some(expect)) = (ok, expect) {
            tests.push(Test {
                name: t.name.value.clone(),
                mapping,
                as_of,
                input,
                expect,
                span: t.span,
            });
        }
    }
    tests
}

/// `skip`, a runtime code (by code or name, plain or as `{ error: CODE }`),
/// else a record. A plain scalar that is none of these is M0204, a list M0203.
fn expect(v: &ast::Value, diags: &mut Diagnostics) -> Option<Expect> {
    let node = &v.node;
    match &node.kind {
        NodeKind::Scalar(s) if s.style == mapc_syntax::yaml::Style::Plain => {
            let text = s.text.as_str();
            if text == "skip" {
                return Some(Expect::Skip);
            }
            if mapc_diag::lookup(text).is_some() {
                return runtime_code(text, node.span, diags).map(Expect::Error);
            }
            let help = match did_you_mean(text, ["skip"]) {
                Some(m) => format!("did you mean `{m}`?"),
                None => match did_you_mean(text, runtime_codes().flat_map(|c| [c.code.as_str(), c.name])) {
                    Some(m) => format!("did you mean `{m}`?"),
                    None => "write `skip`, a per-record error code such as `R0008` (or `error: R0008`), or the expected target record as a mapping".to_string(),
                },
            };
            diags.push(
                Diagnostic::new(
                    Code::M0204,
                    node.span,
                    format!("`expect: {text}` is neither `skip`, an error code nor a record"),
                )
                .label("expected `skip`, an error code or a record")
                .help(help),
            );
            None
        }
        NodeKind::Seq(_) => {
            diags.push(
                Diagnostic::new(
                    Code::M0203,
                    node.span,
                    "`expect` is a list, but a test expects one record, `skip` or an error code",
                )
                .label("expected `skip`, an error code or a mapping")
                .help("write the expected target record as a mapping, e.g. `expect: { title: \"A\" }`"),
            );
            None
        }
        NodeKind::Map(entries)
            if entries.len() == 1
                && entries[0].0.as_scalar().is_some_and(|k| k.text == "error") =>
        {
            let value = &entries[0].1;
            let text = value.as_scalar().map(|s| s.text.as_str()).unwrap_or("");
            runtime_code(text, value.span, diags).map(Expect::Error)
        }
        NodeKind::Map(entries)
            if entries.len() == 1
                && entries[0]
                    .0
                    .as_scalar()
                    .is_some_and(|k| did_you_mean(&k.text, ["error"]).is_some())
                && entries[0]
                    .1
                    .as_scalar()
                    .and_then(|s| mapc_diag::lookup(&s.text))
                    .is_some_and(|c| c.phase == mapc_diag::Phase::Runtime) =>
        {
            let key = &entries[0].0;
            let name = key.as_scalar().map(|k| k.text.as_str()).unwrap_or("");
            diags.push(
                Diagnostic::new(
                    Code::M0204,
                    key.span,
                    format!("`{name}` is not a test expectation; did you mean `error`?"),
                )
                .label("did you mean `error`?")
                .help(
                    "a test that expects a per-record error is written `expect: { error: R0008 }`",
                ),
            );
            None
        }
        _ => Some(Expect::Record(literal::literal(node, diags))),
    }
}

/// The per-record codes a test can expect: runtime errors. A runtime warning
/// (R01xx) does not reject the record, so no test can see it as the outcome.
fn runtime_codes() -> impl Iterator<Item = &'static mapc_diag::CodeInfo> + Clone {
    mapc_diag::CODES.iter().filter(|c| {
        c.phase == mapc_diag::Phase::Runtime && c.severity == mapc_diag::Severity::Error
    })
}

/// The runtime code `text` names (by code or name), or M0204 at `span`.
fn runtime_code(text: &str, span: Span, diags: &mut Diagnostics) -> Option<Code> {
    let found = mapc_diag::lookup(text);
    if let Some(info) = found.filter(|i| i.phase == mapc_diag::Phase::Runtime) {
        if info.severity == mapc_diag::Severity::Error {
            return Some(info.code);
        }
        diags.push(
            Diagnostic::new(
                Code::M0204,
                span,
                format!(
                    "`{text}` is a runtime warning ({}), not an error a test can expect",
                    info.name
                ),
            )
            .label("a warning, not an error")
            .help("warnings do not reject a record; expect the record, and the warning shows in the report"),
        );
        return None;
    }
    let runtime = runtime_codes();
    let help = match did_you_mean(text, runtime.clone().map(|c| c.code.as_str())) {
        Some(m) if found.is_none() => format!("did you mean `{m}`?"),
        _ => format!(
            "a test can expect a per-record (R) code: {}",
            runtime
                .map(|c| format!("{} ({})", c.code, c.name))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let msg = match found {
        Some(info) => format!(
            "`{text}` is a check-time code ({}), not a per-record error a test can expect",
            info.name
        ),
        None => format!("`{text}` is not a diagnostic code"),
    };
    diags.push(
        Diagnostic::new(Code::M0204, span, msg)
            .label("expected a runtime code such as R0008")
            .help(help),
    );
    None
}

/// The IR literal of a YAML value (for callers outside lowering).
pub fn literal_of(value: &ast::Value, diags: &mut Diagnostics) -> Literal {
    literal::literal(&value.node, diags)
}
