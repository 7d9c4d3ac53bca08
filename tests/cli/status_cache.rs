//! The status cache (`.release_tool/cache/status.json`, `src/statuscache.rs`): a repeated
//! `status` serves packages nobody touched without starting git, and after every kind of
//! change it reports exactly what git reports, at once.
//!
//! The cache stores a package only when none of its files changed within the racy margin
//! (`RELEASE_TOOL_CACHE_RACY_MS`, 3 s by default; a file's change time cannot be set back, so
//! these tests use a short margin and wait it out).

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::support::{TestEnv, commit_file, git, outputs};

const MARGIN_MS: &str = "150";

struct Run {
    report: Value,
    /// Packages served from the cache.
    hits: usize,
    /// Packages asked without the cache: `git status` processes started, and clean packages
    /// read in-process (`git::worktree`).
    git_status: usize,
}

fn status(env: &TestEnv, root: &Path, vars: &[(&str, &str)], margin: &str) -> Run {
    let mut cmd = env.cmd(root);
    cmd.args(["status", "--json"])
        .env("RELEASE_TOOL_LOG", "release_tool=debug")
        .env("RELEASE_TOOL_CACHE_RACY_MS", margin)
        .env("NO_COLOR", "1");
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let (stdout, stderr) = outputs(&out);
    assert!(!stdout.is_empty(), "{stderr}");
    let report = crate::support::json_doc(&stdout);
    Run {
        report,
        hits: stderr.matches("status cache hit").count(),
        git_status: stderr
            .lines()
            .filter(|l| {
                l.contains(" git ") && l.contains(" status --porcelain")
                    || l.contains("status read in-process")
            })
            .count(),
    }
}

fn uncached(env: &TestEnv, root: &Path, vars: &[(&str, &str)]) -> Value {
    let mut vars = vars.to_vec();
    vars.push(("RELEASE_TOOL_NO_CACHE", "1"));
    // The truth is git's own answer.
    vars.push(("RELEASE_TOOL_NO_INPROCESS_STATUS", "1"));
    let run = status(env, root, &vars, MARGIN_MS);
    assert_eq!(
        (run.hits, run.git_status),
        (0, 3),
        "no cache: git for every package"
    );
    run.report
}

fn settle() {
    std::thread::sleep(Duration::from_millis(400));
}

/// After a change: `status` with the cache reports what it reports without, right away (the
/// changed package is never served stale), and again once the cache holds the new state, when
/// every package comes from the cache.
fn check(env: &TestEnv, root: &Path, vars: &[(&str, &str)], what: &str) -> Value {
    let truth = uncached(env, root, vars);
    let first = status(env, root, vars, MARGIN_MS);
    assert_eq!(first.report, truth, "{what}: right after the change");
    settle();
    let stored = status(env, root, vars, MARGIN_MS);
    assert_eq!(stored.report, truth, "{what}: the run that stores it");
    let warm = status(env, root, vars, MARGIN_MS);
    assert_eq!(warm.report, truth, "{what}: from the cache");
    assert_eq!(
        (warm.hits, warm.git_status),
        (3, 0),
        "{what}: every package from the cache"
    );
    truth
}

fn core(report: &Value) -> &Value {
    report["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "core-utils")
        .unwrap()
}

fn git_dir(pkg: &Path) -> PathBuf {
    PathBuf::from(git(pkg, &["rev-parse", "--absolute-git-dir"]).trim())
}

#[test]
fn status_cache_reports_what_git_does_after_every_kind_of_change() {
    let env = TestEnv::new();
    let root = env.demo();
    let pkg = root.join("packages/core-utils");
    settle();
    let clean = check(&env, &root, &[], "untouched");
    assert_eq!(core(&clean)["dirty"], 0);

    let dirty = |report: &Value| core(report)["dirty"].as_u64().unwrap();
    commit_file(&pkg, "data.txt", "aaaa\n", "feat: data");
    check(&env, &root, &[], "a new commit");
    // The same size, another content.
    std::fs::write(pkg.join("data.txt"), "bbbb\n").unwrap();
    assert_eq!(dirty(&check(&env, &root, &[], "same-size edit")), 1);
    // Back to the committed content: clean again, though the file's times moved.
    std::fs::write(pkg.join("data.txt"), "aaaa\n").unwrap();
    assert_eq!(dirty(&check(&env, &root, &[], "edit undone")), 0);
    std::fs::create_dir_all(pkg.join("new/deep")).unwrap();
    std::fs::write(pkg.join("new/deep/file.txt"), "x").unwrap();
    assert_eq!(
        dirty(&check(
            &env,
            &root,
            &[],
            "untracked file in a new directory"
        )),
        1
    );
    std::fs::write(pkg.join("new/deep/second.txt"), "y").unwrap();
    assert_eq!(dirty(&check(&env, &root, &[], "second untracked file")), 2);
    // Ignored by the repository's own exclude file: clean.
    let exclude = git_dir(&pkg).join("info/exclude");
    std::fs::create_dir_all(exclude.parent().unwrap()).unwrap();
    std::fs::write(&exclude, "new/\n").unwrap();
    assert_eq!(dirty(&check(&env, &root, &[], "info/exclude")), 0);
    std::fs::write(&exclude, "").unwrap();
    assert_eq!(dirty(&check(&env, &root, &[], "info/exclude emptied")), 2);
    std::fs::remove_dir_all(pkg.join("new")).unwrap();
    assert_eq!(dirty(&check(&env, &root, &[], "untracked removed")), 0);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let file = pkg.join("data.txt");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(dirty(&check(&env, &root, &[], "chmod +x")), 1);
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(dirty(&check(&env, &root, &[], "chmod -x")), 0);
        std::fs::remove_file(&file).unwrap();
        std::os::unix::fs::symlink("README.md", &file).unwrap();
        assert_eq!(
            dirty(&check(&env, &root, &[], "file replaced by a symlink")),
            1
        );
        std::fs::remove_file(&file).unwrap();
        git(&pkg, &["checkout", "--", "data.txt"]);
        assert_eq!(dirty(&check(&env, &root, &[], "file restored")), 0);
    }
    std::fs::write(pkg.join("data.txt"), "staged\n").unwrap();
    git(&pkg, &["add", "data.txt"]);
    assert_eq!(dirty(&check(&env, &root, &[], "staged")), 1);
    git(&pkg, &["stash", "-q"]);
    assert_eq!(dirty(&check(&env, &root, &[], "stashed")), 0);
    git(&pkg, &["stash", "pop", "-q", "--index"]);
    assert_eq!(dirty(&check(&env, &root, &[], "stash popped")), 1);
    git(&pkg, &["commit", "-q", "-m", "fix: staged"]);
    let r = check(&env, &root, &[], "committed");
    assert_eq!((dirty(&r), &core(&r)["ahead"]), (0, &Value::from(2)));
    std::fs::remove_file(pkg.join("data.txt")).unwrap();
    assert_eq!(dirty(&check(&env, &root, &[], "tracked file deleted")), 1);
    git(&pkg, &["checkout", "--", "data.txt"]);
    // The upstream moves (as a fetch moves it): ahead and behind change, no file does.
    let head = git(&pkg, &["rev-parse", "HEAD"]);
    git(&pkg, &["push", "-q", "origin", "HEAD:main"]);
    git(&pkg, &["fetch", "-q", "origin"]);
    assert_eq!(
        core(&check(&env, &root, &[], "pushed and fetched"))["ahead"],
        0
    );
    git(&pkg, &["reset", "-q", "--hard", "HEAD~1"]);
    let r = check(&env, &root, &[], "reset behind the upstream");
    assert_eq!(
        (&core(&r)["ahead"], &core(&r)["behind"]),
        (&Value::from(0), &Value::from(1))
    );
    git(&pkg, &["reset", "-q", "--hard", head.trim()]);
    check(&env, &root, &[], "level again");
    git(&pkg, &["switch", "-q", "-c", "feature"]);
    assert_eq!(
        core(&check(&env, &root, &[], "another branch"))["branch"],
        "feature"
    );
    git(&pkg, &["switch", "-q", "--detach"]);
    assert_eq!(
        core(&check(&env, &root, &[], "detached"))["branch"],
        Value::Null
    );
    git(&pkg, &["switch", "-q", "main"]);
    check(&env, &root, &[], "back on main");

    // The global configuration names an ignore file: it is part of the fingerprint.
    let ignore = env.path().join("global-ignore");
    let config = env.path().join("global-config");
    std::fs::write(&ignore, "extra.txt\n").unwrap();
    std::fs::write(
        &config,
        format!("[core]\n\texcludesFile = {}\n", ignore.display()),
    )
    .unwrap();
    std::fs::write(pkg.join("extra.txt"), "x").unwrap();
    let vars = [("GIT_CONFIG_GLOBAL", config.to_str().unwrap())];
    assert_eq!(dirty(&check(&env, &root, &vars, "globally ignored")), 0);
    std::fs::write(&ignore, "other.txt\n").unwrap();
    assert_eq!(
        dirty(&check(&env, &root, &vars, "global ignore file edited")),
        1
    );
    // Another global configuration (the environment is part of the fingerprint too).
    assert_eq!(dirty(&check(&env, &root, &[], "no global config")), 1);
}

#[test]
fn status_cache_never_stores_a_package_changed_within_the_margin() {
    let env = TestEnv::new();
    let root = env.demo();
    // What the demo's own runs cached (on a loaded machine its files can be older than the
    // margin by the time it ends) is not this test's subject.
    let _ = std::fs::remove_dir_all(root.join(".release_tool/cache"));
    // A file in every package changed just now (well within the minute): nothing is stored,
    // every run asks git.
    for pkg in ["core-utils", "data-loader", "model-api"] {
        std::fs::write(root.join("packages").join(pkg).join("scratch.txt"), "x").unwrap();
    }
    for _ in 0..2 {
        let run = status(&env, &root, &[], "60000");
        assert_eq!((run.hits, run.git_status), (0, 3));
    }
    assert!(!root.join(".release_tool/cache/status.json").exists());
}

#[test]
fn status_cache_leaves_what_it_cannot_fingerprint_to_git() {
    let env = TestEnv::new();
    let root = env.demo();
    let core = root.join("packages/core-utils");
    let model = root.join("packages/model-api");
    // A work tree too big to walk (an ignored cache directory of 2,100 files) and a package
    // with submodules of its own.
    let big = core.join("big-cache");
    std::fs::create_dir_all(&big).unwrap();
    for i in 0..2100 {
        std::fs::write(big.join(format!("{i}.bin")), "").unwrap();
    }
    std::fs::write(git_dir(&core).join("info/exclude"), "big-cache/\n").unwrap();
    std::fs::write(model.join(".gitmodules"), "").unwrap();
    settle();
    let truth = uncached(&env, &root, &[]);
    for _ in 0..3 {
        let run = status(&env, &root, &[], MARGIN_MS);
        assert_eq!(run.report, truth);
        assert_eq!(run.hits + run.git_status, 3);
    }
    let run = status(&env, &root, &[], MARGIN_MS);
    assert_eq!(
        (run.hits, run.git_status),
        (1, 2),
        "only the third package is cached"
    );
}

#[test]
fn status_cache_is_derived_data() {
    let env = TestEnv::new();
    let root = env.demo();
    // Only this test's runs write the cache (see above).
    let _ = std::fs::remove_dir_all(root.join(".release_tool/cache"));
    settle();
    let truth = uncached(&env, &root, &[]);
    assert!(
        !root.join(".release_tool/cache/status.json").exists(),
        "RELEASE_TOOL_NO_CACHE writes nothing"
    );
    status(&env, &root, &[], MARGIN_MS);
    let file = root.join(".release_tool/cache/status.json");
    assert!(file.is_file());
    let run = status(&env, &root, &[], MARGIN_MS);
    assert_eq!((run.hits, &run.report), (3, &truth));
    // A corrupt or foreign file counts as empty and is written anew.
    for bad in ["{not json", "[]", "{\"format\": 99, \"packages\": {}}"] {
        std::fs::write(&file, bad).unwrap();
        let run = status(&env, &root, &[], MARGIN_MS);
        assert_eq!((run.hits, &run.report), (0, &truth), "{bad}");
    }
    let run = status(&env, &root, &[], MARGIN_MS);
    assert_eq!((run.hits, &run.report), (3, &truth), "rewritten");
}

#[test]
fn status_cache_follows_the_git_on_path_not_path_itself() {
    let env = TestEnv::new();
    let root = env.demo();
    settle();
    let truth = uncached(&env, &root, &[]);
    status(&env, &root, &[], MARGIN_MS);
    let path = std::env::var("PATH").unwrap();
    // A directory without git in front (an activated virtualenv): still every package cached.
    let venv_bin = env.path().join("venv/bin");
    std::fs::create_dir_all(&venv_bin).unwrap();
    let with_venv = format!("{}:{path}", venv_bin.display());
    let run = status(&env, &root, &[("PATH", &with_venv)], MARGIN_MS);
    assert_eq!((run.hits, &run.report), (3, &truth));
    // Another git first on PATH: asked again, then cached for it.
    #[cfg(unix)]
    {
        let real = std::process::Command::new("sh")
            .args(["-c", "command -v git"])
            .output()
            .unwrap();
        let real = String::from_utf8(real.stdout).unwrap();
        let other = env.path().join("other-git");
        std::fs::create_dir_all(&other).unwrap();
        std::os::unix::fs::symlink(real.trim(), other.join("git")).unwrap();
        settle();
        let with_other = format!("{}:{path}", other.display());
        let vars = [("PATH", with_other.as_str())];
        let run = status(&env, &root, &vars, MARGIN_MS);
        assert_eq!((run.hits, run.git_status, &run.report), (0, 3, &truth));
        let run = status(&env, &root, &vars, MARGIN_MS);
        assert_eq!((run.hits, &run.report), (3, &truth));
    }
}

/// The first `status` (no cache) reads a clean package's work tree in-process (issue 19,
/// item 5): no `git status` process for it, and the same report git gives; a dirty package is
/// still asked of git, for its paths.
#[test]
fn first_status_reads_clean_packages_without_git_status() {
    let env = TestEnv::new();
    let root = env.demo();
    let truth = uncached(&env, &root, &[]);
    let count = |vars: &[(&str, &str)]| {
        let mut cmd = env.cmd(&root);
        cmd.args(["status", "--json"])
            .env("RELEASE_TOOL_LOG", "release_tool=debug")
            .env("RELEASE_TOOL_NO_CACHE", "1")
            .env("NO_COLOR", "1");
        for (k, v) in vars {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        let (stdout, stderr) = outputs(&out);
        let report: Value = crate::support::json_doc(&stdout);
        let git_status = stderr
            .lines()
            .filter(|l| l.contains(" git ") && l.contains(" status --porcelain"))
            .count();
        let in_process = stderr.matches("status read in-process").count();
        (report, git_status, in_process)
    };
    let (report, git_status, in_process) = count(&[]);
    assert_eq!(report, truth);
    assert_eq!(
        (git_status, in_process),
        (0, 3),
        "every clean package in-process"
    );

    let pkg = root.join("packages/core-utils");
    std::fs::write(pkg.join("scratch.txt"), "x").unwrap();
    let truth = uncached(&env, &root, &[]);
    assert_eq!(core(&truth)["dirty"], 1);
    let (report, git_status, in_process) = count(&[]);
    assert_eq!(report, truth);
    assert_eq!(
        (git_status, in_process),
        (1, 2),
        "the dirty package asked of git"
    );
}
