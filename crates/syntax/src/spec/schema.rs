//! The JSON Schema of the spec format, generated from the AST types so that
//! editors (via `# yaml-language-server: $schema=...`) see exactly the keys
//! the reader accepts. `specs/mapc.schema.json` is this output, committed;
//! a test fails when it is stale.

use super::Spec;

pub fn json_schema() -> String {
    let mut schema = schemars::schema_for!(Spec);
    schema.insert("$id".into(), "https://mapc.dev/schema/mapc-1.json".into());
    let mut s = serde_json::to_string_pretty(&schema).unwrap_or_default();
    s.push('\n');
    s
}
