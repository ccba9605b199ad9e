//! Lowering specs written inline: defaults, resolution, literals, typed
//! expressions and filters, and every diagnostic lowering raises (code and the
//! exact spanned text).

use mapc_diag::{Diagnostic, Diagnostics, Severity};
use mapc_ir::*;
use rust_decimal::Decimal;
use std::str::FromStr;

const HEAD: &str = r#"mapc: 1
name: t
connections:
  crm:
    kind: dataverse
    url: https://contoso.crm4.dynamics.com
    auth: { flow: client_credentials, tenant: "${T}", client_id: "${C}", client_secret: "${S}" }
  bc: { kind: business_central, tenant: "${T}", environment: production, company: "CRONUS" }
  api: { kind: odata, url: "https://host/service/", auth: { flow: none } }
  files: { kind: file, path: in.ndjson }
  out: { kind: file, path: out.ndjson }
"#;

struct Schema;

impl SchemaInfo for Schema {
    fn field_type(&self, connection: &str, entity: &str, field: &str) -> Option<Type> {
        let t = match (connection, entity, field) {
            ("crm", "opportunity", "estimatedvalue") => Type::Decimal,
            ("crm", "opportunity", "name") => Type::String,
            ("crm", "opportunity", "statecode") => Type::Integer,
            ("crm", "opportunity", "estimatedclosedate") => Type::Date,
            ("crm", "opportunity", "modifiedon") => Type::DateTime,
            ("crm", "account", "accountnumber") => Type::String,
            ("crm", "account", "creditlimit") => Type::Decimal,
            ("crm", "opportunityproduct", "quantity") => Type::Decimal,
            ("crm", "opportunityproduct", "productdescription") => Type::String,
            _ => return None,
        };
        Some(t)
    }
}

struct Out {
    src: String,
    lowered: Lowered,
    diags: Vec<Diagnostic>,
}

impl Out {
    fn program(&self) -> &Program {
        &self.lowered.program
    }
    fn mapping(&self, name: &str) -> &Mapping {
        self.program().mapping(name).unwrap_or_else(|| {
            panic!(
                "mapping `{name}` not lowered; diagnostics: {:#?}",
                self.diags
            )
        })
    }
    /// (code, spanned text) of every diagnostic.
    fn found(&self) -> Vec<(&'static str, &str)> {
        self.diags
            .iter()
            .map(|d| (d.code.as_str(), &self.src[d.span.start..d.span.end]))
            .collect()
    }
    fn has(&self, code: &str, text: &str) -> &Diagnostic {
        self.diags
            .iter()
            .find(|d| d.code == code && &self.src[d.span.start..d.span.end] == text)
            .unwrap_or_else(|| {
                panic!(
                    "no {code} at `{text}`; found {:#?}\n{:#?}",
                    self.found(),
                    self.diags
                )
            })
    }
    fn clean(&self) {
        assert!(
            self.diags.is_empty(),
            "unexpected diagnostics: {:#?}\n{:#?}",
            self.found(),
            self.diags
        );
    }
    fn text(&self, span: mapc_diag::Span) -> &str {
        &self.src[span.start..span.end]
    }
}

fn run(body: &str, schema: Option<&dyn SchemaInfo>) -> Out {
    let src = format!("{HEAD}{body}");
    let parsed = mapc_syntax::spec::parse_str("t.mapc.yaml", &src);
    let parse_errors: Vec<_> = parsed
        .diagnostics
        .iter()
        .map(|d| {
            (
                d.code,
                d.message.clone(),
                src[d.span.start..d.span.end].to_string(),
            )
        })
        .collect();
    assert!(
        parse_errors.is_empty(),
        "the test spec does not read cleanly: {parse_errors:#?}"
    );
    let spec = parsed.spec.expect("spec");
    let mut diags = Diagnostics::new();
    let lowered = lower(&spec, schema, &mut diags);
    Out {
        src,
        lowered,
        diags: diags.into_sorted(),
    }
}

fn lower_ok(body: &str) -> Out {
    let out = run(body, None);
    out.clean();
    out
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn from_path(f: &Field) -> &PathRef {
    match &f.source {
        ValueSource::From(p) => p,
        other => panic!("expected a from path, got {other:?}"),
    }
}

fn expr_of(f: &Field) -> &Expr {
    match &f.source {
        ValueSource::Expr(e) => e,
        other => panic!("expected an expression, got {other:?}"),
    }
}

fn field<'a>(m: &'a [Field], to: &str) -> &'a Field {
    m.iter()
        .find(|f| f.to.dotted() == to)
        .unwrap_or_else(|| panic!("no field to `{to}`"))
}

const MINIMAL: &str = r#"mappings:
  - name: m
    source: { connection: crm, entity: opportunity }
    target: { connection: out, entity: contract }
    fields:
      - { from: name, to: title }
"#;

// ------------------------------------------------------------------ defaults

#[test]
fn connections_environments_and_mapping_defaults() {
    let body = format!(
        "{MINIMAL}environments:\n  production: {{ default: true }}\n  test:\n    connections:\n      crm: {{ url: https://contoso-test.crm4.dynamics.com }}\n"
    );
    let out = lower_ok(&body);
    let p = out.program();
    assert_eq!(p.name, "t");
    let names: Vec<&str> = p.connections.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["crm", "bc", "api", "files", "out"]);
    let crm = p.connection("crm").unwrap();
    assert_eq!(crm.kind, ConnectionKind::Dataverse);
    assert_eq!(
        crm.settings,
        [
            ("url", "https://contoso.crm4.dynamics.com"),
            ("auth.flow", "client_credentials"),
            ("auth.tenant", "${T}"),
            ("auth.client_id", "${C}"),
            ("auth.client_secret", "${S}"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()))
    );
    assert_eq!(
        p.connection("bc").unwrap().setting("company"),
        Some("CRONUS")
    );
    assert_eq!(out.text(crm.span), "crm");

    assert_eq!(p.environments.len(), 2);
    assert_eq!(p.environments[0].name, "production");
    assert!(p.environments[0].default);
    assert!(!p.environments[1].default);
    assert_eq!(
        p.environments[1].overlays,
        vec![(
            "crm".to_string(),
            vec![(
                "url".to_string(),
                "https://contoso-test.crm4.dynamics.com".to_string()
            )]
        )]
    );

    let m = out.mapping("m");
    assert!(m.active);
    assert_eq!(m.source.kind, ConnectionKind::Dataverse);
    assert_eq!(m.source.key, "opportunityid");
    assert_eq!(m.source.filter, None);
    assert_eq!(m.target.kind, ConnectionKind::File);
    assert_eq!(m.target.write, WriteMode::Upsert);
    assert!(!m.target.delete);
    assert_eq!(m.target.key, None);
    let f = &m.fields[0];
    assert_eq!(f.sync, SyncDirection::SourceToTarget);
    assert_eq!(f.conflict, Conflict::Fail);
    assert_eq!(f.on_null, OnNull::Write);
    assert_eq!(f.default, None);
    assert!(!f.implicit);
    assert_eq!(from_path(f).segments.len(), 1);
    assert_eq!(from_path(f).related, None);
    assert_eq!(out.text(f.to.span), "title");
    assert_eq!(m.polling, Polling { lookback_days: 5 });
    assert_eq!(m.sales_prices, None);
    assert_eq!(m.companies, None);
    assert_eq!(m.products, None);
}

#[test]
fn explicit_settings_are_kept() {
    let out = lower_ok(
        r#"mappings:
  - name: m
    active: false
    source: { connection: crm, entity: opportunity, key: oppid, entity_set: opportunities, changed_since: modifiedon }
    target: { connection: out, entity: contract, key: external_id, write: create, delete: true }
    fields:
      - { from: name, to: title, sync: two_way, conflict: source_wins, on_null: skip, default: "n/a" }
      - { from: oppid, to: external_id }
"#,
    );
    let m = out.mapping("m");
    assert!(!m.active);
    assert_eq!(m.source.key, "oppid");
    assert_eq!(m.source.entity_set.as_deref(), Some("opportunities"));
    assert_eq!(m.source.changed_since.as_deref(), Some("modifiedon"));
    assert_eq!(m.target.key.as_deref(), Some("external_id"));
    assert_eq!(m.target.write, WriteMode::Create);
    assert!(m.target.delete);
    let f = &m.fields[0];
    assert_eq!(
        (f.sync, f.conflict, f.on_null),
        (SyncDirection::TwoWay, Conflict::SourceWins, OnNull::Skip)
    );
    assert_eq!(f.default, Some(Literal::String("n/a".into())));
}

#[test]
fn spec_wide_blocks_are_defaults_and_a_mapping_block_replaces_them() {
    let out = lower_ok(
        r#"mappings:
  - name: a
    source: { connection: bc, entity: customer, key: id }
    target: { connection: out, entity: company }
    fields:
      - { from: displayName, to: name }
  - name: b
    source: { connection: bc, entity: customer }
    target: { connection: out, entity: company2 }
    fields:
      - { from: displayName, to: name }
    sales_prices: { to: prices, sales_codes: "Y1004N, W1035N", field_separator: ";;", fields: [unitprice, itemno] }
    companies: { id_field: systemId, parent_field: parentcustomerno, create_in_prerequisite: true, contacts_endpoint: customers }
    polling: { lookback_days: 30 }
sales_prices: {}
companies: {}
polling: { lookback_days: 7 }
"#,
    );
    let a = out.mapping("a");
    let sp = a.sales_prices.as_ref().unwrap();
    assert_eq!(
        sp.path,
        vec!["salesprices".into()] as Vec<std::sync::Arc<str>>
    );
    assert_eq!(sp.to.dotted(), "sales_price");
    assert!(sp.transfer_customer_price_groups);
    assert_eq!(sp.sales_codes, None);
    assert_eq!(sp.field_separator, "//");
    assert_eq!(sp.record_delimiter, "|");
    assert!(sp.exclude_expired);
    assert_eq!(
        sp.fields,
        [
            "unitprice",
            "salestype",
            "salescode",
            "itemno",
            "description",
            "uom",
            "minimumqty",
            "startingdate",
            "endingdate"
        ]
    );
    let co = a.companies.as_ref().unwrap();
    assert_eq!(co.to.dotted(), "relationships");
    assert_eq!(co.id_field, "id", "defaults to the mapping's source key");
    assert_eq!(co.number_field, "number");
    assert_eq!(co.parent_field, None);
    assert!(co.hierarchy && co.relationships && !co.create_in_prerequisite);
    assert_eq!(
        co.contacts_path,
        vec!["contacts".into()] as Vec<std::sync::Arc<str>>
    );
    assert_eq!(co.contact_id_field, "id");
    assert_eq!(co.contacts_endpoint, ContactsEndpoint::Contacts);
    assert_eq!(a.polling.lookback_days, 7);

    let b = out.mapping("b");
    let sp = b.sales_prices.as_ref().unwrap();
    assert_eq!(sp.to.dotted(), "prices");
    assert_eq!(
        sp.sales_codes,
        Some(vec!["Y1004N".to_string(), "W1035N".to_string()])
    );
    assert_eq!(sp.field_separator, ";;");
    assert_eq!(sp.fields, ["unitprice", "itemno"]);
    let co = b.companies.as_ref().unwrap();
    assert_eq!(co.id_field, "systemId");
    assert_eq!(co.parent_field.as_deref(), Some("parentcustomerno"));
    assert!(co.create_in_prerequisite);
    assert_eq!(co.contacts_endpoint, ContactsEndpoint::Customers);
    assert_eq!(b.polling.lookback_days, 30);
}

#[test]
fn companies_id_defaults_to_entity_key_and_invalid_lookback_falls_back() {
    let out = lower_ok(
        r#"mappings:
  - name: m
    source: { connection: bc, entity: customer }
    target: { connection: out, entity: company }
    companies: {}
    polling: { lookback_days: -3 }
"#,
    );
    let m = out.mapping("m");
    assert_eq!(m.companies.as_ref().unwrap().id_field, "customerid");
    assert_eq!(m.polling.lookback_days, 5);
}

// ------------------------------------------------------------------ products

const PRODUCTS: &str = r#"mappings:
  - name: m
    source: { connection: crm, entity: opportunity }
    target: { connection: out, entity: contract }
    products:
      source: opportunityproduct
      sku_field: productnumber
      order_by: sequencenumber desc
      exclude_skus: "SKU123, SKU456"
      fields:
        - { from: productdescription, to: name }
        - { from: quantity, to: quantity }
        - { expr: "round(quantity * priceperunit - manualdiscountamount, 2)", to: line_total }
      discount: { from: discountamount, sync: once }
      tax: { from: totaltax, to: amounts.tax }
      freight: { expr: "freightamount * 1", to: freight_total }
"#;

#[test]
fn locked_products_get_implicit_pricing_fields() {
    let out = lower_ok(PRODUCTS);
    let p = out.mapping("m").products.as_ref().unwrap();
    assert_eq!(p.entity, "opportunityproduct");
    assert!(p.locked);
    assert_eq!(p.path, vec!["products".into()] as Vec<std::sync::Arc<str>>);
    assert_eq!(p.to.dotted(), "products");
    assert_eq!(p.sync, SyncDirection::SourceToTarget);
    assert_eq!(p.sku_field.as_deref(), Some("productnumber"));
    assert_eq!(
        p.order_by,
        Some(OrderBy {
            field: "sequencenumber".into(),
            descending: true
        })
    );
    assert!(!p.overwrite_template_products);
    assert_eq!(p.exclude_skus, ["SKU123", "SKU456"]);
    // quantity was mapped identically by the user: not added again.
    let to: Vec<(String, bool)> = p
        .fields
        .iter()
        .map(|f| (f.to.dotted(), f.implicit))
        .collect();
    assert_eq!(
        to,
        [
            ("name", false),
            ("quantity", false),
            ("line_total", false),
            ("price", true)
        ]
        .map(|(a, b)| (a.to_string(), b))
    );
    let price = field(&p.fields, "price");
    assert_eq!(from_path(price).dotted(), "priceperunit");
    assert_eq!(from_path(price).related, None);
    assert_eq!(out.text(price.span), "opportunityproduct");

    let d = p.discount.as_ref().unwrap();
    assert_eq!(d.to.dotted(), "discount");
    assert_eq!(d.sync, SyncDirection::Once);
    assert!(matches!(&d.source, ValueSource::From(pr) if pr.dotted() == "discountamount"));
    let t = p.tax.as_ref().unwrap();
    assert_eq!(t.to.dotted(), "amounts.tax");
    assert_eq!(t.sync, SyncDirection::SourceToTarget);
    let f = p.freight.as_ref().unwrap();
    assert_eq!(f.to.dotted(), "freight_total");
    assert!(matches!(f.source, ValueSource::Expr(_)));
}

#[test]
fn custom_line_entities_are_unlocked_unless_named_in_locks() {
    let out = lower_ok(
        r#"mappings:
  - name: m
    source: { connection: files, entity: order }
    target: { connection: out, entity: contract }
    products:
      source: new_customline
      path: lines.items
      to: document.lines
      sync: once
      order_by: position
      exclude_skus: [A, B]
      fields:
        - { from: sku, to: sku }
  - name: n
    source: { connection: files, entity: order }
    target: { connection: out, entity: contract2 }
    products:
      source: new_customproductline
      fields:
        - { from: sku, to: sku, sync: source_to_target }
locks:
  - entity: new_customproductline
    fields: { new_qty: quantity, new_price: price }
"#,
    );
    let p = out.mapping("m").products.as_ref().unwrap();
    assert!(!p.locked);
    assert_eq!(p.fields.len(), 1);
    assert_eq!(
        p.path,
        vec!["lines".into(), "items".into()] as Vec<std::sync::Arc<str>>
    );
    assert_eq!(p.to.dotted(), "document.lines");
    assert_eq!(p.sync, SyncDirection::Once);
    assert_eq!(
        p.fields[0].sync,
        SyncDirection::Once,
        "product fields default to the block's sync"
    );
    assert_eq!(
        p.order_by,
        Some(OrderBy {
            field: "position".into(),
            descending: false
        })
    );
    assert_eq!(p.exclude_skus, ["A", "B"]);

    let p = out.mapping("n").products.as_ref().unwrap();
    assert!(p.locked);
    let implicit: Vec<(String, String)> = p
        .fields
        .iter()
        .filter(|f| f.implicit)
        .map(|f| (from_path(f).dotted(), f.to.dotted()))
        .collect();
    assert_eq!(
        implicit,
        [("new_qty", "quantity"), ("new_price", "price")]
            .map(|(a, b)| (a.to_string(), b.to_string()))
    );
}

#[test]
fn invalid_order_by_is_skipped() {
    let out = lower_ok(
        r#"mappings:
  - name: m
    source: { connection: crm, entity: opportunity }
    target: { connection: out, entity: contract }
    products: { source: quotedetail, order_by: "sequencenumber sideways" }
"#,
    );
    let p = out.mapping("m").products.as_ref().unwrap();
    assert!(p.locked);
    assert_eq!(p.order_by, None);
    assert_eq!(p.fields.len(), 2);
}

#[test]
fn product_line_paths_are_relative_and_typed_from_the_line_entity() {
    let out = run(PRODUCTS, Some(&Schema));
    out.clean();
    let p = out.mapping("m").products.as_ref().unwrap();
    let e = expr_of(field(&p.fields, "line_total"));
    assert_eq!(e.ty, Type::Decimal);
    let ExprKind::Call(Func::Round, args) = &e.kind else {
        panic!("{e:?}")
    };
    let ExprKind::Binary(BinaryOp::Sub, lhs, _) = &args[0].kind else {
        panic!()
    };
    let ExprKind::Binary(BinaryOp::Mul, q, _) = &lhs.kind else {
        panic!()
    };
    assert_eq!(
        q.ty,
        Type::Decimal,
        "quantity typed from opportunityproduct"
    );
}

// ------------------------------------------------------- related resolution

#[test]
fn related_aliases_resolve_in_from_and_expr() {
    let out = lower_ok(
        r#"mappings:
  - name: m
    source: { connection: crm, entity: opportunity }
    target: { connection: out, entity: contract }
    related:
      customer: { entity: account, via: customerid }
      contact: { entity: contact, via: parentcontactid, entity_set: contacts }
    fields:
      - { from: customer.accountnumber, to: counterparty.org_number }
      - { expr: "concat(contact.firstname, ' ', contact.lastname)", to: counterparty.name }
      - { from: name, to: title }
"#,
    );
    let m = out.mapping("m");
    assert_eq!(m.related.len(), 2);
    assert_eq!(m.related[1].alias, "contact");
    assert_eq!(m.related[1].entity, "contact");
    assert_eq!(m.related[1].via, "parentcontactid");
    assert_eq!(m.related[1].entity_set.as_deref(), Some("contacts"));
    assert_eq!(out.text(m.related[0].span), "customer");

    let f = field(&m.fields, "counterparty.org_number");
    assert_eq!(from_path(f).related, Some(0));
    assert_eq!(out.text(from_path(f).span), "customer.accountnumber");
    assert_eq!(f.to.segments.len(), 2);

    let mut paths = Vec::new();
    expr_of(field(&m.fields, "counterparty.name")).paths(&mut paths);
    assert_eq!(paths.len(), 2);
    assert!(paths.iter().all(|p| p.related == Some(1)));
    assert_eq!(out.text(paths[0].span), "contact.firstname");
}

#[test]
fn nested_paths_are_allowed_for_file_and_odata_sources() {
    let out = lower_ok(
        r#"mappings:
  - name: f
    source: { connection: files, entity: order }
    target: { connection: out, entity: contract }
    fields:
      - { from: buyer.address.city, to: city }
      - { expr: "upper(buyer.name)", to: buyer }
  - name: o
    source: { connection: api, entity: order }
    target: { connection: out, entity: contract2 }
    fields:
      - { from: buyer.address.city, to: city }
"#,
    );
    assert_eq!(from_path(&out.mapping("f").fields[0]).related, None);
    assert_eq!(from_path(&out.mapping("o").fields[0]).segments.len(), 3);
}

#[test]
fn flat_sources_may_read_into_embedded_collections() {
    let out = lower_ok(
        r#"mappings:
  - name: m
    source: { connection: bc, entity: customer }
    target: { connection: out, entity: company }
    companies: {}
    fields:
      - { expr: "len(contacts)", to: contact_count }
      - { from: contacts.first, to: first_contact }
"#,
    );
    assert_eq!(out.mapping("m").fields.len(), 2);
}

#[test]
fn m0403_nested_path_on_a_flat_source() {
    let out = run(
        r#"mappings:
  - name: x
    source: { connection: crm, entity: opportunity }
    target: { connection: out, entity: contract }
    related:
      customer: { entity: account, via: customerid }
    fields:
      - { from: custmer.accountnumber, to: org }
      - { expr: "upper(contact.lastname)", to: name }
    rules:
      - { when: "is_null(owner.name)", action: skip }
"#,
        None,
    );
    let d = out.has("M0403", "custmer");
    assert_eq!(d.message, "`custmer` is not a related alias of mapping `x`");
    assert_eq!(
        d.help.as_deref(),
        Some("did you mean the related alias `customer`?")
    );
    out.has("M0403", "contact");
    out.has("M0403", "owner");
    assert_eq!(out.diags.len(), 3);
    assert!(
        out.program().mappings.is_empty(),
        "a mapping with errors is left out"
    );
    assert_eq!(
        out.lowered.all_mappings.len(),
        1,
        "but stays available best-effort"
    );
}

// ------------------------------------------------------------------ literals

#[test]
fn constants_are_exact_and_typed() {
    let out = lower_ok(
        r#"mappings:
  - name: m
    source: { connection: crm, entity: opportunity }
    target: { connection: out, entity: contract }
    fields:
      - { value: 10.005, to: a }
      - { value: "10.005", to: b }
      - { value: true, to: c }
      - { value: null, to: d }
      - { value: 12345678901234567890.123456789, to: e }
      - { value: { x: 1, a: [1, "two", false] }, to: f }
      - { value: 'yes', to: g }
      - { value: 1e3, to: h }
"#,
    );
    let m = out.mapping("m");
    let v = |to: &str| match &field(&m.fields, to).source {
        ValueSource::Value(l) => l.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(v("a"), Literal::Number(dec("10.005")));
    assert_eq!(v("a"), Literal::Number(Decimal::new(10005, 3)));
    assert_eq!(v("b"), Literal::String("10.005".into()));
    assert_eq!(v("c"), Literal::Bool(true));
    assert_eq!(v("d"), Literal::Null);
    assert_eq!(
        v("e"),
        Literal::Number(dec("12345678901234567890.123456789"))
    );
    assert_eq!(
        v("f"),
        Literal::Map(vec![
            ("x".into(), Literal::Number(dec("1"))),
            (
                "a".into(),
                Literal::List(vec![
                    Literal::Number(dec("1")),
                    Literal::String("two".into()),
                    Literal::Bool(false)
                ])
            ),
        ])
    );
    assert_eq!(v("g"), Literal::String("yes".into()));
    assert_eq!(v("h"), Literal::Number(dec("1000")));
}

#[test]
fn m0303_number_too_large_for_a_decimal() {
    let out = run(
        r#"mappings:
  - name: m
    source: { connection: crm, entity: opportunity }
    target: { connection: out, entity: contract }
    fields:
      - { value: 123456789012345678901234567890, to: a }
      - { expr: "estimatedvalue * 99999999999999999999999999999999", to: b }
      - { from: name, to: c, default: 0.000000000000000000000000000001 }
"#,
        None,
    );
    let d = out.has("M0303", "123456789012345678901234567890");
    assert!(
        d.message.contains("does not fit an exact decimal"),
        "{}",
        d.message
    );
    out.has("M0303", "99999999999999999999999999999999");
    out.has("M0303", "0.000000000000000000000000000001");
    assert_eq!(out.diags.len(), 3);
}

// ----------------------------------------------------------------- expressions

#[test]
fn expressions_are_typed() {
    let out = run(
        r#"mappings:
  - name: m
    source: { connection: crm, entity: opportunity }
    target: { connection: out, entity: contract }
    related:
      customer: { entity: account, via: customerid }
    fields:
      - { expr: "round(estimatedvalue * (1 - discountpercentage / 100), 2)", to: net }
      - { expr: "10.005", to: d }
      - { expr: "3", to: i }
      - { expr: "@2026-01-31", to: date }
      - { expr: "@2026-11-22T08:05:09Z", to: ts }
      - { expr: "customer.creditlimit", to: limit }
      - { expr: "customer.accountnumber", to: acct }
      - { expr: "if(statecode == 0, 'open', 'closed')", to: state }
      - { expr: "estimatedclosedate > @2026-01-01 and not is_null(name)", to: flag }
      - { expr: "coalesce(name, 'x')", to: name }
      - { expr: "statecode in [0, 1]", to: open }
      - { expr: "len(name) + 1", to: n }
      - { expr: "modifiedon >= @2026-01-01", to: recent }
      - { expr: "unknownfield", to: u }
      - { expr: "-estimatedvalue", to: neg }
"#,
        Some(&Schema),
    );
    out.clean();
    let m = out.mapping("m");
    let ty = |to: &str| expr_of(field(&m.fields, to)).ty.clone();
    assert_eq!(ty("net"), Type::Decimal);
    assert_eq!(ty("d"), Type::Decimal);
    assert_eq!(ty("i"), Type::Integer);
    assert_eq!(ty("date"), Type::Date);
    assert_eq!(ty("ts"), Type::DateTime);
    assert_eq!(ty("limit"), Type::Decimal);
    assert_eq!(ty("acct"), Type::String);
    assert_eq!(ty("state"), Type::String);
    assert_eq!(ty("flag"), Type::Bool);
    assert_eq!(ty("name"), Type::String);
    assert_eq!(ty("open"), Type::Bool);
    assert_eq!(ty("n"), Type::Integer);
    assert_eq!(ty("recent"), Type::Bool);
    assert_eq!(ty("u"), Type::Unknown);
    assert_eq!(ty("neg"), Type::Decimal);

    let e = expr_of(field(&m.fields, "d"));
    assert_eq!(e.kind, ExprKind::Const(Const::Decimal(dec("10.005"))));
    assert_eq!(out.text(e.span), "10.005");
    let e = expr_of(field(&m.fields, "date"));
    assert_eq!(
        e.kind,
        ExprKind::Const(Const::Date(jiff::civil::date(2026, 1, 31)))
    );
    let e = expr_of(field(&m.fields, "ts"));
    assert_eq!(
        e.kind,
        ExprKind::Const(Const::DateTime("2026-11-22T08:05:09Z".parse().unwrap()))
    );
    let e = expr_of(field(&m.fields, "limit"));
    let ExprKind::Path(p) = &e.kind else { panic!() };
    assert_eq!(p.related, Some(0));
    let e = expr_of(field(&m.fields, "net"));
    let ExprKind::Call(Func::Round, args) = &e.kind else {
        panic!("{e:?}")
    };
    assert_eq!(args[1].kind, ExprKind::Const(Const::Decimal(dec("2"))));
    assert_eq!(args[1].ty, Type::Integer);
}

#[test]
fn without_schema_paths_are_unknown() {
    let out = lower_ok(
        r#"mappings:
  - name: m
    source: { connection: crm, entity: opportunity }
    target: { connection: out, entity: contract }
    fields:
      - { expr: "upper(estimatedvalue)", to: a }
      - { expr: "estimatedvalue + name", to: b }
"#,
    );
    let m = out.mapping("m");
    assert_eq!(expr_of(&m.fields[0]).ty, Type::String);
    // Arithmetic is a number even when its operands' types are unknown.
    assert_eq!(expr_of(&m.fields[1]).ty, Type::Number);
}

#[test]
fn m0501_unknown_function() {
    let out = run(
        r#"mappings:
  - name: m
    source: { connection: crm, entity: opportunity }
    target: { connection: out, entity: contract }
    fields:
      - { expr: "uper(name)", to: a }
      - { expr: "frobnicate(name)", to: b }
"#,
        None,
    );
    let d = out.has("M0501", "uper");
    assert_eq!(d.message, "unknown function `uper`");
    assert_eq!(d.help.as_deref(), Some("did you mean `upper`?"));
    let d = out.has("M0501", "frobnicate");
    assert!(d.help.as_deref().unwrap().contains("round"), "{:?}", d.help);
    assert_eq!(out.diags.len(), 2);
}

#[test]
fn m0502_wrong_number_of_arguments() {
    let out = run(
        r#"mappings:
  - name: m
    source: { connection: crm, entity: opportunity }
    target: { connection: out, entity: contract }
    fields:
      - { expr: "round(estimatedvalue, 2, 'half_even', 4)", to: a }
      - { expr: "upper()", to: b }
      - { expr: "today(1)", to: c }
"#,
        None,
    );
    let d = out.has("M0502", "round(estimatedvalue, 2, 'half_even', 4)");
    assert_eq!(d.message, "`round` takes 1 to 3 arguments, found 4");
    assert!(
        d.help
            .as_deref()
            .unwrap()
            .contains("round(x: decimal, places: integer = 0"),
        "{:?}",
        d.help
    );
    let d = out.has("M0502", "upper()");
    assert_eq!(d.message, "`upper` takes 1 argument, found 0");
    out.has("M0502", "today(1)");
    assert_eq!(out.diags.len(), 3);
}

#[test]
fn m0503_argument_and_operand_types() {
    let out = run(
        r#"mappings:
  - name: m
    source: { connection: crm, entity: opportunity }
    target: { connection: out, entity: contract }
    fields:
      - { expr: "upper(estimatedvalue)", to: a }
      - { expr: "name + 'x'", to: b }
      - { expr: "estimatedclosedate > '2026-01-01'", to: c }
      - { expr: "name and statecode == 1", to: d }
      - { expr: "statecode in 'abc'", to: e }
      - { expr: "round(estimatedvalue, '2')", to: f }
      - { expr: "estimatedvalue * name", to: g }
      - { expr: "not name", to: h }
      - { expr: "statecode in [0, 'won']", to: i }
      - { expr: "round(estimatedvalue, 2, 'banker')", to: j }
      - { expr: "if(statecode == 0, 'open', 1)", to: k }
      - { expr: "len(estimatedvalue)", to: l }
"#,
        Some(&Schema),
    );
    let d = out.has("M0503", "estimatedvalue");
    assert_eq!(d.message, "`upper` expects a string, found decimal");
    let d = out.has("M0503", "name + 'x'");
    assert_eq!(d.message, "`+` needs numbers, found string and string");
    assert_eq!(d.help.as_deref(), Some("use concat(a, b) to join text"));
    // At the left operand, the right one related: each label on its operand.
    let d = out.has("M0503", "estimatedclosedate");
    assert_eq!(d.message, "`>` compares date with string");
    assert_eq!(d.label.as_deref(), Some("this is a date"));
    assert_eq!(d.related.len(), 1);
    assert_eq!(out.text(d.related[0].0), "'2026-01-01'");
    assert_eq!(d.related[0].1, "this is a string");
    assert!(
        d.help.as_deref().unwrap().contains("@2026-01-01")
            && d.help.as_deref().unwrap().contains("parse_date")
    );
    let d = out.has("M0503", "name");
    assert_eq!(d.message, "`and` needs boolean operands, found string");
    let d = out.has("M0503", "'abc'");
    assert_eq!(d.message, "`in` needs a list on the right, found string");
    let d = out.has("M0503", "'2'");
    assert_eq!(
        d.message,
        "`round` expects an integer as argument 2, found string"
    );
    assert!(out
        .diags
        .iter()
        .any(|d| d.code == "M0503" && d.message == "`*` needs numbers, found string"));
    assert!(out
        .diags
        .iter()
        .any(|d| d.code == "M0503" && d.message == "`not` needs a boolean, found string"));
    let d = out.has("M0503", "'won'");
    assert_eq!(d.message, "`in` compares integer with string");
    let d = out.has("M0303", "'banker'");
    assert_eq!(d.message, "`banker` is not a rounding mode");
    let d = out.has("M0503", "1");
    assert_eq!(d.message, "`if` mixes string and integer");
    assert!(
        out.diags
            .iter()
            .any(|d| d.code == "M0503"
                && d.message == "`len` expects a string or list, found decimal")
    );
    assert_eq!(out.diags.len(), 12, "{:#?}", out.found());
}

#[test]
fn m0504_rule_condition_not_boolean() {
    let out = run(
        r#"mappings:
  - name: m
    source: { connection: crm, entity: opportunity }
    target: { connection: out, entity: contract }
    rules:
      - { when: "statecode", action: skip }
      - { when: "statecode + 1", action: skip }
      - { when: "unknown_field", action: skip }
      - { when: "statecode == 2", action: skip }
"#,
        Some(&Schema),
    );
    let d = out.has("M0504", "\"statecode\"");
    assert_eq!(
        d.message,
        "the rule condition `statecode` is an integer, not a boolean"
    );
    out.has("M0504", "\"statecode + 1\"");
    assert_eq!(out.diags.len(), 2);
}

#[test]
fn rules_lower_in_order() {
    let out = lower_ok(
        r#"mappings:
  - name: m
    source: { connection: crm, entity: opportunity }
    target: { connection: out, entity: contract }
    related:
      customer: { entity: account, via: customerid }
    fields:
      - { from: customer.accountnumber, to: counterparty.org_number }
    rules:
      - { when: "statecode == 2", action: skip, message: "closed" }
      - { when: "is_null(name)", action: warn, message: "no name" }
      - { when: "estimatedvalue < 0", action: error }
      - { when: "customer.accountnumber == null", action: set, to: counterparty.org_number, expr: "'UNKNOWN'" }
      - { when: "true", action: set, to: source_system, value: crm }
"#,
    );
    let m = out.mapping("m");
    assert_eq!(m.rules.len(), 5);
    assert_eq!(
        m.rules.iter().map(|r| r.index).collect::<Vec<_>>(),
        [0, 1, 2, 3, 4]
    );
    assert_eq!(m.rules[0].action, RuleAction::Skip);
    assert_eq!(m.rules[0].when.ty, Type::Bool);
    assert_eq!(m.rules[1].action, RuleAction::Warn("no name".into()));
    assert_eq!(
        m.rules[2].action,
        RuleAction::Error("rule `estimatedvalue < 0` matched".into())
    );
    let RuleAction::Set {
        to,
        source: ValueSource::Expr(e),
    } = &m.rules[3].action
    else {
        panic!()
    };
    assert_eq!(to.dotted(), "counterparty.org_number");
    assert_eq!(e.kind, ExprKind::Const(Const::String("UNKNOWN".into())));
    let RuleAction::Set {
        source: ValueSource::Value(v),
        ..
    } = &m.rules[4].action
    else {
        panic!()
    };
    assert_eq!(*v, Literal::String("crm".into()));
}

// ------------------------------------------------------------------ references

#[test]
fn m0401_unknown_connection() {
    let out = run(
        r#"mappings:
  - name: m
    source: { connection: crn, entity: opportunity }
    target: { connection: nowhere, entity: contract }
environments:
  test:
    connections:
      crm: { url: https://test.crm4.dynamics.com }
      ouy: { path: test.ndjson }
"#,
        None,
    );
    let d = out.has("M0401", "crn");
    assert_eq!(d.message, "unknown connection `crn`");
    assert_eq!(d.help.as_deref(), Some("did you mean `crm`?"));
    let d = out.has("M0401", "nowhere");
    assert!(
        d.help
            .as_deref()
            .unwrap()
            .contains("`crm`, `bc`, `api`, `files`, `out`"),
        "{:?}",
        d.help
    );
    let d = out.has("M0401", "ouy");
    assert_eq!(d.help.as_deref(), Some("did you mean `out`?"));
    assert_eq!(out.diags.len(), 3);
    assert!(out.program().mappings.is_empty());
    assert_eq!(
        out.program().environments[0].overlays.len(),
        1,
        "the unknown overlay is dropped"
    );
}

#[test]
fn m0404_duplicate_mapping_name() {
    let out = run(
        r#"mappings:
  - name: m
    source: { connection: crm, entity: opportunity }
    target: { connection: out, entity: contract }
  - name: m
    source: { connection: crm, entity: quote }
    target: { connection: out, entity: contract }
"#,
        None,
    );
    let d = out.has("M0404", "m");
    assert!(
        d.span.start > out.src.find("- name: m").unwrap() + 10,
        "reported on the second"
    );
    assert_eq!(out.text(d.related[0].0), "m");
    assert!(d.related[0].0.start < d.span.start);
    assert_eq!(out.diags.len(), 1);
    assert_eq!(out.program().mappings.len(), 1);
    assert_eq!(out.program().mappings[0].source.entity, "opportunity");
}

#[test]
fn m0406_field_source_count() {
    let out = run(
        r#"mappings:
  - name: m
    source: { connection: crm, entity: opportunity }
    target: { connection: out, entity: contract }
    fields:
      - { to: nothing }
      - { from: name, expr: "upper(name)", to: both }
      - { from: name, value: 3, to: also_both }
    products:
      source: opportunityproduct
      fields:
        - { to: line_nothing }
      tax: { from: totaltax, expr: "totaltax * 2", to: tax }
"#,
        None,
    );
    let d = out.has("M0406", "{ to: nothing }");
    assert_eq!(
        d.message,
        "the entry for `nothing` has none of `from`, `expr`, `value`"
    );
    let d = out.has("M0406", "\"upper(name)\"");
    assert_eq!(d.message, "the entry for `both` has both `from` and `expr`");
    assert_eq!(out.text(d.related[0].0), "name");
    out.has("M0406", "3");
    out.has("M0406", "{ to: line_nothing }");
    let d = out.has("M0406", "\"totaltax * 2\"");
    assert_eq!(d.message, "the entry for `tax` has both `from` and `expr`");
    assert_eq!(out.diags.len(), 5);
}

#[test]
fn m0405_duplicate_target_and_set_rules_may_override() {
    let out = run(
        r#"mappings:
  - name: m
    source: { connection: crm, entity: opportunity }
    target: { connection: out, entity: contract }
    fields:
      - { from: name, to: title }
      - { from: description, to: notes }
      - { from: topic, to: title }
    rules:
      - { when: "is_null(name)", action: set, to: title, value: "untitled" }
    products:
      source: new_line
      fields:
        - { from: a, to: x }
        - { from: b, to: x }
"#,
        None,
    );
    let titles: Vec<&Diagnostic> = out
        .diags
        .iter()
        .filter(|d| d.code == "M0405" && d.message.contains("`title`"))
        .collect();
    assert_eq!(titles.len(), 1, "{:#?}", out.diags);
    let d = titles[0];
    assert_eq!(
        d.message,
        "the target path `title` is written twice in mapping `m`"
    );
    assert_eq!(out.text(d.span), "title");
    assert!(
        d.span.start > out.src.find("to: title").unwrap(),
        "reported on the second write"
    );
    assert_eq!(out.text(d.related[0].0), "title");
    let d = out.has("M0405", "x");
    assert_eq!(
        d.message,
        "the target path `x` is written twice in each product line of mapping `m`"
    );
    assert_eq!(out.diags.len(), 2);
}

#[test]
fn m0407_value_and_member_overlap() {
    let out = run(
        r#"mappings:
  - name: m
    source: { connection: crm, entity: opportunity }
    target: { connection: out, entity: contract }
    fields:
      - { from: name, to: counterparty }
      - { from: email, to: counterparty.email }
      - { from: a, to: products.first }
    products:
      source: new_line
      fields:
        - { from: a, to: price }
        - { from: b, to: price.net }
"#,
        None,
    );
    let d = out.has("M0407", "counterparty.email");
    assert_eq!(d.message, "`counterparty` is written as a value while `counterparty.email` is also written in mapping `m`");
    assert_eq!(out.text(d.related[0].0), "counterparty");
    // `products` (the default products target) is a list, `products.first` a member of it.
    let d = out
        .diags
        .iter()
        .find(|d| d.code == "M0407" && d.message.starts_with("`products`"))
        .expect("products overlap");
    assert!(
        out.text(d.span) == "products.first" || out.text(d.span).starts_with("source: new_line"),
        "{}",
        out.text(d.span)
    );
    out.has("M0407", "price.net");
    assert_eq!(out.diags.len(), 3, "{:#?}", out.found());
}

#[test]
fn m0409_set_rule_shape() {
    let out = run(
        r#"mappings:
  - name: m
    source: { connection: crm, entity: opportunity }
    target: { connection: out, entity: contract }
    rules:
      - { when: "true", action: set, expr: "'x'" }
      - { when: "true", action: set, to: a }
      - { when: "true", action: set, to: b, expr: "'x'", value: y }
      - { when: "true", action: skip, message: "skipping is fine with a message" }
"#,
        None,
    );
    let found = out.found();
    assert_eq!(
        found,
        [("M0409", "set"), ("M0409", "set"), ("M0409", "y")],
        "{:#?}",
        out.diags
    );
    assert_eq!(out.diags[0].message, "a `set` rule has no `to`");
    assert_eq!(
        out.diags[1].message,
        "a `set` rule has neither `expr` nor `value`"
    );
    assert_eq!(
        out.diags[2].message,
        "a `set` rule has both `expr` and `value`"
    );
}

// ---------------------------------------------------------------------- tests

const TWO: &str = r#"mappings:
  - name: opportunity-contract
    source: { connection: crm, entity: opportunity }
    target: { connection: out, entity: contract }
    fields:
      - { from: name, to: title }
  - name: old
    active: false
    source: { connection: crm, entity: quote }
    target: { connection: out, entity: contract }
"#;

#[test]
fn tests_lower_with_expectations() {
    let body = format!(
        r#"{TWO}tests:
  - name: closed opportunities are skipped
    mapping: opportunity-contract
    as_of: 2026-11-22
    input: {{ opportunityid: "a", name: "Lost deal", statecode: 2, estimatedvalue: 10.005 }}
    expect: skip
  - name: rejected
    mapping: opportunity-contract
    input: {{ }}
    expect: {{ error: rule-error }}
  - name: record
    mapping: opportunity-contract
    input: {{ name: "A" }}
    expect: {{ title: "A", net_value: 10.01 }}
  - name: quoted skip is a value
    mapping: opportunity-contract
    input: {{ name: "A" }}
    expect: "skip"
"#
    );
    let out = lower_ok(&body);
    let t = &out.program().tests;
    assert_eq!(t.len(), 4);
    assert_eq!(t[0].name, "closed opportunities are skipped");
    assert_eq!(t[0].mapping, 0);
    assert_eq!(t[0].as_of, Some(jiff::civil::date(2026, 11, 22)));
    assert_eq!(t[0].expect, Expect::Skip);
    let Literal::Map(input) = &t[0].input else {
        panic!()
    };
    assert_eq!(
        input[3],
        ("estimatedvalue".into(), Literal::Number(dec("10.005")))
    );
    assert_eq!(
        input[0],
        ("opportunityid".into(), Literal::String("a".into()))
    );
    assert_eq!(t[1].expect, Expect::Error(mapc_diag::Code::R0008));
    assert_eq!(t[1].as_of, None);
    assert_eq!(
        t[2].expect,
        Expect::Record(Literal::Map(vec![
            ("title".into(), Literal::String("A".into())),
            ("net_value".into(), Literal::Number(dec("10.01")))
        ]))
    );
    assert_eq!(t[3].expect, Expect::Record(Literal::String("skip".into())));
}

#[test]
fn a_test_without_mapping_uses_the_only_mapping() {
    let body = format!(
        "{MINIMAL}tests:\n  - name: one\n    input: {{ name: x }}\n    expect: {{ title: x }}\n"
    );
    let out = lower_ok(&body);
    assert_eq!(out.program().tests[0].mapping, 0);
}

#[test]
fn m0402_m0408_m0410_test_references() {
    let body = format!(
        r#"{TWO}tests:
  - name: typo
    mapping: opportunity-contrct
    input: {{ }}
    expect: skip
  - name: which one
    input: {{ }}
    expect: skip
  - name: inactive
    mapping: old
    input: {{ }}
    expect: skip
"#
    );
    let out = run(&body, None);
    let d = out.has("M0402", "opportunity-contrct");
    assert_eq!(
        d.message,
        "test `typo` names the unknown mapping `opportunity-contrct`"
    );
    assert_eq!(
        d.help.as_deref(),
        Some("did you mean `opportunity-contract`?")
    );
    let d = out.has("M0408", "which one");
    assert!(d
        .help
        .as_deref()
        .unwrap()
        .contains("mapping: opportunity-contract"));
    let d = out.has("M0410", "old");
    assert_eq!(d.severity, Severity::Warning);
    assert_eq!(out.text(d.related[0].0), "false");
    assert_eq!(out.diags.len(), 3);
    // The inactive mapping's test is kept (a warning), the others are left out.
    let t = &out.program().tests;
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].name, "inactive");
    assert_eq!(out.program().mappings[t[0].mapping].name, "old");
}

#[test]
fn test_cases_from_another_file_lower_against_the_program() {
    let out = lower_ok(TWO);
    let spec_src = format!("{HEAD}{TWO}");
    let spec = mapc_syntax::spec::parse_str("s", &spec_src).spec.unwrap();
    let cases_src = format!(
        "{HEAD}{TWO}tests:\n  - name: a\n    mapping: old\n    input: {{ }}\n    expect: skip\n  - name: b\n    mapping: nope\n    input: {{ }}\n    expect: skip\n"
    );
    let cases = mapc_syntax::spec::parse_str("c", &cases_src)
        .spec
        .unwrap()
        .tests;
    let mut diags = Diagnostics::new();
    let tests = mapc_ir::lower::lower_test_cases(&spec, &cases, out.program(), &mut diags);
    assert_eq!(tests.len(), 1);
    assert_eq!(out.program().mappings[tests[0].mapping].name, "old");
    let codes: Vec<&str> = diags.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, ["M0410", "M0402"]);
}

#[test]
fn m0204_expect_error_must_be_a_runtime_code() {
    let body = format!(
        r#"{MINIMAL}tests:
  - name: check code
    input: {{ }}
    expect: {{ error: M0401 }}
  - name: typo
    input: {{ }}
    expect: {{ error: R0080 }}
  - name: fine
    input: {{ }}
    expect: {{ error: R0008 }}
"#
    );
    let out = run(&body, None);
    let d = out.has("M0204", "M0401");
    assert!(d.message.contains("check-time code"), "{}", d.message);
    let d = out.has("M0204", "R0080");
    assert_eq!(d.message, "`R0080` is not a diagnostic code");
    assert_eq!(out.diags.len(), 2);
    assert_eq!(out.program().tests.len(), 1);
}

#[test]
fn m0303_as_of_and_test_input_numbers() {
    let body = format!(
        r#"{MINIMAL}tests:
  - name: bad date
    as_of: 2026-02-30
    input: {{ }}
    expect: skip
  - name: bad shape
    as_of: 22.11.2026
    input: {{ amount: 1e400 }}
    expect: skip
"#
    );
    let out = run(&body, None);
    let d = out.has("M0303", "2026-02-30");
    assert_eq!(
        d.message,
        "`as_of` `2026-02-30` is not a date: February 2026 has 28 days"
    );
    let d = out.has("M0303", "22.11.2026");
    assert_eq!(
        d.message,
        "`as_of` `22.11.2026` is not a date in the form YYYY-MM-DD"
    );
    out.has("M0303", "1e400");
    assert_eq!(out.diags.len(), 3);
    assert!(out.program().tests.is_empty());
}

// --------------------------------------------------------------------- filters

fn filter_of(m: &Mapping) -> &Filter {
    m.source.filter.as_ref().expect("filter")
}

#[test]
fn filters_lower_to_typed_expressions() {
    let out = run(
        r#"mappings:
  - name: m
    source:
      connection: crm
      entity: opportunity
      filter: "statecode eq 0 and estimatedvalue gt 1000.50 and customerid/accountnumber ne null and contains(tolower(name), 'big') and statecode in (0, 1) and year(estimatedclosedate) ge 2026"
    target: { connection: out, entity: contract }
    related:
      customer: { entity: account, via: customerid }
"#,
        Some(&Schema),
    );
    out.clean();
    let f = filter_of(out.mapping("m"));
    assert!(f.text.starts_with("statecode eq 0"));
    assert_eq!(f.expr.ty, Type::Bool);
    let mut paths = Vec::new();
    f.expr.paths(&mut paths);
    let dotted: Vec<String> = paths.iter().map(|p| p.dotted()).collect();
    assert_eq!(
        dotted,
        [
            "statecode",
            "estimatedvalue",
            "customer.accountnumber",
            "name",
            "statecode",
            "estimatedclosedate"
        ]
    );
    assert_eq!(
        paths[2].related,
        Some(0),
        "the via `customerid` reads the related record `customer`"
    );
    assert_eq!(out.text(paths[2].span), "customerid/accountnumber");

    // Left-assoc `and` chain: the rightmost conjunct is `year(...) ge 2026`.
    let ExprKind::Binary(BinaryOp::And, _, last) = &f.expr.kind else {
        panic!("{:?}", f.expr)
    };
    let ExprKind::Binary(BinaryOp::Ge, y, n) = &last.kind else {
        panic!("{last:?}")
    };
    assert!(matches!(y.kind, ExprKind::Call(Func::Year, _)));
    assert_eq!(n.kind, ExprKind::Const(Const::Decimal(dec("2026"))));
    let mut found_in = false;
    let mut found_contains = false;
    fn walk(e: &Expr, f: &mut dyn FnMut(&Expr)) {
        f(e);
        match &e.kind {
            ExprKind::Call(_, a) | ExprKind::List(a) => a.iter().for_each(|x| walk(x, f)),
            ExprKind::Unary(_, x) => walk(x, f),
            ExprKind::Binary(_, a, b) => {
                walk(a, f);
                walk(b, f)
            }
            _ => {}
        }
    }
    walk(&f.expr, &mut |e| match &e.kind {
        ExprKind::Binary(BinaryOp::In, _, r) => {
            found_in = true;
            assert!(matches!(&r.kind, ExprKind::List(items) if items.len() == 2));
        }
        ExprKind::Call(Func::Contains, a) => {
            found_contains = true;
            assert!(matches!(a[0].kind, ExprKind::Call(Func::Lower, _)));
        }
        ExprKind::Const(Const::Decimal(d)) if d.scale() == 2 => assert_eq!(*d, dec("1000.50")),
        _ => {}
    });
    assert!(found_in && found_contains);
}

#[test]
fn unsupported_filter_constructs() {
    let out = run(
        r#"mappings:
  - name: pushed
    source: { connection: crm, entity: opportunity, filter: "opportunity_products/any(p: p/quantity gt 1)" }
    target: { connection: out, entity: contract }
  - name: local
    source: { connection: files, entity: order, filter: "lines/any(l: l/qty gt 1) and status has Ns.Flags'Open'" }
    target: { connection: out, entity: contract2 }
"#,
        None,
    );
    let d = out.has("M0302", "any(l: l/qty gt 1)");
    assert_eq!(
        d.message,
        "`any(...)` is not supported by mapc's local filter evaluation"
    );
    let d = out.has("M0302", "status has Ns.Flags'Open'");
    assert_eq!(
        d.message,
        "the `has` operator is not supported by mapc's local filter evaluation"
    );
    // The Dataverse filter is pushed down as written, and passes every
    // record locally: a warning says so.
    let d = out.has("M0305", "any(p: p/quantity gt 1)");
    assert_eq!(d.severity, Severity::Warning);
    assert_eq!(
        d.message,
        "preview and test cannot evaluate `any(...)` locally; they will not apply this filter"
    );
    assert_eq!(out.diags.len(), 3, "{:#?}", out.found());
    let f = filter_of(out.mapping("pushed"));
    assert_eq!(f.text, "opportunity_products/any(p: p/quantity gt 1)");
    assert_eq!(f.expr.kind, ExprKind::Const(Const::Bool(true)));
    assert!(out.program().mapping("local").is_none());
}

#[test]
fn filter_type_errors() {
    let out = run(
        r#"mappings:
  - name: m
    source: { connection: crm, entity: opportunity, filter: "estimatedclosedate gt '2026-01-01' or name add 1 eq 2" }
    target: { connection: out, entity: contract }
  - name: n
    source: { connection: files, entity: order, filter: "frob(name) eq 1" }
    target: { connection: out, entity: contract2 }
"#,
        Some(&Schema),
    );
    // OData words: `gt`, and a literal without quotes.
    let d = out.has("M0503", "estimatedclosedate");
    assert_eq!(d.message, "`gt` compares date with string");
    assert_eq!(out.text(d.related[0].0), "'2026-01-01'");
    let help = d.help.as_deref().unwrap();
    assert!(
        help.contains("`estimatedclosedate gt 2026-01-01`") && !help.contains("parse_date"),
        "{help}"
    );
    let d = out.has("M0503", "name");
    assert_eq!(d.message, "`add` needs numbers, found string");
    let d = out.has("M0501", "frob");
    assert_eq!(d.message, "unknown function `frob` in the filter");
    assert_eq!(out.diags.len(), 3, "{:#?}", out.found());
}

#[test]
fn m0403_undeclared_navigation_in_a_flat_source_filter() {
    let out = run(
        r#"mappings:
  - name: m
    source: { connection: crm, entity: opportunity, filter: "parentaccountid/name eq 'X' and $it/statecode eq 0" }
    target: { connection: out, entity: contract }
  - name: n
    source: { connection: files, entity: order, filter: "buyer/address/city eq 'Oslo'" }
    target: { connection: out, entity: contract2 }
"#,
        None,
    );
    let d = out.has("M0403", "parentaccountid");
    assert_eq!(
        d.message,
        "`parentaccountid` is not a related alias of mapping `m`"
    );
    assert_eq!(out.diags.len(), 1);
    let f = filter_of(out.mapping("n"));
    let ExprKind::Binary(BinaryOp::Eq, p, _) = &f.expr.kind else {
        panic!()
    };
    let ExprKind::Path(p) = &p.kind else { panic!() };
    assert_eq!(p.dotted(), "buyer.address.city");
}

#[test]
fn filter_case_and_integer_div() {
    let out = run(
        r#"mappings:
  - name: m
    source: { connection: crm, entity: opportunity, filter: "case(statecode eq 0: 'open', true: 'other') eq 'open' and statecode div 2 eq 0" }
    target: { connection: out, entity: contract }
"#,
        Some(&Schema),
    );
    out.clean();
    let f = filter_of(out.mapping("m"));
    let ExprKind::Binary(BinaryOp::And, l, r) = &f.expr.kind else {
        panic!()
    };
    let ExprKind::Binary(BinaryOp::Eq, case, _) = &l.kind else {
        panic!()
    };
    assert!(
        matches!(&case.kind, ExprKind::Call(Func::If, a) if matches!(a[2].kind, ExprKind::Call(Func::If, _)))
    );
    assert_eq!(case.ty, Type::String);
    let ExprKind::Binary(BinaryOp::Eq, div, _) = &r.kind else {
        panic!()
    };
    assert!(
        matches!(&div.kind, ExprKind::Call(Func::Round, a) if a[2].kind == ExprKind::Const(Const::String("down".into())))
    );
    assert_eq!(div.ty, Type::Integer);
}

// ------------------------------------------------------------- all in one run

#[test]
fn every_problem_is_reported_in_one_run() {
    let body = r#"mappings:
  - name: a
    source: { connection: crmm, entity: opportunity }
    target: { connection: out, entity: contract }
    fields:
      - { expr: "uper(name)", to: x }
      - { from: name, to: x }
  - name: b
    source: { connection: crm, entity: opportunity }
    target: { connection: out, entity: contract }
    fields:
      - { from: custmer.name, to: y }
      - { expr: "1 +", to: z }
    rules:
      - { when: "'x'", action: skip }
tests:
  - name: t
    mapping: c
    input: {}
    expect: skip
"#;
    let src = format!("{HEAD}{body}");
    let parsed = mapc_syntax::spec::parse_str("t.mapc.yaml", &src);
    let parse_codes: Vec<&str> = parsed.diagnostics.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(parse_codes, ["M0301"]);
    let mut diags = Diagnostics::new();
    let lowered = lower(parsed.spec.as_ref().unwrap(), None, &mut diags);
    let mut codes: Vec<&str> = diags.iter().map(|d| d.code.as_str()).collect();
    codes.sort();
    assert_eq!(
        codes,
        ["M0401", "M0402", "M0403", "M0405", "M0501", "M0504"]
    );
    assert!(lowered.program.mappings.is_empty());
    assert_eq!(
        lowered.all_mappings.len(),
        1,
        "b, best effort; a has an unknown connection"
    );
    assert_eq!(
        lowered.all_mappings[0].fields.len(),
        1,
        "the unparsable expression is dropped"
    );
}

// ------------------------------------------------------- review follow-ups

#[test]
fn m0501_unknown_filter_function_for_every_source_kind() {
    let out = run(
        r#"mappings:
  - name: dv
    source: { connection: crm, entity: opportunity, filter: "statecode eq 0 and startwith(name,'C')" }
    target: { connection: out, entity: a }
  - name: bc
    source: { connection: bc, entity: customer, filter: "frobnicate(x)" }
    target: { connection: out, entity: b }
  - name: api
    source: { connection: api, entity: orders, filter: "upper(name) eq 'X'" }
    target: { connection: out, entity: c }
  - name: file
    source: { connection: files, entity: order, filter: "starts_with(name, 'C')" }
    target: { connection: out, entity: d }
"#,
        None,
    );
    let d = out.has("M0501", "startwith");
    assert_eq!(d.message, "unknown function `startwith` in the filter");
    assert_eq!(d.help.as_deref(), Some("did you mean `startswith`?"));
    let d = out.has("M0501", "frobnicate");
    assert!(
        d.help.as_deref().unwrap().contains("startswith"),
        "{:?}",
        d.help
    );
    // mapc's expression spelling -> the OData one.
    let d = out.has("M0501", "upper");
    assert!(
        d.help.as_deref().unwrap().contains("`toupper(...)`"),
        "{:?}",
        d.help
    );
    let d = out.has("M0501", "starts_with");
    assert!(
        d.help.as_deref().unwrap().contains("`startswith(...)`"),
        "{:?}",
        d.help
    );
    assert_eq!(out.diags.len(), 4, "{:#?}", out.found());
    // None of them runs: no constant `true` filter is left in the program.
    assert!(out.program().mappings.is_empty());
}

#[test]
fn m0305_server_only_filter_constructs_warn() {
    let out = run(
        r#"mappings:
  - name: now
    source: { connection: crm, entity: opportunity, filter: "modifiedon lt now() and statecode eq 0" }
    target: { connection: out, entity: a }
  - name: qualified
    source: { connection: crm, entity: quote, filter: "Microsoft.Dynamics.CRM.Today(PropertyName='createdon')" }
    target: { connection: out, entity: b }
  - name: several
    source: { connection: api, entity: orders, filter: "lines/all(l: l/qty gt 1) and flags has Ns.F'A'" }
    target: { connection: out, entity: c }
  - name: key
    related:
      customer: { entity: account, via: customerid }
    source: { connection: api, entity: orders, filter: "customer(1)/name eq 'x'" }
    target: { connection: out, entity: d }
"#,
        None,
    );
    let d = out.has("M0305", "now");
    assert_eq!(d.severity, Severity::Warning);
    assert_eq!(
        d.message,
        "preview and test cannot evaluate the function `now` locally; they will not apply this filter"
    );
    out.has(
        "M0305",
        "Microsoft.Dynamics.CRM.Today(PropertyName='createdon')",
    );
    // One warning per filter; the other constructs are related spans.
    let d = out.has("M0305", "all(l: l/qty gt 1)");
    assert_eq!(out.text(d.related[0].0), "flags has Ns.F'A'");
    // A call on a related alias is a key segment, not an unknown function.
    out.has("M0305", "customer(1)");
    assert_eq!(out.diags.len(), 4, "{:#?}", out.found());
    // Warnings only: every mapping runs, with the filter pushed down.
    assert_eq!(out.program().mappings.len(), 4);
    let f = filter_of(out.mapping("now"));
    assert_eq!(f.expr.kind, ExprKind::Const(Const::Bool(true)));
}

#[test]
fn m0411_target_key_must_be_written() {
    let out = run(
        r#"mappings:
  - name: unmapped
    source: { connection: crm, entity: account, key: accountid }
    target: { connection: out, entity: a, key: external_id }
    fields:
      - { from: name, to: title }
  - name: dotted
    source: { connection: crm, entity: account }
    target: { connection: out, entity: b, key: ids.external }
    fields:
      - { from: accountid, to: ids.internal }
  - name: by-field
    source: { connection: crm, entity: account }
    target: { connection: out, entity: c, key: ids.external }
    fields:
      - { from: accountid, to: ids.external }
  - name: by-set-rule
    source: { connection: crm, entity: account }
    target: { connection: out, entity: d, key: external_id }
    rules:
      - { when: "true", action: set, to: external_id, expr: "accountid" }
  - name: by-object
    source: { connection: crm, entity: account }
    target: { connection: out, entity: e, key: ids.external }
    fields:
      - { expr: "null", to: ids }
"#,
        None,
    );
    let d = out.has("M0411", "external_id");
    assert_eq!(
        d.message,
        "the target key `external_id` is not written by any field or `set` rule"
    );
    assert!(
        d.help
            .as_deref()
            .unwrap()
            .contains("`- { from: accountid, to: external_id }`"),
        "{:?}",
        d.help
    );
    let d = out.has("M0411", "ids.external");
    assert!(
        d.help
            .as_deref()
            .unwrap()
            .contains("`- { from: accountid, to: ids.external }`"),
        "{:?}",
        d.help
    );
    assert_eq!(out.diags.len(), 2, "{:#?}", out.found());
}

#[test]
fn m0412_one_default_environment() {
    let out = run(
        r#"mappings:
  - name: m
    source: { connection: crm, entity: opportunity }
    target: { connection: out, entity: contract }
environments:
  production: { default: true }
  test: { default: true }
  dev: { default: false }
  staging: { default: true }
"#,
        None,
    );
    let found = out.found();
    assert_eq!(found, [("M0412", "true"), ("M0412", "true")], "{found:#?}");
    let d = &out.diags[0];
    assert_eq!(
        d.message,
        "environments `production` and `test` are both marked `default: true`"
    );
    assert!(d.related[0].0.start < d.span.start);
    assert!(out.diags[1].message.contains("`staging`"));
    assert_eq!(out.diags[1].related[0].0, d.related[0].0);
}

#[test]
fn expect_plain_codes_typos_and_lists() {
    let body = format!(
        r#"{MINIMAL}tests:
  - name: plain code
    input: {{ }}
    expect: R0008
  - name: plain name
    input: {{ }}
    expect: rule-error
  - name: typo
    input: {{ }}
    expect: skiped
  - name: number
    input: {{ }}
    expect: 42
  - name: check code
    input: {{ }}
    expect: M0401
  - name: list
    input: {{ }}
    expect: [ {{ title: a }} ]
  - name: key typo
    input: {{ }}
    expect: {{ eror: R0008 }}
  - name: a one-key record
    input: {{ }}
    expect: {{ title: R0008 }}
"#
    );
    let out = run(&body, None);
    let d = out.has("M0204", "skiped");
    assert_eq!(d.help.as_deref(), Some("did you mean `skip`?"));
    let d = out.has("M0204", "42");
    assert!(
        d.help.as_deref().unwrap().contains("`skip`"),
        "{:?}",
        d.help
    );
    let d = out.has("M0204", "M0401");
    assert!(d.message.contains("check-time code"), "{}", d.message);
    out.has("M0203", "[ { title: a } ]");
    let d = out.has("M0204", "eror");
    assert!(d.message.contains("did you mean `error`?"), "{}", d.message);
    assert_eq!(out.diags.len(), 5, "{:#?}", out.found());
    let t = &out.program().tests;
    assert_eq!(t.len(), 3);
    assert_eq!(t[0].expect, Expect::Error(mapc_diag::Code::R0008));
    assert_eq!(t[1].expect, Expect::Error(mapc_diag::Code::R0008));
    assert_eq!(t[2].name, "a one-key record");
    assert!(matches!(t[2].expect, Expect::Record(_)));
}

#[test]
fn duplicate_names_do_not_make_a_test_ambiguous() {
    let body = r#"mappings:
  - name: account-file
    source: { connection: crm, entity: account }
    target: { connection: out, entity: a }
    fields:
      - { from: name, to: title }
  - name: account-file
    source: { connection: crm, entity: contact }
    target: { connection: out, entity: b }
tests:
  - name: t
    input: { name: x }
    expect: { title: x }
"#;
    let out = run(body, None);
    assert_eq!(out.found(), [("M0404", "account-file")], "{:#?}", out.diags);
    // The test runs against the first mapping of that name.
    let t = &out.program().tests;
    assert_eq!(t.len(), 1);
    assert_eq!(
        out.program().mappings[t[0].mapping].source.entity,
        "account"
    );
}

#[test]
fn m0402_without_mappings_has_no_empty_list() {
    let spec = format!(
        "{HEAD}mappings: []\ntests:\n  - {{ name: t, mapping: m, input: {{ }}, expect: skip }}\n"
    );
    let parsed = mapc_syntax::spec::parse_str("t.mapc.yaml", &spec);
    let mut diags = Diagnostics::new();
    lower(parsed.spec.as_ref().expect("spec"), None, &mut diags);
    let d = diags.iter().find(|d| d.code == "M0402").expect("M0402");
    assert_eq!(d.help, None);
}

#[test]
fn operators_fix_their_result_type_whatever_the_operands() {
    let out = run(
        r#"mappings:
  - name: m
    source: { connection: crm, entity: opportunity }
    target: { connection: out, entity: contract }
    rules:
      - { when: "revenue + 1", action: skip }
      - { when: "-revenue", action: skip }
      - { when: "revenue % 2", action: skip }
      - { when: "concat(revenue)", action: skip }
      - { when: "revenue > 1 and x", action: skip }
    fields:
      - { expr: "revenue * 2", to: a }
      - { expr: "revenue / 2", to: b }
      - { expr: "revenue + 1.5", to: c }
      - { expr: "substring(name, revenue + 1)", to: d }
      - { expr: "round(revenue - 1, 2)", to: e }
"#,
        None,
    );
    let when: Vec<&str> = out
        .diags
        .iter()
        .filter(|d| d.code == "M0504")
        .map(|d| out.text(d.span))
        .collect();
    assert_eq!(
        when,
        [
            "\"revenue + 1\"",
            "\"-revenue\"",
            "\"revenue % 2\"",
            "\"concat(revenue)\""
        ]
    );
    assert_eq!(out.diags.len(), 4, "{:#?}", out.found());
    let m = &out.lowered.all_mappings[0];
    assert_eq!(expr_of(field(&m.fields, "a")).ty, Type::Number);
    assert_eq!(expr_of(field(&m.fields, "b")).ty, Type::Decimal);
    assert_eq!(expr_of(field(&m.fields, "c")).ty, Type::Decimal);
    assert_eq!(expr_of(field(&m.fields, "e")).ty, Type::Decimal);
    // An unknown-typed number still fits where an integer is expected.
    assert!(Type::Number.fits(&Type::Integer) && Type::Integer.fits(&Type::Number));
    assert!(!Type::Number.fits(&Type::Bool) && !Type::Number.fits(&Type::String));
    assert_eq!(Type::Number.join(&Type::Integer), Type::Number);
}

#[test]
fn arity_errors_are_not_followed_by_argument_errors() {
    let out = run(
        r#"mappings:
  - name: m
    source: { connection: crm, entity: opportunity }
    target: { connection: out, entity: contract }
    fields:
      - { expr: "round(x, 1, 2, 3)", to: a }
      - { expr: "substring('a', 'b', 'c', 'd')", to: b }
      - { expr: "round(x, 'two')", to: c }
"#,
        None,
    );
    assert_eq!(
        out.found(),
        [
            ("M0502", "round(x, 1, 2, 3)"),
            ("M0502", "substring('a', 'b', 'c', 'd')"),
            ("M0503", "'two'"),
        ]
    );
}

#[test]
fn long_flat_chains_lower() {
    let ors = vec!["statecode eq 1"; 70].join(" or ");
    let sum = vec!["estimatedvalue"; 70].join(" + ");
    let out = lower_ok(&format!(
        r#"mappings:
  - name: m
    source: {{ connection: crm, entity: opportunity, filter: "{ors}" }}
    target: {{ connection: out, entity: contract }}
    fields:
      - {{ expr: "{sum}", to: total }}
"#
    ));
    assert!(filter_of(out.mapping("m")).expr.ty == Type::Bool);
}
