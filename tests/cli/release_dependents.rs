//! The pin policy for dependents (issue 20, item 5): `dependents = "raise" | "exact" | "keep"`
//! (and `--dependents`) says what a release does to the requirements of the members that depend
//! on a package it releases, in the same run (the release commit) and outside it (the
//! `chore(deps)` commit), direct references included.

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

impl World {
    /// Append `line` to `[tool.release_tool]` of the root's `release_tool.toml`, committed.
    fn configure(&self, line: &str) {
        let path = self.root.join("release_tool.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("{text}{line}\n")).unwrap();
        git(&self.root, &["commit", "-q", "-am", "chore: configure"]);
    }

    /// `pyproject.toml` of package `name` at its tag `tag`.
    fn pyproject_at(&self, name: &str, tag: &str) -> String {
        git(&self.pkg(name), &["show", &format!("{tag}:pyproject.toml")])
    }

    /// After a first release of everything (pushed), a `feat:` commit in `a` only.
    fn a_changes_after_a_release(&self, args: &[&str]) {
        let mut all = vec!["--bump", "minor", "--push"];
        all.extend(args);
        ok(&self.release(&all));
        commit_file(
            &self.pkg("a"),
            "src/a/more.py",
            "MORE = 1\n",
            "feat: a grows",
        );
        git(&self.pkg("a"), &["push", "-q", "origin", "main"]);
        git(&self.root, &["add", "-A"]);
        git(&self.root, &["commit", "-q", "-m", "chore: a grows"]);
    }
}

/// The `[project] dependencies` of a package's `pyproject.toml`, one string each.
fn dependencies(text: &str) -> Vec<String> {
    let start = text
        .find("\ndependencies = [")
        .unwrap_or_else(|| panic!("no dependencies in {text}"));
    let rest = &text[start + "\ndependencies = [".len()..];
    let body = &rest[..rest.find(']').unwrap()];
    body.split(',')
        .map(|s| s.trim().trim_matches('"').to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

#[test]
fn exact_pins_the_members_released_together_with_double_equals() {
    let w = World::new();
    w.configure("dependents = \"exact\"");
    let (_, stderr) = ok(&w.release(&["--bump", "minor", "--push"]));
    assert_eq!(
        dependencies(&w.pyproject_at("b", "v0.1.0")),
        ["a==0.1.0"],
        "{stderr}"
    );
    assert_eq!(dependencies(&w.pyproject_at("c", "v0.1.0")), ["b==0.1.0"]);
    // The staging lock installs what the pins say.
    let lock = git(&w.root, &["show", "HEAD:staging/uv.lock"]);
    assert!(lock.contains("a.git?tag=v0.1.0"), "{lock}");
}

#[test]
fn the_default_raises_the_lower_bound() {
    let w = World::new();
    ok(&w.release(&["--bump", "minor"]));
    assert_eq!(dependencies(&w.pyproject_at("b", "v0.1.0")), ["a>=0.1.0"]);
}

#[test]
fn keep_leaves_the_requirements_as_written_and_the_flag_beats_the_configuration() {
    let w = World::new();
    w.configure("dependents = \"exact\"");
    let (stdout, stderr) = ok(&w.release(&["--bump", "minor", "--dependents", "keep"]));
    assert_eq!(
        dependencies(&w.pyproject_at("b", "v0.1.0")),
        ["a"],
        "{stdout}{stderr}"
    );
    assert_eq!(dependencies(&w.pyproject_at("c", "v0.1.0")), ["b"]);
    // The journal names the run by the flag (a resumed run must repeat it).
    let journal = w.journal().unwrap();
    assert_eq!(journal["request"]["dependents"], "keep", "{journal}");
}

#[test]
fn exact_pins_a_dependent_outside_the_run_in_its_deps_commit() {
    let w = World::new();
    w.a_changes_after_a_release(&[]);
    ok(&w.release(&[
        "--bump",
        "minor",
        "--push",
        "-p",
        "a",
        "--dependents",
        "exact",
    ]));
    let b = w.pkg("b");
    assert_eq!(
        git(&b, &["log", "-1", "--format=%s"]).trim(),
        "chore(deps): require a==0.2.0"
    );
    let text = std::fs::read_to_string(b.join("pyproject.toml")).unwrap();
    assert_eq!(dependencies(&text), ["a==0.2.0"]);
    assert_eq!(
        git(&w.remote("b"), &["log", "-1", "--format=%s", "main"]).trim(),
        "chore(deps): require a==0.2.0"
    );
}

#[test]
fn keep_makes_no_deps_commit_for_a_dependent_outside_the_run() {
    let w = World::new();
    w.a_changes_after_a_release(&[]);
    let b = w.pkg("b");
    let head = git(&b, &["rev-parse", "HEAD"]);
    let (stdout, stderr) = ok(&w.release(&[
        "--bump",
        "minor",
        "--push",
        "-p",
        "a",
        "--dependents",
        "keep",
    ]));
    assert_eq!(git(&b, &["rev-parse", "HEAD"]), head, "{stdout}{stderr}");
    assert!(!stderr.contains("chore(deps)"), "{stderr}");
    assert_eq!(git(&w.pkg("a"), &["tag", "--list"]), "v0.1.0\nv0.2.0\n");
}

/// A direct reference `b -> a @ git+URL@v0.1.0`, committed and pushed, and a `feat:` in both.
fn with_direct_reference(w: &World) -> String {
    ok(&w.release(&["--bump", "minor", "--push"]));
    let b = w.pkg("b");
    let text = std::fs::read_to_string(b.join("pyproject.toml")).unwrap();
    let reference = format!("a @ git+{}@v0.1.0", url(&w.remote("a")));
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
    commit_file(&w.pkg("a"), "src/a/more.py", "MORE = 1\n", "feat: a grows");
    for name in ["a", "b"] {
        git(&w.pkg(name), &["push", "-q", "origin", "main"]);
    }
    git(&w.root, &["add", "-A"]);
    git(
        &w.root,
        &["commit", "-q", "-m", "chore: b requires a by URL"],
    );
    reference
}

#[test]
fn exact_moves_a_direct_reference_to_the_new_tag() {
    let w = World::new();
    let reference = with_direct_reference(&w);
    ok(&w.release(&[
        "--bump",
        "minor",
        "-p",
        "a",
        "-p",
        "b",
        "--dependents",
        "exact",
    ]));
    let moved = reference.replace("@v0.1.0", "@v0.2.0");
    let text = w.pyproject_at("b", "v0.2.0");
    assert!(text.contains(&format!("\"{moved}\"")), "{text}");
}

#[test]
fn keep_leaves_a_direct_reference_and_the_pin_check_refuses_what_would_not_install() {
    let w = World::new();
    let reference = with_direct_reference(&w);
    let before = w.state();
    let out = w.release(&[
        "--bump",
        "minor",
        "-p",
        "a",
        "-p",
        "b",
        "--dependents",
        "keep",
    ]);
    let (stdout, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(
        stderr.contains(&format!(
            "staging/pyproject.toml: b v0.2.0 requires `{reference}`, but staging/pyproject.toml pins a at v0.2.0: uv refuses two URLs for one package"
        )),
        "{stderr}"
    );
    assert_eq!(w.state(), before, "nothing changed");
}

#[test]
fn a_bad_policy_is_a_configuration_error_naming_the_key_and_changes_nothing() {
    let w = World::new();
    w.configure("dependents = \"pin\"");
    let before = w.state();
    let out = w.release(&["--bump", "minor"]);
    let (stdout, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(
        stderr.contains(&format!(
            "error: Invalid configuration in {}: `dependents` must be one of \"raise\", \"exact\", \"keep\", got \"pin\"",
            w.root.join("release_tool.toml").display()
        )),
        "{stderr}"
    );
    assert!(stderr.contains("hint: fix `dependents` in"), "{stderr}");
    assert_eq!(w.state(), before);
    // The flag's bad value: clap's error, exit 2.
    let out = w.release(&["--bump", "minor", "--dependents", "pin"]);
    let (_, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("invalid value 'pin' for '--dependents <POLICY>'"),
        "{stderr}"
    );
    assert_eq!(w.state(), before);
}
