//! Pins between members (issue 17, items 2 and 3): direct git references between members move
//! to the new tag when both are released, `check` reports a stale one, and a release proves that
//! its staging/prod manifests resolve before its first push.

use std::process::Output;

use crate::support::trunk::{World, url};
use crate::support::{commit_file, git, outputs};

fn ok(out: &Output) -> (String, String) {
    let (stdout, stderr) = outputs(out);
    assert!(
        out.status.success(),
        "failed ({:?}):\nstdout: {stdout}\nstderr: {stderr}",
        out.status.code()
    );
    (stdout, stderr)
}

/// The tags of the remote of `name`.
fn remote_tags(w: &World, name: &str) -> String {
    git(&w.remote(name), &["tag", "--list"])
}

impl World {
    /// Released once at 0.1.0 (tags `v0.1.0` on every remote), then `b` requires `a` by a
    /// direct reference to a's remote at `v0.1.0` (its workspace source dropped, as such a
    /// requirement takes none), and `a` and `b` get a `feat:` commit each, pushed.
    fn with_direct_reference(&self) -> String {
        ok(&self.release(&["--bump", "minor", "--push"]));
        let b = self.pkg("b");
        let text = std::fs::read_to_string(b.join("pyproject.toml")).unwrap();
        let reference = format!("a @ git+{}@v0.1.0", url(&self.remote("a")));
        let edited = text.replace("\"a>=0.1.0\"", &format!("\"{reference}\""));
        assert_ne!(edited, text, "{text}");
        std::fs::write(b.join("pyproject.toml"), edited).unwrap();
        git(&b, &["add", "pyproject.toml"]);
        commit_file(
            &b,
            "src/b/more.py",
            "MORE = 1\n",
            "feat: b requires a by URL",
        );
        commit_file(
            &self.pkg("a"),
            "src/a/more.py",
            "MORE = 1\n",
            "feat: a grows",
        );
        for name in ["a", "b"] {
            git(&self.pkg(name), &["push", "-q", "origin", "main"]);
        }
        git(&self.root, &["add", "-A"]);
        git(
            &self.root,
            &["commit", "-q", "-m", "chore: b requires a by URL"],
        );
        reference
    }
}

#[test]
fn a_direct_reference_between_members_released_together_moves_to_the_new_tag() {
    let w = World::new();
    let reference = w.with_direct_reference();
    let out = w.release(&["--bump", "minor", "--push", "-p", "a", "-p", "b"]);
    ok(&out);
    let b_at_tag = git(&w.pkg("b"), &["show", "v0.2.0:pyproject.toml"]);
    let moved = reference.replace("@v0.1.0", "@v0.2.0");
    assert!(b_at_tag.contains(&format!("\"{moved}\"")), "{b_at_tag}");
    assert_eq!(remote_tags(&w, "a"), "v0.1.0\nv0.2.0\n");
    let lock = git(&w.root, &["show", "HEAD:staging/uv.lock"]);
    assert!(lock.contains("a.git?tag=v0.2.0"), "{lock}");
}

#[test]
fn check_reports_a_direct_reference_older_than_the_members_newest_release() {
    let w = World::new();
    w.with_direct_reference();
    let out = w.run(&["check", "--no-locks"]);
    let (stdout, stderr) = outputs(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        !stdout.contains("older than") && !stderr.contains("older than"),
        "{stdout}{stderr}"
    );
    // a is released again (by hand) while b still points at v0.1.0.
    git(&w.pkg("a"), &["tag", "-a", "v0.2.0", "-m", "a 0.2.0"]);
    let out = w.run(&["check", "--no-locks"]);
    let (stdout, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    let all = format!("{stdout}{stderr}");
    assert!(
        all.contains(&format!(
            "packages/b/pyproject.toml requires `a @ git+{}@v0.1.0`: v0.1.0 is older than a's newest release v0.2.0 (hint: point it at @v0.2.0; a release of both moves it)",
            url(&w.remote("a"))
        )),
        "{all}"
    );
}

impl World {
    /// Rewrite b's requirement on a as `requirement`, committed and pushed.
    fn b_requires(&self, requirement: &str) {
        let b = self.pkg("b");
        let text = std::fs::read_to_string(b.join("pyproject.toml")).unwrap();
        let edited = text.replacen("\"a\"", &format!("\"{requirement}\""), 1);
        assert_ne!(edited, text, "{text}");
        std::fs::write(b.join("pyproject.toml"), edited).unwrap();
        git(&b, &["commit", "-q", "-am", "fix: b pins a"]);
        git(&b, &["push", "-q", "origin", "main"]);
        git(&self.root, &["add", "-A"]);
        git(&self.root, &["commit", "-q", "-m", "chore: b pins a"]);
        git(&self.root, &["push", "-q", "origin", "main"]);
    }

    /// Every ref of every remote (what a push would change).
    fn remote_refs(&self) -> Vec<String> {
        ["root", "a", "b", "c"]
            .iter()
            .map(|n| format!("{n}: {}", git(&self.remote(n), &["for-each-ref"])))
            .collect()
    }
}

#[test]
fn a_release_whose_pins_cannot_install_is_refused_while_planning_and_the_dry_run_says_so() {
    let w = World::new();
    // The release makes a 0.1.0, which b's requirement excludes (its bound raised to >=0.1.0).
    w.b_requires("a<0.1.0");
    let before = w.state();
    for dry in [true, false] {
        let mut args = vec!["--bump", "minor", "--push"];
        if dry {
            args.push("--dry-run");
        }
        let out = w.release(&args);
        let (stdout, stderr) = outputs(&out);
        assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
        assert!(
            stderr.contains("error: The new pins would not install; nothing was changed:\n  staging/pyproject.toml: b v0.1.0 requires `a>=0.1.0,<0.1.0`, but staging/pyproject.toml installs a 0.1.0 (v0.1.0): no version satisfies both (widen the requirement in packages/b/pyproject.toml, or choose another --bump for a)"),
            "{stderr}"
        );
        assert!(
            stderr.contains("hint: fix the requirements named above"),
            "{stderr}"
        );
        assert_eq!(w.state(), before, "nothing changed (dry run: {dry})");
    }
}

#[test]
fn the_dry_run_shows_the_pin_check_and_the_proof_step_before_the_first_push() {
    let w = World::new();
    let out = w.release(&["--bump", "minor", "--push", "--dry-run"]);
    let (stdout, stderr) = ok(&out);
    let all = format!("{stdout}{stderr}");
    assert!(
        all.contains("staging/pyproject.toml: the pins of 3 packages agree with the versions and tags this release makes; before its first push the run also proves that staging/pyproject.toml resolves"),
        "{all}"
    );
    assert!(
        all.contains("root: prove staging/pyproject.toml resolves (uv lock in a temporary copy, before the first push)"),
        "{all}"
    );
    assert!(
        all.contains("root: prove prod/pyproject.toml resolves"),
        "{all}"
    );
}

#[test]
fn a_release_whose_staging_lock_fails_stops_before_any_push() {
    let w = World::new();
    // A marker keeps the requirement out of the static check: only uv's lock finds it.
    w.b_requires("a<0.1.0; python_version >= '3'");
    let refs = w.remote_refs();
    let out = w.release(&["--bump", "minor", "--push"]);
    let (stdout, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stderr.contains("staging/pyproject.toml would not resolve with this release's pins (`uv lock` against the local release commits, before any push); nothing was pushed:"),
        "{stderr}"
    );
    assert!(
        stderr.contains("\nerror: No solution found when resolving dependencies\n  cause: Because b==0.1.0 depends on a<0.1.0 and a>=0.1.0"),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: root: make the requirements uv names agree"),
        "{stderr}"
    );
    assert!(
        stderr.contains("warning: a: not started: waits for the pre-push proof"),
        "{stderr}"
    );
    assert_eq!(w.remote_refs(), refs, "nothing was pushed:\n{stderr}");
    // The release commits and tags are local.
    assert_eq!(git(&w.pkg("a"), &["tag", "--list"]), "v0.1.0\n");
}

#[test]
fn releasing_a_alone_moves_the_direct_reference_of_its_dependent_in_a_deps_commit() {
    let w = World::new();
    let reference = w.with_direct_reference();
    ok(&w.release(&["--bump", "minor", "--push", "-p", "a"]));
    let b = w.pkg("b");
    assert_eq!(
        git(&b, &["log", "-1", "--format=%s"]).trim(),
        "chore(deps): require a @ v0.2.0"
    );
    let moved = reference.replace("@v0.1.0", "@v0.2.0");
    let text = std::fs::read_to_string(b.join("pyproject.toml")).unwrap();
    assert!(text.contains(&format!("\"{moved}\"")), "{text}");
    // Pushed, and b itself is not released.
    assert_eq!(
        git(&w.remote("b"), &["log", "-1", "--format=%s", "main"]).trim(),
        "chore(deps): require a @ v0.2.0"
    );
    assert_eq!(remote_tags(&w, "b"), "v0.1.0\n");
}

#[test]
fn a_pin_to_a_tag_that_neither_exists_nor_is_made_is_refused_while_planning() {
    let w = World::new();
    w.with_direct_reference();
    let staging = w.root.join("staging/pyproject.toml");
    let text = std::fs::read_to_string(&staging).unwrap();
    let edited = text.replacen("c.git\", tag = \"v0.1.0\"", "c.git\", tag = \"v9.9.9\"", 1);
    assert_ne!(edited, text, "{text}");
    std::fs::write(&staging, edited).unwrap();
    git(&w.root, &["commit", "-q", "-am", "chore: a bad pin"]);
    let before = w.state();
    let out = w.release(&["--bump", "minor", "--push", "-p", "a"]);
    let (stdout, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(
        stderr.contains("  staging/pyproject.toml: pins c at v9.9.9, which is neither a tag of c (packages/c) nor made by this release (pin an existing tag: `release-tool manifests`; or fetch it: `git -C packages/c fetch --tags`)"),
        "{stderr}"
    );
    assert_eq!(w.state(), before);
}

/// Item 2, the references no requirement shows: `c` requires `a` only by a direct reference in
/// an extra and in a dependency group. Releasing `a` alone moves both in c's deps commit.
#[test]
fn a_direct_reference_in_an_extra_or_a_group_of_a_dependent_moves_too() {
    let w = World::new();
    ok(&w.release(&["--bump", "minor", "--push"]));
    let c = w.pkg("c");
    let reference = format!("a @ git+{}@v0.1.0", url(&w.remote("a")));
    let text = std::fs::read_to_string(c.join("pyproject.toml")).unwrap();
    std::fs::write(
        c.join("pyproject.toml"),
        format!(
            "{text}\n[project.optional-dependencies]\ntools = [\"{reference}\"]\n\n[dependency-groups]\ndev = [\"{reference}\"]\n"
        ),
    )
    .unwrap();
    git(&c, &["add", "pyproject.toml"]);
    git(
        &c,
        &["commit", "-q", "-m", "chore: a in an extra and a group"],
    );
    git(&c, &["push", "-q", "origin", "main"]);
    commit_file(&w.pkg("a"), "src/a/more.py", "MORE = 1\n", "feat: a grows");
    git(&w.pkg("a"), &["push", "-q", "origin", "main"]);
    git(&w.root, &["add", "-A"]);
    git(&w.root, &["commit", "-q", "-m", "chore: c refers to a"]);

    ok(&w.release(&["--bump", "minor", "--push", "-p", "a"]));
    assert_eq!(
        git(&c, &["log", "-1", "--format=%s"]).trim(),
        "chore(deps): require a @ v0.2.0"
    );
    let text = std::fs::read_to_string(c.join("pyproject.toml")).unwrap();
    let moved = reference.replace("@v0.1.0", "@v0.2.0");
    assert_eq!(text.matches(&format!("\"{moved}\"")).count(), 2, "{text}");
    assert!(!text.contains("@v0.1.0"), "{text}");
    assert_eq!(remote_tags(&w, "c"), "v0.1.0\n");
}
