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

/// YAML tree -> JSON, for validating specs against the schema.
fn to_json(node: &mapc_syntax::yaml::Node) -> serde_json::Value {
    use mapc_syntax::yaml::NodeKind;
    use serde_json::Value;
    match &node.kind {
        NodeKind::Scalar(s) if s.is_null() => Value::Null,
        NodeKind::Scalar(s) => match (s.as_bool(), s.as_number()) {
            (Some(b), _) => Value::Bool(b),
            (_, Some(n)) => serde_json::from_str(n).unwrap_or_else(|_| Value::String(n.into())),
            _ => Value::String(s.text.clone()),
        },
        NodeKind::Seq(items) => Value::Array(items.iter().map(to_json).collect()),
        NodeKind::Map(entries) => Value::Object(
            entries
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_scalar().map(|s| s.text.clone()).unwrap_or_default(),
                        to_json(v),
                    )
                })
                .collect(),
        ),
    }
}

fn validator() -> jsonschema::Validator {
    let schema: serde_json::Value =
        serde_json::from_str(&mapc_syntax::spec::json_schema()).expect("schema json");
    jsonschema::validator_for(&schema).expect("a valid JSON Schema")
}

fn yaml_json(text: &str) -> serde_json::Value {
    let mut d = mapc_diag::Diagnostics::new();
    let node = mapc_syntax::yaml::parse(text, Default::default(), &mut d).expect("yaml");
    to_json(&node)
}

/// The schema editors use must accept every example spec the reader accepts.
#[test]
fn example_specs_validate_against_the_schema() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../specs/examples");
    let v = validator();
    let mut n = 0;
    for entry in std::fs::read_dir(dir).expect("examples dir") {
        let path = entry.expect("entry").path();
        if !path.to_string_lossy().ends_with(".mapc.yaml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read example");
        let doc = yaml_json(&text);
        let errors: Vec<String> = v
            .iter_errors(&doc)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{} does not validate: {errors:#?}",
            path.display()
        );
        n += 1;
    }
    assert!(n >= 4, "expected the example specs, found {n}");
}

/// ... and reject what the reader rejects as shape errors.
#[test]
fn schema_rejects_unknown_keys_and_bad_enums() {
    let v = validator();
    let base = "mapc: 1\nname: s\nconnections:\n  a: { kind: file, path: x.ndjson }\nmappings:\n  - name: m\n    source: { connection: a, entity: e }\n    target: { connection: a, entity: e }\n    fields:\n      - { from: x, to: y }\n";
    assert!(v.is_valid(&yaml_json(base)));
    assert!(!v.is_valid(&yaml_json(&base.replace("from: x", "form: x"))));
    assert!(!v.is_valid(&yaml_json(&base.replace("kind: file", "kind: fil"))));
    assert!(!v.is_valid(&yaml_json(
        &base.replace("to: y }", "to: y, sync: sometimes }")
    )));
}
