//! A value of the wrong type in the configuration, said in the user's terms (issue #23): the
//! dotted key it belongs to, what the key takes in words ("a whole number", "true or false",
//! "a list of strings") with an example line, what was found, and the key's description from
//! the configuration's JSON Schema ([`super::schema`]), so the message cannot drift from what
//! the tool accepts.

use std::ops::Range;

use serde_json::Value;
use toml_edit::{Item, Table, TableLike};

/// What to say about a type error: the key and the words for its message and hint.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct TypeError {
    /// The dotted key as the user wrote it, without `tool.release_tool.` (e.g. `docker.tags`).
    pub key: String,
    /// `must be a whole number, not the string "many"`.
    pub message: String,
    /// `jobs: Parallel workers (...). For example: jobs = 4`.
    pub hint: String,
}

/// Explains serde's `invalid type: string "many", expected usize` for the value at `span` of
/// `text`; `None` when the message is not a type error or the key cannot be found (the caller
/// then says what serde said).
pub(super) fn explain(text: &str, span: &Range<usize>, serde_message: &str) -> Option<TypeError> {
    let rest = serde_message.strip_prefix("invalid type: ")?;
    let found = rest.split_once(", expected ").map_or(rest, |(f, _)| f);
    let doc = toml_edit::Document::parse(text.to_owned()).ok()?;
    let mut path = Vec::new();
    if !find_in_table(doc.as_table(), span.start, &mut path) {
        return None;
    }
    if path.len() > 2 && path[0] == "tool" && path[1] == "release_tool" {
        path.drain(..2);
    }
    let schema = super::schema::schema();
    let leaf = property(&schema, &schema, &path)?;
    let prop = resolve(&schema, leaf);
    let (words, example) = expected(&schema, prop);
    let key = path.join(".");
    let last = path.last()?.clone();
    let description = leaf
        .get("description")
        .or_else(|| prop.get("description"))
        .and_then(Value::as_str)
        .map(|d| format!("`{key}`: {} ", d.trim_end_matches('.')))
        .unwrap_or_default();
    Some(TypeError {
        message: format!("`{key}` must be {words}, not {}", found_words(found)),
        hint: format!("{description}(for example `{last} = {example}`)")
            .trim_start()
            .to_owned(),
        key,
    })
}

/// Whether some value under `table` covers byte `at`; `path` is then the keys down to it.
fn find_in_table(table: &dyn TableLike, at: usize, path: &mut Vec<String>) -> bool {
    for (key, item) in table.iter() {
        path.push(key.to_owned());
        if find_in_item(item, at, path) {
            return true;
        }
        path.pop();
    }
    false
}

fn find_in_item(item: &Item, at: usize, path: &mut Vec<String>) -> bool {
    match item {
        Item::Table(t) => find_in_table(t as &Table, at, path),
        Item::ArrayOfTables(a) => a
            .iter()
            .any(|t| find_in_table(t, at, path) || covers(t.span(), at)),
        Item::Value(v) => {
            if let Some(t) = v.as_inline_table()
                && find_in_table(t, at, path)
            {
                return true;
            }
            covers(v.span(), at)
        }
        Item::None => false,
    }
}

fn covers(span: Option<Range<usize>>, at: usize) -> bool {
    span.is_some_and(|s| s.contains(&at))
}

/// The schema of the property at `path` (through `$ref`s, `anyOf`s of an optional value and
/// tables whose keys are names, like `packages.<name>`).
fn property<'a>(root: &'a Value, mut at: &'a Value, path: &[String]) -> Option<&'a Value> {
    for key in path {
        at = resolve(root, at);
        at = match at.get("properties").and_then(|p| p.get(key)) {
            Some(p) => p,
            None => at.get("additionalProperties").filter(|a| a.is_object())?,
        };
    }
    Some(at)
}

/// Follows `$ref` and picks the non-null branch of an `anyOf`/`oneOf` (an optional value).
fn resolve<'a>(root: &'a Value, mut at: &'a Value) -> &'a Value {
    for _ in 0..8 {
        if let Some(r) = at.get("$ref").and_then(Value::as_str) {
            let pointer = r.trim_start_matches('#');
            match root.pointer(pointer) {
                Some(target) => at = target,
                None => return at,
            }
        } else if let Some(first) = at
            .get("allOf")
            .and_then(Value::as_array)
            .filter(|all| all.len() == 1)
            .and_then(|all| all.first())
        {
            at = first;
        } else if let Some(branch) = at
            .get("anyOf")
            .or_else(|| at.get("oneOf"))
            .and_then(Value::as_array)
            .and_then(|b| {
                b.iter()
                    .find(|s| s.get("type").and_then(Value::as_str) != Some("null"))
            })
        {
            at = branch;
        } else {
            return at;
        }
    }
    at
}

/// What a value of schema `prop` is, in words, and an example of one.
fn expected(root: &Value, prop: &Value) -> (String, String) {
    let kind = match prop.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or(""),
        _ => "",
    };
    if let Some(choices) = prop.get("enum").and_then(Value::as_array) {
        let names: Vec<String> = choices
            .iter()
            .filter_map(Value::as_str)
            .map(|c| format!("\"{c}\""))
            .collect();
        if let Some(first) = names.first() {
            return (format!("one of {}", names.join(", ")), first.clone());
        }
    }
    match kind {
        "boolean" => ("true or false".into(), "true".into()),
        "integer" => {
            let min = prop.get("minimum").and_then(Value::as_i64).unwrap_or(0);
            let words = if min >= 1 {
                "a whole number, at least 1"
            } else {
                "a whole number"
            };
            (words.into(), "4".into())
        }
        "number" => ("a number".into(), "1.5".into()),
        "string" => ("a string in quotes".into(), "\"…\"".into()),
        "array" => {
            let items = prop.get("items").map(|i| resolve(root, i));
            let (item_words, item_example) = items.map_or_else(
                || ("values".to_owned(), "\"…\"".to_owned()),
                |i| {
                    let (w, e) = expected(root, i);
                    (plural(&w), e)
                },
            );
            (
                format!("a list of {item_words}"),
                format!("[{item_example}]"),
            )
        }
        "object" => ("a table".into(), "{ … }".into()),
        _ => ("a value of another type".into(), "…".into()),
    }
}

/// "a string in quotes" → "strings in quotes", "true or false" → "true or false values".
fn plural(words: &str) -> String {
    match words {
        "a string in quotes" => "strings in quotes".into(),
        "a whole number" | "a whole number, at least 1" => "whole numbers".into(),
        "a number" => "numbers".into(),
        "a table" => "tables".into(),
        "true or false" => "true or false values".into(),
        other => other.trim_start_matches("a ").to_owned(),
    }
}

/// serde's `string "many"` → `the string "many"`; an integer 3 → `the number 3`.
fn found_words(found: &str) -> String {
    let found = found.replace('`', "");
    for (serde, words) in [
        ("string ", "the string "),
        ("integer ", "the number "),
        ("floating point ", "the number "),
        ("boolean ", ""),
    ] {
        if let Some(v) = found.strip_prefix(serde) {
            return format!("{words}{v}");
        }
    }
    match found.as_str() {
        "sequence" => "a list".into(),
        "map" => "a table".into(),
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn explain_text(text: &str, value: &str, serde: &str) -> Option<TypeError> {
        let start = text.find(value).expect("value in text");
        explain(text, &(start..start + value.len()), serde)
    }

    #[test]
    fn a_whole_number_key_is_named_with_its_words_and_an_example() {
        let e = explain_text(
            "jobs = \"many\"\n",
            "\"many\"",
            "invalid type: string \"many\", expected usize",
        )
        .unwrap();
        assert_eq!(e.key, "jobs");
        assert_eq!(
            e.message,
            "`jobs` must be a whole number, at least 1, not the string \"many\""
        );
        assert!(e.hint.starts_with("`jobs`: Parallel workers"), "{}", e.hint);
        assert!(e.hint.ends_with("(for example `jobs = 4`)"), "{}", e.hint);
    }

    #[test]
    fn a_boolean_under_the_tool_table_is_named_without_the_prefix() {
        let text = "[tool.release_tool]\ndry_run = \"yes\"\n";
        let e = explain_text(
            text,
            "\"yes\"",
            "invalid type: string \"yes\", expected a boolean",
        )
        .unwrap();
        assert_eq!(e.key, "dry_run");
        assert_eq!(
            e.message,
            "`dry_run` must be true or false, not the string \"yes\""
        );
        assert!(
            e.hint.ends_with("(for example `dry_run = true`)"),
            "{}",
            e.hint
        );
    }

    #[test]
    fn a_nested_key_in_a_named_table_is_found() {
        let text = "[packages.alpha]\ntag_prefix = 3\n";
        let e = explain_text(text, "3", "invalid type: integer `3`, expected a string").unwrap();
        assert_eq!(e.key, "packages.alpha.tag_prefix");
        assert_eq!(
            e.message,
            "`packages.alpha.tag_prefix` must be a string in quotes, not the number 3"
        );
    }

    #[test]
    fn a_list_key_says_what_its_items_are() {
        let text = "[tool.release_tool.docker]\nplatforms = \"linux\"\n";
        let e = explain_text(
            text,
            "\"linux\"",
            "invalid type: string \"linux\", expected a sequence",
        )
        .unwrap();
        assert_eq!(
            e.message,
            "`docker.platforms` must be a list of strings in quotes, not the string \"linux\""
        );
        assert!(
            e.hint.ends_with("(for example `platforms = [\"…\"]`)"),
            "{}",
            e.hint
        );
        let text = "[tool.release_tool.docker]\nimage = [\"a\"]\n";
        let e = explain_text(text, "[\"a\"]", "invalid type: sequence, expected a string").unwrap();
        assert_eq!(
            e.message,
            "`docker.image` must be a string in quotes, not a list"
        );
    }

    #[test]
    fn not_a_type_error_is_left_to_the_caller() {
        assert!(explain_text("jobs = 3\n", "3", "missing field `x`").is_none());
    }
}
