//! `specs/mapc.schema.json` must be what the AST types generate.
//! Regenerate with `UPDATE_SCHEMA=1 cargo test -p mapc-syntax --test json_schema`.

#[test]
fn committed_schema_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../specs/mapc.schema.json");
    let fresh = mapc_syntax::spec::json_schema();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(path, &fresh).expect("write schema");
        return;
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == fresh,
        "specs/mapc.schema.json is stale: run `UPDATE_SCHEMA=1 cargo test -p mapc-syntax --test json_schema` and commit it"
    );
}

#[test]
fn schema_lists_every_top_level_key() {
    let schema: serde_json::Value =
        serde_json::from_str(&mapc_syntax::spec::json_schema()).expect("json");
    let props = schema["properties"].as_object().expect("properties");
    for key in mapc_syntax::spec::TOP_KEYS {
        assert!(
            props.contains_key(*key),
            "schema lacks top-level key `{key}`"
        );
    }
    assert_eq!(
        schema["additionalProperties"],
        serde_json::Value::Bool(false)
    );
}
