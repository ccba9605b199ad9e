//! The unknown-key diagnostic lists every key a mapping knows, in a fixed
//! order. The reader derives that list from the keys it asks for, so this
//! pins the list (and its order) of every mapping of a spec and a test file.

use mapc_syntax::spec::{parse_str, parse_test_file};

const SPEC: &str = r#"
mapc: 1
name: keys
qqqqq: 1
connections:
  crm:
    kind: dataverse
    qqqqq: 1
    auth: { flow: client_credentials, qqqqq: 1 }
mappings:
  - name: m
    qqqqq: 1
    source: { connection: crm, entity: a, qqqqq: 1 }
    target: { connection: crm, entity: b, qqqqq: 1 }
    related:
      r: { entity: c, via: d, qqqqq: 1 }
    fields:
      - { from: x, to: y, qqqqq: 1 }
    rules:
      - { when: "true", action: skip, qqqqq: 1 }
    products:
      source: lines
      qqqqq: 1
      discount: { from: d, qqqqq: 1 }
    sales_prices: { path: p, qqqqq: 1 }
    companies: { to: t, qqqqq: 1 }
    polling: { lookback_days: 1, qqqqq: 1 }
locks:
  - { entity: a, fields: { x: y }, qqqqq: 1 }
environments:
  dev:
    qqqqq: 1
tests:
  - { name: t, input: {}, expect: {}, qqqqq: 1 }
"#;

/// `(where, help)` of every unknown-key finding for `qqqqq`.
fn helps(diags: &mapc_diag::Diagnostics) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = diags
        .iter()
        .filter_map(|d| {
            let place = d.message.strip_prefix("unknown key `qqqqq` in ")?;
            Some((place.to_string(), d.help.clone().unwrap_or_default()))
        })
        .collect();
    out.sort();
    out
}

fn listed(keys: &[&str]) -> String {
    let keys: Vec<String> = keys.iter().map(|k| format!("`{k}`")).collect();
    format!("known keys here: {}", keys.join(", "))
}

#[test]
fn every_mapping_lists_its_keys_in_order() {
    let parsed = parse_str("keys.mapc.yaml", SPEC);
    let mut want: Vec<(String, String)> = [
        (
            "the spec",
            &[
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
            ][..],
        ),
        (
            "connection `crm`",
            &[
                "kind",
                "url",
                "api_version",
                "auth",
                "page_size",
                "batch_size",
                "max_concurrency",
                "tenant",
                "environment",
                "company",
                "base_url",
                "entity_url_convention",
                "path",
                "dir",
                "delimiter",
                "columns",
            ],
        ),
        (
            "`auth`",
            &[
                "flow",
                "tenant",
                "client_id",
                "client_secret",
                "scope",
                "authority",
                "redirect_uri",
            ],
        ),
        (
            "mapping `m`",
            &[
                "name",
                "description",
                "active",
                "source",
                "target",
                "related",
                "fields",
                "rules",
                "products",
                "sales_prices",
                "companies",
                "polling",
            ],
        ),
        (
            "`source`",
            &[
                "connection",
                "entity",
                "entity_set",
                "key",
                "filter",
                "changed_since",
            ],
        ),
        (
            "`target`",
            &[
                "connection",
                "entity",
                "entity_set",
                "key",
                "write",
                "delete",
            ],
        ),
        ("related `r`", &["entity", "via", "entity_set"]),
        (
            "a field entry",
            &[
                "from", "expr", "value", "to", "sync", "conflict", "default", "on_null",
            ],
        ),
        (
            "a rule",
            &["when", "action", "message", "to", "expr", "value"],
        ),
        (
            "`products`",
            &[
                "source",
                "path",
                "navigation",
                "sku_field",
                "order_by",
                "overwrite_template_products",
                "exclude_skus",
                "to",
                "sync",
                "fields",
                "discount",
                "tax",
                "freight",
            ],
        ),
        ("a document amount", &["from", "expr", "to", "sync"]),
        (
            "`sales_prices`",
            &[
                "path",
                "to",
                "transfer_customer_price_groups",
                "sales_codes",
                "field_separator",
                "record_delimiter",
                "exclude_expired",
                "fields",
            ],
        ),
        (
            "`companies`",
            &[
                "to",
                "id_field",
                "number_field",
                "parent_field",
                "hierarchy",
                "relationships",
                "contacts_path",
                "contact_id_field",
                "contacts_endpoint",
                "create_in_prerequisite",
            ],
        ),
        ("`polling`", &["lookback_days"]),
        ("a lock rule", &["entity", "fields", "two_way"]),
        ("environment `dev`", &["default", "connections"]),
        ("a test", &["name", "mapping", "as_of", "input", "expect"]),
    ]
    .iter()
    .map(|(place, keys)| (place.to_string(), listed(keys)))
    .collect();
    want.sort();
    assert_eq!(helps(&parsed.diagnostics), want);
}

#[test]
fn a_test_file_lists_its_keys() {
    let file = parse_test_file("t.test.yaml", "spec: a.mapc.yaml\nqqqqq: 1\ntests: []\n");
    assert_eq!(
        helps(&file.diagnostics),
        [("the test file".to_string(), listed(&["spec", "tests"]))]
    );
}

#[test]
fn a_near_miss_is_suggested() {
    let parsed = parse_str(
        "k.mapc.yaml",
        "mapc: 1\nname: k\nconnections: {}\nmappings: []\ndescripton: x\n",
    );
    let help = parsed
        .diagnostics
        .iter()
        .find(|d| d.message == "unknown key `descripton` in the spec")
        .and_then(|d| d.help.clone());
    assert_eq!(help.as_deref(), Some("did you mean `description`?"));
}
