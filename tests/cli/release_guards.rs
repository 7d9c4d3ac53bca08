//! Guards of `release`/`prepare` (issue 17, items 5, 9 and 10): a bump never lands on a version
//! that is already tagged, `--set-version` and the bump kinds of `uv version --bump`; `release`
//! refuses packages that are not on their base branch; no forge steps for `file://` or path
//! remotes unless a forge is configured.
//!
//! Every workspace here is the trunk world (`a` <- `b` <- `c`, all at `0.1.0.dev0`, each with a
//! `feat:` commit pushed to its bare `file://` remote).

use crate::support::trunk::World;
use crate::support::{add_config, failed, git, ok};

/// The tags of `name`'s work tree.
fn tags(w: &World, name: &str) -> Vec<String> {
    git(&w.pkg(name), &["tag", "--list"])
        .lines()
        .map(str::to_owned)
        .collect()
}

/// What only these tests do to the world.
impl World {
    /// Tag `a`'s commit before its `feat:` commit `v0.1.0` (the version its next patch or minor
    /// release would get) and push the tag: `0.1.0` exists, `a` is still at `0.1.0.dev0`.
    fn tag_a_010_earlier(&self) {
        let a = self.pkg("a");
        git(&a, &["tag", "-a", "-m", "a 0.1.0", "v0.1.0", "HEAD~1"]);
        git(&a, &["push", "-q", "origin", "v0.1.0"]);
    }
}

// ---------------------------------------------------------------------------------------------
// Item 5: versions that already exist

/// A package at `0.1.0.dev0` whose `0.1.0` is already tagged: `--bump patch` (and `minor`)
/// used to refuse (`tag v0.1.0 already exists; choose another --bump`) and block the whole
/// release; now the bump moves past the newest tag and the plan says why, in one line.
#[test]
fn a_bump_moves_past_a_version_already_tagged() {
    let w = World::new();
    w.tag_a_010_earlier();
    let (stdout, stderr) = ok(&w.release(&["--bump", "patch", "--dry-run"]));
    let all = format!("{stdout}{stderr}");
    assert!(all.contains("v0.1.1"), "{all}");
    let why: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("already tagged"))
        .collect();
    assert_eq!(why.len(), 1, "{stderr}");
    assert!(
        why[0].contains("a:") && why[0].contains("0.1.0") && why[0].contains("0.1.1"),
        "{}",
        why[0]
    );
    // b and c are untouched by it: 0.1.0 is theirs.
    assert!(
        all.contains("packages/b") && all.contains("v0.1.0"),
        "{all}"
    );

    ok(&w.release(&["--bump", "minor", "--push"]));
    assert!(
        tags(&w, "a").contains(&"v0.2.0".to_owned()),
        "{:?}",
        tags(&w, "a")
    );
    assert!(tags(&w, "b").contains(&"v0.1.0".to_owned()));
    let pyproject = std::fs::read_to_string(w.pkg("a").join("pyproject.toml")).unwrap();
    assert!(
        pyproject.contains("version = \"0.2.1.dev0\""),
        "{pyproject}"
    );
}

/// `--set-version NAME=VERSION` releases that version (name matched normalised, version
/// normalised); a version not newer than every tag, an unknown or unselected package and a
/// version that is not PEP 440 are refused before anything changes.
#[test]
fn set_version_releases_that_version_and_refuses_bad_ones() {
    let w = World::new();
    w.tag_a_010_earlier();
    let before = w.state();

    let stderr = failed(
        &w.release(&["-p", "a", "--set-version", "a=0.0.9", "--push"]),
        1,
    );
    assert!(
        stderr.contains("a (packages/a)")
            && stderr.contains("0.0.9")
            && stderr.contains("v0.1.0")
            && stderr.contains("hint:"),
        "{stderr}"
    );
    assert_eq!(
        w.state(),
        before,
        "a refused --set-version changed something"
    );

    let stderr = failed(&w.release(&["-p", "a", "--set-version", "b=0.5.0"]), 2);
    assert!(
        stderr.contains("error: ") && stderr.contains("`b`") && stderr.contains("hint:"),
        "{stderr}"
    );
    let stderr = failed(&w.release(&["--set-version", "zeta=0.5.0"]), 2);
    assert!(
        stderr.contains("zeta") && stderr.contains("hint:"),
        "{stderr}"
    );
    for bad in ["a=0.x", "a", "a=1.0+local", "=1.0"] {
        let stderr = failed(&w.release(&["--set-version", bad]), 2);
        assert!(stderr.contains("--set-version"), "{bad}: {stderr}");
    }
    assert_eq!(
        w.state(),
        before,
        "a refused --set-version changed something"
    );

    // Normalised name (`A` is `a`), normalised version (`0.3.0-rc.1` is `0.3.0rc1`); the others
    // follow --bump.
    ok(&w.release(&["--bump", "minor", "--set-version", "A=0.3.0-rc.1", "--push"]));
    assert!(
        tags(&w, "a").contains(&"v0.3.0rc1".to_owned()),
        "{:?}",
        tags(&w, "a")
    );
    assert!(tags(&w, "b").contains(&"v0.1.0".to_owned()));
}

/// The bump kinds users know from `uv version --bump`: `alpha`, `beta`, `rc`, `post`,
/// `stable`.
#[test]
fn uv_bump_kinds_release() {
    let w = World::new();
    ok(&w.release(&["-p", "a", "--bump", "alpha", "--push"]));
    assert!(
        tags(&w, "a").contains(&"v0.1.0a1".to_owned()),
        "{:?}",
        tags(&w, "a")
    );
    crate::support::commit_file(&w.pkg("a"), "x.txt", "x\n", "fix: x");
    ok(&w.release(&["-p", "a", "--bump", "rc", "--push"]));
    assert!(
        tags(&w, "a").contains(&"v0.1.0rc1".to_owned()),
        "{:?}",
        tags(&w, "a")
    );
    crate::support::commit_file(&w.pkg("a"), "y.txt", "y\n", "fix: y");
    ok(&w.release(&["-p", "a", "--bump", "stable", "--no-next", "--push"]));
    assert!(
        tags(&w, "a").contains(&"v0.1.0".to_owned()),
        "{:?}",
        tags(&w, "a")
    );
    crate::support::commit_file(&w.pkg("a"), "z.txt", "z\n", "fix: z");
    ok(&w.release(&["-p", "a", "--bump", "post", "--no-next", "--push"]));
    assert!(
        tags(&w, "a").contains(&"v0.1.0.post1".to_owned()),
        "{:?}",
        tags(&w, "a")
    );
}

// ---------------------------------------------------------------------------------------------
// Item 9: the right branch

/// `release --push` on packages checked out on `dev_branch` (after `branch`) used to plan final
/// tags and prod pins from unmerged work; now it refuses every package that is not on its base
/// branch (a detached HEAD too), naming it, with the hint (check out the base branch, or
/// `--allow-branch`), and changes nothing. `--allow-branch` releases from that branch.
#[test]
fn release_refuses_packages_not_on_their_base_branch() {
    let w = World::new();
    ok(&w.run(&["branch"]));
    for name in ["a", "b"] {
        let branch = git(&w.pkg(name), &["branch", "--show-current"]);
        assert_eq!(branch.trim(), "dev_branch");
    }
    // c stays on main; a on a detached HEAD.
    git(&w.pkg("c"), &["checkout", "-q", "main"]);
    git(&w.pkg("a"), &["checkout", "-q", "--detach"]);
    let before = w.state();
    for args in [
        &["--bump", "minor", "--push"][..],
        &["--bump", "minor", "--push", "--dry-run"][..],
    ] {
        let stderr = failed(&w.release(args), 1);
        assert!(
            stderr.contains("a (packages/a): is on a detached HEAD, not on its base branch main"),
            "{stderr}"
        );
        assert!(
            stderr.contains("b (packages/b): is on branch dev_branch, not on its base branch main"),
            "{stderr}"
        );
        assert!(!stderr.contains("c (packages/c)"), "{stderr}");
        let hint = stderr
            .lines()
            .find(|l| l.starts_with("hint:"))
            .unwrap_or("");
        assert!(
            hint.contains("check out") && hint.contains("--allow-branch"),
            "{stderr}"
        );
        assert_eq!(w.state(), before, "{args:?} changed something");
    }
    // --allow-branch: a detached HEAD still cannot be released (nothing to push).
    let stderr = failed(&w.release(&["--allow-branch", "--dry-run"]), 1);
    assert!(
        stderr.contains("a (packages/a): is on a detached HEAD"),
        "{stderr}"
    );
    git(&w.pkg("a"), &["checkout", "-q", "dev_branch"]);
    let (stdout, stderr) = ok(&w.release(&["--bump", "minor", "--allow-branch", "--dry-run"]));
    assert!(
        format!("{stdout}{stderr}").contains("v0.1.0"),
        "{stdout}{stderr}"
    );
    assert_eq!(
        git(&w.pkg("a"), &["branch", "--show-current"]).trim(),
        "dev_branch"
    );
}

// ---------------------------------------------------------------------------------------------
// Item 10: forges only where there is one

const LOCAL_NOTE: &str = "forge steps are off: the package remotes are local";

/// With `file://` remotes and no `[tool.release_tool.forge]`, every run used to plan forge
/// steps (`skipped POST /repos/remotes/a/releases`), warn about a missing token and build a
/// pull-request URL from a file path. Now no forge is inferred: one quiet note, once per run.
#[test]
fn no_forge_is_inferred_from_file_remotes() {
    let w = World::new();
    let (stdout, stderr) = ok(&w.release(&["--bump", "minor", "--push", "--dry-run"]));
    let all = format!("{stdout}{stderr}");
    assert_eq!(all.matches(LOCAL_NOTE).count(), 1, "{all}");
    assert!(!all.contains("POST /repos"), "{all}");
    assert!(!all.contains("forge steps will be skipped"), "{all}");

    let (stdout, stderr) = ok(&w.release(&["--bump", "minor", "--push"]));
    let all = format!("{stdout}{stderr}");
    assert_eq!(all.matches(LOCAL_NOTE).count(), 1, "{all}");
    assert!(!all.contains("skipped POST"), "{all}");
    assert!(!all.contains("token"), "{all}");
    assert!(!all.contains("warning"), "{all}");

    // The pull-request flow: no compare URL built from a file path.
    ok(&w.run(&["branch"]));
    crate::support::commit_file(&w.pkg("a"), "more.py", "MORE = 1\n", "feat: more");
    for args in [
        &[
            "prepare",
            "-p",
            "a",
            "--bump",
            "minor",
            "--push",
            "--dry-run",
        ][..],
        &["prepare", "-p", "a", "--bump", "minor", "--push"][..],
    ] {
        let (stdout, stderr) = ok(&w.run(args));
        let all = format!("{stdout}{stderr}");
        assert_eq!(all.matches(LOCAL_NOTE).count(), 1, "{args:?}: {all}");
        assert!(!all.contains("/compare/"), "{args:?}: {all}");
        assert!(!all.contains("pull request"), "{args:?}: {all}");
        assert!(!all.contains("token"), "{args:?}: {all}");
    }
}

/// A forge configured explicitly still applies to `file://` remotes, the repository taken from
/// the remote's path (`remotes/a`) or from `repository`.
#[test]
fn an_explicit_forge_applies_to_file_remotes() {
    let w = World::new();
    add_config(
        &w.root,
        "\n[tool.release_tool.forge]\nkind = \"github\"\n\n[tool.release_tool.packages.c]\nrepository = \"acme/c\"\n",
    );
    git(&w.root, &["commit", "-q", "-am", "chore: a forge"]);
    let (stdout, stderr) = ok(&w.release(&["--bump", "minor", "--push", "--dry-run"]));
    let all = format!("{stdout}{stderr}");
    assert!(!all.contains(LOCAL_NOTE), "{all}");
    assert!(all.contains("POST /repos/remotes/a/releases"), "{all}");
    assert!(all.contains("POST /repos/remotes/b/releases"), "{all}");
    assert!(all.contains("POST /repos/acme/c/releases"), "{all}");

    let forge = crate::support::fake_github::FakeForge::github().start();
    let out = w
        .cmd()
        .env("GITHUB_TOKEN", &forge.opts.token)
        .env("GITHUB_API_URL", forge.api_url())
        .args(["release", "--bump", "minor", "--push"])
        .output()
        .unwrap();
    ok(&out);
    assert_eq!(forge.releases("remotes/a").len(), 1);
    assert_eq!(forge.releases("acme/c").len(), 1);
}

// ---------------------------------------------------------------------------------------------
// Issue 18, item 6: a branch the remote does not have

/// A package released from a branch its remote does not have (`--allow-branch` on a local
/// branch without upstream): `release --push` used to release from it and create the branch on
/// the remote. Now the plan refuses, naming the package and the branch, with the command that
/// publishes the branch on purpose; nothing changes. Once the branch is on the remote, the
/// release runs.
#[test]
fn release_push_never_creates_a_branch_on_a_remote() {
    let w = World::new();
    let b = w.pkg("b");
    git(&b, &["checkout", "-q", "-b", "topic"]);
    let before = w.state();
    for args in [
        &["--bump", "minor", "--push", "--allow-branch"][..],
        &["--bump", "minor", "--push", "--allow-branch", "--dry-run"][..],
    ] {
        let stderr = failed(&w.release(args), 1);
        assert!(
            stderr.contains(
                "b (packages/b): `origin` has no branch topic: the release would create it there"
            ),
            "{stderr}"
        );
        assert!(
            stderr.contains("git -C packages/b push -u origin topic"),
            "{stderr}"
        );
        assert!(!stderr.contains("a (packages/a): `origin`"), "{stderr}");
        assert_eq!(w.state(), before, "{args:?} changed something");
    }
    assert_eq!(git(&w.remote("b"), &["branch", "--list", "topic"]), "");
    // Published on purpose, the branch is released from.
    git(&b, &["push", "-q", "-u", "origin", "topic"]);
    ok(&w.release(&["--bump", "minor", "--push", "--allow-branch"]));
    assert_eq!(git(&w.remote("b"), &["tag", "--list"]), "v0.1.0\n");
}
