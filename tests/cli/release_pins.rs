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
