//! `branch` (stage0): `dev_branch` created or fast-forwarded from `origin/main` in every package,
//! uncommitted work stashed and restored (or kept and named), refusals per package.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{TestEnv, commit_file, git, outputs, snapshot_tree};

const PACKAGES: [&str; 3] = ["core-utils", "data-loader", "model-api"];

fn package(root: &Path, name: &str) -> PathBuf {
    root.join("packages").join(name)
}

fn remote(env: &TestEnv, name: &str) -> PathBuf {
    env.path().join(format!("demo/remotes/{name}.git"))
}

fn rev(repo: &Path, rev: &str) -> String {
    git(repo, &["rev-parse", rev]).trim().to_owned()
}

fn current_branch(repo: &Path) -> String {
    git(repo, &["symbolic-ref", "--short", "HEAD"])
        .trim()
        .to_owned()
}

/// A clone of a package's remote outside the workspace ("another developer").
fn other_clone(env: &TestEnv, name: &str) -> PathBuf {
    let clone = env.path().join(format!("elsewhere-{name}"));
    if !clone.exists() {
        git(
            &env.path(),
            &[
                "clone",
                "-q",
                &format!("file://{}", remote(env, name).display()),
                clone.to_str().unwrap(),
            ],
        );
    }
    clone
}

/// Commit `file` = `contents` on `main` in another clone and push it; returns the new head.
fn push_to_main(env: &TestEnv, name: &str, file: &str, contents: &str) -> String {
    let clone = other_clone(env, name);
    git(&clone, &["pull", "-q", "--ff-only"]);
    commit_file(&clone, file, contents, &format!("feat: {file}"));
    git(&clone, &["push", "-q", "origin", "main"]);
    rev(&clone, "HEAD")
}

fn json_rows(stdout: &str) -> Vec<Value> {
    crate::support::json_doc(stdout)["packages"]
        .as_array()
        .unwrap()
        .clone()
}

fn row<'a>(rows: &'a [Value], name: &str) -> &'a Value {
    rows.iter()
        .find(|r| r["package"] == name)
        .unwrap_or_else(|| panic!("no row for {name}: {rows:?}"))
}

#[test]
fn creates_dev_branch_in_every_package_from_origin_main() {
    let env = TestEnv::new();
    let root = env.demo();
    let root_head = rev(&root, "HEAD");
    let out = env.run(&root, ["branch", "--json"]);
    let (stdout, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let rows = json_rows(&stdout);
    assert_eq!(rows.len(), 3);
    for name in PACKAGES {
        let pkg = package(&root, name);
        assert_eq!(current_branch(&pkg), "dev_branch", "{name}");
        assert_eq!(rev(&pkg, "dev_branch"), rev(&pkg, "origin/main"), "{name}");
        let r = row(&rows, name);
        assert_eq!(r["action"], "created");
        assert_eq!(r["from"], "origin/main");
        assert_eq!(r["branch"], "dev_branch");
        assert_eq!(
            (r["ahead"].as_u64(), r["behind"].as_u64()),
            (Some(0), Some(0))
        );
        assert!(
            r.get("stash").is_none() && r.get("problem").is_none(),
            "{r}"
        );
        // Nothing pushed without --push.
        let remote_refs = git(
            &remote(&env, name),
            &["for-each-ref", "--format=%(refname)"],
        );
        assert!(!remote_refs.contains("dev_branch"), "{remote_refs}");
    }
    // The root only sees the packages' state: no commit, pointers unchanged.
    assert_eq!(rev(&root, "HEAD"), root_head);
    assert_eq!(git(&root, &["status", "--porcelain"]), "");
    // A second run has nothing to do.
    let out = env.run(&root, ["branch"]);
    let (stdout, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(stdout.matches("up-to-date").count(), 3, "{stdout}");
}

#[test]
fn push_creates_dev_branch_on_the_remotes_with_upstream() {
    let env = TestEnv::new();
    let root = env.demo();
    let out = env.run(&root, ["branch", "--push"]);
    let (stdout, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stdout.contains("origin/dev_branch"), "{stdout}");
    for name in PACKAGES {
        let pkg = package(&root, name);
        assert_eq!(
            rev(&remote(&env, name), "refs/heads/dev_branch"),
            rev(&pkg, "dev_branch"),
            "{name}"
        );
        assert_eq!(
            git(
                &pkg,
                &["rev-parse", "--abbrev-ref", "dev_branch@{upstream}"]
            )
            .trim(),
            "origin/dev_branch"
        );
    }
}

#[test]
fn sets_the_upstream_when_the_remote_has_dev_branch() {
    let env = TestEnv::new();
    let root = env.demo();
    let clone = other_clone(&env, "core-utils");
    git(&clone, &["push", "-q", "origin", "main:dev_branch"]);
    let out = env.run(&root, ["branch", "-p", "core-utils"]);
    assert_eq!(out.status.code(), Some(0), "{}", outputs(&out).1);
    let pkg = package(&root, "core-utils");
    assert_eq!(
        git(
            &pkg,
            &["rev-parse", "--abbrev-ref", "dev_branch@{upstream}"]
        )
        .trim(),
        "origin/dev_branch"
    );
    assert_eq!(current_branch(&package(&root, "data-loader")), "main");
}

#[test]
fn fast_forwards_dev_branch_to_a_new_commit_on_remote_main() {
    let env = TestEnv::new();
    let root = env.demo();
    let out = env.run(&root, ["branch"]);
    assert_eq!(out.status.code(), Some(0), "{}", outputs(&out).1);
    let new = push_to_main(&env, "data-loader", "new.txt", "new\n");
    let out = env.run(&root, ["branch", "--json"]);
    let (stdout, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let rows = json_rows(&stdout);
    assert_eq!(row(&rows, "data-loader")["action"], "fast-forwarded");
    assert_eq!(row(&rows, "core-utils")["action"], "up-to-date");
    let pkg = package(&root, "data-loader");
    assert_eq!(rev(&pkg, "HEAD"), new);
    assert_eq!(current_branch(&pkg), "dev_branch");
    assert_eq!(
        std::fs::read_to_string(pkg.join("new.txt")).unwrap(),
        "new\n"
    );
    // A dev_branch that is not checked out is fast-forwarded too (and then switched to).
    git(&pkg, &["switch", "-q", "main"]);
    let newer = push_to_main(&env, "data-loader", "newer.txt", "newer\n");
    let out = env.run(&root, ["branch", "-p", "data-loader"]);
    let (stdout, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stdout.contains("fast-forwarded"), "{stdout}");
    assert_eq!(current_branch(&pkg), "dev_branch");
    assert_eq!(rev(&pkg, "HEAD"), newer);
}

#[test]
fn uncommitted_work_is_stashed_and_restored() {
    let env = TestEnv::new();
    let root = env.demo();
    let pkg = package(&root, "core-utils");
    let mut pyproject = std::fs::read(pkg.join("pyproject.toml")).unwrap();
    pyproject.extend_from_slice(b"\n# local edit\n");
    std::fs::write(pkg.join("pyproject.toml"), &pyproject).unwrap();
    std::fs::write(pkg.join("scratch.txt"), b"untracked \xff bytes\n").unwrap();
    let status_before = git(&pkg, &["status", "--porcelain"]);
    let out = env.run(&root, ["branch", "--json"]);
    let (stdout, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let rows = json_rows(&stdout);
    let r = row(&rows, "core-utils");
    assert_eq!(r["action"], "created");
    assert_eq!(r["stashed"], true);
    assert!(r.get("stash").is_none(), "{r}");
    assert_eq!(current_branch(&pkg), "dev_branch");
    assert_eq!(
        std::fs::read(pkg.join("pyproject.toml")).unwrap(),
        pyproject
    );
    assert_eq!(
        std::fs::read(pkg.join("scratch.txt")).unwrap(),
        b"untracked \xff bytes\n"
    );
    assert_eq!(git(&pkg, &["status", "--porcelain"]), status_before);
    assert_eq!(git(&pkg, &["stash", "list"]), "");
}

#[test]
fn a_conflicting_stash_pop_keeps_the_stash_and_names_it() {
    let env = TestEnv::new();
    let root = env.demo();
    let pkg = package(&root, "core-utils");
    // A shared file on main, then the remote changes the line the user also changes locally.
    commit_file(&pkg, "shared.txt", "base\n", "chore: shared");
    git(&pkg, &["push", "-q", "origin", "main"]);
    push_to_main(&env, "core-utils", "shared.txt", "remote\n");
    std::fs::write(pkg.join("shared.txt"), "mine\n").unwrap();
    let out = env.run(&root, ["branch"]);
    let (stdout, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("core-utils") && stderr.contains("stash@{0}: release-tool/dev_branch"),
        "{stderr}"
    );
    assert!(stderr.contains("hint: "), "{stderr}");
    assert!(
        stdout.contains("work kept in stash@{0}: release-tool/dev_branch"),
        "{stdout}"
    );
    let list = git(&pkg, &["stash", "list"]);
    assert_eq!(list.lines().count(), 1, "{list}");
    assert!(list.contains("release-tool/dev_branch"), "{list}");
    let patch = git(&pkg, &["stash", "show", "-p", "stash@{0}"]);
    assert!(patch.contains("+mine"), "{patch}");
    // The other packages were still done.
    assert_eq!(current_branch(&package(&root, "model-api")), "dev_branch");
}

#[test]
fn no_stash_refuses_a_dirty_package_and_changes_nothing() {
    let env = TestEnv::new();
    let root = env.demo();
    let pkg = package(&root, "core-utils");
    std::fs::write(pkg.join("scratch.txt"), "wip\n").unwrap();
    let before = snapshot_tree(&env.path());
    let out = env.run(&root, ["branch", "--no-stash", "-p", "core-utils"]);
    let (stdout, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("Package core-utils (packages/core-utils) has 1 uncommitted change and `--no-stash` was given"),
        "{stderr}"
    );
    assert!(stdout.contains("refused"), "{stdout}");
    assert_eq!(before, snapshot_tree(&env.path()), "nothing changed");
}

#[test]
fn a_diverged_dev_branch_is_refused_and_the_others_are_done() {
    let env = TestEnv::new();
    let root = env.demo();
    let pkg = package(&root, "data-loader");
    git(&pkg, &["switch", "-q", "-c", "dev_branch"]);
    commit_file(&pkg, "local.txt", "local\n", "feat: local work");
    let local = rev(&pkg, "HEAD");
    push_to_main(&env, "data-loader", "remote.txt", "remote\n");
    let out = env.run(&root, ["branch"]);
    let (stdout, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("Package data-loader (packages/data-loader): `dev_branch`")
            && stderr.contains("has diverged from origin/main"),
        "{stderr}"
    );
    assert_eq!(rev(&pkg, "dev_branch"), local, "never reset");
    assert!(!pkg.join("remote.txt").exists(), "never merged");
    for name in ["core-utils", "model-api"] {
        assert_eq!(
            current_branch(&package(&root, name)),
            "dev_branch",
            "{name}"
        );
    }
}

#[test]
fn remote_without_main_needs_a_fallback() {
    let env = TestEnv::new();
    let root = env.demo();
    let bare = remote(&env, "model-api");
    git(&bare, &["branch", "-m", "main", "trunk"]);
    let pkg = package(&root, "model-api");
    let head = rev(&pkg, "HEAD");
    let out = env.run(&root, ["branch"]);
    let (stdout, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("Package model-api (packages/model-api): `origin/main` does not exist"),
        "{stderr}"
    );
    assert!(stderr.contains("--fallback-head"), "{stderr}");
    assert_eq!(current_branch(&pkg), "main");
    assert_eq!(current_branch(&package(&root, "core-utils")), "dev_branch");

    let out = env.run(&root, ["branch", "--fallback-head", "--json"]);
    let (stdout, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let rows = json_rows(&stdout);
    let r = row(&rows, "model-api");
    assert_eq!(r["action"], "created");
    assert_eq!(r["from"], "HEAD");
    assert_eq!(current_branch(&pkg), "dev_branch");
    assert_eq!(rev(&pkg, "HEAD"), head);
}

#[test]
fn dry_run_prints_the_plan_and_changes_nothing() {
    let env = TestEnv::new();
    let root = env.demo();
    push_to_main(&env, "core-utils", "new.txt", "new\n");
    std::fs::write(package(&root, "data-loader").join("wip.txt"), "wip\n").unwrap();
    let before = snapshot_tree(&env.path());
    let out = env.run(&root, ["branch", "--dry-run", "--push"]);
    let (stdout, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stdout.contains("would be created"), "{stdout}");
    assert!(
        stdout.contains(
            "data-loader: git -C packages/data-loader stash push --quiet --include-untracked -m release-tool/dev_branch"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "core-utils: git -C packages/core-utils push --quiet -u -- origin dev_branch"
        ),
        "{stdout}"
    );
    assert!(stderr.contains("nothing changed"), "{stderr}");
    let out = env.run(&root, ["branch", "--dry-run", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", outputs(&out).1);
    let doc = crate::support::json_doc(outputs(&out).0);
    let steps = doc["steps"].as_array().unwrap();
    assert!(steps.iter().all(|s| s["action"] == "git"), "{steps:?}");
    assert_eq!(before, snapshot_tree(&env.path()), "nothing changed");
}
