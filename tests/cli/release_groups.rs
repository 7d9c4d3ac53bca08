//! Version groups (issue 20, item 4): the members of `[tool.release_tool.groups]` are released
//! together at one shared version, the highest bump any of them needs; a bad group is a
//! configuration error naming its key, before anything changes.

use std::process::Output;

use crate::support::trunk::World;
use crate::support::{commit_file, git, outputs};

fn ok(out: &Output) -> (String, String) {
    let (stdout, stderr) = outputs(out);
    assert!(out.status.success(), "stdout: {stdout}\nstderr: {stderr}");
    (stdout, stderr)
}

fn set_config(w: &World, extra: &str) {
    let path = w.root.join("release_tool.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{text}\n{extra}")).unwrap();
    git(&w.root, &["commit", "-q", "-am", "chore: configure"]);
}

fn tags(w: &World, name: &str) -> String {
    git(&w.pkg(name), &["tag", "--list"])
}

/// Every line of the world's state that one of the two lacks.
fn same_state(before: &[String], after: &[String]) {
    let changed: Vec<&String> = after.iter().filter(|l| !before.contains(l)).collect();
    let gone: Vec<&String> = before.iter().filter(|l| !after.contains(l)).collect();
    assert!(
        changed.is_empty() && gone.is_empty(),
        "{changed:#?}\n{gone:#?}"
    );
}

#[test]
fn a_group_where_only_one_member_changed_releases_both_at_one_version() {
    let w = World::new();
    ok(&w.release(&["--bump", "minor"]));
    set_config(&w, "[tool.release_tool.groups]\ncore = [\"a\", \"b\"]\n");

    // `status` shows the group.
    let status = w.run(&["status", "--json"]);
    let json = crate::support::json_doc(&status.stdout);
    assert_eq!(json["groups"]["core"], serde_json::json!(["a", "b"]));
    let (_, stderr) = outputs(&w.run(&["status"]));
    assert!(
        stderr.contains("group core: a, b (released together)"),
        "{stderr}"
    );

    // Only `b` changed (a `feat:`: minor), `a` has nothing new: both go to 0.2.0.
    commit_file(
        &w.pkg("b"),
        "src/b/more.py",
        "MORE = 1\n",
        "feat: b learns more",
    );
    let dry = w.release(&["--dry-run"]);
    let (_, stderr) = ok(&dry);
    assert!(
        stderr.contains(
            "version group `core`: a, b released together at 0.2.0 (a without changes of its own)"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("a: skipped"), "{stderr}");
    let (_, stderr) = ok(&w.release(&[]));
    assert!(stderr.contains("version group `core`"), "{stderr}");
    assert_eq!(tags(&w, "a"), "v0.1.0\nv0.2.0\n");
    assert_eq!(tags(&w, "b"), "v0.1.0\nv0.2.0\n");
    // `c` is not in the group and has no changes: not released (its bound is raised).
    assert_eq!(tags(&w, "c"), "v0.1.0\n");
    let prod = std::fs::read_to_string(w.root.join("prod/pyproject.toml")).unwrap();
    assert!(prod.contains("tag = \"v0.2.0\""), "{prod}");

    // Nothing changed since: the group is not released again.
    let (_, stderr) = ok(&w.release(&["--dry-run"]));
    assert!(!stderr.contains("version group"), "{stderr}");
    assert!(stderr.contains("a: skipped"), "{stderr}");

    // A group member left out with -p: refused, naming the group, nothing changed.
    commit_file(
        &w.pkg("a"),
        "src/a/fix.py",
        "FIX = 1\n",
        "fix: a mends a bug",
    );
    let before = w.state();
    let out = w.release(&["-p", "a"]);
    let (_, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("is in version group `core` with b"),
        "{stderr}"
    );
    assert!(stderr.contains("hint: "), "{stderr}");
    same_state(&before, &w.state());
}

#[test]
fn a_bad_group_is_a_configuration_error_naming_its_key() {
    for (extra, key, why) in [
        (
            "[tool.release_tool.groups]\ncore = [\"a\", \"nope\"]\n",
            "`groups.core`",
            "\"nope\", which is not a package of the workspace",
        ),
        (
            "[tool.release_tool.groups]\ncore = [\"a\", \"b\"]\nedge = [\"b\", \"c\"]\n",
            "`groups.edge`",
            "in a second group (it is in `groups.core` already)",
        ),
        (
            "[tool.release_tool.groups]\ncore = []\n",
            "`groups.core`",
            "must name at least one package",
        ),
    ] {
        let w = World::new();
        set_config(&w, extra);
        let before = w.state();
        let out = w.release(&[]);
        let (_, stderr) = outputs(&out);
        assert_eq!(out.status.code(), Some(2), "{extra}: {stderr}");
        assert!(
            stderr.contains(key) && stderr.contains(why),
            "{extra}: {stderr}"
        );
        assert!(stderr.contains("release_tool.toml"), "{stderr}");
        assert!(stderr.contains("hint: "), "{stderr}");
        same_state(&before, &w.state());
    }
}
