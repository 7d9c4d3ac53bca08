//! The JSON Schema of the configuration (`release-tool config schema`), derived from the
//! [`Config`] structs with schemars so that it never drifts from what the tool accepts.
//! The committed copy, `schema/release_tool.schema.json`, is checked against it by a test.
//!
//! Adjustments to what schemars derives, for TOML editors (taplo, Even Better TOML):
//! TOML has no `null`, so optional keys are plain types without a `null` default; the
//! `[tool.release_tool]` layout of `release_tool.toml` is accepted through a `tool` property;
//! keys without a doc comment get their description from [`EXTRA_DESCRIPTIONS`]; the
//! obsolete keys of the Python `release_tool` ([`super::OBSOLETE_KEYS`]) are listed as
//! `deprecated` (accepted with a warning).

use serde_json::{Map, Value};

use super::Config;

/// The schema's address in the repository, for the `#:schema` directive of editors.
pub const SCHEMA_PATH: &str = "schema/release_tool.schema.json";

/// Where the schema keeps the tables' schemas. Draft 7, the draft every TOML and JSON editor
/// supports (taplo, Even Better TOML, `SchemaStore`).
const DEFS: &str = "definitions";

/// Descriptions of keys whose field has no doc comment, by table schema and key.
const EXTRA_DESCRIPTIONS: &[(&str, &str, &str)] = &[
    (
        "DockerConfig",
        "preset",
        "A preset of base images (e.g. a CUDA runtime base).",
    ),
    (
        "DockerConfig",
        "base_image",
        "Base image of the runtime stage.",
    ),
    (
        "DockerConfig",
        "builder_image",
        "Base image of the builder stage.",
    ),
    (
        "DockerConfig",
        "uv_image",
        "Image that provides uv to the builder stage.",
    ),
    (
        "DockerConfig",
        "uv_version",
        "uv version used to build the image.",
    ),
    (
        "DockerConfig",
        "python",
        "Python interpreter the image runs.",
    ),
    (
        "DockerConfig",
        "python_version",
        "Python version of the image.",
    ),
    (
        "DockerConfig",
        "extras",
        "Extras of the root project to install.",
    ),
    (
        "DockerConfig",
        "system_packages",
        "System (apt) packages per stage.",
    ),
    ("DockerConfig", "cmd", "CMD of the image (exec form)."),
    (
        "DockerConfig",
        "entrypoint",
        "ENTRYPOINT of the image (exec form).",
    ),
    (
        "DockerConfig",
        "image",
        "Image name (repository) to tag and push.",
    ),
    (
        "DockerConfig",
        "tags",
        "Tags to give the image (default: the version and `latest`).",
    ),
    (
        "DockerConfig",
        "dockerfile",
        "Path of the generated Dockerfile, relative to the root.",
    ),
    (
        "DockerConfig",
        "context",
        "Build context, relative to the root.",
    ),
    (
        "DockerConfig",
        "engine",
        "Container engine: \"auto\", \"docker\", \"podman\" or \"buildah\".",
    ),
    (
        "DockerConfig",
        "build_args",
        "Build arguments (`--build-arg NAME=VALUE`).",
    ),
    (
        "DockerConfig",
        "platforms",
        "Target platforms (e.g. \"linux/amd64\").",
    ),
    (
        "SystemPackages",
        "runtime",
        "Packages installed in the runtime stage.",
    ),
    (
        "SystemPackages",
        "build",
        "Packages installed in the builder stage only.",
    ),
];

/// The schema as a JSON value.
pub fn schema() -> Value {
    let generator = schemars::generate::SchemaSettings::draft07().into_generator();
    let mut schema = generator.into_root_schema_for::<Config>().to_value();
    tidy(&mut schema);
    if let Some(defs) = schema.get_mut(DEFS).and_then(Value::as_object_mut) {
        for (def, key, text) in EXTRA_DESCRIPTIONS {
            if let Some(prop) = defs
                .get_mut(*def)
                .and_then(|d| d.get_mut("properties"))
                .and_then(|p| p.get_mut(*key))
                .and_then(Value::as_object_mut)
            {
                prop.entry("description")
                    .or_insert_with(|| Value::from(*text));
            }
        }
        // A docker key added without a description still gets one (the `docker` command
        // documents them all).
        for def in ["DockerConfig", "SystemPackages"] {
            if let Some(props) = defs
                .get_mut(def)
                .and_then(|d| d.get_mut("properties"))
                .and_then(Value::as_object_mut)
            {
                for (key, prop) in props.iter_mut() {
                    if let Some(prop) = prop.as_object_mut() {
                        prop.entry("description").or_insert_with(|| {
                            Value::from(format!(
                                "`docker` key `{key}`: see the `docker` command's documentation."
                            ))
                        });
                    }
                }
            }
        }
    }
    if let Some(docker) = schema.pointer_mut("/definitions/DockerConfig/description") {
        *docker = Value::from(
            "`[tool.release_tool.docker]`: the production image (stage 7); values are checked by \
             the `docker` command.",
        );
    }
    let root = schema.as_object_mut().expect("a schema object");
    root.insert(
        "description".to_owned(),
        Value::from(
            "Configuration of release-tool: `release_tool.toml` at the workspace root (keys at \
             the top level or under [tool.release_tool]), or [tool.release_tool] in the root \
             pyproject.toml.",
        ),
    );
    let properties = root
        .get_mut("properties")
        .and_then(Value::as_object_mut)
        .expect("properties");
    properties.insert(
        "tool".to_owned(),
        serde_json::json!({
            "description": "The [tool.release_tool] layout of release_tool.toml (the original \
                            Python release_tool's); then no other top-level key is allowed.",
            "type": "object",
            "properties": { "release_tool": {
                "description": "Every key of release-tool, as at the top level.",
                "$ref": "#"
            } },
            "additionalProperties": false
        }),
    );
    for (key, why) in super::OBSOLETE_KEYS {
        properties.insert(
            (*key).to_owned(),
            serde_json::json!({
                "description": format!(
                    "Obsolete (the Python release_tool's): ignored with a warning; {why}. \
                     `release-tool migrate` removes it."
                ),
                "deprecated": true
            }),
        );
    }
    schema
}

/// The schema as printed and committed: pretty JSON and a final newline.
pub fn schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&schema()).expect("a schema serialises");
    text.push('\n');
    text
}

/// TOML has no `null`: drop `null` from types and defaults. Tables' defaults are left to
/// their keys' own defaults. Doc comments' line breaks inside a paragraph become spaces.
fn tidy(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map
                .get("default")
                .is_some_and(|d| d.is_null() || d.is_object())
            {
                map.remove("default");
            }
            if let Some(Value::String(text)) = map.get_mut("description") {
                *text = unwrap_lines(text);
            }
            if let Some(Value::Array(types)) = map.get_mut("type") {
                types.retain(|t| t != "null");
                if types.len() == 1 {
                    let only = types.remove(0);
                    map.insert("type".to_owned(), only);
                }
            }
            if let Some(Value::Array(any)) = map.get_mut("anyOf") {
                any.retain(|s| s.get("type").is_none_or(|t| t != "null"));
                if any.len() == 1
                    && let Some(Value::Object(only)) = any.pop()
                {
                    map.remove("anyOf");
                    merge(map, only);
                }
            }
            for v in map.values_mut() {
                tidy(v);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(tidy),
        _ => {}
    }
}

fn unwrap_lines(text: &str) -> String {
    text.split("\n\n")
        .map(|para| para.lines().map(str::trim).collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n\n")
}

fn merge(into: &mut Map<String, Value>, from: Map<String, Value>) {
    for (k, v) in from {
        into.entry(k).or_insert(v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every object in the schema with properties rejects unknown keys.
    fn closed(value: &Value, at: &str) {
        if let Some(map) = value.as_object() {
            if map.contains_key("properties") {
                assert_eq!(
                    map.get("additionalProperties"),
                    Some(&Value::Bool(false)),
                    "{at} accepts unknown keys"
                );
                for (k, p) in map["properties"].as_object().unwrap() {
                    assert!(
                        p.get("description").is_some(),
                        "{at}.{k} has no description"
                    );
                }
            }
            for (k, v) in map {
                closed(v, &format!("{at}/{k}"));
            }
        }
    }

    #[test]
    fn every_table_is_closed_and_every_key_described() {
        closed(&schema(), "#");
    }

    #[test]
    fn schema_has_exactly_the_known_keys() {
        /// The table a property's schema refers to (`$ref`, or `allOf: [{$ref}]`), if any.
        fn table<'a>(s: &'a Value, prop: &Value) -> Option<&'a Value> {
            let r = prop["$ref"]
                .as_str()
                .or_else(|| prop["allOf"][0]["$ref"].as_str())?;
            s.pointer(r.trim_start_matches('#'))
                .filter(|t| t.get("properties").is_some())
        }
        fn walk(s: &Value, t: &Value, prefix: &str, out: &mut Vec<String>) {
            for (k, prop) in t["properties"].as_object().unwrap() {
                let path = format!("{prefix}{k}");
                if let Some(sub) = table(s, prop) {
                    walk(s, sub, &format!("{path}."), out);
                } else if let Some(sub) = table(s, &prop["additionalProperties"]) {
                    walk(s, sub, &format!("{path}.<name>."), out);
                }
                out.push(path);
            }
        }
        let s = schema();
        let mut from_schema = Vec::new();
        walk(&s, &s, "", &mut from_schema);
        from_schema.retain(|k| k != "tool" && crate::config::obsolete_key(k).is_none());
        from_schema.sort();
        let mut known = crate::config::known_keys();
        known.sort();
        assert_eq!(from_schema, known);
    }

    #[test]
    fn optional_keys_have_no_null() {
        let text = schema_text();
        assert!(!text.contains("null"), "{text}");
    }

    #[test]
    fn committed_schema_is_current() {
        let committed = include_str!("../../schema/release_tool.schema.json");
        assert!(
            committed == schema_text(),
            "{SCHEMA_PATH} is stale: run `cargo run -- config schema > {SCHEMA_PATH}` and commit it"
        );
    }
}
