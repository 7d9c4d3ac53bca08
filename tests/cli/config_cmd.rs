//! `config schema` and `config show`: the schema accepts what the tool accepts (the demo's
//! configuration, every key) and rejects what it rejects (unknown keys, wrong types).

use std::path::Path;

use serde_json::Value;

use crate::support::{TestEnv, outputs, write_config};

pub fn schema(env: &TestEnv) -> Value {
    let out = env.run(&env.path(), ["config", "schema"]);
    assert!(out.status.success(), "{}", outputs(&out).1);
    serde_json::from_slice(&out.stdout).expect("the schema is JSON")
}

fn toml_to_json(text: &str) -> Value {
    toml_edit::de::from_str(text).expect("TOML")
}

/// The schema's verdict on a `release_tool.toml` text.
pub fn schema_errors(schema: &Value, text: &str) -> Vec<String> {
    let validator = jsonschema::validator_for(schema).expect("a valid JSON Schema");
    validator
        .iter_errors(&toml_to_json(text))
        .map(|e| e.to_string())
        .collect()
}

/// The tool's verdict on the same text, as `release_tool.toml` of a workspace.
fn tool_accepts(env: &TestEnv, name: &str, text: &str) -> bool {
    let dir = env.path().join(name);
    std::fs::create_dir_all(&dir).unwrap();
    write_config(&dir, text);
    let out = env.run(&dir, ["config", "show"]);
    match out.status.code() {
        Some(0) => true,
        Some(2) => false,
        other => panic!("unexpected exit {other:?}: {}", outputs(&out).1),
    }
}

const FULL: &str = r#"
[tool.release_tool]
packages_dir = "libs"
changes_output_dir = "out/changes"
changes_uncommitted_filename = "u.txt"
changes_since_tag_filename = "s.txt"
commit_message_filename = "c.txt"
tag_message_filename = "t.md"
staging_pyproject_path = "env/staging/pyproject.toml"
prod_pyproject_path = "env/prod/pyproject.toml"
tag_prefix = "rel-"
git_remote = "upstream"
dry_run = true
base_branch = "trunk"
dev_branch = "develop"
prod_source = "index"
changelog = ""
jobs = 4

[tool.release_tool.forge]
kind = "gitea"
api_url = "https://git.example.com/api/v1"
token_env = "GITEA_TOKEN"
releases = false
pull_requests = false

[tool.release_tool.llm]
base_url = "http://127.0.0.1:8080/v1"
model = "local"
api_key_env = "LOCAL_KEY"
max_diff_bytes = 1000

[tool.release_tool.docker]
preset = "cuda"
base_image = "python:3.12-slim"
builder_image = "python:3.12"
uv_image = "ghcr.io/astral-sh/uv"
uv_version = "0.13.9"
python = "managed"
python_version = "3.12"
extras = ["gpu"]
cmd = ["serve"]
entrypoint = ["python", "-m", "app"]
image = "registry.example.com/app"
tags = ["latest"]
dockerfile = "Dockerfile"
context = "."
engine = "podman"
build_args = { PIP_INDEX_URL = "https://pypi.example.com/simple" }
platforms = ["linux/amd64"]

[tool.release_tool.docker.system_packages]
runtime = ["libgomp1"]
build = ["gcc"]

[tool.release_tool.packages.core-utils]
tag_prefix = "core-utils-v"
skip = true
repository = "org/core-utils"
"#;

#[test]
fn schema_is_the_committed_file_and_draft_7() {
    let env = TestEnv::new();
    let out = env.run(&env.path(), ["config", "schema"]);
    let committed = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/release_tool.schema.json"),
    )
    .unwrap();
    assert_eq!(outputs(&out).0, committed);
    let s = schema(&env);
    assert_eq!(s["$schema"], "http://json-schema.org/draft-07/schema#");
    assert_eq!(s["additionalProperties"], false);
    assert!(s["properties"]["tag_prefix"]["description"].is_string());
    assert_eq!(s["properties"]["tag_prefix"]["default"], "v");
}

#[test]
fn schema_validates_the_demo_config_and_every_key() {
    let env = TestEnv::new();
    let root = env.demo();
    let s = schema(&env);
    let demo = std::fs::read_to_string(root.join("release_tool.toml")).unwrap();
    assert_eq!(schema_errors(&s, &demo), Vec::<String>::new());
    // The demo's file with every commented default uncommented is valid too.
    let uncommented: String = demo
        .lines()
        .map(|l| {
            l.strip_prefix("# ")
                .filter(|l| l.contains(" = ") || l.starts_with('['))
                .unwrap_or(l)
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        uncommented.contains("\ntag_prefix = \"v\""),
        "{uncommented}"
    );
    assert_eq!(schema_errors(&s, &uncommented), Vec::<String>::new());
    assert!(tool_accepts(&env, "uncommented", &uncommented));

    assert_eq!(schema_errors(&s, FULL), Vec::<String>::new());
    assert!(tool_accepts(&env, "full", FULL));
    // The top-level layout (like ruff.toml) too.
    let top = FULL
        .replace("[tool.release_tool]\n", "")
        .replace("[tool.release_tool.", "[");
    assert_eq!(schema_errors(&s, &top), Vec::<String>::new());
    assert!(tool_accepts(&env, "top", &top));
}

#[test]
fn schema_rejects_what_the_tool_rejects() {
    let env = TestEnv::new();
    let s = schema(&env);
    for (i, bad) in [
        "[tool.release_tool]\ntag_prefx = \"v\"\n",
        "tag_prefx = \"v\"\n",
        "[tool.release_tool.forge]\nknd = \"github\"\n",
        "[tool.release_tool.packages.alpha]\nskipp = true\n",
        "[tool.release_tool.docker.system_packages]\nruntim = []\n",
        "[tool.release_tool]\ndry_run = \"yes\"\n",
        "[tool.release_tool]\nprod_source = \"pypi\"\n",
        "[tool.release_tool.forge]\nkind = \"gitlab\"\n",
        "[tool.release_tool]\njobs = 0\n",
        "[tool.other]\nx = 1\n",
    ]
    .into_iter()
    .enumerate()
    {
        assert!(!schema_errors(&s, bad).is_empty(), "schema accepts {bad:?}");
        assert!(
            !tool_accepts(&env, &format!("bad{i}"), bad),
            "tool accepts {bad:?}"
        );
    }
    let errors = schema_errors(&s, "[tool.release_tool]\ntag_prefx = \"v\"\n");
    assert!(errors.iter().any(|e| e.contains("tag_prefx")), "{errors:?}");
}

#[test]
fn show_prints_each_value_with_its_source() {
    let env = TestEnv::new();
    let root = env.demo();
    write_config(
        &root,
        "[tool.release_tool]\ndev_branch = \"develop\"\n[tool.release_tool.forge]\nkind = \"none\"\n",
    );
    let out = env.run(&root.join("packages"), ["config", "show"]);
    let (stdout, stderr) = outputs(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
    assert!(
        stdout.starts_with(&format!(
            "# Effective configuration of {}\n# Read from {}\n\n[tool.release_tool]\n",
            root.display(),
            root.join("release_tool.toml").display()
        )),
        "{stdout}"
    );
    let line = |key: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(&format!("{key} = ")))
            .unwrap_or_else(|| panic!("{key} missing: {stdout}"))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(
        line("dev_branch"),
        "dev_branch = \"develop\" # release_tool.toml"
    );
    assert_eq!(line("base_branch"), "base_branch = \"main\" # default");
    assert_eq!(line("kind"), "kind = \"none\" # release_tool.toml");

    let out = env.run(&root, ["config", "show", "--json"]);
    assert!(out.status.success(), "{}", outputs(&out).1);
    let v: Value = crate::support::json_doc(&out.stdout);
    assert_eq!(v["root"], root.to_str().unwrap());
    assert_eq!(v["config"]["dev_branch"], "develop");
    let values = v["values"].as_array().unwrap();
    let get = |key: &str| values.iter().find(|e| e["key"] == key).unwrap().clone();
    assert_eq!(
        get("dev_branch"),
        serde_json::json!({"key": "dev_branch", "value": "develop", "source": "release_tool.toml"})
    );
    assert_eq!(get("forge.releases")["source"], "default");
    assert_eq!(get("jobs")["value"], Value::Null);

    // Configuration in pyproject.toml.
    std::fs::remove_file(root.join("release_tool.toml")).unwrap();
    let mut py = std::fs::read_to_string(root.join("pyproject.toml")).unwrap();
    py.push_str("\n[tool.release_tool]\ntag_prefix = \"rel-\"\n");
    std::fs::write(root.join("pyproject.toml"), py).unwrap();
    let out = env.run(&root, ["config", "show", "--json"]);
    let v: Value = crate::support::json_doc(&out.stdout);
    let values = v["values"].as_array().unwrap();
    let tp = values.iter().find(|e| e["key"] == "tag_prefix").unwrap();
    assert_eq!(tp["source"], "pyproject.toml");
}

#[test]
fn show_outside_a_workspace_and_with_a_bad_key_exit_2() {
    let env = TestEnv::new();
    let out = env.run(&env.path(), ["config", "show"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        outputs(&out)
            .1
            .starts_with("error: Not a release-tool workspace")
    );
    write_config(&env.path(), "tag_prefx = \"v\"\n");
    let out = env.run(&env.path(), ["config", "show"]);
    assert_eq!(out.status.code(), Some(2));
    let (stdout, stderr) = outputs(&out);
    assert!(stdout.is_empty());
    assert!(stderr.contains("did you mean `tag_prefix`?"), "{stderr}");
}
