//! Tags as real repositories have them (issue 16, item 4): one package whose tags mix
//! non-normalised PEP 440 spellings, with and without a leading `v`, under `tag_prefix = ""`;
//! a staging pin written by hand with `subdirectory = "."`. `status`, `manifests` and `release`
//! order them by PEP 440 and only ever change a pin's tag.

use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::support::trunk::{World, url};
use crate::support::{commit_file, edit_config, git, outputs};

/// The tags of `a`, oldest first, with the version each one's commit carries.
const TAGS: [(&str, &str); 5] = [
    ("v0.0.1-dev0", "0.0.1.dev0"),
    ("v0.0.1dev1", "0.0.1.dev1"),
    ("0.0.1.dev2", "0.0.1.dev2"),
    ("0.0.1", "0.0.1"),
    ("0.0.2.dev0", "0.0.2.dev0"),
];

fn ok(out: &Output) -> (String, String) {
    let (stdout, stderr) = outputs(out);
    assert!(
        out.status.success(),
        "failed ({:?}):\nstdout: {stdout}\nstderr: {stderr}",
        out.status.code()
    );
    (stdout, stderr)
}

/// Set the static version of the package at `pkg` and commit it.
fn commit_version(pkg: &Path, version: &str) {
    let path = pkg.join("pyproject.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("version = "))
        .unwrap()
        .to_owned();
    std::fs::write(
        &path,
        text.replace(&line, &format!("version = \"{version}\"")),
    )
    .unwrap();
    git(
        pkg,
        &["commit", "-q", "-am", &format!("chore: version {version}")],
    );
}

/// The world with `tag_prefix = ""`, package `a` tagged with [`TAGS`] (plus a tag that is no
/// version), a `feat:` commit after them, and a hand-written staging pin of `a`.
fn world() -> (World, String) {
    let w = World::new();
    edit_config(&w.root, |text| {
        assert!(text.contains("[tool.release_tool]\n"), "{text}");
        text.replacen(
            "[tool.release_tool]\n",
            "[tool.release_tool]\ntag_prefix = \"\"\n",
            1,
        )
    });
    let a = w.pkg("a");
    for (tag, version) in TAGS {
        commit_version(&a, version);
        git(&a, &["tag", "-a", tag, "-m", tag]);
    }
    git(&a, &["tag", "latest"]);
    commit_file(&a, "src/a/more.py", "MORE = 1\n", "feat: a grows");
    git(&a, &["push", "-q", "origin", "main", "--tags"]);
    let a_url = url(&w.remote("a"));
    let staging = w.root.join("staging/pyproject.toml");
    let text = std::fs::read_to_string(&staging).unwrap();
    let pin = format!(
        "a = {{git='{a_url}',  tag='v0.0.1-dev0' , subdirectory = \".\"}}   # pinned by hand\n"
    );
    let text = if text.contains("[tool.uv.sources]\n") {
        text.replace("[tool.uv.sources]\n", &format!("[tool.uv.sources]\n{pin}"))
    } else {
        format!("{text}\n[tool.uv.sources]\n{pin}")
    };
    std::fs::write(&staging, text).unwrap();
    git(&w.root, &["add", "-A"]);
    git(&w.root, &["commit", "-q", "-m", "chore: tags as they are"]);
    git(&w.root, &["push", "-q", "origin", "main"]);
    (w, a_url)
}

fn row<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("{name}: {report}"))
}

#[test]
fn mixed_spellings_are_ordered_by_pep440_and_pins_keep_their_form() {
    let (w, a_url) = world();

    // status: the newest tag by PEP 440 (not by name or date), the hand pin read as 0.0.1.dev0,
    // and under -v the tag that is no version is named.
    let out = w.run(&["status", "--json", "-v"]);
    let (stdout, stderr) = outputs(&out);
    assert!(!stdout.is_empty(), "{stderr}");
    let report: Value = crate::support::json_doc(&stdout);
    let a = row(&report, "a");
    assert_eq!(a["last_tag"], "0.0.2.dev0", "{a}");
    assert_eq!(a["staging_pin"], "v0.0.1-dev0", "{a}");
    assert_eq!(a["commits_since_tag"], 1, "{a}");
    let problems = a["problems"].to_string();
    assert!(
        problems.contains("staging pin v0.0.1-dev0 but latest tag 0.0.2.dev0"),
        "{problems}"
    );
    assert!(
        stderr.contains("a: ignored tag latest"),
        "the ignored tag is named under -v: {stderr}"
    );
    let quiet = outputs(&w.run(&["status", "--json"])).1;
    assert!(!quiet.contains("ignored tag"), "only under -v: {quiet}");

    // manifests: staging pins the newest tag, prod the newest final one; the hand pin keeps
    // `subdirectory = "."`, its quotes, spacing and comment: only the tag changes.
    ok(&w.run(&["manifests"]));
    let staging = std::fs::read_to_string(w.root.join("staging/pyproject.toml")).unwrap();
    assert!(
        staging.contains(&format!(
            "a = {{git='{a_url}',  tag='0.0.2.dev0' , subdirectory = \".\"}}   # pinned by hand\n"
        )),
        "{staging}"
    );
    let prod = std::fs::read_to_string(w.root.join("prod/pyproject.toml")).unwrap();
    assert!(
        prod.contains(&format!("a = {{ git = \"{a_url}\", tag = \"0.0.1\" }}")),
        "{prod}"
    );
    git(&w.root, &["add", "-A"]);
    git(&w.root, &["commit", "-q", "-m", "chore: pins"]);
    git(&w.root, &["push", "-q", "origin", "main"]);

    // release: from 0.0.2.dev0 (the newest tag, however spelled) a patch is 0.0.2, tagged in
    // the normalised form with the configured (empty) prefix; the next cycle is 0.0.3.dev0.
    let planned = ok(&w.release(&["-p", "a", "--bump", "patch", "--dry-run"])).0;
    assert!(planned.contains("0.0.2"), "{planned}");
    let (stdout, _) = ok(&w.release(&["-p", "a", "--bump", "patch", "--push"]));
    assert_eq!(
        crate::support::table_row(&stdout, "a").as_deref().map(|r| r
            .split(' ')
            .take(5)
            .collect::<Vec<_>>()
            .join(" ")),
        Some("a 0.0.2.dev0 → 0.0.2 0.0.2".to_owned()),
        "{stdout}"
    );
    let tags = git(&w.remote("a"), &["tag", "--list"]);
    let mut tags: Vec<&str> = tags.lines().collect();
    tags.sort_unstable();
    assert_eq!(
        tags,
        [
            "0.0.1",
            "0.0.1.dev2",
            "0.0.2",
            "0.0.2.dev0",
            "latest",
            "v0.0.1-dev0",
            "v0.0.1dev1"
        ]
    );
    let version = git(&w.remote("a"), &["show", "main:pyproject.toml"]);
    assert!(version.contains("version = \"0.0.3.dev0\""), "{version}");
    // The release's pins keep the hand pin's form too.
    let staging = git(&w.remote("root"), &["show", "main:staging/pyproject.toml"]);
    assert!(
        staging.contains(&format!(
            "a = {{git='{a_url}',  tag='0.0.2' , subdirectory = \".\"}}   # pinned by hand\n"
        )),
        "{staging}"
    );
}

/// A version is tagged once, however spelled: with `v0.0.2` already there, a patch release that
/// would give 0.0.2 (whose tag would be `0.0.2`) moves past it, to 0.0.3, and says why.
#[test]
fn a_version_tagged_in_another_spelling_is_not_tagged_again() {
    let (w, _) = world();
    let a = w.pkg("a");
    // Tagged on a side commit (not merged into main, so `main` still has changes to release).
    git(&a, &["switch", "-q", "-c", "side"]);
    commit_file(&a, "side.txt", "side\n", "chore: side");
    git(&a, &["tag", "-a", "v0.0.2", "-m", "v0.0.2"]);
    git(&a, &["switch", "-q", "main"]);
    git(&a, &["branch", "-q", "-D", "side"]);
    git(&a, &["push", "-q", "origin", "v0.0.2"]);
    let out = w.release(&["-p", "a", "--bump", "patch", "--push"]);
    let (stdout, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("a: 0.0.2 is already tagged (v0.0.2): --bump patch moves past it to 0.0.3"),
        "{stderr}"
    );
    let tags = git(&a, &["tag", "--list"]);
    assert!(tags.lines().any(|t| t == "0.0.3"), "{tags}");
    assert!(!tags.lines().any(|t| t == "0.0.2"), "{tags}");
}
