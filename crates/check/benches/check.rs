//! `mapc check` on a generated spec of 50 mappings x 100 fields, next to the
//! YAML parser alone on the same text (goal: check <= 5x parse).
//!
//! Run: `cargo bench -p mapc-check --bench check`

use std::fmt::Write;

fn main() {
    divan::main();
}

/// A valid spec: 50 mappings, each with 100 fields (from, expr, value mixed),
/// related entities, rules, a filter and products.
fn generated_spec() -> String {
    let mut s = String::from("mapc: 1\nname: bench\nconnections:\n  crm:\n    kind: dataverse\n    url: https://contoso.crm4.dynamics.com\n    auth: { flow: client_credentials, tenant: \"${T}\", client_id: \"${C}\", client_secret: \"${S}\" }\n  out:\n    kind: file\n    path: out/bench.ndjson\nmappings:\n");
    for m in 0..50 {
        let _ = write!(
            s,
            "  - name: mapping-{m}\n    source:\n      connection: crm\n      entity: opportunity\n      filter: \"statecode eq 0 and estimatedvalue gt {m}\"\n    target: {{ connection: out, entity: contract{m} }}\n    related:\n      customer: {{ entity: account, via: parentaccountid }}\n    rules:\n      - {{ when: \"statecode == 2\", action: skip }}\n      - {{ when: \"is_null(customer.name)\", action: warn, message: no customer }}\n    fields:\n"
        );
        for f in 0..100 {
            match f % 4 {
                0 => {
                    let _ = writeln!(s, "      - {{ from: field{f}, to: out.f{f} }}");
                }
                1 => {
                    let _ = writeln!(s, "      - {{ expr: \"round(amount{f} * (1 - discount / 100), 2)\", to: out.f{f} }}");
                }
                2 => {
                    let _ = writeln!(s, "      - {{ expr: \"concat(customer.name, ' ', upper(trim(code{f})))\", to: out.f{f} }}");
                }
                _ => {
                    let _ = writeln!(s, "      - {{ value: \"constant {f}\", to: out.f{f} }}");
                }
            }
        }
    }
    s
}

#[divan::bench]
fn yaml_parse_only(b: divan::Bencher) {
    let text = generated_spec();
    b.bench(|| {
        let mut d = mapc_diag::Diagnostics::new();
        mapc_syntax::yaml::parse(divan::black_box(&text), Default::default(), &mut d)
    });
}

#[divan::bench]
fn check_whole_spec(b: divan::Bencher) {
    let text = generated_spec();
    let opts = mapc_compile::CompileOptions::default();
    b.bench(|| {
        let c = mapc_compile::compile_str("bench.mapc.yaml", divan::black_box(&text), &opts);
        assert!(!c.has_errors(), "generated spec must be valid");
        c
    });
}
