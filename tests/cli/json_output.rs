//! `--json` documents (docs/commands.md, "JSON output"): the committed schemas are the ones the
//! types derive, and each family of commands prints what it promises.

use std::path::Path;

#[test]
fn json_schemas_are_the_committed_files() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/json");
    let update = std::env::var_os("UPDATE_SCHEMAS").is_some();
    let mut names = Vec::new();
    for (command, schema) in release_tool::cli::json_schema::all() {
        let path = dir.join(format!("{command}.schema.json"));
        let text = release_tool::cli::json_schema::text(&schema);
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &text).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == text,
            "{} is not what the types derive: run `UPDATE_SCHEMAS=1 cargo test --test cli json_schemas` and commit it",
            path.display()
        );
        jsonschema::validator_for(&schema).expect("a valid JSON Schema");
        names.push(format!("{command}.schema.json"));
    }
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    names.sort();
    assert_eq!(
        files, names,
        "schema/json holds a file per command, no other"
    );
}

use crate::support::fake_github::FakeForge;
use crate::support::{TestEnv, commit_file, git, json_doc, outputs};

/// A read command: the envelope first, then its report.
#[test]
fn a_read_command_prints_its_report_in_the_envelope() {
    let env = TestEnv::new();
    let root = env.demo();
    let out = env.run(&root, ["status", "--json"]);
    assert!(out.status.success(), "{}", outputs(&out).1);
    let doc = json_doc(&out.stdout);
    assert_eq!(doc["command"], "status");
    assert_eq!(doc["packages"].as_array().unwrap().len(), 3, "{doc}");
    // The envelope's fields come first in the text.
    let text = outputs(&out).0;
    assert!(
        text.starts_with("{\n  \"schema_version\": 1,\n  \"command\": \"status\",\n"),
        "{text}"
    );
    // The other reports, each validated against its command's typed schema by `json_doc`
    // (`docker --check --json` needs a prod lock: tests/cli/demo.rs).
    for args in [
        &["manifests", "--json"][..],
        &["manifests", "--check", "--json"],
        &["config", "show", "--json"],
        &["abort", "--json"],
        &["clear", "--json"],
        &["ci", "--json"],
    ] {
        let out = env.run(&root, args);
        assert!(!out.stdout.is_empty(), "{args:?}: {}", outputs(&out).1);
        let doc = json_doc(&out.stdout);
        assert_eq!(doc["command"], args[0], "{args:?}: {doc}");
    }
    // A document that breaks its schema is caught by the helper every test uses.
    let broken = serde_json::json!({"schema_version": 1, "command": "release", "dry_run": true,
        "steps": [{"package": null, "action": "git", "detail": "git", "argv": "git -C . push"}]});
    assert!(!crate::support::json_schema_errors("release", &broken).is_empty());
}

/// `release --push --json` against the fake GitHub: each step's state, and per package the
/// pushed refs, the commit and the forge release's URL; the product's tag and release.
#[test]
fn release_push_json_says_what_was_pushed_and_created_on_the_forge() {
    let env = TestEnv::new();
    let root = env.demo_released();
    for name in ["core-utils", "data-loader", "model-api"] {
        let pkg = root.join("packages").join(name);
        commit_file(&pkg, "NEWS.txt", &format!("{name} news\n"), "feat: news");
        git(&pkg, &["push", "-q", "origin", "main"]);
    }
    let forge = FakeForge::github().start();
    crate::support::explicit_forge(&root);
    let out = env
        .cmd_uv(&root)
        .env("GITHUB_TOKEN", &forge.opts.token)
        .env("GITHUB_API_URL", forge.api_url())
        .args(["release", "--bump", "minor", "--push", "--json"])
        .output()
        .unwrap();
    let (stdout, stderr) = outputs(&out);
    assert!(out.status.success(), "{stderr}");
    let doc = json_doc(&stdout);
    assert_eq!(doc["command"], "release");
    assert_eq!(doc["dry_run"], false);
    assert_eq!(doc["finished"], true);
    let steps = doc["steps"].as_array().unwrap();
    assert!(
        steps.iter().all(|s| s["state"] == "done"),
        "every step done: {doc:#}"
    );
    let packages = doc["packages"].as_array().unwrap();
    assert_eq!(packages.len(), 3, "{doc:#}");
    for p in packages {
        let name = p["package"].as_str().unwrap();
        assert_eq!(p["from"], "0.1.1.dev0", "{p}");
        assert_eq!(p["version"], "0.2.0", "{p}");
        assert_eq!(p["tag"], "v0.2.0", "{p}");
        assert_eq!(p["result"], "done", "{p}");
        let pushed: Vec<&str> = p["pushed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap())
            .collect();
        assert!(pushed.contains(&"refs/tags/v0.2.0"), "{p}");
        assert!(pushed.contains(&"refs/heads/main"), "{p}");
        // The commit the run left the branch at is the remote's branch.
        let remote = env.path().join(format!("demo/remotes/{name}.git"));
        assert_eq!(
            p["commit"].as_str().unwrap(),
            git(&remote, &["rev-parse", "main"]).trim(),
            "{p}"
        );
        assert_eq!(p["forge_release"]["action"], "created", "{p}");
        assert!(
            p["forge_release"]["url"]
                .as_str()
                .unwrap()
                .ends_with(&format!("remotes/{name}/releases/tag/v0.2.0")),
            "{p}"
        );
    }
    let product = &doc["product"];
    let version = product["version"].as_str().unwrap();
    assert_eq!(product["tag"], format!("v{version}"), "{doc:#}");
    assert!(
        product["forge_release"]["url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/releases/tag/v{version}")),
        "{doc:#}"
    );
    assert_eq!(product["forge_release"]["action"], "created", "{doc:#}");
    assert!(
        product["pushed"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!(format!("refs/tags/v{version}"))),
        "{doc:#}"
    );
}

/// `sync prod --json`: what was synced, not a plan.
#[test]
fn sync_json_says_what_was_synced() {
    let env = TestEnv::new();
    let root = env.demo_released();
    let out = env.run_uv(&root, ["sync", "prod", "--json"]);
    let (stdout, stderr) = outputs(&out);
    assert!(out.status.success(), "{stderr}");
    let doc = json_doc(&stdout);
    assert_eq!(doc["command"], "sync");
    assert_eq!(doc["environment"], "prod", "{doc:#}");
    assert_eq!(doc["venv"], "prod/.venv", "{doc:#}");
    assert_eq!(doc["lock"], "prod/uv.lock", "{doc:#}");
    assert!(doc["lock_changed"].is_boolean(), "{doc:#}");
    let steps = doc["steps"].as_array().unwrap();
    assert!(
        steps
            .iter()
            .any(|s| s["argv"][0] == "uv" && s["argv"][1] == "sync" && s["state"] == "done"),
        "{doc:#}"
    );
    // Its dry run is the plan.
    let out = env.run(&root, ["sync", "prod", "--dry-run", "--json"]);
    let doc = json_doc(&out.stdout);
    assert_eq!(doc["dry_run"], true, "{doc:#}");
    assert!(doc.get("environment").is_none(), "{doc:#}");
}

/// A run killed once its first step took effect, resumed with `--json`: the step the probe
/// found done is `already_done`, the document covers the whole run (a's edit included), and
/// every package is `done`.
#[test]
fn a_resumed_release_json_reports_the_whole_run_with_already_done_steps() {
    let w = crate::support::trunk::World::new();
    let release = |env: &[(&str, &str)]| {
        let mut cmd = w.cmd();
        cmd.args(["release", "--bump", "minor", "--push", "--json"]);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    };
    let killed = release(&[("RELEASE_TOOL_FAIL_AFTER_EFFECT", "1")]);
    assert!(!killed.status.success(), "{}", outputs(&killed).1);
    assert_eq!(outputs(&killed).0, "", "a killed run printed nothing");
    let out = release(&[]);
    let (stdout, stderr) = outputs(&out);
    assert!(out.status.success(), "{stderr}");
    let doc = json_doc(&stdout);
    assert_eq!(doc["finished"], true, "{doc:#}");
    let steps = doc["steps"].as_array().unwrap();
    assert_eq!(steps[0]["package"], "a", "{doc:#}");
    assert_eq!(steps[0]["action"], "edit", "{doc:#}");
    assert_eq!(steps[0]["state"], "already_done", "{doc:#}");
    assert_eq!(
        steps[0]["note"], "the file already has its new content",
        "{doc:#}"
    );
    assert!(
        steps[1..]
            .iter()
            .all(|s| s["state"] == "done" || s["state"] == "skipped"),
        "{doc:#}"
    );
    let names: Vec<&str> = doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            assert_eq!(p["result"], "done", "{p}");
            assert!(p["commit"].is_string(), "{p}");
            // No forge for `file://` remotes.
            assert!(p["forge_release"].is_null(), "{p}");
            p["package"].as_str().unwrap()
        })
        .collect();
    assert_eq!(names, ["a", "b", "c"], "{doc:#}");
}
