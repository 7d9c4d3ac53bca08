//! `status`: every column and every problem, against real git repositories.

use std::path::Path;

use serde_json::Value;

use crate::support::{TestEnv, commit_file, git, outputs, snapshot_tree, write_config};

fn status_json(env: &TestEnv, dir: &Path, extra: &[&str]) -> (Option<i32>, Value) {
    let mut args = vec!["status", "--json"];
    args.extend_from_slice(extra);
    let out = env.run(dir, &args);
    let (stdout, stderr) = outputs(&out);
    assert!(!stdout.is_empty(), "{stderr}");
    let value = crate::support::json_doc(&stdout);
    (out.status.code(), value)
}

fn row<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("{name}"))
}

fn problems(row: &Value) -> Vec<String> {
    row["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn demo_workspace_table_and_json() {
    let env = TestEnv::new();
    let root = env.demo();
    let out = env.run(&root, ["status"]);
    assert_eq!(out.status.code(), Some(0), "{}", outputs(&out).1);
    let (stdout, stderr) = outputs(&out);
    env.insta_settings().bind(|| {
        insta::assert_snapshot!("demo_table", stdout);
        insta::assert_snapshot!("demo_table_stderr", stderr);
    });
    let (code, json) = status_json(&env, &root, &[]);
    assert_eq!(code, Some(0));
    env.insta_settings()
        .bind(|| insta::assert_json_snapshot!("demo_json", json));
}

#[test]
fn finds_the_root_from_inside_a_package_and_with_dash_c() {
    let env = TestEnv::new();
    let root = env.demo();
    let (code, json) = status_json(&env, &root.join("packages/core-utils/src/core_utils"), &[]);
    assert_eq!(code, Some(0));
    assert_eq!(json["root"], root.display().to_string());
    let (code, json) = status_json(&env, &env.path(), &["-C", root.to_str().unwrap()]);
    assert_eq!(code, Some(0));
    assert_eq!(json["packages"].as_array().unwrap().len(), 3);
}

#[test]
fn rows_are_sorted_by_name_and_selectable() {
    let env = TestEnv::new();
    let root = env.demo();
    let (_, json) = status_json(&env, &root, &[]);
    let names: Vec<&str> = json["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["core-utils", "data-loader", "model-api"]);
    let (_, json) = status_json(&env, &root, &["-p", "model-api", "-p", "Core_Utils"]);
    let names: Vec<&str> = json["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["core-utils", "model-api"]);
}

#[test]
fn dirty_counts_changed_and_untracked_files() {
    let env = TestEnv::new();
    let root = env.demo();
    let pkg = root.join("packages/core-utils");
    std::fs::write(pkg.join("README.md"), "changed\n").unwrap();
    std::fs::write(pkg.join("new.txt"), "new\n").unwrap();
    std::fs::create_dir_all(pkg.join("notes")).unwrap();
    std::fs::write(pkg.join("notes/a.md"), "a\n").unwrap();
    let (code, json) = status_json(&env, &root, &[]);
    assert_eq!(code, Some(0));
    assert_eq!(row(&json, "core-utils")["dirty"], 3);
    assert_eq!(row(&json, "data-loader")["dirty"], 0);
}

#[test]
fn last_tag_is_the_highest_pep440_version_and_commits_are_counted_since() {
    let env = TestEnv::new();
    let root = env.demo();
    let pkg = root.join("packages/core-utils");
    git(&pkg, &["tag", "-a", "-m", "0.9", "v0.9.0"]);
    commit_file(&pkg, "a.txt", "a", "feat: a");
    git(&pkg, &["tag", "v0.10.0"]); // lightweight, and higher than v0.9.0 in PEP 440 order
    git(&pkg, &["tag", "other-1.0"]); // another prefix: ignored
    git(&pkg, &["tag", "vnot-a-version"]); // not PEP 440: ignored
    commit_file(&pkg, "b.txt", "b", "fix: b");
    commit_file(&pkg, "c.txt", "c", "fix: c");
    let (_, json) = status_json(&env, &root, &[]);
    let r = row(&json, "core-utils");
    assert_eq!(r["last_tag"], "v0.10.0");
    assert_eq!(r["commits_since_tag"], 2);
    assert_eq!(r["ahead"], 3, "three commits not pushed");
    assert_eq!(r["behind"], 0);
    let untagged = row(&json, "data-loader");
    assert_eq!(untagged["last_tag"], Value::Null);
    assert_eq!(
        untagged["commits_since_tag"], 1,
        "all commits count when there is no tag"
    );
}

#[test]
fn per_package_tag_prefix_from_config() {
    let env = TestEnv::new();
    let root = env.demo();
    write_config(
        &root,
        "[tool.release_tool]\n[tool.release_tool.packages.core-utils]\ntag_prefix = \"core-utils-v\"\n",
    );
    let pkg = root.join("packages/core-utils");
    git(&pkg, &["tag", "v9.0.0"]);
    git(&pkg, &["tag", "core-utils-v0.3.0"]);
    let (_, json) = status_json(&env, &root, &[]);
    assert_eq!(row(&json, "core-utils")["last_tag"], "core-utils-v0.3.0");
}

#[test]
fn version_already_tagged_with_commits_since_is_a_warning() {
    let env = TestEnv::new();
    let root = env.demo();
    let pkg = root.join("packages/core-utils");
    let text = std::fs::read_to_string(pkg.join("pyproject.toml"))
        .unwrap()
        .replace("0.1.0.dev0", "0.2.0");
    commit_file(&pkg, "pyproject.toml", &text, "chore: release 0.2.0");
    git(&pkg, &["tag", "v0.2.0"]);
    commit_file(&pkg, "x.txt", "x", "feat: after release");
    let (code, json) = status_json(&env, &root, &[]);
    assert_eq!(code, Some(0), "warnings do not fail status");
    let r = row(&json, "core-utils");
    assert_eq!(
        problems(r),
        [
            "version 0.2.0 already tagged but 1 commit since",
            "not pinned in staging (latest tag v0.2.0; run `release-tool manifests`)",
            "not pinned in prod (latest tag v0.2.0; run `release-tool manifests`)"
        ]
    );
    assert_eq!(r["status"], "warning");
}

#[test]
fn pins_are_read_from_staging_and_prod_and_stale_pins_reported() {
    let env = TestEnv::new();
    let root = env.demo();
    let pkg = root.join("packages/core-utils");
    git(&pkg, &["tag", "v0.1.0"]);
    commit_file(&pkg, "a.txt", "a", "feat: a");
    git(&pkg, &["tag", "v0.2.0"]);
    commit_file(&pkg, "b.txt", "b", "feat: b");
    git(&pkg, &["tag", "v0.3.0.dev1"]);
    let url = "file:///remotes/core-utils.git";
    for (file, tag) in [
        ("staging/pyproject.toml", "v0.3.0.dev1"),
        ("prod/pyproject.toml", "v0.1.0"),
    ] {
        let mut text = std::fs::read_to_string(root.join(file)).unwrap();
        text.push_str(&format!("core-utils = {{ git = \"{url}\", tag = \"{tag}\" }}\ndata-loader = {{ git = \"{url}\", tag = \"v7.0.0\" }}\n"));
        std::fs::write(root.join(file), text).unwrap();
    }
    let (code, json) = status_json(&env, &root, &[]);
    assert_eq!(code, Some(0));
    let r = row(&json, "core-utils");
    assert_eq!(r["staging_pin"], "v0.3.0.dev1");
    assert_eq!(r["prod_pin"], "v0.1.0");
    assert_eq!(r["last_tag"], "v0.3.0.dev1");
    assert_eq!(problems(r), ["prod pin v0.1.0 but latest tag v0.2.0"]);
    let r = row(&json, "data-loader");
    assert_eq!(
        problems(r),
        [
            "staging pin v7.0.0 is not a tag of this package",
            "prod pin v7.0.0 is not a tag of this package"
        ]
    );
}

#[test]
fn index_pins_in_prod() {
    let env = TestEnv::new();
    let root = env.demo();
    write_config(&root, "[tool.release_tool]\nprod_source = \"index\"\n");
    let pkg = root.join("packages/core-utils");
    git(&pkg, &["tag", "v0.1.0"]);
    git(&pkg, &["tag", "v0.2.0"]);
    let prod = root.join("prod/pyproject.toml");
    let text = std::fs::read_to_string(&prod).unwrap().replace(
        "dependencies = []",
        "dependencies = [\"core-utils==0.1.0\"]",
    );
    std::fs::write(&prod, text).unwrap();
    let (_, json) = status_json(&env, &root, &[]);
    let r = row(&json, "core-utils");
    assert_eq!(r["prod_pin"], "==0.1.0");
    assert_eq!(
        problems(r),
        [
            "not pinned in staging (latest tag v0.2.0; run `release-tool manifests`)",
            "prod pin ==0.1.0 but latest release tag v0.2.0"
        ]
    );
}

#[test]
fn fetch_brings_in_remote_commits_as_behind() {
    let env = TestEnv::new();
    let root = env.demo();
    let other = env.path().join("other-clone");
    git(
        &env.path(),
        &[
            "clone",
            "-q",
            &format!(
                "file://{}/demo/remotes/core-utils.git",
                env.path().display()
            ),
            other.to_str().unwrap(),
        ],
    );
    commit_file(&other, "remote.txt", "r", "feat: from elsewhere");
    git(&other, &["push", "-q", "origin", "main"]);
    let (_, json) = status_json(&env, &root, &[]);
    assert_eq!(
        row(&json, "core-utils")["behind"],
        0,
        "no fetch without --fetch"
    );
    let (code, json) = status_json(&env, &root, &["--fetch"]);
    assert_eq!(code, Some(0));
    assert_eq!(row(&json, "core-utils")["behind"], 1);
    assert_eq!(row(&json, "core-utils")["ahead"], 0);
}

#[test]
fn uninitialized_submodules_are_errors_in_their_rows() {
    let env = TestEnv::new();
    let root = env.demo();
    let clone = crate::support::clone_root(&env, &root, &["packages/core-utils"]);
    let before = snapshot_tree(&clone);
    let (code, json) = status_json(&env, &clone, &[]);
    let after = snapshot_tree(&clone);
    assert_eq!(code, Some(1));
    // `git submodule update` leaves submodules detached: a warning, not an error.
    let p = problems(row(&json, "core-utils"));
    assert!(
        p.len() == 1 && p[0].starts_with("detached HEAD at "),
        "{p:?}"
    );
    assert_eq!(row(&json, "core-utils")["status"], "warning");
    let r = row(&json, "model-api");
    assert_eq!(
        problems(r),
        ["submodule not initialized (run `git submodule update --init packages/model-api`)"]
    );
    assert_eq!(r["status"], "error");
    assert_eq!(r["version"], Value::Null);
    assert_eq!(
        before,
        without_cache(after),
        "status changes nothing but its own cache"
    );
}

/// A tree snapshot without `.release_tool/` (the state directory, where `status` keeps its
/// cache), after checking that it holds nothing but the cache and its `.gitignore`.
fn without_cache(tree: Vec<String>) -> Vec<String> {
    let state: Vec<&String> = tree
        .iter()
        .filter(|l| l.starts_with(".release_tool/"))
        .collect();
    for line in &state {
        let path = line.split(' ').next().unwrap();
        assert!(
            [
                ".release_tool/",
                ".release_tool/.gitignore",
                ".release_tool/cache/",
                ".release_tool/cache/tags.json",
                ".release_tool/cache/status.json"
            ]
            .contains(&path),
            "unexpected {line}"
        );
    }
    tree.into_iter()
        .filter(|l| !l.starts_with(".release_tool/"))
        .collect()
}

/// The git commands a `status --json` run starts (from its debug log), and its report. The
/// status cache never stores here (its racy margin is endless), so that the calls do not depend
/// on how long the test has taken so far; `status_cache_*` tests cover that cache.
fn status_git_calls(
    env: &TestEnv,
    root: &Path,
    extra_env: &[(&str, &str)],
) -> (Vec<String>, Value) {
    let mut cmd = env.cmd(root);
    cmd.args(["status", "--json"])
        .env("RELEASE_TOOL_LOG", "release_tool=debug")
        .env("RELEASE_TOOL_CACHE_RACY_MS", "1000000000000")
        .env("NO_COLOR", "1");
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let (stdout, stderr) = outputs(&out);
    let mut calls: Vec<String> = stderr
        .lines()
        .filter_map(|l| l.split_once(" git ").map(|(_, rest)| rest.to_owned()))
        .filter(|c| !c.starts_with("config --file"))
        .collect();
    // Packages run in parallel: the order of the calls is not fixed.
    calls.sort();
    (calls, crate::support::json_doc(&stdout))
}

/// Only `git status` processes (at most one per package: a clean work tree is read
/// in-process, `git::worktree`), no tag or commit reads.
fn only_status(calls: &[String]) {
    let names = subcommands(calls);
    assert!(
        names.len() <= 3 && names.iter().all(|n| *n == "status"),
        "{calls:?}"
    );
}

fn subcommands(calls: &[String]) -> Vec<&str> {
    let mut names: Vec<&str> = calls
        .iter()
        .map(|c| c.split(' ').find(|w| !w.starts_with("--")).unwrap())
        .collect();
    names.sort_unstable();
    names
}

#[test]
fn repeated_status_reads_tag_distances_from_its_cache() {
    let env = TestEnv::new();
    let root = env.demo();
    let pkg = root.join("packages/core-utils");
    git(&pkg, &["tag", "-a", "-m", "0.9", "v0.9.0"]);
    commit_file(&pkg, "a.txt", "a", "feat: a");
    // Packed (with its peeled line) and loose tags are both read.
    git(&pkg, &["pack-refs", "--all"]);
    git(&pkg, &["tag", "v0.10.0"]);
    commit_file(&pkg, "b.txt", "b", "fix: b");
    std::fs::remove_dir_all(root.join(".release_tool")).ok();

    // Cold: at most one git process per package (`git status`, none for a work tree read
    // in-process); tags and the commits since them are read in-process (git::local), packed
    // and loose alike.
    let (cold, first) = status_git_calls(&env, &root, &[]);
    only_status(&cold);
    // Warm: only git status, and the same report.
    let (warm, second) = status_git_calls(&env, &root, &[]);
    only_status(&warm);
    assert_eq!(first, second);
    let r = row(&second, "core-utils");
    assert_eq!(
        (&r["last_tag"], &r["commits_since_tag"]),
        (&Value::from("v0.10.0"), &Value::from(1))
    );

    // A new commit moves HEAD: that package is counted again (in-process), the others still
    // come from the cache.
    commit_file(&pkg, "c.txt", "c", "fix: c");
    let (calls, json) = status_git_calls(&env, &root, &[]);
    only_status(&calls);
    assert_eq!(row(&json, "core-utils")["commits_since_tag"], 2);
    // A new tag (same HEAD) is seen at once.
    git(&pkg, &["tag", "v0.11.0"]);
    let (calls, json) = status_git_calls(&env, &root, &[]);
    only_status(&calls);
    let r = row(&json, "core-utils");
    assert_eq!(
        (&r["last_tag"], &r["commits_since_tag"]),
        (&Value::from("v0.11.0"), &Value::from(0))
    );
    // A tag moved to another commit (same name, other object) is seen at once too.
    git(&pkg, &["tag", "-f", "v0.11.0", "HEAD~1"]);
    let (_, json) = status_git_calls(&env, &root, &[]);
    assert_eq!(row(&json, "core-utils")["commits_since_tag"], 1);

    // A corrupt cache is ignored (and rewritten); the report is the same as without a cache.
    let file = root.join(".release_tool/cache/tags.json");
    std::fs::write(&file, "{\"format\": 1, \"packages\": 7}").unwrap();
    let (calls, corrupt) = status_git_calls(&env, &root, &[]);
    only_status(&calls);
    let (_, uncached) = status_git_calls(&env, &root, &[("RELEASE_TOOL_NO_CACHE", "1")]);
    assert_eq!(corrupt, uncached);
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .starts_with("{\"format\":1,")
    );
}

#[test]
fn the_status_cache_is_invisible_to_git_and_can_be_turned_off() {
    let env = TestEnv::new();
    let root = env.demo();
    std::fs::remove_dir_all(root.join(".release_tool")).ok();
    let clean = git(&root, &["status", "--porcelain", "--ignored"]);
    let before = snapshot_tree(&root);
    let (calls, _) = status_git_calls(&env, &root, &[("RELEASE_TOOL_NO_CACHE", "1")]);
    assert_eq!(before, snapshot_tree(&root), "no cache: nothing written");
    let (again, _) = status_git_calls(&env, &root, &[("RELEASE_TOOL_NO_CACHE", "1")]);
    assert_eq!(calls, again, "no cache: the same git calls every time");
    status_json(&env, &root, &[]);
    assert!(root.join(".release_tool/cache/tags.json").is_file());
    // The state directory ignores itself: the root's status is unchanged (even with --ignored,
    // only the directory itself shows, as ignored).
    let after = git(&root, &["status", "--porcelain"]);
    assert_eq!(after, git(&root, &["status", "--porcelain"]));
    assert!(!after.contains(".release_tool"), "{after}");
    let ignored = git(&root, &["status", "--porcelain", "--ignored"]);
    assert_eq!(
        ignored.replace("!! .release_tool/\n", ""),
        clean,
        "only the state directory is new, and it is ignored"
    );
}

#[test]
fn a_broken_package_does_not_stop_the_others() {
    let env = TestEnv::new();
    let root = env.demo();
    std::fs::write(
        root.join("packages/data-loader/pyproject.toml"),
        "[project]\nname = \"data-loader\"\nversion = \n",
    )
    .unwrap();
    std::fs::write(
        root.join("packages/model-api/pyproject.toml"),
        "[project]\nversion = \"1.0\"\n",
    )
    .unwrap();
    let before = snapshot_tree(&root);
    let out = env.run(&root, ["status"]);
    assert_eq!(out.status.code(), Some(1));
    let (stdout, _) = outputs(&out);
    env.insta_settings()
        .bind(|| insta::assert_snapshot!("broken_packages_table", stdout));
    let (_, json) = status_json(&env, &root, &[]);
    let p = problems(row(&json, "data-loader"));
    assert_eq!(p.len(), 1);
    assert!(
        p[0].starts_with("malformed TOML in packages/data-loader/pyproject.toml:3:11:"),
        "{p:?}"
    );
    assert_eq!(
        problems(row(&json, "model-api")),
        ["missing [project] name in packages/model-api/pyproject.toml"]
    );
    assert_eq!(row(&json, "core-utils")["status"], "ok");
    assert_eq!(before, snapshot_tree(&root));
}

#[test]
fn invalid_version_is_an_error() {
    let env = TestEnv::new();
    let root = env.demo();
    let file = root.join("packages/core-utils/pyproject.toml");
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replace("0.1.0.dev0", "1.0-banana");
    std::fs::write(&file, text).unwrap();
    let (code, json) = status_json(&env, &root, &[]);
    assert_eq!(code, Some(1));
    let p = problems(row(&json, "core-utils"));
    assert!(p[0].starts_with("invalid version \"1.0-banana\""), "{p:?}");
    assert!(
        p[0].ends_with("(in packages/core-utils/pyproject.toml)"),
        "{p:?}"
    );
}

#[test]
fn hatch_dynamic_version_is_read_from_the_version_file() {
    let env = TestEnv::new();
    let root = env.demo();
    let pkg = root.join("packages/core-utils");
    let text = std::fs::read_to_string(pkg.join("pyproject.toml"))
        .unwrap()
        .replace("version = \"0.1.0.dev0\"\n", "dynamic = [\"version\"]\n")
        .replace(
            "[tool.hatch.build",
            "[tool.hatch.version]\npath = \"src/core_utils/__about__.py\"\n\n[tool.hatch.build",
        );
    std::fs::write(pkg.join("pyproject.toml"), text).unwrap();
    std::fs::write(
        pkg.join("src/core_utils/__about__.py"),
        "__version__ = \"2.5.0rc1\"\n",
    )
    .unwrap();
    let (_, json) = status_json(&env, &root, &[]);
    assert_eq!(row(&json, "core-utils")["version"], "2.5.0rc1");
}

#[test]
fn detached_head_and_missing_remote_are_warnings() {
    let env = TestEnv::new();
    let root = env.demo();
    git(
        &root.join("packages/core-utils"),
        &["checkout", "-q", "--detach", "HEAD"],
    );
    git(
        &root.join("packages/data-loader"),
        &["remote", "remove", "origin"],
    );
    let (code, json) = status_json(&env, &root, &[]);
    assert_eq!(code, Some(0));
    let r = row(&json, "core-utils");
    assert_eq!(r["branch"], Value::Null);
    let p = problems(r);
    assert!(
        p[0].starts_with("detached HEAD at ")
            && p[0].ends_with("(run `git switch main` in packages/core-utils)"),
        "{p:?}"
    );
    assert_eq!(problems(row(&json, "data-loader")), ["no remote `origin`"]);
}

#[test]
fn duplicate_names_are_errors() {
    let env = TestEnv::new();
    let root = env.demo();
    let file = root.join("packages/model-api/pyproject.toml");
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replace("name = \"model-api\"", "name = \"Core_Utils\"");
    std::fs::write(&file, text).unwrap();
    let (code, json) = status_json(&env, &root, &[]);
    assert_eq!(code, Some(1));
    let rows = json["packages"].as_array().unwrap();
    let dups: Vec<&Value> = rows.iter().filter(|r| r["status"] == "error").collect();
    assert_eq!(dups.len(), 2);
    assert!(
        problems(dups[0])[0].contains("duplicate package name"),
        "{dups:?}"
    );
    assert!(problems(dups[0])[0].contains("packages/core-utils and packages/model-api"));
}

#[test]
fn dependency_cycle_is_named() {
    let env = TestEnv::new();
    let root = env.demo();
    let file = root.join("packages/core-utils/pyproject.toml");
    let text = std::fs::read_to_string(&file).unwrap().replace(
        "dependencies = []",
        "dependencies = [\"model-api>=0.1.0.dev0\"]",
    );
    std::fs::write(&file, text).unwrap();
    let (code, json) = status_json(&env, &root, &[]);
    assert_eq!(code, Some(1));
    for name in ["core-utils", "data-loader", "model-api"] {
        let p = problems(row(&json, name));
        assert_eq!(
            p,
            ["dependency cycle: core-utils → model-api → data-loader → core-utils"],
            "{name}"
        );
    }
}

#[test]
fn workspace_source_in_a_package_is_reported() {
    let env = TestEnv::new();
    let root = env.demo();
    let file = root.join("packages/data-loader/pyproject.toml");
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str("\n[tool.uv.sources]\ncore-utils = { workspace = true }\n");
    std::fs::write(&file, text).unwrap();
    let (code, json) = status_json(&env, &root, &[]);
    assert_eq!(code, Some(0));
    assert_eq!(
        problems(row(&json, "data-loader")),
        [
            "`core-utils = { workspace = true }` in its own pyproject.toml breaks installs outside the workspace"
        ]
    );
}

#[test]
fn uv_workspace_members_and_excludes_are_discovered() {
    let env = TestEnv::new();
    let root = env.demo();
    // A member outside packages_dir, and an excluded one.
    for (dir, name) in [("libs/extra", "extra"), ("libs/skipped", "skipped")] {
        let d = root.join(dir);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(
            d.join("pyproject.toml"),
            format!("[project]\nname = \"{name}\"\nversion = \"1.0.0\"\n"),
        )
        .unwrap();
        git(&d, &["init", "-q"]);
        git(&d, &["add", "."]);
        git(&d, &["commit", "-q", "-m", "init"]);
    }
    let file = root.join("pyproject.toml");
    let text = std::fs::read_to_string(&file).unwrap().replace(
        "members = [\"packages/*\"]",
        "members = [\"packages/*\", \"libs/*\"]\nexclude = [\"libs/skipped\"]",
    );
    std::fs::write(&file, text).unwrap();
    let (_, json) = status_json(&env, &root, &[]);
    let names: Vec<&str> = json["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["core-utils", "data-loader", "extra", "model-api"]);
    assert_eq!(row(&json, "extra")["path"], "libs/extra");
}
