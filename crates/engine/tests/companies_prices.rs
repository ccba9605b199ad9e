//! Companies and sales prices at their edges: contacts without an id
//! (R0106), parent numbers shared by two companies (R0027), `|` inside ids
//! that make relationship ids (R0028), and sales codes that differ from a
//! listed code only in case or blanks (R0107). Through the real parser,
//! lowering, reader and engine.

mod common;

use common::*;
use serde_json::json;

fn companies(extra: &str) -> String {
    spec_with(&format!(
        "    fields:
      - {{ from: number, to: no }}
    companies:
      to: relationships
      id_field: id
      number_field: number
      parent_field: parent
      contacts_path: contacts
      contact_id_field: id
{extra}"
    ))
}

fn warnings(g: &Got) -> &[String] {
    match g {
        Got::Written(_, w) => w,
        other => panic!("expected a written record, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------
// Contacts without an id
// ---------------------------------------------------------------------------

#[test]
fn contacts_without_an_id_are_left_out_with_a_warning() {
    let got = run(
        &companies(""),
        &[
            r#"{"id": "K", "number": "C1", "contacts": [{"id": null}, {"id": "k2"}, {}, {"id": " "}]}"#,
            r#"{"id": "L", "number": "C2", "contacts": [{"id": "k3"}]}"#,
        ],
    );
    assert_eq!(
        got[0].value()["relationships"],
        json!([{"id": "K|k2", "relationship_type": "Person", "company_id": "K", "contact_id": "k2"}])
    );
    assert_eq!(
        warnings(&got[0]),
        ["R0106 contacts 1, 3, 4 of `contacts` have no `id` (null, absent or blank); no Person relationship is written for them"]
    );
    assert!(warnings(&got[1]).is_empty());
}

#[test]
fn without_relationships_contacts_are_not_looked_at() {
    let got = run(
        &companies("      relationships: false\n"),
        &[r#"{"id": "K", "number": "C1", "contacts": [{"id": null}]}"#],
    );
    assert!(warnings(&got[0]).is_empty());
}

#[test]
fn a_contact_id_that_is_an_object_rejects() {
    let g = one(
        &companies(""),
        r#"{"id": "K", "number": "C1", "contacts": [{"id": "k1"}, {"id": {"guid": "x"}}]}"#,
    );
    assert_eq!(
        g.report(),
        "mem:1: rejected R0010: record 1 (key K), contact 2 of `contacts`, field `id`: the contact id is an object, expected a text or a number"
    );
}

// ---------------------------------------------------------------------------
// Parent numbers shared by two companies
// ---------------------------------------------------------------------------

#[test]
fn a_parent_number_of_two_companies_rejects_the_child() {
    let got = run(
        &companies(""),
        &[
            r#"{"id": "A", "number": "C1"}"#,
            r#"{"id": "B", "number": "C1"}"#,
            r#"{"id": "K", "number": "C2", "parent": "C1"}"#,
            r#"{"id": "L", "number": "C3", "parent": "C2"}"#,
        ],
    );
    assert_eq!(got[0].value()["no"], "C1");
    assert_eq!(got[1].value()["no"], "C1");
    assert_eq!(
        got[2].report(),
        "mem:3: rejected R0027: record 3 (key K), field `parent`: the parent company number `C1` belongs to more than one company read in this run: record 1 (line 1, id `A`) and record 2 (line 2, id `B`); the parent relationship would be a guess; help: company numbers must be unique: correct the number of the wrong company at the source"
    );
    // An unambiguous parent (even a rejected one) still resolves.
    assert_eq!(got[3].value()["relationships"][0]["id"], "K|L");
}

#[test]
fn the_same_company_twice_is_not_ambiguous() {
    let got = run(
        &companies(""),
        &[
            r#"{"id": "A", "number": "C1"}"#,
            r#"{"id": "A", "number": "C1"}"#,
            r#"{"id": "K", "number": "C2", "parent": "C1"}"#,
        ],
    );
    assert_eq!(got[2].value()["relationships"][0]["id"], "A|K");
}

#[test]
fn without_hierarchy_a_shared_number_is_not_a_parent() {
    let got = run(
        &companies("      hierarchy: false\n"),
        &[
            r#"{"id": "A", "number": "C1"}"#,
            r#"{"id": "B", "number": "C1"}"#,
            r#"{"id": "K", "number": "C2", "parent": "C1"}"#,
        ],
    );
    assert_eq!(got[2].value()["relationships"], json!([]));
}

// ---------------------------------------------------------------------------
// `|` inside ids
// ---------------------------------------------------------------------------

#[test]
fn a_company_id_with_the_separator_rejects_when_it_makes_a_relationship_id() {
    let got = run(
        &companies(""),
        &[
            r#"{"id": "a|b", "number": "C1", "contacts": [{"id": "k"}]}"#,
            r#"{"id": "c|d", "number": "C2"}"#,
        ],
    );
    assert_eq!(
        got[0].report(),
        "mem:1: rejected R0028: record 1 (key a|b), field `id`: the company id `a|b` contains `|`, so the relationship id `a|b|k` would be ambiguous (it could join other ids); help: relationship ids join two ids with `|`; remove the `|` from the id at the source, or map companies and contacts by ids without it"
    );
    // No relationship uses it: written.
    assert_eq!(got[1].value()["relationships"], json!([]));
}

#[test]
fn a_contact_id_with_the_separator_rejects() {
    let g = one(
        &companies(""),
        r#"{"id": "a", "number": "C1", "contacts": [{"id": "k1"}, {"id": "b|c"}]}"#,
    );
    assert!(
        g.report().starts_with(
            "mem:1: rejected R0028: record 1 (key a), contact 2 of `contacts`, field `id`: the contact id `b|c` contains `|`, so the relationship id `a|b|c` would be ambiguous"
        ),
        "{}",
        g.report()
    );
}

#[test]
fn a_parent_id_with_the_separator_rejects_the_child() {
    let got = run(
        &companies(""),
        &[
            r#"{"id": "a|b", "number": "C1"}"#,
            r#"{"id": "c", "number": "C2", "parent": "C1"}"#,
        ],
    );
    assert_eq!(got[0].value()["relationships"], json!([]));
    assert!(
        got[1].report().starts_with(
            "mem:2: rejected R0028: record 2 (key c), field `parent`: the id of the parent company (record 1, line 1) `a|b` contains `|`, so the relationship id `a|b|c` would be ambiguous"
        ),
        "{}",
        got[1].report()
    );
}

// ---------------------------------------------------------------------------
// Sales codes in another case or with blanks
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
      fields: [unitprice, salescode, description]
";

#[test]
fn a_sales_code_in_another_case_or_with_blanks_is_matched_and_warned() {
    let g = one(
        &spec_with(SALES),
        r#"{"id": "c", "salesprices": [
            {"unitprice": 1, "salescode": "Y1004N", "description": "exact", "endingdate": null},
            {"unitprice": 2, "salescode": "y1004n", "description": "lower", "endingdate": null},
            {"unitprice": 3, "salescode": "W1035N  ", "description": "blanks", "endingdate": null},
            {"unitprice": 4, "salescode": "y1004n", "description": "lower again", "endingdate": null},
            {"unitprice": 5, "salescode": "y1004n", "description": "expired", "endingdate": "2020-01-01"},
            {"unitprice": 6, "salescode": "Y1004", "description": "other code", "endingdate": null}
        ]}"#,
    );
    assert_eq!(
        g.value()["sales_price"],
        json!("1//Y1004N//exact|2//Y1004N//lower|3//W1035N//blanks|4//Y1004N//lower again")
    );
    assert_eq!(
        warnings(&g),
        [
            "R0107 price rules 2, 4 of `salesprices`: the sales code `y1004n` is not listed in `sales_codes` as written; it matches `Y1004N` when case and surrounding blanks are ignored, so the rule is transferred with the code `Y1004N`",
            "R0107 price rule 3 of `salesprices`: the sales code `W1035N  ` is not listed in `sales_codes` as written; it matches `W1035N` when case and surrounding blanks are ignored, so the rule is transferred with the code `W1035N`",
        ]
    );
}

#[test]
fn exact_codes_and_unlisted_codes_give_no_warning() {
    let g = one(
        &spec_with(SALES),
        r#"{"id": "c", "salesprices": [
            {"unitprice": 1, "salescode": "Y1004N", "description": "exact"},
            {"unitprice": 2, "salescode": "RETAIL", "description": "not listed"},
            {"unitprice": 3, "salescode": "", "description": "all customers"}
        ]}"#,
    );
    assert_eq!(g.value()["sales_price"], json!("1//Y1004N//exact"));
    assert!(warnings(&g).is_empty());
}

#[test]
fn a_written_company_with_relationships_needs_an_id_a_skipped_one_does_not() {
    let s = companies("    rules:\n      - { when: \"type == 'Person'\", action: skip }\n");
    let got = run(
        &s,
        &[
            r#"{"id": null, "number": "C1", "contacts": [{"id": "k"}]}"#,
            r#"{"id": " ", "number": "C2", "contacts": [{"id": "k"}]}"#,
            r#"{"id": null, "number": "C3", "type": "Person", "contacts": [{"id": "k"}]}"#,
            r#"{"id": null, "number": "C4", "contacts": []}"#,
        ],
    );
    assert_eq!(got[0].code(), "R0010");
    assert!(got[0]
        .report()
        .contains("field `id`: the company id is null, absent or blank"));
    assert_eq!(got[1].code(), "R0010");
    assert_eq!(got[2], Got::Skipped(0));
    assert_eq!(got[3].value()["relationships"], json!([]));
}
