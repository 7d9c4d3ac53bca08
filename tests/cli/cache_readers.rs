//! The commands that read the caches `status` fills (issue 19, item 6): `changes` (the status
//! cache), `notes` (the tag cache) and release planning (both). A package the caches vouch for
//! costs no process at all; a package changed since, however little and whenever, is asked of
//! git again: a stale cache never hides an edit, a commit or a moved tag.
//!
//! Every workspace here is the trunk world (`a` <- `b` <- `c`, all at `0.1.0.dev0`, each with
//! a `feat:` commit pushed, no tag). The status cache stores a package only when none of its
//! files changed within the racy margin (3 s by default): these tests use a short one and wait
//! it out, as `status_cache.rs` does.

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use serde_json::Value;

use crate::support::trunk::World;
use crate::support::{commit_file, failed, git, ok};

const MARGIN_MS: &str = "150";

/// Longer than the margin: files written before are old enough to be cached.
fn settle() {
    std::thread::sleep(Duration::from_millis(400));
}

/// `release-tool ARGS` with the process log on stderr and the short racy margin.
fn traced(w: &World, args: &[&str]) -> Output {
    w.cmd()
        .args(args)
        .env("RELEASE_TOOL_LOG", "release_tool=debug")
        .env("RELEASE_TOOL_CACHE_RACY_MS", MARGIN_MS)
        .env("NO_COLOR", "1")
        .output()
        .expect("run release-tool")
}

/// The processes a run started in the repository at `dir` (from the `-vv`/debug log of
/// `core::process`: `DEBUG <argv> dir=<dir>`).
fn processes_in(stderr: &str, dir: &Path) -> Vec<String> {
    let tail = format!(" dir={}", dir.display());
    stderr
        .lines()
        .filter(|l| l.starts_with("DEBUG ") && l.ends_with(&tail))
        .map(str::to_owned)
        .collect()
}

/// `status`, which fills both caches (every package settled first, so every one is stored).
fn fill_caches(w: &World) {
    settle();
    let out = traced(w, &["status"]);
    let (_, stderr) = ok(&out);
    assert!(
        !stderr.contains("status not cached"),
        "every package stored: {stderr}"
    );
    assert!(w.root.join(".release_tool/cache/status.json").is_file());
}

/// A tracked file edited (same size, so only its times tell) and an untracked file added.
fn dirty(pkg: &Path, name: &str) {
    let file = pkg.join(format!("src/{name}/feature.py"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "VALUE = 1\n");
    std::fs::write(&file, "VALUE = 2\n").unwrap();
    std::fs::write(pkg.join("scratch.txt"), "new\n").unwrap();
}

fn changes_file(w: &World, name: &str) -> std::path::PathBuf {
    w.root
        .join("release_tool/changes")
        .join(name)
        .join("changes_uncommitted.txt")
}

/// The packages `changes --json` reports.
fn reported(stdout: &str) -> Vec<String> {
    let v: Value = crate::support::json_doc(stdout);
    v["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["package"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn changes_asks_git_only_about_packages_the_status_cache_does_not_hold_as_clean() {
    let w = World::new();
    fill_caches(&w);
    dirty(&w.pkg("b"), "b");
    let out = traced(&w, &["changes", "--json"]);
    let (stdout, stderr) = ok(&out);
    assert_eq!(reported(&stdout), ["b"], "{stderr}");
    for clean in ["a", "c"] {
        assert_eq!(
            processes_in(&stderr, &w.pkg(clean)),
            Vec::<String>::new(),
            "{clean}: held as clean by the cache, no process"
        );
    }
    assert!(
        !processes_in(&stderr, &w.pkg("b")).is_empty(),
        "b changed since: asked of git"
    );
    let report = std::fs::read_to_string(changes_file(&w, "b")).unwrap();
    assert!(report.contains("+VALUE = 2") && report.contains("scratch.txt"));

    // A package the cache holds as clean, edited right after (same size, within the margin):
    // seen at once.
    dirty(&w.pkg("a"), "a");
    let (stdout, _) = ok(&traced(&w, &["changes", "--json"]));
    assert_eq!(reported(&stdout), ["a", "b"]);
    assert!(
        std::fs::read_to_string(changes_file(&w, "a"))
            .unwrap()
            .contains("+VALUE = 2")
    );

    // Edited long after the cache was written (past the margin), and a package the cache now
    // holds as dirty: both still asked of git, and written.
    fill_caches(&w);
    std::fs::write(w.pkg("c").join("later.txt"), "x\n").unwrap();
    settle();
    let out = traced(&w, &["changes", "--json"]);
    let (stdout, stderr) = ok(&out);
    assert_eq!(reported(&stdout), ["a", "b", "c"], "{stderr}");
    assert!(
        std::fs::read_to_string(changes_file(&w, "c"))
            .unwrap()
            .contains("later.txt")
    );

    // The same answers without the cache.
    let out = w
        .cmd()
        .args(["changes", "--json"])
        .env("RELEASE_TOOL_NO_CACHE", "1")
        .output()
        .unwrap();
    assert_eq!(reported(&ok(&out).0), ["a", "b", "c"]);
}

/// A package the status cache holds as dirty (issue 19, item 6): `changes` takes its paths and
/// short status from the cache (no `git status`), only the diffs from git, and writes what it
/// writes without the cache.
#[test]
fn changes_takes_a_dirty_package_s_paths_from_the_status_cache() {
    let w = World::new();
    dirty(&w.pkg("b"), "b");
    fill_caches(&w);
    let out = traced(&w, &["changes", "--json"]);
    let (stdout, stderr) = ok(&out);
    assert_eq!(reported(&stdout), ["b"], "{stderr}");
    let asked = processes_in(&stderr, &w.pkg("b"));
    assert!(
        !asked.is_empty() && asked.iter().all(|p| !p.contains(" status ")),
        "b: no git status, only its diffs: {asked:?}"
    );
    let cached = std::fs::read_to_string(changes_file(&w, "b")).unwrap();
    assert!(
        cached.contains(" M src/b/feature.py\n?? scratch.txt\n"),
        "{cached}"
    );

    let out = w
        .cmd()
        .args(["changes", "--json"])
        .env("RELEASE_TOOL_NO_CACHE", "1")
        .output()
        .unwrap();
    assert_eq!(reported(&ok(&out).0), ["b"]);
    assert_eq!(
        std::fs::read_to_string(changes_file(&w, "b")).unwrap(),
        cached,
        "the same changes file without the cache"
    );
}

/// `a` tagged `v0.1.0.dev0` at HEAD: nothing since its release.
fn tag_a_at_head(w: &World) {
    git(
        &w.pkg("a"),
        &["tag", "-a", "-m", "Release a 0.1.0.dev0", "v0.1.0.dev0"],
    );
}

/// The packages `notes --json` reports, with their commit counts.
fn noted(stdout: &str) -> Vec<(String, u64)> {
    let v: Value = crate::support::json_doc(stdout);
    v["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["package"].as_str().unwrap().to_owned(),
                p["commits"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn notes_costs_no_process_for_a_package_with_no_commit_since_its_tag() {
    let w = World::new();
    tag_a_at_head(&w);
    fill_caches(&w);
    let out = traced(&w, &["notes", "--json"]);
    let (stdout, stderr) = ok(&out);
    let names: Vec<String> = noted(&stdout).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["b", "c"], "{stderr}");
    assert_eq!(
        processes_in(&stderr, &w.pkg("a")),
        Vec::<String>::new(),
        "a: the tag cache says no commit since v0.1.0.dev0"
    );

    // A commit since (HEAD moved: the entry no longer holds): asked of git, noted.
    commit_file(
        &w.pkg("a"),
        "src/a/more.py",
        "X = 1\n",
        "fix: a fixes a bug",
    );
    let (stdout, _) = ok(&traced(&w, &["notes", "--json", "-p", "a"]));
    assert_eq!(noted(&stdout), [("a".to_owned(), 1)]);

    // The tag moved to the new HEAD, then back to the old commit (another tag object each
    // time): the cache's entry is for other tags, never used.
    fill_caches(&w);
    git(&w.pkg("a"), &["tag", "-d", "v0.1.0.dev0"]);
    git(
        &w.pkg("a"),
        &["tag", "-a", "-m", "again", "v0.1.0.dev0", "HEAD~1"],
    );
    let out = traced(&w, &["notes", "--json", "-p", "a"]);
    let (stdout, stderr) = ok(&out);
    assert_eq!(noted(&stdout), [("a".to_owned(), 1)], "{stderr}");
}

/// The packages a `--json --dry-run` plan releases (in order).
fn planned(stdout: &str) -> Vec<String> {
    let v: Value = crate::support::json_doc(stdout);
    let mut names: Vec<String> = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["action"] == "tag" || s["detail"].as_str().unwrap().contains(" tag "))
        .filter_map(|s| s["package"].as_str().map(str::to_owned))
        .collect();
    names.dedup();
    names
}

#[test]
fn release_planning_reads_both_caches_and_never_trusts_a_stale_one() {
    let w = World::new();
    tag_a_at_head(&w);
    fill_caches(&w);
    let dry = ["release", "--bump", "dev", "--dry-run", "--json"];
    let out = traced(&w, &dry);
    let (stdout, stderr) = ok(&out);
    assert_eq!(planned(&stdout), ["b", "c"], "{stderr}");
    assert!(stderr.contains("a: skipped"), "{stderr}");
    assert_eq!(
        processes_in(&stderr, &w.pkg("a")),
        Vec::<String>::new(),
        "a: clean and released as far as both caches know, no process"
    );

    // b, held as clean, edited after the cache was written (same size, within the margin):
    // its release is refused as dirty, and nothing changed.
    let file = w.pkg("b").join("src/b/feature.py");
    std::fs::write(&file, "VALUE = 2\n").unwrap();
    let before = w.state();
    let stderr = failed(&traced(&w, &["release", "--bump", "dev"]), 1);
    assert!(
        stderr.contains("b (packages/b): has 1 uncommitted change"),
        "{stderr}"
    );
    assert_eq!(before, w.state(), "a refused run changes nothing");
    git(&w.pkg("b"), &["checkout", "--", "src/b/feature.py"]);

    // A commit since the tag: a is released again.
    commit_file(
        &w.pkg("a"),
        "src/a/more.py",
        "X = 1\n",
        "fix: a fixes a bug",
    );
    let (stdout, stderr) = ok(&traced(&w, &dry));
    assert_eq!(planned(&stdout), ["a", "b", "c"], "{stderr}");
}

/// A package outside the run pinned at a release its dependency's new release must satisfy:
/// when that release is the clean HEAD the caches vouch for, its `pyproject.toml` is read from
/// disk (no process); edited since, it is read from git's objects again (in-process, or by git).
#[test]
fn release_planning_reads_a_pinned_release_at_a_clean_head_from_disk() {
    let w = World::new();
    git(
        &w.pkg("c"),
        &["tag", "-a", "-m", "Release c 0.1.0.dev0", "v0.1.0.dev0"],
    );
    git(&w.pkg("c"), &["push", "-q", "origin", "v0.1.0.dev0"]);
    ok(&w.run(&["manifests"]));
    if !git(&w.root, &["status", "--porcelain"]).trim().is_empty() {
        git(&w.root, &["add", "-A"]);
        git(&w.root, &["commit", "-q", "-m", "chore: pin c"]);
    }
    let staging = std::fs::read_to_string(w.root.join("staging/pyproject.toml")).unwrap();
    assert!(staging.contains("v0.1.0.dev0"), "{staging}");
    fill_caches(&w);
    let dry = ["release", "--bump", "dev", "--dry-run", "--json"];
    let out = traced(&w, &dry);
    let (stdout, stderr) = ok(&out);
    assert_eq!(planned(&stdout), ["a", "b"], "{stderr}");
    assert_eq!(
        processes_in(&stderr, &w.pkg("c")),
        Vec::<String>::new(),
        "c: its release is its clean HEAD, read from disk"
    );

    // Edited since: the release is read from git (and c, dirty now, gets no bound commit).
    let file = w.pkg("c").join("pyproject.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, format!("{text}# edited\n")).unwrap();
    let out = traced(&w, &dry);
    let (again, stderr) = ok(&out);
    assert_eq!(planned(&again), ["a", "b"], "{stderr}");
    assert!(
        processes_in(&stderr, &w.pkg("c"))
            .iter()
            .any(|p| p.contains("v0.1.0.dev0:pyproject.toml")
                || p.contains("read in-process: v0.1.0.dev0:pyproject.toml")),
        "{stderr}"
    );
}
