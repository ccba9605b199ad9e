//! OData ABNF conformance: runs the OASIS `odata-abnf-testcases.yaml` cases
//! for the rules mapc parses (`filter`, `boolCommonExpr`, `commonExpr`,
//! `orderby`, `select`) through `mapc_syntax::filter::check_rule`.
//!
//! Cases that do not pass are listed, with a reason, in
//! `tests/odata-abnf-excluded.txt`; the test fails when an unlisted case
//! fails or a listed case passes (the list is stale), and when fewer than 90%
//! of the selected cases pass.

use mapc_diag::Diagnostics;
use mapc_syntax::filter::{check_rule, AbnfRule};
use mapc_syntax::yaml::{self, Limits, Node, NodeKind};
use std::collections::BTreeMap;

const CASES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/conformance/odata-abnf/odata-abnf-testcases.yaml"
);
const EXCLUDED: &str = include_str!("odata-abnf-excluded.txt");

struct Case {
    name: String,
    rule: String,
    input: String,
    fail_at: Option<usize>,
}

impl Case {
    /// The key used in the exclusion list: rule, name and input (tabs and
    /// newlines written as `\t`, `\n`), since names repeat.
    fn key(&self) -> String {
        format!("{} | {} | {}", self.rule, self.name, escape(&self.input))
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('\t', "\\t")
        .replace('\n', "\\n")
}

fn scalar(node: &Node, key: &str) -> Option<String> {
    node.get(key)
        .and_then(Node::as_scalar)
        .map(|s| s.text.clone())
}

fn load(text: &str) -> Vec<Case> {
    let mut diags = Diagnostics::new();
    let limits = Limits {
        max_depth: 64,
        max_nodes: 10_000_000,
        max_scalar_bytes: 1 << 24,
    };
    let root = yaml::parse(text, limits, &mut diags);
    assert!(
        !diags.has_errors(),
        "the test-case file does not parse: {diags:?}"
    );
    let root = root.expect("a YAML tree");
    let Some(NodeKind::Seq(items)) = root.get("TestCases").map(|n| &n.kind) else {
        panic!("no `TestCases:` list");
    };
    items
        .iter()
        .filter_map(|item| {
            Some(Case {
                name: scalar(item, "Name")?,
                rule: scalar(item, "Rule")?,
                input: scalar(item, "Input").unwrap_or_default(),
                fail_at: scalar(item, "FailAt").map(|f| f.parse().expect("FailAt is a number")),
            })
        })
        .collect()
}

/// Decodes `%XX` (as UTF-8 bytes). Returns the text and, for each character
/// of it, the character position it came from in the input.
fn percent_decode(input: &str) -> (String, Vec<usize>) {
    let hex = |c: u8| (c as char).to_digit(16);
    let chars: Vec<char> = input.chars().collect();
    let mut bytes = Vec::new();
    let mut origin = Vec::new(); // per output byte: source char index
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '%' && i + 2 < chars.len() && chars[i + 1].is_ascii() && chars[i + 2].is_ascii() {
            if let (Some(h), Some(l)) = (hex(chars[i + 1] as u8), hex(chars[i + 2] as u8)) {
                bytes.push((h * 16 + l) as u8);
                origin.push(i);
                i += 3;
                continue;
            }
        }
        let mut buf = [0u8; 4];
        for b in c.encode_utf8(&mut buf).bytes() {
            bytes.push(b);
            origin.push(i);
        }
        i += 1;
    }
    let text = String::from_utf8_lossy(&bytes).into_owned();
    // Map output chars back through their first byte (exact when the decoded
    // bytes are valid UTF-8, which they are for these cases).
    let mut map = Vec::new();
    let mut byte = 0;
    for c in text.chars() {
        map.push(origin.get(byte).copied().unwrap_or(chars.len()));
        byte += c.len_utf8();
    }
    map.push(chars.len());
    (text, map)
}

/// Runs one case: `Ok` when it behaves as the suite expects, else why not.
fn run(case: &Case) -> Result<(), String> {
    let Some(rule) = AbnfRule::from_name(&case.rule) else {
        return Err(format!("rule {} is not supported", case.rule));
    };
    let (text, map) = percent_decode(&case.input);
    let got = check_rule(rule, &text).map_err(|at| map.get(at).copied().unwrap_or(at));
    match (case.fail_at, got) {
        (None, Ok(())) => Ok(()),
        (None, Err(at)) => Err(format!("should parse, fails at {at}")),
        (Some(want), Ok(())) => Err(format!("should fail at {want}, parses")),
        (Some(want), Err(at)) if at == want => Ok(()),
        (Some(want), Err(at)) => Err(format!("should fail at {want}, fails at {at}")),
    }
}

#[test]
fn odata_abnf_conformance() {
    let Ok(text) = std::fs::read_to_string(CASES) else {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("odata-abnf: {CASES} is missing; the conformance suite must run in CI");
        }
        println!("odata-abnf: skipped, {CASES} is not present");
        return;
    };
    let cases: Vec<Case> = load(&text)
        .into_iter()
        .filter(|c| AbnfRule::from_name(&c.rule).is_some())
        .collect();
    assert!(
        cases.len() > 100,
        "expected the filter/commonExpr/orderby/select cases, found {}",
        cases.len()
    );

    // `rule | name | input | reason`, `#` comments.
    let mut excluded: BTreeMap<String, (String, bool)> = BTreeMap::new();
    for line in EXCLUDED
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let (key, reason) = line
            .rsplit_once(" | ")
            .expect("an exclusion line is `rule | name | input | reason`");
        assert!(
            !reason.trim().is_empty(),
            "exclusion without a reason: {line}"
        );
        excluded.insert(key.to_string(), (reason.to_string(), false));
    }

    let mut passed = 0;
    let mut excluded_count = 0;
    let mut problems = Vec::new();
    for case in &cases {
        let key = case.key();
        let result = run(case);
        match (result, excluded.get_mut(&key)) {
            (Ok(()), None) => passed += 1,
            (Ok(()), Some(_)) => problems.push(format!(
                "listed as excluded but passes now (remove it): {key}"
            )),
            (Err(_), Some(entry)) => {
                entry.1 = true;
                excluded_count += 1;
            }
            (Err(why), None) => problems.push(format!("fails ({why}): {key}")),
        }
    }
    for (key, (_, seen)) in &excluded {
        if !seen && !cases.iter().any(|c| &c.key() == key) {
            problems.push(format!("listed as excluded but no such case: {key}"));
        }
    }
    let total = cases.len();
    println!("odata-abnf: {passed} passed, {excluded_count} excluded of {total}");
    assert!(
        problems.is_empty(),
        "odata-abnf:\n  {}",
        problems.join("\n  ")
    );
    assert!(
        passed * 10 >= total * 9,
        "odata-abnf: only {passed} of {total} cases pass; at least 90% must"
    );
}

#[test]
fn percent_decoding_maps_positions() {
    let (text, map) = percent_decode("a%20b%28");
    assert_eq!(text, "a b(");
    assert_eq!(map, vec![0, 1, 4, 5, 8]);
    let (text, _) = percent_decode("100%");
    assert_eq!(text, "100%");
}
