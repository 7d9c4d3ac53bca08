//! `update`: submodules move to their branch heads, the root records the new pointers.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{TestEnv, commit_file, git, outputs, snapshot_tree};

/// Push commits with these subjects to a demo package's remote from a separate clone; returns
/// the new head.
fn push_to_remote(env: &TestEnv, package: &str, subjects: &[&str]) -> String {
    let clone = env.path().join(format!("elsewhere-{package}"));
    if !clone.exists() {
        git(
            &env.path(),
            &[
                "clone",
                "-q",
                &format!("file://{}/demo/remotes/{package}.git", env.path().display()),
                clone.to_str().unwrap(),
            ],
        );
    }
    for (i, subject) in subjects.iter().enumerate() {
        commit_file(&clone, &format!("file-{i}.txt"), subject, subject);
    }
    git(&clone, &["push", "-q", "origin", "main"]);
    head(&clone)
}

fn head(repo: &Path) -> String {
    git(repo, &["rev-parse", "HEAD"]).trim().to_owned()
}

/// The commit the root's index records for a submodule path.
fn gitlink(root: &Path, path: &str) -> String {
    let line = git(root, &["ls-files", "-s", "--", path]);
    let mut parts = line.split_whitespace();
    assert_eq!(parts.next(), Some("160000"), "{line}");
    parts.next().unwrap().to_owned()
}

fn short(hash: &str) -> &str {
    &hash[..7]
}

fn package(root: &Path, name: &str) -> PathBuf {
    root.join("packages").join(name)
}

#[test]
fn moves_the_pointers_and_commits_a_listing_of_the_moves() {
    let env = TestEnv::new();
    let root = env.demo();
    let old_core = gitlink(&root, "packages/core-utils");
    let old_model = gitlink(&root, "packages/model-api");
    let new_core = push_to_remote(&env, "core-utils", &["feat: one", "fix: two"]);
    let new_model = push_to_remote(&env, "model-api", &["feat: serve faster"]);
    let root_head = head(&root);
    let out = env.run(&root, ["update"]);
    let (stdout, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(
        stdout,
        format!(
            "core-utils  {} → {}  (2 commits)\n    fix: two\n    feat: one\n\
             model-api   {} → {}  (1 commit)\n    feat: serve faster\n",
            short(&old_core),
            short(&new_core),
            short(&old_model),
            short(&new_model)
        )
    );
    env.insta_settings()
        .bind(|| insta::assert_snapshot!("update_stderr", stderr));
    // The root's gitlinks moved, in one new commit on top of the old HEAD.
    assert_eq!(gitlink(&root, "packages/core-utils"), new_core);
    assert_eq!(gitlink(&root, "packages/model-api"), new_model);
    assert_eq!(git(&root, &["rev-parse", "HEAD~1"]).trim(), root_head);
    assert_eq!(
        git(&root, &["log", "-1", "--format=%B"]).trim_end(),
        format!(
            "chore: update submodules\n\n\
             - core-utils {} → {}\n  - fix: two\n  - feat: one\n\
             - model-api {} → {}\n  - feat: serve faster",
            short(&old_core),
            short(&new_core),
            short(&old_model),
            short(&new_model)
        )
    );
    assert_eq!(
        git(
            &root,
            &["diff-tree", "--no-commit-id", "--name-only", "-r", "HEAD"]
        ),
        "packages/core-utils\npackages/model-api\n"
    );
    assert_eq!(
        git(&root, &["status", "--porcelain"]),
        "",
        "root left clean"
    );
    // The packages stay on their branch, fast-forwarded.
    let core = package(&root, "core-utils");
    assert_eq!(
        git(&core, &["symbolic-ref", "--short", "HEAD"]).trim(),
        "main"
    );
    assert_eq!(head(&core), new_core);
    assert_eq!(
        head(&package(&root, "data-loader")),
        gitlink(&root, "packages/data-loader")
    );
}

#[test]
fn no_commit_leaves_the_new_pointers_staged() {
    let env = TestEnv::new();
    let root = env.demo();
    let new_core = push_to_remote(&env, "core-utils", &["feat: one"]);
    let root_head = head(&root);
    let out = env.run(&root, ["update", "--no-commit", "core-utils"]);
    let (stdout, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stdout.starts_with("core-utils  "), "{stdout}");
    assert!(
        stderr.contains("Staged the new pointer of 1 package in the root (not committed)\n"),
        "{stderr}"
    );
    assert_eq!(head(&root), root_head, "no commit");
    assert_eq!(gitlink(&root, "packages/core-utils"), new_core);
    assert_eq!(
        git(&root, &["diff", "--cached", "--name-only"]),
        "packages/core-utils\n"
    );
    // Running it again commits what the first run staged.
    let out = env.run(&root, ["update"]);
    assert_eq!(out.status.code(), Some(0), "{}", outputs(&out).1);
    assert_eq!(git(&root, &["rev-parse", "HEAD~1"]).trim(), root_head);
    assert!(
        git(&root, &["log", "-1", "--format=%B"]).contains("  - feat: one"),
        "the listing names the commits"
    );
    assert_eq!(git(&root, &["status", "--porcelain"]), "");
}

#[test]
fn nothing_to_update_makes_no_commit() {
    let env = TestEnv::new();
    let root = env.demo();
    let before = snapshot_tree(&root);
    let out = env.run(&root, ["update"]);
    let (stdout, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(stdout, "");
    assert_eq!(stderr, "All packages are up to date\n");
    assert_eq!(
        before,
        snapshot_tree(&root),
        "nothing changed, not even a ref"
    );
}

#[test]
fn dry_run_shows_the_moves_and_changes_nothing() {
    let env = TestEnv::new();
    let root = env.demo();
    let old_core = gitlink(&root, "packages/core-utils");
    let new_core = push_to_remote(&env, "core-utils", &["feat: one", "fix: two"]);
    let before = snapshot_tree(&env.path());
    let out = env.run(&root, ["update", "--dry-run"]);
    let (stdout, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stdout.starts_with(&format!(
            "core-utils  {} → {}  (new commits not fetched yet)\n",
            short(&old_core),
            short(&new_core)
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "submodule update --quiet --remote --no-fetch --merge -- packages/core-utils"
        ),
        "{stdout}"
    );
    assert!(
        stderr.contains("Dry run: 3 steps planned, nothing changed\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains("commit subjects are shown on a real run"),
        "{stderr}"
    );
    let out = env.run(&root, ["update", "--dry-run", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let json: Value = crate::support::json_doc(&out.stdout);
    let steps = json["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 3);
    assert_eq!(steps[0]["package"], "core-utils");
    assert_eq!(steps[2]["action"], "git");
    assert!(
        steps[2]["detail"]
            .as_str()
            .unwrap()
            .starts_with("git -C . commit --quiet -m 'chore: update submodules"),
        "{json}"
    );
    assert_eq!(
        before,
        snapshot_tree(&env.path()),
        "dry run changed files or refs (workspace or remotes)"
    );
}

#[test]
fn json_reports_every_package() {
    let env = TestEnv::new();
    let root = env.demo();
    let old_core = gitlink(&root, "packages/core-utils");
    let new_core = push_to_remote(&env, "core-utils", &["feat: one"]);
    let out = env.run(
        &root,
        ["update", "--json", "-p", "core-utils", "data-loader"],
    );
    let (stdout, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let json: Value = crate::support::json_doc(&stdout);
    assert_eq!(json["commit"], head(&root));
    let data = gitlink(&root, "packages/data-loader");
    assert_eq!(
        json["packages"],
        serde_json::json!([
            {"package": "core-utils", "path": "packages/core-utils", "status": "updated",
             "old": old_core, "new": new_core, "commits": ["feat: one"], "problem": null},
            {"package": "data-loader", "path": "packages/data-loader", "status": "up-to-date",
             "old": data, "new": data, "commits": [], "problem": null},
        ])
    );
}

#[test]
fn a_dirty_package_is_refused_and_left_alone() {
    let env = TestEnv::new();
    let root = env.demo();
    let old_core = gitlink(&root, "packages/core-utils");
    push_to_remote(&env, "core-utils", &["feat: one"]);
    let readme = package(&root, "core-utils").join("README.md");
    std::fs::write(&readme, "work in progress\n").unwrap();
    let before = snapshot_tree(&env.path());
    let out = env.run(&root, ["update", "core-utils"]);
    let (stdout, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout, "");
    env.insta_settings()
        .bind(|| insta::assert_snapshot!("dirty_refused", stderr));
    assert_eq!(before, snapshot_tree(&env.path()), "nothing changed");
    assert_eq!(
        std::fs::read_to_string(&readme).unwrap(),
        "work in progress\n"
    );
    assert_eq!(gitlink(&root, "packages/core-utils"), old_core);
}

#[test]
fn a_refused_package_does_not_stop_the_others() {
    let env = TestEnv::new();
    let root = env.demo();
    let old_core = gitlink(&root, "packages/core-utils");
    push_to_remote(&env, "core-utils", &["feat: one"]);
    let new_data = push_to_remote(&env, "data-loader", &["feat: load more"]);
    std::fs::write(package(&root, "core-utils").join("wip.txt"), "wip\n").unwrap();
    let out = env.run(&root, ["update"]);
    let (stdout, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stdout.starts_with("data-loader  "), "{stdout}");
    assert!(
        stderr.starts_with(
            "error: Package core-utils (packages/core-utils) has 1 uncommitted change and would be checked out at "
        ),
        "{stderr}"
    );
    assert_eq!(gitlink(&root, "packages/core-utils"), old_core);
    assert_eq!(gitlink(&root, "packages/data-loader"), new_data);
    assert!(git(&root, &["log", "-1", "--format=%B"]).contains("- data-loader "));
}

#[test]
fn a_package_that_is_not_a_submodule_is_refused_by_name_and_skipped_otherwise() {
    let env = TestEnv::new();
    let root = env.demo();
    let plain = root.join("packages/plain");
    std::fs::create_dir_all(&plain).unwrap();
    std::fs::write(
        plain.join("pyproject.toml"),
        "[project]\nname = \"plain\"\nversion = \"0.1.0\"\n",
    )
    .unwrap();
    git(&plain, &["init", "-q"]);
    let before = snapshot_tree(&env.path());
    let out = env.run(&root, ["update", "plain"]);
    let (stdout, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stdout, "");
    assert_eq!(
        stderr,
        "error: Package plain (packages/plain) is not a git submodule of the root\n\
         hint: `update` moves submodule pointers; register its repository with \
         `git submodule add URL packages/plain` (or `release-tool add URL`)\n"
    );
    assert_eq!(before, snapshot_tree(&env.path()));
    let out = env.run(&root, ["update"]);
    let (_, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(
        stderr,
        "warning: Skipping plain (packages/plain): not a git submodule\nAll packages are up to date\n"
    );
}

#[test]
fn unknown_package_is_a_usage_error() {
    let env = TestEnv::new();
    let root = env.demo();
    let before = snapshot_tree(&env.path());
    let out = env.run(&root, ["update", "core-util"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        outputs(&out).1,
        format!(
            "error: No package named `core-util` in {}\nhint: did you mean `core-utils`?\n",
            root.display()
        )
    );
    assert_eq!(before, snapshot_tree(&env.path()));
}

#[test]
fn other_staged_changes_in_the_root_stay_out_of_the_commit() {
    let env = TestEnv::new();
    let root = env.demo();
    push_to_remote(&env, "core-utils", &["feat: one"]);
    std::fs::write(root.join("notes.txt"), "staged, not mine\n").unwrap();
    git(&root, &["add", "notes.txt"]);
    let out = env.run(&root, ["update"]);
    assert_eq!(out.status.code(), Some(0), "{}", outputs(&out).1);
    assert_eq!(
        git(
            &root,
            &["diff-tree", "--no-commit-id", "--name-only", "-r", "HEAD"]
        ),
        "packages/core-utils\n"
    );
    assert_eq!(git(&root, &["status", "--porcelain"]), "A  notes.txt\n");
}

#[test]
fn a_detached_package_is_checked_out_at_the_new_head() {
    let env = TestEnv::new();
    let root = env.demo();
    // A fresh clone: `git submodule update --init` leaves every package detached.
    let clone = crate::support::clone_root(
        &env,
        &root,
        &["packages/core-utils", "packages/data-loader"],
    );
    let new_core = push_to_remote(&env, "core-utils", &["feat: one"]);
    // With git's default protocol settings (the test harness allows `file://` for everything).
    let out = env
        .cmd(&clone)
        .args(["update"])
        .env("GIT_CONFIG_COUNT", "0")
        .output()
        .unwrap();
    let (stdout, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stdout.contains("(1 commit)\n    feat: one\n"), "{stdout}");
    assert!(
        stderr.starts_with(
            "warning: Skipping model-api (packages/model-api): submodule not initialized \
             (run `git submodule update --init -- packages/model-api` to include it)\n"
        ),
        "{stderr}"
    );
    assert_eq!(gitlink(&clone, "packages/core-utils"), new_core);
    let core = clone.join("packages/core-utils");
    assert_eq!(head(&core), new_core);
    assert_eq!(git(&core, &["status", "--porcelain"]), "");
}

#[test]
fn diverged_and_other_branches_are_refused() {
    let env = TestEnv::new();
    let root = env.demo();
    push_to_remote(&env, "core-utils", &["feat: remote"]);
    push_to_remote(&env, "data-loader", &["feat: remote"]);
    let core = package(&root, "core-utils");
    commit_file(&core, "local.txt", "local", "feat: local, not pushed");
    let data = package(&root, "data-loader");
    git(&data, &["switch", "-q", "-c", "feature"]);
    let root_head = head(&root);
    let out = env.run(&root, ["update"]);
    let (_, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains(
            "error: Package core-utils (packages/core-utils): `main` has diverged from `origin/main`; not updated\n\
             hint: bring them together with `git -C packages/core-utils pull --rebase origin main` and push"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "error: Package data-loader (packages/data-loader) is on branch `feature`, but its submodule follows `main`; not updated\n\
             hint: switch it with `git -C packages/data-loader switch main`"
        ),
        "{stderr}"
    );
    assert_eq!(head(&root), root_head);
    assert_eq!(
        git(&data, &["symbolic-ref", "--short", "HEAD"]).trim(),
        "feature"
    );
}
