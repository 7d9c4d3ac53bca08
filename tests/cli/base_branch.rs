//! A per-package base branch: a package whose remote's default branch is `master` (the others
//! `main`) is branched, released and given CI on `master`; `[packages.NAME] base_branch` wins
//! over what is detected; a configured branch the remote does not have is refused by name.

use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::support::fake_github::FakeForge;
use crate::support::trunk::World;
use crate::support::{add_config, commit_file, git, outputs};

fn ok(out: &Output) -> (String, String) {
    let (stdout, stderr) = outputs(out);
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {stdout}\nstderr: {stderr}",
        out.status.code()
    );
    (stdout, stderr)
}

fn rev(repo: &Path, rev: &str) -> String {
    git(repo, &["rev-parse", rev]).trim().to_owned()
}

fn branches(repo: &Path) -> Vec<String> {
    git(
        repo,
        &["for-each-ref", "--format=%(refname:short)", "refs/heads"],
    )
    .lines()
    .map(str::to_owned)
    .collect()
}

/// Move package `name` to `master`, as a repository made before `main` was git's default:
/// the remote has `master` only and its `HEAD` names it; the clone knows it
/// (`origin/HEAD` → `origin/master`) and tracks it. `.gitmodules` says `branch = master` (as
/// `add` writes it) when `gitmodules` is true, else has no branch for it. The root commits and
/// pushes the change.
fn to_master(w: &World, name: &str, gitmodules: bool) {
    let pkg = w.pkg(name);
    let remote = w.remote(name);
    git(&pkg, &["branch", "-q", "-m", "main", "master"]);
    git(&pkg, &["push", "-q", "-u", "origin", "master"]);
    git(&remote, &["symbolic-ref", "HEAD", "refs/heads/master"]);
    git(&remote, &["branch", "-q", "-D", "main"]);
    git(&pkg, &["fetch", "-q", "--prune", "origin"]);
    git(&pkg, &["remote", "set-head", "origin", "master"]);
    let key = format!("submodule.packages/{name}.branch");
    if gitmodules {
        git(&w.root, &["config", "-f", ".gitmodules", &key, "master"]);
    } else {
        git(&w.root, &["config", "-f", ".gitmodules", "--unset", &key]);
    }
    git(&w.root, &["add", "-A"]);
    git(
        &w.root,
        &["commit", "-q", "-m", &format!("chore: {name} on master")],
    );
    git(&w.root, &["push", "-q", "origin", "main"]);
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
        .unwrap_or_else(|| panic!("no row {name}: {rows:?}"))
}

#[test]
fn a_master_package_is_released_branched_and_built_on_master() {
    let w = World::new();
    // Detected from the clone's `origin/HEAD`: `.gitmodules` names no branch for b.
    to_master(&w, "b", false);
    let forge = FakeForge::github().start();
    crate::support::explicit_forge(&w.root);

    // release (trunk): b's release and next-dev commits and its tag go to `master`.
    let out = w
        .cmd()
        .env("GITHUB_TOKEN", &forge.opts.token)
        .env("GITHUB_API_URL", forge.api_url())
        .args(["release", "--bump", "minor", "--push"])
        .output()
        .unwrap();
    ok(&out);
    let remote_b = w.remote("b");
    assert_eq!(branches(&remote_b), ["master"], "no `main` pushed to b");
    assert_eq!(rev(&remote_b, "master"), rev(&w.pkg("b"), "master"));
    git(
        &remote_b,
        &["merge-base", "--is-ancestor", "v0.1.0", "master"],
    );
    for name in ["a", "b", "c"] {
        let releases = forge.releases(&format!("remotes/{name}"));
        assert_eq!(releases.len(), 1, "{name}: {releases:?}");
        assert_eq!(releases[0]["tag_name"], "v0.1.0");
    }
    assert_eq!(branches(&w.remote("a")), ["main"]);

    // branch: b's dev_branch starts at origin/master, the others' at origin/main.
    let out = w.run(&["branch", "--json"]);
    let rows = json_rows(&ok(&out).0);
    assert_eq!(row(&rows, "b")["from"], "origin/master");
    assert_eq!(row(&rows, "b")["action"], "created");
    assert_eq!(row(&rows, "a")["from"], "origin/main");
    assert_eq!(row(&rows, "c")["from"], "origin/main");
    assert_eq!(
        rev(&w.pkg("b"), "dev_branch"),
        rev(&w.pkg("b"), "origin/master")
    );

    // ci: b's workflow triggers on master, the others' on main.
    ok(&w.run(&["ci"]));
    let workflow =
        |name: &str| std::fs::read_to_string(w.pkg(name).join(".github/workflows/ci.yml")).unwrap();
    assert!(
        workflow("b").contains("branches: ['master', 'dev_branch']"),
        "{}",
        workflow("b")
    );
    for name in ["a", "c"] {
        assert!(
            workflow(name).contains("branches: ['main', 'dev_branch']"),
            "{}",
            workflow(name)
        );
    }
    // ci --trunk: the root's release puts each package on the head of its own base branch.
    ok(&w.run(&["ci", "--trunk", "--no-packages"]));
    let release = w.root.join(".github/workflows/release.yml");
    let text = std::fs::read_to_string(&release).unwrap();
    for (name, branch) in [("a", "main"), ("b", "master"), ("c", "main")] {
        assert!(
            text.contains(&format!(
                "git -C 'packages/{name}' checkout --quiet -B '{branch}' 'refs/remotes/origin/{branch}'"
            )),
            "{text}"
        );
    }
    let files = [
        release,
        w.root.join(".github/workflows/check.yml"),
        w.pkg("b").join(".github/workflows/ci.yml"),
    ];
    let out = std::process::Command::new(crate::support::actionlint())
        .args(["-no-color", "-shellcheck=", "-pyflakes="])
        .args(&files)
        .output()
        .expect("run actionlint");
    ok(&out);
}

#[test]
fn the_configured_base_branch_wins_and_takes_the_pull_request() {
    let w = World::new();
    // `.gitmodules` says master (as `add` writes it); the configuration says `stable`.
    to_master(&w, "b", true);
    let pkg = w.pkg("b");
    let stable = rev(&pkg, "master~1");
    git(
        &pkg,
        &[
            "push",
            "-q",
            "origin",
            &format!("{stable}:refs/heads/stable"),
        ],
    );
    add_config(
        &w.root,
        "\n[tool.release_tool.packages.b]\nbase_branch = \"stable\"\n",
    );
    git(
        &w.root,
        &["commit", "-q", "-am", "chore: b releases from stable"],
    );
    git(&w.root, &["push", "-q", "origin", "main"]);

    let out = w.run(&["branch", "--json"]);
    let rows = json_rows(&ok(&out).0);
    assert_eq!(row(&rows, "b")["from"], "origin/stable");
    assert_eq!(row(&rows, "a")["from"], "origin/main");
    assert_eq!(rev(&pkg, "dev_branch"), stable);

    // prepare --push opens b's pull request dev_branch → stable.
    commit_file(&pkg, "src/b/more.py", "MORE = 1\n", "feat: b learns more");
    let forge = FakeForge::github().start();
    crate::support::explicit_forge(&w.root);
    let out = w
        .cmd()
        .env("GITHUB_TOKEN", &forge.opts.token)
        .env("GITHUB_API_URL", forge.api_url())
        .args(["prepare", "-p", "b", "--bump", "minor", "--push"])
        .output()
        .unwrap();
    ok(&out);
    let pulls = forge.pulls("remotes/b");
    assert_eq!(pulls.len(), 1, "{pulls:?}");
    assert_eq!(pulls[0]["base"]["ref"], "stable");
    assert_eq!(pulls[0]["head"]["ref"], "dev_branch");

    // ci follows the configuration too.
    ok(&w.run(&["ci", "-p", "b"]));
    let text = std::fs::read_to_string(pkg.join(".github/workflows/ci.yml")).unwrap();
    assert!(
        text.contains("branches: ['stable', 'dev_branch']"),
        "{text}"
    );
}

#[test]
fn a_configured_branch_missing_on_the_remote_is_refused_by_name() {
    let w = World::new();
    add_config(
        &w.root,
        "\n[tool.release_tool.packages.b]\nbase_branch = \"release/1.x\"\n",
    );
    let pkg = w.pkg("b");
    let refs = |repo: &Path| {
        git(
            repo,
            &[
                "for-each-ref",
                "--format=%(refname) %(objectname)",
                "refs/heads",
                "refs/tags",
            ],
        )
    };
    let (before_refs, before_head) = (refs(&pkg), rev(&pkg, "HEAD"));
    let before_tree = crate::support::snapshot_tree(&pkg);

    for dry in [true, false] {
        let mut args = vec!["branch", "-p", "b"];
        if dry {
            args.push("--dry-run");
        }
        let out = w.run(&args);
        let (stdout, stderr) = outputs(&out);
        assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
        assert!(
            stderr.contains(
                "Package b (packages/b): `origin/release/1.x` does not exist (no branch `release/1.x` on `origin`)"
            ),
            "{stderr}"
        );
        assert!(
            stderr.contains("[tool.release_tool.packages.b]"),
            "the hint names the setting: {stderr}"
        );
        assert_eq!(refs(&pkg), before_refs, "no branch made or moved");
        assert_eq!(rev(&pkg, "HEAD"), before_head);
        assert_eq!(
            git(&pkg, &["symbolic-ref", "--short", "HEAD"]).trim(),
            "main"
        );
        assert_eq!(crate::support::snapshot_tree(&pkg), before_tree);
    }
}

#[test]
fn a_configured_base_branch_that_is_not_a_branch_name_is_refused() {
    let w = World::new();
    let config = std::fs::read_to_string(w.root.join(crate::support::CONFIG_FILE)).unwrap();
    for (value, why) in [
        ("-x", "must not start with `-`"),
        ("a..b", "`..`"),
        ("x.lock", "`.lock`"),
    ] {
        crate::support::write_config(
            &w.root,
            &format!("{config}\n[tool.release_tool.packages.b]\nbase_branch = \"{value}\"\n"),
        );
        let before = w.state();
        for args in [&["branch"][..], &["ci", "--dry-run"], &["status"]] {
            let out = w.run(args);
            let (stdout, stderr) = outputs(&out);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {stdout}\n{stderr}");
            assert!(
                stderr.contains("Invalid configuration in")
                    && stderr.contains("packages.b.base_branch")
                    && stderr.contains(why)
                    && stderr.contains("hint:"),
                "{args:?}: {stderr}"
            );
        }
        assert_eq!(w.state(), before, "nothing changed");
    }
}

#[test]
fn the_pull_request_flow_tags_and_restarts_from_master() {
    let w = World::new();
    to_master(&w, "b", true);
    let pkg = w.pkg("b");
    ok(&w.run(&["branch", "-p", "b"]));
    ok(&w.run(&["prepare", "-p", "b", "--bump", "minor"]));
    // The pull request dev_branch → master is merged (a fast-forward on the remote).
    git(&pkg, &["push", "-q", "origin", "dev_branch:master"]);
    let merged = rev(&pkg, "dev_branch");

    ok(&w.run(&["tag", "-p", "b", "--sync"]));
    assert_eq!(
        git(&pkg, &["symbolic-ref", "--short", "HEAD"]).trim(),
        "master"
    );
    assert_eq!(rev(&pkg, "master"), merged);
    assert_eq!(rev(&pkg, "v0.1.0^{commit}"), merged);

    ok(&w.run(&["next", "-p", "b"]));
    assert_eq!(
        git(&pkg, &["symbolic-ref", "--short", "HEAD"]).trim(),
        "dev_branch"
    );
    assert_eq!(rev(&pkg, "dev_branch~1"), merged, "restarted from master");
    assert!(
        !branches(&pkg).contains(&"main".to_owned()),
        "{:?}",
        branches(&pkg)
    );
}
