//! The documented example and the JSON Schema agree with the Rust types.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::Value;
use switchboard_registry::Index;

fn registry_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../registry")
}

/// The first ```json block of `registry/README.md`.
fn readme_example() -> String {
    let readme = std::fs::read_to_string(registry_dir().join("README.md")).expect("README");
    let start = readme.find("```json\n").expect("a json block") + "```json\n".len();
    let len = readme[start..].find("```").expect("closed block");
    readme[start..start + len].to_owned()
}

#[test]
fn the_readme_example_parses_validates_and_round_trips() {
    let example = readme_example();
    let index = Index::parse(example.as_bytes(), "registry/README.md").expect("example parses");
    for component in &index.components {
        for entry in &component.versions {
            entry
                .check_manifest(&component.name)
                .expect("example entry is valid");
        }
    }
    let written = serde_json::to_vec(&index).expect("serializes");
    let reread = Index::parse(&written, "round trip").expect("re-parses");
    assert_eq!(reread, index);
    assert_eq!(
        serde_json::from_slice::<Value>(&written).expect("json"),
        serde_json::from_str::<Value>(&example).expect("json"),
        "the example spells out every field, so writing it back changes nothing"
    );
}

fn object_keys(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                out.insert(key.clone());
                object_keys(child, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| object_keys(item, out)),
        _ => {}
    }
}

fn schema_property_names(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Object(properties)) = map.get("properties") {
                out.extend(properties.keys().cloned());
            }
            map.values()
                .for_each(|child| schema_property_names(child, out));
        }
        Value::Array(items) => items
            .iter()
            .for_each(|item| schema_property_names(item, out)),
        _ => {}
    }
}

#[test]
fn the_schema_describes_every_field_the_types_write() {
    let schema: Value = serde_json::from_slice(
        &std::fs::read(registry_dir().join("schema/index.schema.json")).expect("schema file"),
    )
    .expect("schema is json");
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    let index = Index::parse(readme_example().as_bytes(), "example").expect("example parses");
    let mut written = BTreeSet::new();
    object_keys(&serde_json::to_value(&index).expect("value"), &mut written);
    let mut described = BTreeSet::new();
    schema_property_names(&schema, &mut described);
    let missing: Vec<_> = written.difference(&described).collect();
    assert!(
        missing.is_empty(),
        "fields missing from the schema: {missing:?}"
    );
}

#[test]
fn every_first_party_manifest_is_valid() {
    let mut checked = 0;
    for entry in std::fs::read_dir(registry_dir()).expect("registry dir") {
        let path = entry.expect("dir entry").path().join("manifest.json");
        if path.is_file() {
            let manifest = switchboard_registry::read_manifest(&path)
                .unwrap_or_else(|err| panic!("{}: {err:?}", path.display()));
            let dir_name = path
                .parent()
                .and_then(|dir| dir.file_name())
                .and_then(|name| name.to_str());
            assert_eq!(Some(manifest.name.as_str()), dir_name, "{}", path.display());
            checked += 1;
        }
    }
    assert!(checked > 0, "no registry/<name>/manifest.json found");
}
