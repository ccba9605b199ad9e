//! The mapping-spec semantics, one behaviour per test, through the real
//! parser, lowering, reader and engine.

mod common;

use common::*;
use mapc_connect::source::MemorySource;
use serde_json::json;

fn fields(f: &str) -> String {
    spec_with(&format!("    fields:\n{f}"))
}

// ---------------------------------------------------------------------------
// Numbers, nulls, absent, empty string
// ---------------------------------------------------------------------------

#[test]
fn numbers_keep_their_text_and_scale() {
    let s = fields(
        "      - { from: a, to: a }\n      - { expr: \"a * b\", to: product }\n      - { expr: \"round(c, 2)\", to: rounded }\n      - { expr: \"round(d, 2)\", to: tie }\n",
    );
    let g = one(&s, r#"{"a": 45.10, "b": 3.00, "c": 2.5, "d": 10.005}"#);
    assert_eq!(
        g.json(),
        r#"{"a":45.10,"product":135.3000,"rounded":2.50,"tie":10.01}"#
    );
}

/// A number is written the same whether it comes from the spec or from a
/// record: the exponent is folded into the scale, trailing zeros are kept
/// (and only those beyond 28 places dropped), never an exponent.
#[test]
fn a_number_writes_the_same_from_the_spec_and_from_a_record() {
    let s = fields(
        "      - { value: 1.5e3, to: spec_exp }\n      - { from: v, to: record_exp }\n      - { value: 1.00000000000000000000000000000, to: spec_zeros }\n      - { from: z, to: record_zeros }\n      - { value: 45.10, to: spec_scale }\n      - { from: s, to: record_scale }\n      - { expr: \"v == 1500\", to: same }\n",
    );
    let g = one(
        &s,
        r#"{"v": 1.5e3, "z": 1.00000000000000000000000000000, "s": 45.10}"#,
    );
    let one_28 = "1.0000000000000000000000000000";
    assert_eq!(
        g.json(),
        format!(
            r#"{{"spec_exp":1500,"record_exp":1500,"spec_zeros":{one_28},"record_zeros":{one_28},"spec_scale":45.10,"record_scale":45.10,"same":true}}"#
        )
    );
}

/// `round(a * b, 2)` must round the exact product once: a product that
/// needs more than 28 places is refused rather than rounded first
/// (0.004999...95 rounded twice would be 0.01).
#[test]
fn arithmetic_never_rounds_silently() {
    let s = fields(
        "      - { expr: \"round(a * b, 2)\", to: r }\n      - { expr: \"a * b\", to: p }\n",
    );
    let g = one(&s, r#"{"a": 0.0999999999999999999999999999, "b": 0.05}"#);
    assert_eq!(g.code(), "R0022");
    // Products that fit are exact and keep their scale.
    let g = one(&s, r#"{"a": 0.0999999999999999999999999999, "b": 2}"#);
    assert_eq!(g.json(), r#"{"r":0.20,"p":0.1999999999999999999999999998}"#);
    // Trailing zeros of an exact product beyond 28 places are dropped.
    let g = one(&s, r#"{"a": 0.1000000000000000000000000000, "b": 0.50}"#);
    assert_eq!(g.json(), r#"{"r":0.05,"p":0.0500000000000000000000000000}"#);
    let s = fields("      - { expr: \"a + b\", to: sum }\n      - { expr: \"a - b\", to: diff }\n");
    // 29 significant digits are needed for the exact sum.
    let g = one(&s, r#"{"a": 10000000000, "b": 0.0000000000000000001}"#);
    assert_eq!(g.code(), "R0022");
    let g = one(&s, r#"{"a": 10000000000, "b": 0.000000000000000001}"#);
    assert_eq!(
        g.json(),
        r#"{"sum":10000000000.000000000000000001,"diff":9999999999.999999999999999999}"#
    );
}

/// A quotient that does not terminate within 28 places is refused; inside
/// `round(...)` the exact quotient is rounded once instead.
#[test]
fn division_is_exact_or_rounded_once_by_round() {
    let s = fields("      - { expr: \"a / b\", to: q }\n");
    assert_eq!(one(&s, r#"{"a": 1, "b": 4}"#).json(), r#"{"q":0.25}"#);
    assert_eq!(one(&s, r#"{"a": 45.10, "b": 2}"#).json(), r#"{"q":22.55}"#);
    assert_eq!(one(&s, r#"{"a": 1, "b": 3}"#).code(), "R0022");
    let s = fields("      - { expr: \"round(a / b, 2)\", to: q }\n      - { expr: \"round(a / b, 0, 'down')\", to: whole }\n");
    assert_eq!(
        one(&s, r#"{"a": 2, "b": 3}"#).json(),
        r#"{"q":0.67,"whole":0}"#
    );
    // The exact quotient 0.004999...9(5 repeating) is below the midpoint;
    // a quotient rounded to 28 places first would round up to 0.01.
    assert_eq!(
        one(&s, r#"{"a": 0.0149999999999999999999999999, "b": 3}"#).json(),
        r#"{"q":0.00,"whole":0}"#
    );
    assert_eq!(
        one(&s, r#"{"a": -7, "b": 2}"#).json(),
        r#"{"q":-3.50,"whole":-3}"#
    );
}

/// Places that come from the record are checked per record: more than 28
/// is R0023 (a constant is M0505 at check time).
#[test]
fn round_to_places_from_the_record() {
    let s = fields(
        "      - { expr: \"round(a, p)\", to: r }\n      - { expr: \"round(a / 4, p)\", to: q }\n",
    );
    assert_eq!(
        one(&s, r#"{"a": 1.005, "p": 2}"#).json(),
        r#"{"r":1.01,"q":0.25}"#
    );
    assert_eq!(one(&s, r#"{"a": 1, "p": 40}"#).code(), "R0023");
    let s = fields("      - { expr: \"round(a / 4, p)\", to: q }\n");
    assert_eq!(one(&s, r#"{"a": 1, "p": 29}"#).code(), "R0023");
}

#[test]
fn exact_decimals_never_floats() {
    let s = fields("      - { expr: \"round(q * p - m, 2)\", to: t }\n      - { expr: \"round(v, 2)\", to: v }\n");
    // 311.465 is a tie that doubles put just below the midpoint.
    let g = one(&s, r#"{"q": 5, "p": 62.293, "m": 0, "v": 1094321.265}"#);
    assert_eq!(g.json(), r#"{"t":311.47,"v":1094321.27}"#);
    let g = one(&s, r#"{"q": 1, "p": -1.005, "m": 0, "v": -1.005}"#);
    assert_eq!(g.json(), r#"{"t":-1.01,"v":-1.01}"#);
}

#[test]
fn absent_null_and_empty_string_are_different() {
    let s = fields(
        "      - { from: a, to: plain }\n      - { from: a, to: defaulted, default: \"D\" }\n      - { from: a, to: skipped, on_null: skip }\n      - { expr: \"is_null(a)\", to: isnull }\n",
    );
    assert_eq!(
        one(&s, r#"{}"#).json(),
        r#"{"plain":null,"defaulted":"D","isnull":true}"#
    );
    assert_eq!(
        one(&s, r#"{"a": null}"#).json(),
        r#"{"plain":null,"defaulted":"D","isnull":true}"#
    );
    assert_eq!(
        one(&s, r#"{"a": ""}"#).json(),
        r#"{"plain":"","defaulted":"","skipped":"","isnull":false}"#
    );
}

#[test]
fn on_null_error_rejects_with_the_field() {
    let s = fields("      - { from: name, to: title, on_null: error }\n");
    match one(&s, r#"{"id": "k1", "name": null}"#) {
        Got::Rejected { code, field, .. } => {
            assert_eq!(code, "R0009");
            assert_eq!(field.as_deref(), Some("title"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(one(&s, r#"{"name": "x"}"#).json(), r#"{"title":"x"}"#);
}

#[test]
fn nested_targets_build_objects_in_first_written_order() {
    let s = fields(
        "      - { from: a, to: x.one }\n      - { from: b, to: top }\n      - { from: c, to: x.two.deep }\n      - { value: 7, to: x.three }\n",
    );
    assert_eq!(
        one(&s, r#"{"a": 1, "b": 2, "c": 3}"#).json(),
        r#"{"x":{"one":1,"two":{"deep":3},"three":7},"top":2}"#
    );
}

#[test]
fn an_object_whose_keys_are_all_left_out_is_left_out() {
    let s = fields("      - { from: a, to: x.a, on_null: skip }\n      - { from: b, to: y }\n");
    assert_eq!(one(&s, r#"{"b": 1}"#).json(), r#"{"y":1}"#);
}

#[test]
fn constants_of_every_kind() {
    let s = fields(
        "      - { value: \"EUR\", to: s }\n      - { value: 12.50, to: n }\n      - { value: true, to: b }\n      - { value: null, to: z }\n      - { value: [1, \"a\"], to: l }\n      - { value: { k: v }, to: o }\n",
    );
    assert_eq!(
        one(&s, "{}").json(),
        r#"{"s":"EUR","n":12.50,"b":true,"z":null,"l":[1,"a"],"o":{"k":"v"}}"#
    );
}

#[test]
fn whole_objects_and_lists_can_be_copied() {
    let s = fields("      - { from: customer, to: c }\n      - { from: customer.name, to: n }\n      - { from: tags, to: t }\n");
    let g = one(
        &s,
        r#"{"customer": {"name": "Ann", "x": [1, {"y": "\u00e9"}]}, "tags": ["a", 2.50, null]}"#,
    );
    assert_eq!(
        g.json(),
        r#"{"c":{"name":"Ann","x":[1,{"y":"é"}]},"n":"Ann","t":["a",2.50,null]}"#
    );
}

#[test]
fn strings_are_escaped_and_unicode_kept() {
    let s = fields("      - { from: a, to: a }\n      - { expr: \"concat(a, '!')\", to: b }\n");
    let g = one(&s, r#"{"a": "O'Brien \"q\" \\ \n \u0001 Müller 😀"}"#);
    assert_eq!(
        g.json(),
        r#"{"a":"O'Brien \"q\" \\ \n \u0001 Müller 😀","b":"O'Brien \"q\" \\ \n \u0001 Müller 😀!"}"#
    );
}

#[test]
fn sync_once_is_written_and_target_to_source_is_not() {
    let s = fields(
        "      - { from: a, to: a, sync: once }\n      - { from: b, to: b, sync: target_to_source }\n      - { from: c, to: c, sync: two_way }\n",
    );
    // `b` flows target -> source: not written, and not even read (its number
    // would not fit a decimal, yet the record is fine).
    let g = one(
        &s,
        r#"{"a": 1, "b": 1234567890123456789012345678901234567890, "c": 3}"#,
    );
    assert_eq!(g.json(), r#"{"a":1,"c":3}"#);
}

// ---------------------------------------------------------------------------
// Expressions
// ---------------------------------------------------------------------------

#[test]
fn arithmetic_with_null_is_null_and_logic_is_three_valued() {
    let s = fields(
        "      - { expr: \"a + 1\", to: sum }\n      - { expr: \"-a\", to: neg }\n      - { expr: \"f and false\", to: and_false }\n      - { expr: \"f or true\", to: or_true }\n      - { expr: \"f and true\", to: and_true }\n      - { expr: \"not f\", to: not_f }\n",
    );
    assert_eq!(
        one(&s, "{}").json(),
        r#"{"sum":null,"neg":null,"and_false":false,"or_true":true,"and_true":null,"not_f":null}"#
    );
}

#[test]
fn comparisons_follow_odata_null_rules() {
    let s = fields(
        "      - { expr: \"a == null\", to: eq_null }\n      - { expr: \"a != null\", to: ne_null }\n      - { expr: \"a < 1\", to: lt }\n      - { expr: \"a <= b\", to: le_both_null }\n      - { expr: \"a >= 1\", to: ge_one_null }\n      - { expr: \"a == b\", to: null_eq_null }\n",
    );
    assert_eq!(
        one(&s, "{}").json(),
        r#"{"eq_null":true,"ne_null":false,"lt":false,"le_both_null":true,"ge_one_null":false,"null_eq_null":true}"#
    );
}

#[test]
fn strings_meet_numbers_and_dates() {
    let s = fields(
        "      - { expr: \"n * 2\", to: doubled }\n      - { expr: \"n == 12.5\", to: eq }\n      - { expr: \"d > @2026-01-01\", to: later }\n      - { expr: \"t < @2026-11-22T00:00:00Z\", to: before }\n      - { expr: \"x in ['a', 'b']\", to: member }\n",
    );
    let g = one(
        &s,
        r#"{"n": "12.50", "d": "2026-03-01", "t": "2026-11-21T23:59:59Z", "x": "b"}"#,
    );
    assert_eq!(
        g.json(),
        r#"{"doubled":25.00,"eq":true,"later":true,"before":true,"member":true}"#
    );
    assert_eq!(one(&s, r#"{"n": "abc"}"#).code(), "R0010");
    assert_eq!(one(&s, r#"{"d": "yesterday"}"#).code(), "R0003");
}

#[test]
fn arithmetic_errors_reject_the_record() {
    let s = fields("      - { expr: \"a / b\", to: q }\n");
    assert_eq!(one(&s, r#"{"a": 1, "b": 0}"#).code(), "R0011");
    // A quotient that does not end is refused, not rounded to 28 places.
    assert_eq!(one(&s, r#"{"a": 1, "b": 3}"#).code(), "R0022");
}

// ---------------------------------------------------------------------------
// Filter and rules
// ---------------------------------------------------------------------------

fn filtered(filter: &str, body: &str) -> String {
    spec_with(body).replace("key: id }", &format!("key: id, filter: \"{filter}\" }}"))
}

#[test]
fn the_filter_uses_odata_semantics_and_runs_before_rules() {
    let s = filtered(
        "estimatedvalue ne null and statuscode ne 2",
        "    rules:\n      - { when: \"statecode == 2\", action: skip }\n    fields:\n      - { from: id, to: id }\n",
    );
    let got = run(
        &s,
        &[
            r#"{"id": "a", "estimatedvalue": 1, "statuscode": 1, "statecode": 0}"#,
            r#"{"id": "b", "estimatedvalue": null, "statecode": 2}"#,
            r#"{"id": "c", "statuscode": 1}"#,
            r#"{"id": "d", "estimatedvalue": 5, "statuscode": null, "statecode": 2}"#,
            r#"{"id": "e", "estimatedvalue": 5, "statuscode": 2}"#,
        ],
    );
    assert_eq!(got[0].json(), r#"{"id":"a"}"#);
    assert_eq!(got[1], Got::Filtered); // filtered before the skip rule could match
    assert_eq!(got[2], Got::Filtered);
    assert_eq!(got[3], Got::Skipped(0)); // null ne 2 is true in OData
    assert_eq!(got[4], Got::Filtered);
}

#[test]
fn filter_functions_and_comparisons_with_null() {
    let s = filtered(
        "startswith(name, 'A') and amount gt 10",
        "    fields:\n      - { from: name, to: n }\n",
    );
    let got = run(
        &s,
        &[
            r#"{"name": "Ann", "amount": 11}"#,
            r#"{"name": "Ann"}"#,
            r#"{"amount": 11}"#,
            r#"{"name": "Bob", "amount": 11}"#,
        ],
    );
    assert_eq!(got[0].json(), r#"{"n":"Ann"}"#);
    assert_eq!(&got[1..], &[Got::Filtered, Got::Filtered, Got::Filtered]);
}

const RULES: &str = "    rules:
      - { when: \"state == 2\", action: skip }
      - { when: \"is_null(email)\", action: warn, message: \"no email\" }
      - { when: \"value < 0\", action: error, message: \"negative value\" }
      - { when: \"value >= 100\", action: set, to: approval.level, value: \"legal\" }
      - { when: \"is_null(org)\", action: set, to: org, expr: \"'UNKNOWN'\" }
      - { when: \"state == 2\", action: error, message: \"never reached for skipped records\" }
    fields:
      - { from: id, to: id }
      - { from: org, to: org }
      - { from: value, to: value }
";

#[test]
fn skip_rules_stop_the_record() {
    assert_eq!(
        one(&spec_with(RULES), r#"{"id": "a", "state": 2, "value": -1}"#),
        Got::Skipped(0)
    );
}

#[test]
fn warn_rules_keep_the_record() {
    match one(&spec_with(RULES), r#"{"id": "a", "org": "O", "value": 1}"#) {
        Got::Written(json, warnings) => {
            assert_eq!(json, r#"{"id":"a","org":"O","value":1}"#);
            assert_eq!(warnings, vec!["R0101 no email".to_string()]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn error_rules_reject_with_the_message() {
    match one(
        &spec_with(RULES),
        r#"{"id": "a", "email": "e", "value": -1}"#,
    ) {
        Got::Rejected { code, message, .. } => {
            assert_eq!(code, "R0008");
            assert!(message.contains("negative value"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn set_rules_override_fields_and_add_paths_after_them() {
    let g = one(
        &spec_with(RULES),
        r#"{"id": "a", "email": "e", "value": 250.00}"#,
    );
    assert_eq!(
        g.json(),
        r#"{"id":"a","org":"UNKNOWN","value":250.00,"approval":{"level":"legal"}}"#
    );
    let g = one(
        &spec_with(RULES),
        r#"{"id": "a", "email": "e", "org": "O", "value": 5}"#,
    );
    assert_eq!(g.json(), r#"{"id":"a","org":"O","value":5}"#);
}

// ---------------------------------------------------------------------------
// Products
// ---------------------------------------------------------------------------

const PRODUCTS: &str = "    fields:
      - { from: id, to: id }
    products:
      source: opportunityproduct
      path: products
      sku_field: productnumber
      order_by: sequencenumber
      exclude_skus: [LEGACY-001, SVC-INTERNAL]
      overwrite_template_products: true
      to: line_items
      fields:
        - { from: productnumber, to: sku }
        - { expr: \"round(quantity * priceperunit - coalesce(manualdiscountamount, 0), 2)\", to: total }
      discount: { from: discountamount, to: discount, sync: once }
      tax: { from: totaltax, to: tax }
      freight: { from: freightamount, to: freight }
";

#[test]
fn product_lines_are_filtered_sorted_and_mapped() {
    let rec = r#"{"id": "o1", "discountamount": 50.00, "totaltax": 1.5, "products": [
        {"productnumber": "B", "quantity": 1.00, "priceperunit": 450.00, "sequencenumber": 20},
        {"productnumber": "A", "quantity": 3.00, "priceperunit": 3.3350, "sequencenumber": 10},
        {"productnumber": null, "quantity": 1, "priceperunit": 2, "sequencenumber": null},
        {"productnumber": "LEGACY-001", "quantity": 1, "priceperunit": 1, "sequencenumber": 1},
        {"productnumber": "C", "quantity": 2, "priceperunit": 1, "manualdiscountamount": 0.5, "sequencenumber": 20}
    ]}"#;
    let g = one(&spec_with(PRODUCTS), rec);
    // Compared as text: numbers keep their scale (`3.00`, `450.00`).
    assert_eq!(
        g.json(),
        r#"{"id":"o1","line_items":[{"sku":"A","total":10.01,"quantity":3.00,"price":3.3350},{"sku":"B","total":450.00,"quantity":1.00,"price":450.00},{"sku":"C","total":1.50,"quantity":2,"price":1},{"sku":null,"total":2.00,"quantity":1,"price":2}],"discount":50.00,"tax":1.5,"freight":null}"#
    );
    // The exact text keeps scales.
    assert!(
        g.json()
            .contains(r#""total":10.01,"quantity":3.00,"price":3.3350"#),
        "{}",
        g.json()
    );
}

#[test]
fn product_order_desc_keeps_nulls_last_and_ties_in_input_order() {
    let s =
        spec_with(&PRODUCTS.replace("order_by: sequencenumber", "order_by: sequencenumber desc"));
    let rec = r#"{"products": [
        {"productnumber": "n1", "sequencenumber": null},
        {"productnumber": "a", "sequencenumber": 1},
        {"productnumber": "t1", "sequencenumber": 5},
        {"productnumber": "t2", "sequencenumber": 5},
        {"productnumber": "n2"}
    ]}"#;
    let v = one(&s, rec).value();
    let skus: Vec<&str> = v["line_items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["sku"].as_str().unwrap())
        .collect();
    assert_eq!(skus, ["t1", "t2", "a", "n1", "n2"]);
}

#[test]
fn no_lines_give_an_empty_list() {
    let s = spec_with(PRODUCTS);
    for rec in [
        r#"{}"#,
        r#"{"products": null}"#,
        r#"{"products": []}"#,
        r#"{"products": [{"productnumber": "SVC-INTERNAL"}]}"#,
    ] {
        assert_eq!(one(&s, rec).value()["line_items"], json!([]), "{rec}");
    }
}

#[test]
fn exclude_skus_as_one_comma_separated_string() {
    let s =
        spec_with(&PRODUCTS.replace("[LEGACY-001, SVC-INTERNAL]", "\"LEGACY-001, SVC-INTERNAL\""));
    let v = one(
        &s,
        r#"{"products": [{"productnumber": "SVC-INTERNAL"}, {"productnumber": "legacy-001"}]}"#,
    )
    .value();
    assert_eq!(v["line_items"].as_array().map(Vec::len), Some(1)); // exact, case-sensitive match
}

#[test]
fn products_that_are_not_a_list_reject() {
    let s = spec_with(PRODUCTS);
    assert_eq!(one(&s, r#"{"products": "x"}"#).code(), "R0010");
    assert_eq!(one(&s, r#"{"products": [1]}"#).code(), "R0010");
}

#[test]
fn a_line_error_names_the_output_line() {
    let s = spec_with(&PRODUCTS.replace(
        "- { from: productnumber, to: sku }",
        "- { from: productnumber, to: sku, on_null: error }",
    ));
    match one(
        &s,
        r#"{"products": [{"productnumber": "A", "sequencenumber": 2}, {"sequencenumber": 1}]}"#,
    ) {
        Got::Rejected {
            code,
            field,
            message,
            ..
        } => {
            assert_eq!(code, "R0009");
            assert_eq!(field.as_deref(), Some("line_items[0].sku"));
            assert!(!message.contains("sku"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    // People count lines from 1, in input order: the second line of `products`.
    let g = one(
        &s,
        r#"{"id": "k", "products": [{"productnumber": "A", "sequencenumber": 2}, {"sequencenumber": 1}]}"#,
    );
    assert_eq!(
        g.report(),
        "mem:1: rejected R0009: record 1 (key k), product line 2 of `products`, field `sku`: the value is null and the field has `on_null: error`"
    );
}

// ---------------------------------------------------------------------------
// Sales prices
// ---------------------------------------------------------------------------

const SALES: &str = "    fields:
      - { from: id, to: id }
    sales_prices:
      path: salesprices
      to: sales_price
      sales_codes: [Y1004N, W1035N]
      field_separator: \"//\"
      record_delimiter: \"|\"
      exclude_expired: true
      fields: [unitprice, salescode, description, minimumqty, startingdate, endingdate]
";

#[test]
fn sales_prices_flatten_live_rules_with_the_listed_codes() {
    let rec = r#"{"id": "c", "salesprices": [
        {"unitprice": 45.10, "salescode": "Y1004N", "description": "Desk", "minimumqty": 0, "startingdate": "2026-01-01", "endingdate": null},
        {"unitprice": 9, "salescode": "Y1004N", "description": "old", "minimumqty": 1, "startingdate": "2025-01-01", "endingdate": "2026-11-21"},
        {"unitprice": 1, "salescode": "RETAIL", "description": "other code", "endingdate": null},
        {"unitprice": 2, "salescode": "Y1005N", "description": "not listed", "endingdate": null},
        {"unitprice": 100.00, "salescode": "W1035N", "description": "Table", "minimumqty": 10.0, "startingdate": "2026-01-01", "endingdate": "2026-11-22"},
        {"unitprice": 7.2500, "salescode": "W1035N", "description": "dt", "minimumqty": 1.00, "startingdate": "2026-03-01", "endingdate": "2026-11-22T10:00:00Z"}
    ]}"#;
    let v = one(&spec_with(SALES), rec).value();
    assert_eq!(
        v["sales_price"],
        json!("45.1//Y1004N//Desk//0//2026-01-01//|100//W1035N//Table//10//2026-01-01//2026-11-22|7.25//W1035N//dt//1//2026-03-01//2026-11-22")
    );
}

#[test]
fn no_remaining_rule_gives_the_empty_string() {
    let s = spec_with(SALES);
    for rec in [
        r#"{}"#,
        r#"{"salesprices": []}"#,
        r#"{"salesprices": [{"salescode": "X"}]}"#,
    ] {
        assert_eq!(one(&s, rec).value()["sales_price"], json!(""), "{rec}");
    }
}

#[test]
fn without_sales_codes_every_rule_counts_and_expiry_can_be_off() {
    let s = spec_with(
        &SALES
            .replace("      sales_codes: [Y1004N, W1035N]\n", "")
            .replace("exclude_expired: true", "exclude_expired: false"),
    );
    let rec = r#"{"salesprices": [{"unitprice": 1, "salescode": "A", "endingdate": "2020-01-01"}, {"unitprice": 2, "salescode": "Z"}]}"#;
    assert_eq!(
        one(&s, rec).value()["sales_price"],
        json!("1//A////////2020-01-01|2//Z////////")
    );
}

#[test]
fn a_price_rule_without_a_sales_code_rejects_the_record() {
    let with_codes = spec_with(SALES);
    let all_codes = spec_with(&SALES.replace("      sales_codes: [Y1004N, W1035N]\n", ""));
    for s in [&with_codes, &all_codes] {
        for rule in [
            r#"{"unitprice": 3, "salescode": null}"#,
            r#"{"unitprice": 3}"#,
        ] {
            let rec = format!(
                r#"{{"id": "c", "salesprices": [{{"unitprice": 1, "salescode": "Y1004N"}}, {rule}]}}"#
            );
            let got = one(s, &rec);
            assert_eq!(got.code(), "R0015", "{rec}");
        }
    }
    let off = spec_with(&SALES.replace(
        "      to: sales_price\n",
        "      to: sales_price\n      transfer_customer_price_groups: false\n",
    ));
    let rec = r#"{"id": "c", "salesprices": [{"unitprice": 3, "salescode": null}]}"#;
    assert!(one(&off, rec).value().get("sales_price").is_none());
}

#[test]
fn transfer_customer_price_groups_false_writes_no_key() {
    let s = spec_with(&SALES.replace(
        "      to: sales_price\n",
        "      to: sales_price\n      transfer_customer_price_groups: false\n",
    ));
    assert_eq!(
        one(
            &s,
            r#"{"id": "c", "salesprices": [{"unitprice": 1, "salescode": "Y1004N"}]}"#
        )
        .json(),
        r#"{"id":"c"}"#
    );
}

#[test]
fn a_value_containing_the_separator_or_delimiter_rejects_the_record() {
    let s = spec_with(SALES);
    match one(
        &s,
        r#"{"salesprices": [{"salescode": "Y1004N"}, {"salescode": "Y1004N", "description": "a//b"}]}"#,
    ) {
        Got::Rejected {
            code,
            field,
            message,
            ..
        } => {
            assert_eq!(code, "R0012");
            assert_eq!(field.as_deref(), Some("salesprices[1].description"));
            assert!(message.contains("separator"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    let g = one(
        &s,
        r#"{"id": "k", "salesprices": [{"salescode": "Y1004N"}, {"salescode": "Y1004N", "description": "a//b"}]}"#,
    );
    assert!(
        g.report().starts_with(
            "mem:1: rejected R0012: record 1 (key k), price rule 2 of `salesprices`, field `description`: the value contains the field separator `//`"
        ),
        "{}",
        g.report()
    );
    match one(
        &s,
        r#"{"salesprices": [{"salescode": "Y1004N", "description": "a|b"}]}"#,
    ) {
        Got::Rejected { code, message, .. } => {
            assert_eq!(code, "R0012");
            assert!(message.contains("delimiter"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    // An expired or filtered-out rule is never written, so it cannot be ambiguous.
    let g = one(
        &s,
        r#"{"salesprices": [{"salescode": "X", "description": "a|b"}, {"salescode": "Y1004N", "description": "a|b", "endingdate": "2020-01-01"}]}"#,
    );
    assert_eq!(g.value()["sales_price"], json!(""));
}

#[test]
fn an_unreadable_ending_date_rejects() {
    let s = spec_with(SALES);
    assert_eq!(
        one(
            &s,
            r#"{"salesprices": [{"salescode": "Y1004N", "endingdate": "31.12.2026"}]}"#
        )
        .code(),
        "R0003"
    );
    // Also when expiry is off: the ending date is a date-typed price field.
    let s = spec_with(&SALES.replace("exclude_expired: true", "exclude_expired: false"));
    let g = one(
        &s,
        r#"{"id": "k", "salesprices": [{"salescode": "Y1004N", "endingdate": "soon"}]}"#,
    );
    assert_eq!(
        g.report(),
        "mem:1: rejected R0003: record 1 (key k), price rule 1 of `salesprices`, field `endingdate`: \"soon\" is not a date (YYYY-MM-DD) or date-time (RFC 3339); help: send dates as YYYY-MM-DD (or RFC 3339 date-times); read other formats with `parse_date(x, 'DD.MM.YYYY')`"
    );
}

#[test]
fn an_invalid_starting_date_rejects_like_the_ending_date() {
    let s = spec_with(SALES);
    // `2026-02-30` does not exist: it must not be copied into the price string.
    let g = one(
        &s,
        r#"{"id": "k", "salesprices": [{"salescode": "Y1004N", "startingdate": "2026-01-01"}, {"salescode": "W1035N", "startingdate": "2026-02-30", "endingdate": null}]}"#,
    );
    match &g {
        Got::Rejected { code, field, .. } => {
            assert_eq!(code, "R0003");
            assert_eq!(field.as_deref(), Some("salesprices[1].startingdate"));
        }
        other => panic!("{other:?}"),
    }
    assert!(
        g.report().contains(
            "price rule 2 of `salesprices`, field `startingdate`: \"2026-02-30\" is not a date"
        ),
        "{}",
        g.report()
    );
    // Date-times in date fields are written as their UTC date.
    let g = one(
        &s,
        r#"{"salesprices": [{"salescode": "Y1004N", "startingdate": "2026-01-01T23:30:00-02:00"}]}"#,
    );
    assert_eq!(
        g.value()["sales_price"],
        json!("//Y1004N//////2026-01-02//")
    );
}

// ---------------------------------------------------------------------------
// Companies
// ---------------------------------------------------------------------------

fn companies(extra: &str) -> String {
    spec_with(&format!(
        "    rules:
      - {{ when: \"type == 'Person'\", action: skip }}
    fields:
      - {{ from: number, to: no }}
    companies:
      to: relationships
      id_field: id
      number_field: number
      parent_field: parent
      hierarchy: true
      relationships: true
      contacts_path: contacts
      contact_id_field: id
{extra}"
    ))
}

fn order(got: &[Got]) -> Vec<String> {
    got.iter()
        .map(|g| match g {
            Got::Written(j, _) => serde_json::from_str::<serde_json::Value>(j).unwrap()["no"]
                .as_str()
                .unwrap()
                .to_string(),
            Got::Skipped(_) => "skip".into(),
            Got::Filtered => "filtered".into(),
            Got::Rejected { code, .. } => code.clone(),
        })
        .collect()
}

#[test]
fn relationships_hierarchy_first_then_contacts_in_input_order() {
    let s = companies("      create_in_prerequisite: false\n");
    let got = run(
        &s,
        &[
            r#"{"id": "P", "number": "C1", "contacts": [{"id": "k1"}]}"#,
            r#"{"id": "K", "number": "C2", "parent": "C1", "contacts": [{"id": "k2"}, {"id": null}, {"id": "k3"}]}"#,
        ],
    );
    assert_eq!(
        got[0].value()["relationships"],
        json!([{"id": "P|k1", "relationship_type": "Person", "company_id": "P", "contact_id": "k1"}])
    );
    assert_eq!(
        got[1].value()["relationships"],
        json!([
            {"id": "P|K", "relationship_type": "Parent Company", "parent_id": "P", "company_id": "K"},
            {"id": "K|k2", "relationship_type": "Person", "company_id": "K", "contact_id": "k2"},
            {"id": "K|k3", "relationship_type": "Person", "company_id": "K", "contact_id": "k3"}
        ])
    );
    // The contact without an id is left out, and a warning says so.
    match &got[1] {
        Got::Written(_, w) => assert_eq!(
            w,
            &["R0106 contact 2 of `contacts` has no `id` (null, absent or blank); no Person relationship is written for it"]
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn unknown_parent_warns_and_writes_no_hierarchy() {
    let got = run(
        &companies(""),
        &[r#"{"id": "A", "number": "C1", "parent": "C9"}"#],
    );
    match &got[0] {
        Got::Written(json, warnings) => {
            assert!(json.ends_with(r#""relationships":[]}"#), "{json}");
            assert_eq!(warnings.len(), 1);
            assert!(warnings[0].starts_with("R0102"), "{warnings:?}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn self_parent_and_cycles_are_rejected() {
    let got = run(
        &companies("      create_in_prerequisite: true\n"),
        &[
            r#"{"id": "S", "number": "C0", "parent": "C0"}"#,
            r#"{"id": "A", "number": "C1", "parent": "C2"}"#,
            r#"{"id": "B", "number": "C2", "parent": "C1"}"#,
            r#"{"id": "D", "number": "C3", "parent": "C1"}"#,
        ],
    );
    assert_eq!(order(&got), ["R0013", "R0013", "R0013", "C3"]);
}

#[test]
fn create_in_prerequisite_orders_parents_first() {
    // The example in the data README: #1 waits for its parent #3.
    let recs = [
        r#"{"id": "n", "number": "C10010", "parent": "C10000"}"#,
        r#"{"id": "a", "number": "C20000"}"#,
        r#"{"id": "h", "number": "C10000"}"#,
        r#"{"id": "s", "number": "C10020", "parent": "C10000"}"#,
        r#"{"id": "t", "number": "C30000", "parent": "C99999"}"#,
        r#"{"id": "p", "number": "C40000", "type": "Person"}"#,
        r#"{"id": "x", "number": "C50000"}"#,
    ];
    let got = run(&companies("      create_in_prerequisite: true\n"), &recs);
    assert_eq!(
        order(&got),
        ["C20000", "C10000", "C10010", "C10020", "C30000", "skip", "C50000"]
    );
    let got = run(&companies("      create_in_prerequisite: false\n"), &recs);
    assert_eq!(
        order(&got),
        ["C10010", "C20000", "C10000", "C10020", "C30000", "skip", "C50000"]
    );
}

#[test]
fn skipped_companies_are_parents_but_not_emitted() {
    let got = run(
        &companies("      create_in_prerequisite: true\n"),
        &[
            r#"{"id": "K", "number": "C2", "parent": "C1"}"#,
            r#"{"id": "P", "number": "C1", "type": "Person"}"#,
        ],
    );
    assert_eq!(order(&got), ["C2", "skip"]);
    assert_eq!(got[0].value()["relationships"][0]["id"], json!("P|K"));
}

#[test]
fn chains_are_ordered_transitively() {
    let got = run(
        &companies("      create_in_prerequisite: true\n"),
        &[
            r#"{"id": "c", "number": "3", "parent": "2"}"#,
            r#"{"id": "b", "number": "2", "parent": "1"}"#,
            r#"{"id": "a", "number": "1"}"#,
        ],
    );
    assert_eq!(order(&got), ["1", "2", "3"]);
}

// ---------------------------------------------------------------------------
// The stream
// ---------------------------------------------------------------------------

#[test]
fn parallel_runs_give_the_same_outcomes_in_the_same_order() {
    let s = spec_with(RULES);
    let mut recs = Vec::new();
    for i in 0..20_000 {
        let r = match i % 7 {
            0 => format!(r#"{{"id": "{i}", "state": 2}}"#),
            1 => format!(r#"{{"id": "{i}", "value": -1, "email": "e"}}"#),
            2 => "{not json".to_string(),
            3 => format!(r#"{{"id": "{i}", "value": {i}.50}}"#),
            _ => format!(r#"{{"id": "{i}", "email": "e", "org": "o{i}", "value": {i}}}"#),
        };
        recs.push(r.into_bytes());
    }
    let c = compiled(&s, AS_OF);
    let seq = collect(&c, &mut MemorySource::new("x", recs.clone()));
    let mut ndjson = Vec::new();
    for r in &recs {
        ndjson.extend_from_slice(r);
        ndjson.push(b'\n');
    }
    let mut par = Vec::new();
    let mut src = mapc_connect::source::from_reader(
        mapc_connect::Format::Ndjson,
        "x".into(),
        std::io::Cursor::new(ndjson),
    );
    let mut sink = |o: mapc_engine::Outcome<'_>| -> std::io::Result<()> {
        par.push(match o {
            mapc_engine::Outcome::Written { json, warnings, .. } => Got::Written(
                String::from_utf8(json.to_vec()).unwrap(),
                warnings
                    .iter()
                    .map(|w| format!("{} {}", w.code, w.message))
                    .collect(),
            ),
            mapc_engine::Outcome::Skipped { rule, .. } => Got::Skipped(rule),
            mapc_engine::Outcome::Filtered { .. } => Got::Filtered,
            mapc_engine::Outcome::Rejected(r) => Got::Rejected {
                report: mapc_output::report::rejection_line(&r, None),
                code: r.code.to_string(),
                field: r.field,
                message: r.message,
                line: r.at.line,
                index: r.at.index,
            },
        });
        Ok(())
    };
    let summary = c.run_threads(&mut *src, &mut sink, 3).unwrap();
    assert_eq!(summary.read, 20_000);
    assert_eq!(par.len(), seq.len());
    for (i, (a, b)) in seq.iter().zip(&par).enumerate() {
        assert_eq!(a, b, "record {i}");
    }
}

#[test]
fn one_source_list_can_feed_several_blocks_and_expressions() {
    let s = spec_with(
        "    fields:
      - { expr: \"len(items)\", to: count }
    products:
      source: line
      path: items
      order_by: n desc
      to: lines
      fields:
        - { from: n, to: n }
    sales_prices:
      path: items
      to: flat
      exclude_expired: false
      fields: [n, salescode]
",
    );
    let g = one(
        &s,
        r#"{"items": [{"n": 1, "salescode": "A"}, {"n": 2, "salescode": "B"}]}"#,
    );
    assert_eq!(
        g.json(),
        r#"{"count":2,"lines":[{"n":2},{"n":1}],"flat":"1//A|2//B"}"#
    );
}

// ---------------------------------------------------------------------------
// Related records: absent is R0004, null is null-safe
// ---------------------------------------------------------------------------

#[test]
fn an_absent_related_record_is_r0004_and_a_null_one_reads_as_null() {
    let s = spec_with(
        "    rules:\n      - { when: \"state == 2\", action: skip }\n    fields:\n      - { from: id, to: id }\n      - { from: customer.name, to: customer_name }\n      - { expr: \"coalesce(customer.no, 'n/a')\", to: customer_no }\n",
    );
    // Embedded, null, absent.
    assert_eq!(
        one(&s, r#"{"id": "a", "customer": {"name": "Ann", "no": 7}}"#).json(),
        r#"{"id":"a","customer_name":"Ann","customer_no":7}"#
    );
    assert_eq!(
        one(&s, r#"{"id": "b", "customer": null}"#).json(),
        r#"{"id":"b","customer_name":null,"customer_no":"n/a"}"#
    );
    let g = one(&s, r#"{"id": "c", "customerid": "x"}"#);
    match &g {
        Got::Rejected { code, field, .. } => {
            assert_eq!(code, "R0004");
            assert_eq!(field.as_deref(), Some("customer_name"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        g.report(),
        "mem:1: rejected R0004: record 1 (key c), field `customer_name`: the related record `customer` is missing: the record has no `customer` key (expected the account embedded as `\"customer\": {...}`); help: when the lookup `customerid` has no value, embed `\"customer\": null`; its fields then read as null"
    );
    // A related record that is there but not an object is R0010, naming
    // the alias and what was found (not a record of nulls).
    let g = one(&s, r#"{"id": "d", "customer": "oops"}"#);
    match &g {
        Got::Rejected { code, field, .. } => {
            assert_eq!(code, "R0010");
            assert_eq!(field.as_deref(), Some("customer_name"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        g.report(),
        "mem:1: rejected R0010: record 1 (key d), field `customer_name`: the related record `customer` is a string, expected an object (or null); help: embed the account as `\"customer\": {...}`, or `\"customer\": null` when the lookup `customerid` has no value"
    );
    for (v, kind) in [
        ("7", "a number"),
        ("[]", "a list"),
        ("[{\"name\": \"Ann\"}]", "a list"),
        ("true", "a boolean"),
        ("\"\"", "a string"),
    ] {
        let g = one(&s, &format!(r#"{{"id": "d", "customer": {v}}}"#));
        assert_eq!(g.code(), "R0010", "{v}");
        assert!(
            g.report().contains(&format!(
                "the related record `customer` is {kind}, expected"
            )),
            "{}",
            g.report()
        );
    }
    // Skipped before anything reads `customer`: not rejected.
    assert_eq!(one(&s, r#"{"id": "e", "state": 2}"#), Got::Skipped(0));
}

#[test]
fn a_mapping_that_does_not_read_the_alias_never_asks_for_it() {
    let s = fields("      - { from: id, to: id }\n");
    assert_eq!(one(&s, r#"{"id": "a"}"#).json(), r#"{"id":"a"}"#);
}

#[test]
fn rules_and_filters_reading_an_absent_alias_are_r0004_at_that_rule() {
    let s = spec_with(
        "    rules:\n      - { when: \"is_null(customer.no)\", action: warn, message: \"no number\" }\n    fields:\n      - { from: id, to: id }\n",
    );
    let g = one(&s, r#"{"id": "a"}"#);
    assert_eq!(g.code(), "R0004");
    assert!(
        g.report()
            .contains(", rule 1: the related record `customer` is missing"),
        "{}",
        g.report()
    );
    match one(&s, r#"{"id": "b", "customer": null}"#) {
        Got::Written(_, w) => assert_eq!(w, vec!["R0101 no number".to_string()]),
        other => panic!("{other:?}"),
    }
    let f = filtered(
        "customer/no ne null",
        "    fields:\n      - { from: id, to: id }\n",
    );
    assert_eq!(one(&f, r#"{"id": "a"}"#).code(), "R0004");
    assert_eq!(one(&f, r#"{"id": "a", "customer": null}"#), Got::Filtered);
    // Not an object: R0010 at the rule and at the filter as well.
    let g = one(&s, r#"{"id": "a", "customer": "acc1"}"#);
    assert_eq!(g.code(), "R0010");
    assert!(
        g.report().contains(
            ", rule 1: the related record `customer` is a string, expected an object (or null)"
        ),
        "{}",
        g.report()
    );
    assert_eq!(one(&f, r#"{"id": "a", "customer": 1}"#).code(), "R0010");
}

#[test]
fn a_related_alias_read_whole_is_checked_too() {
    // `is_null(customer)` reads the alias itself (its whole value).
    let s = spec_with(
        "    fields:\n      - { from: id, to: id }\n      - { expr: \"is_null(customer)\", to: none }\n      - { from: customer.name, to: name }\n",
    );
    assert_eq!(
        one(&s, r#"{"id": "a", "customer": null}"#).json(),
        r#"{"id":"a","none":true,"name":null}"#
    );
    assert_eq!(
        one(&s, r#"{"id": "a", "customer": {"name": "Ann"}}"#).json(),
        r#"{"id":"a","none":false,"name":"Ann"}"#
    );
    assert_eq!(one(&s, r#"{"id": "a", "customer": "x"}"#).code(), "R0010");
}

// ---------------------------------------------------------------------------
// Create and update
// ---------------------------------------------------------------------------

const MODES: &str = "    rules:
      - { when: \"flag\", action: set, to: title, expr: \"'flagged'\" }
      - { when: \"flag\", action: set, to: note, expr: \"'set'\" }
    fields:
      - { from: id, to: id, sync: once }
      - { from: name, to: title, sync: once, on_null: error }
      - { from: amount, to: amount }
      - { from: c, to: c, sync: two_way }
      - { from: back, to: back, sync: target_to_source }
    products:
      source: line
      path: lines
      to: lines
      fields:
        - { from: n, to: n }
        - { from: made, to: made, sync: once }
      discount: { from: discountamount, to: discount, sync: once }
      tax: { from: totaltax, to: tax }
";

fn run_mode(spec: &str, rec: &str, mode: mapc_engine::WriteMode) -> Got {
    let p = program(spec);
    let c = mapc_engine::Compiled::new(&p, 0, mapc_engine::Options { as_of: AS_OF, mode })
        .expect("compiles");
    collect(
        &c,
        &mut MemorySource::new("mem", vec![rec.as_bytes().to_vec()]),
    )
    .pop()
    .expect("one outcome")
}

#[test]
fn create_writes_once_entries_and_update_leaves_them_out() {
    use mapc_engine::WriteMode;
    let s = spec_with(MODES);
    let rec = r#"{"id": "k", "name": "N", "amount": 1, "c": 2, "back": 3, "flag": true, "discountamount": 5, "totaltax": 6, "lines": [{"n": 1, "made": "x"}]}"#;
    assert_eq!(mapc_engine::Options::new(AS_OF).mode, WriteMode::Create);
    assert_eq!(
        run_mode(&s, rec, WriteMode::Create).json(),
        r#"{"id":"k","title":"flagged","amount":1,"c":2,"note":"set","lines":[{"n":1,"made":"x"}],"discount":5,"tax":6}"#
    );
    // Update: `id`, `title` (and the `set` onto it), the line field `made`
    // and `discount` are `once`; the `set` onto `note` stays.
    assert_eq!(
        run_mode(&s, rec, WriteMode::Update).json(),
        r#"{"amount":1,"c":2,"note":"set","lines":[{"n":1}],"tax":6}"#
    );
    // A `once` field is not even read on update: its `on_null: error` cannot fire.
    let rec = r#"{"id": "k", "name": null, "amount": 1}"#;
    assert_eq!(run_mode(&s, rec, WriteMode::Create).code(), "R0009");
    assert_eq!(
        run_mode(&s, rec, WriteMode::Update).json(),
        r#"{"amount":1,"c":null,"lines":[],"tax":null}"#
    );
}

#[test]
fn an_update_always_writes_the_target_key_even_when_once() {
    use mapc_engine::WriteMode;
    let keyed = |key: &str, body: &str| {
        spec_with(body).replace(
            "target: { connection: out, entity: other }",
            &format!("target: {{ connection: out, entity: other, key: {key} }}"),
        )
    };
    // `id` is `once` but is the target key: an update still writes it (and
    // a `set` onto it); `title`, also `once`, is left out as before.
    let s = keyed("id", MODES);
    let rec = r#"{"id": "k", "name": "N", "amount": 1, "c": 2, "flag": false, "totaltax": 6, "lines": []}"#;
    assert_eq!(
        run_mode(&s, rec, WriteMode::Update).json(),
        r#"{"id":"k","amount":1,"c":2,"lines":[],"tax":6}"#
    );
    let s = keyed(
        "id",
        "    rules:\n      - { when: \"flag\", action: set, to: id, expr: \"'K'\" }\n    fields:\n      - { from: id, to: id, sync: once }\n      - { from: name, to: title, sync: once }\n",
    );
    assert_eq!(
        run_mode(
            &s,
            r#"{"id": "k", "name": "N", "flag": true}"#,
            WriteMode::Update
        )
        .json(),
        r#"{"id":"K"}"#
    );
    // A dotted key: the field writing it (or the object holding it) is kept,
    // its `once` siblings are not.
    let s = keyed(
        "ref.id",
        "    fields:\n      - { from: id, to: ref.id, sync: once }\n      - { from: name, to: ref.name, sync: once }\n      - { from: amount, to: amount }\n",
    );
    assert_eq!(
        run_mode(
            &s,
            r#"{"id": "k", "name": "N", "amount": 1}"#,
            WriteMode::Update
        )
        .json(),
        r#"{"ref":{"id":"k"},"amount":1}"#
    );
    assert_eq!(
        run_mode(
            &s,
            r#"{"id": "k", "name": "N", "amount": 1}"#,
            WriteMode::Create
        )
        .json(),
        r#"{"ref":{"id":"k","name":"N"},"amount":1}"#
    );
    let s = keyed(
        "ref.id",
        "    fields:\n      - { from: r, to: ref, sync: once }\n      - { from: amount, to: amount }\n",
    );
    assert_eq!(
        run_mode(&s, r#"{"r": {"id": "k"}, "amount": 1}"#, WriteMode::Update).json(),
        r#"{"ref":{"id":"k"},"amount":1}"#
    );
}

#[test]
fn a_once_products_block_is_left_out_of_an_update() {
    use mapc_engine::WriteMode;
    let s = spec_with(&MODES.replace("      to: lines\n", "      to: lines\n      sync: once\n"));
    let rec = r#"{"id": "k", "name": "N", "lines": [{"n": 1, "made": "x"}], "totaltax": 6}"#;
    assert_eq!(
        run_mode(&s, rec, WriteMode::Create).value()["lines"],
        json!([{"n": 1, "made": "x"}])
    );
    let v = run_mode(&s, rec, WriteMode::Update).value();
    assert_eq!(v.get("lines"), None, "{v}");
    assert_eq!(v["tax"], json!(6));
}

#[test]
fn broken_lines_keep_their_place_among_held_companies() {
    let s = companies("");
    let got = run_bytes(
        &s,
        mapc_connect::Format::Ndjson,
        b"{\"id\": \"1\", \"number\": \"A\"}\n{broken\n{\"id\": \"2\", \"number\": \"B\"}\n"
            .to_vec(),
    );
    assert_eq!(order(&got), vec!["A", "R0005", "B"]);
}

// ---------------------------------------------------------------------------
// `mapc test` expectations
// ---------------------------------------------------------------------------

#[test]
fn test_expectations_match_list_elements_partially() {
    use mapc_engine::testing::{run_case, CaseResult, Mismatch};
    let describe = |r: &mapc_engine::Rejection| mapc_output::report::rejection_text(r, None);
    let s = spec_with(
        "    fields:
      - { from: id, to: id }
    products:
      source: line
      path: lines
      to: items
      fields:
        - { from: sku, to: sku }
        - { expr: \"round(quantity * price, 2)\", to: total }
tests:
  - name: the items' sku and total only
    mapping: m
    input: { id: a, lines: [{ sku: A, quantity: 2, price: 1.005 }, { sku: B, quantity: 1, price: 3 }] }
    expect: { items: [{ sku: A, total: 2.01 }, {}] }
  - name: a wrong total in the second item
    mapping: m
    input: { id: a, lines: [{ sku: A, quantity: 2, price: 1.005 }, { sku: B, quantity: 1, price: 3 }] }
    expect: { items: [{ sku: A }, { total: 4 }] }
  - name: one item too few
    mapping: m
    input: { id: a, lines: [{ sku: A, quantity: 2, price: 1.005 }, { sku: B, quantity: 1, price: 3 }] }
    expect: { items: [{ sku: A }] }
",
    );
    let p = program(&s);
    assert_eq!(p.tests.len(), 3);
    assert_eq!(
        run_case(&p, &p.tests[0], AS_OF, &describe),
        CaseResult::Passed
    );
    assert_eq!(
        run_case(&p, &p.tests[1], AS_OF, &describe),
        CaseResult::Failed {
            mismatches: vec![Mismatch {
                path: "items[1].total".into(),
                expected: "4".into(),
                actual: "3.00".into(),
            }]
        }
    );
    match run_case(&p, &p.tests[2], AS_OF, &describe) {
        CaseResult::Failed { mismatches } => {
            assert_eq!(mismatches.len(), 1);
            assert_eq!(mismatches[0].path, "items");
            assert!(
                mismatches[0].expected.ends_with("(1 item)"),
                "{mismatches:?}"
            );
            assert!(
                mismatches[0].actual.ends_with("(2 items)"),
                "{mismatches:?}"
            );
        }
        other => panic!("{other:?}"),
    }
}
