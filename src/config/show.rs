//! `release-tool config show`: the effective configuration, key by key, with where each value
//! comes from (its default, `release_tool.toml` or the root `pyproject.toml`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::Serialize;
use serde_json::Value;

use super::{
    Config, ConfigSource, DOCKER_KEYS, FORGE_KEYS, LLM_KEYS, LoadedConfig, PACKAGE_KEYS,
    PRODUCT_KEYS, SYSTEM_PACKAGES_KEYS, TOP_KEYS,
};

/// One key of the effective configuration.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Entry {
    /// The key path, e.g. `forge.kind` or `packages.alpha.skip` (segments in [`Entry::path`]).
    pub key: String,
    #[serde(skip)]
    pub path: Vec<String>,
    /// The value; `null` when the key is not set and has no fixed default (e.g. `jobs`).
    pub value: Value,
    /// `default`, `release_tool.toml` or `pyproject.toml`.
    pub source: String,
}

/// The effective configuration of a workspace.
#[derive(Clone, Debug)]
pub struct Effective {
    pub root: PathBuf,
    pub loaded: LoadedConfig,
    pub entries: Vec<Entry>,
}

impl Effective {
    /// The configuration file read, if any.
    pub fn file(&self) -> Option<&Path> {
        match &self.loaded.source {
            ConfigSource::File(p) | ConfigSource::Pyproject(p) => Some(p),
            ConfigSource::Defaults => None,
        }
    }

    /// `config show --json`.
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "root": self.root,
            "file": self.file(),
            "config": self.loaded.config,
            "values": self.entries,
        })
    }

    /// `config show`: TOML under `[tool.release_tool]`, each value followed by its source.
    pub fn to_toml(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# Effective configuration of {}", self.root.display());
        match self.file() {
            Some(f) => {
                let _ = writeln!(out, "# Read from {}", f.display());
            }
            None => out.push_str("# No configuration file: every value is the default\n"),
        }
        // Group entries by their table, in order of first appearance.
        let mut tables: Vec<(Vec<String>, Vec<&Entry>)> = Vec::new();
        for e in &self.entries {
            let table = e.path[..e.path.len() - 1].to_vec();
            match tables.iter_mut().find(|(t, _)| *t == table) {
                Some((_, entries)) => entries.push(e),
                None => tables.push((table, vec![e])),
            }
        }
        for (table, entries) in tables {
            let mut header = String::from("tool.release_tool");
            for seg in &table {
                header.push('.');
                header.push_str(&toml_key(seg));
            }
            let _ = writeln!(out, "\n[{header}]");
            let lines: Vec<(String, &str)> = entries
                .iter()
                .map(|e| {
                    let name = toml_key(e.path.last().expect("a key"));
                    let line = match toml_value(&e.value) {
                        Some(v) => format!("{name} = {v}"),
                        None => format!("# {name} is not set"),
                    };
                    (line, e.source.as_str())
                })
                .collect();
            let width = lines
                .iter()
                .map(|(l, _)| l.chars().count())
                .max()
                .unwrap_or(0);
            for (line, source) in lines {
                let pad = width - line.chars().count();
                let _ = writeln!(out, "{line}{:pad$}  # {source}", "");
            }
        }
        out
    }
}

/// The effective configuration of the workspace at `root`, as loaded by `config::load`.
pub fn effective(root: &Path) -> Result<Effective> {
    let loaded = super::load(root)?;
    let set = match &loaded.source {
        ConfigSource::File(p) => set_paths(&fs_err::read_to_string(p)?, false),
        ConfigSource::Pyproject(p) => set_paths(&fs_err::read_to_string(p)?, true),
        ConfigSource::Defaults => Vec::new(),
    };
    let label = match &loaded.source {
        ConfigSource::File(_) => super::CONFIG_FILE,
        ConfigSource::Pyproject(_) => "pyproject.toml",
        ConfigSource::Defaults => "default",
    };
    let entries = entries(&loaded.config)
        .into_iter()
        .map(|(path, value)| {
            let from_file = set
                .iter()
                .any(|s| path.starts_with(s) || s.starts_with(&path));
            Entry {
                key: path
                    .iter()
                    .map(|s| toml_key(s))
                    .collect::<Vec<_>>()
                    .join("."),
                path,
                value,
                source: if from_file { label } else { "default" }.to_owned(),
            }
        })
        .collect();
    Ok(Effective {
        root: root.to_path_buf(),
        loaded,
        entries,
    })
}

/// Every key of `config` in the documented order, with its value (`null` when unset). Maps
/// whose keys are the user's (`docker.build_args`) are one value.
fn entries(config: &Config) -> Vec<(Vec<String>, Value)> {
    // Every value is shown, the forge's too when no `[forge]` table configures it.
    let mut config = config.clone();
    config.forge.configured = true;
    let json = serde_json::to_value(&config).expect("the configuration serialises");
    let mut out = Vec::new();
    let mut leaf = |path: &[&str]| {
        let mut v = &json;
        for seg in path {
            v = &v[*seg];
        }
        out.push((path.iter().map(|s| (*s).to_owned()).collect(), v.clone()));
    };
    for top in TOP_KEYS {
        match *top {
            "forge" => FORGE_KEYS.iter().for_each(|k| leaf(&["forge", k])),
            "llm" => LLM_KEYS.iter().for_each(|k| leaf(&["llm", k])),
            "product" => PRODUCT_KEYS.iter().for_each(|k| leaf(&["product", k])),
            "docker" => {
                for k in DOCKER_KEYS {
                    if *k == "system_packages" {
                        for s in SYSTEM_PACKAGES_KEYS {
                            leaf(&["docker", k, s]);
                        }
                    } else {
                        leaf(&["docker", k]);
                    }
                }
            }
            "packages" => {
                for name in config.packages.keys() {
                    for k in PACKAGE_KEYS {
                        leaf(&["packages", name, k]);
                    }
                }
            }
            key => leaf(&[key]),
        }
    }
    out
}

/// The key paths set in a configuration file (leaves: values, arrays, and inline tables'
/// values), relative to `[tool.release_tool]`.
fn set_paths(text: &str, pyproject: bool) -> Vec<Vec<String>> {
    let Ok(doc) = text.parse::<toml_edit::DocumentMut>() else {
        return Vec::new();
    };
    let tool = doc.get("tool").and_then(|t| t.get("release_tool"));
    let table = match tool {
        Some(t) => t.as_table_like(),
        None if !pyproject => Some(doc.as_table() as &dyn toml_edit::TableLike),
        None => None,
    };
    let mut out = Vec::new();
    if let Some(t) = table {
        walk(t, &mut Vec::new(), &mut out);
    }
    out
}

fn walk(table: &dyn toml_edit::TableLike, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    for (key, item) in table.iter() {
        prefix.push(key.to_owned());
        match item.as_table_like() {
            Some(sub) => walk(sub, prefix, out),
            None => out.push(prefix.clone()),
        }
        prefix.pop();
    }
}

/// A key as TOML writes it: bare when it can be, quoted otherwise.
fn toml_key(key: &str) -> String {
    toml_edit::Key::new(key).display_repr().into_owned()
}

/// A JSON value as a TOML value; `None` for `null`.
fn toml_value(v: &Value) -> Option<toml_edit::Value> {
    Some(match v {
        Value::Null => return None,
        Value::Bool(b) => (*b).into(),
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.into(),
            None => n.as_f64()?.into(),
        },
        Value::String(s) => s.as_str().into(),
        Value::Array(items) => {
            let mut a = toml_edit::Array::new();
            for item in items {
                a.push_formatted(toml_value(item)?);
            }
            a.into()
        }
        Value::Object(map) => {
            let mut t = toml_edit::InlineTable::new();
            for (k, item) in map {
                t.insert(k, toml_value(item)?);
            }
            t.into()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        std::fs::write(dir.join(name), text).unwrap();
    }

    fn source_of<'a>(e: &'a Effective, key: &str) -> &'a str {
        &e.entries
            .iter()
            .find(|x| x.key == key)
            .unwrap_or_else(|| panic!("{key}"))
            .source
    }

    #[test]
    fn defaults_only() {
        let dir = tempfile::tempdir().unwrap();
        let e = effective(dir.path()).unwrap();
        assert!(e.entries.iter().all(|x| x.source == "default"));
        let tables = [
            "forge",
            "llm",
            "docker",
            "docker.system_packages",
            "packages",
            "product",
        ];
        let mut keys: Vec<String> = super::super::known_keys()
            .into_iter()
            // `prod_index` is shown whole (an inline table).
            .filter(|k| {
                !k.starts_with("packages.")
                    && !k.starts_with("prod_index.")
                    && !tables.contains(&k.as_str())
            })
            .collect();
        let mut shown: Vec<&str> = e.entries.iter().map(|x| x.key.as_str()).collect();
        keys.sort();
        shown.sort_unstable();
        assert_eq!(shown, keys);
        let text = e.to_toml();
        assert!(
            text.contains("\n[tool.release_tool]\npackages_dir "),
            "{text}"
        );
        assert!(text.contains("# jobs is not set"), "{text}");
        assert!(
            text.contains("[tool.release_tool.docker.system_packages]"),
            "{text}"
        );
        // The output is TOML that the tool itself accepts (its forge table configures the
        // forge explicitly).
        let mut parsed = super::super::parse_config_file(Path::new("x.toml"), &text).unwrap();
        assert!(parsed.forge.configured);
        parsed.forge.configured = false;
        assert_eq!(parsed, Config::default());
    }

    #[test]
    fn file_values_are_marked_with_their_file() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "release_tool.toml",
            "[tool.release_tool]\ntag_prefix = \"rel-\"\nforge = { kind = \"gitea\" }\n\
             [tool.release_tool.docker]\nbuild_args = { A = \"1\" }\n\
             [tool.release_tool.packages.\"zope.x\"]\nskip = true\n",
        );
        let e = effective(dir.path()).unwrap();
        assert_eq!(source_of(&e, "tag_prefix"), "release_tool.toml");
        assert_eq!(source_of(&e, "forge.kind"), "release_tool.toml");
        assert_eq!(source_of(&e, "forge.releases"), "default");
        assert_eq!(source_of(&e, "docker.build_args"), "release_tool.toml");
        assert_eq!(
            source_of(&e, "packages.\"zope.x\".skip"),
            "release_tool.toml"
        );
        assert_eq!(source_of(&e, "packages.\"zope.x\".tag_prefix"), "default");
        assert_eq!(source_of(&e, "git_remote"), "default");
        let text = e.to_toml();
        assert!(
            text.contains("[tool.release_tool.packages.\"zope.x\"]"),
            "{text}"
        );
        assert!(text.contains("build_args = { A = \"1\" }"), "{text}");
        let back = super::super::parse_config_file(Path::new("x.toml"), &text).unwrap();
        assert_eq!(back, e.loaded.config);
    }

    #[test]
    fn pyproject_and_top_level_layouts() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "pyproject.toml",
            "[project]\nname = \"x\"\n[tool.release_tool]\njobs = 3\n",
        );
        let e = effective(dir.path()).unwrap();
        assert_eq!(source_of(&e, "jobs"), "pyproject.toml");
        assert_eq!(e.entries.iter().find(|x| x.key == "jobs").unwrap().value, 3);
        assert_eq!(source_of(&e, "dev_branch"), "default");

        write(
            dir.path(),
            "release_tool.toml",
            "dev_branch = \"develop\"\n",
        );
        let e = effective(dir.path()).unwrap();
        assert_eq!(source_of(&e, "dev_branch"), "release_tool.toml");
        assert_eq!(source_of(&e, "jobs"), "default");
        assert_eq!(e.loaded.warnings.len(), 1);
    }
}
