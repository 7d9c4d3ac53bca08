//! The git work of a release (issue 19, item 4): few git processes per released package, and
//! the user's git configuration honoured all the same.
//!
//! - Per package the run commits with `git commit --only -- <paths>`, which takes the work tree
//!   content of tracked paths itself: `git add` only for a new file (a first `CHANGELOG.md`).
//! - git's automatic maintenance (`git maintenance run --auto`, which every `git commit` starts)
//!   runs once per repository, after its last commit of the run, as git's own sequencer does.
//! - The guards before a commit, tag or push read HEAD and the branch once, from the
//!   repository's files; a fresh run's push needs no `ls-remote` first.
//! - Hooks (`pre-commit`, `commit-msg`, `post-commit`), `commit.gpgSign` and `tag.gpgSign` are
//!   honoured: every commit and tag is made by git's porcelain, with the user's configuration.
//!
//! The git processes are counted with `GIT_TRACE` (every git process, the ones git starts
//! itself included, writes a `trace: built-in: git <command>` line); uv is a stub that writes
//! a lock, so only release-tool's own git work is counted.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::trunk::{NAMES, World};
use crate::support::{git, outputs};

fn ok(out: &Output) -> (String, String) {
    let (stdout, stderr) = outputs(out);
    assert!(
        out.status.success(),
        "failed ({:?}):\nstdout: {stdout}\nstderr: {stderr}",
        out.status.code()
    );
    (stdout, stderr)
}

/// A uv that writes a stub lock for `lock` and does nothing else (no git process of its own).
fn stub_uv(dir: &Path) -> PathBuf {
    let uv = dir.join("stub-uv");
    std::fs::write(
        &uv,
        "#!/bin/sh\n[ \"$1\" = lock ] && echo '# stub' >uv.lock\nexit 0\n",
    )
    .unwrap();
    make_executable(&uv);
    uv
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// `release-tool release ARGS` with the stub uv and `GIT_TRACE` into `trace`; the git commands
/// it ran (each process's command name), counted.
fn traced_release(w: &World, args: &[&str], trace: &Path) -> (Output, BTreeMap<String, usize>) {
    traced_release_env(w, args, trace, &[])
}

/// [`traced_release`] with more variables.
fn traced_release_env(
    w: &World,
    args: &[&str],
    trace: &Path,
    vars: &[(&str, &str)],
) -> (Output, BTreeMap<String, usize>) {
    let uv = stub_uv(&w.env.path());
    let out = w
        .env
        .cmd(&w.root)
        .envs(vars.iter().copied())
        .env("SOURCE_DATE_EPOCH", crate::support::trunk::EPOCH)
        .env("RELEASE_TOOL_UV", &uv)
        .env("GIT_TRACE", trace)
        .arg("release")
        .args(args)
        .output()
        .expect("run release-tool");
    let text = std::fs::read_to_string(trace).unwrap_or_default();
    let mut counts = BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.split("trace: built-in: git ").nth(1) {
            let name = rest.split_whitespace().next().unwrap_or("").to_owned();
            *counts.entry(name).or_insert(0) += 1;
        }
    }
    (out, counts)
}

fn count(counts: &BTreeMap<String, usize>, name: &str) -> usize {
    counts.get(name).copied().unwrap_or(0)
}

/// The porcelain path (`RELEASE_TOOL_PORCELAIN_COMMITS=1`, as where hooks or signing apply):
/// three packages released (release commit, tag, next-dev commit each) and the root's commit:
/// 7 commits and 3 tags, but `git add` only for the 3 new `CHANGELOG.md` files and the root's
/// paths, git's auto-maintenance once per repository (4, not once per commit: 7), and the
/// guards' reads of HEAD made without a process. Before issue 19 the same release ran 7
/// `add`, 7 `maintenance` and 35 `rev-parse`.
#[test]
fn a_release_runs_one_git_process_per_commit_and_tag_and_little_else() {
    let w = World::new();
    let trace = w.env.path().join("git-trace.txt");
    let (out, counts) = traced_release_env(
        &w,
        &["--bump", "minor"],
        &trace,
        &[("RELEASE_TOOL_PORCELAIN_COMMITS", "1")],
    );
    ok(&out);
    assert_eq!(count(&counts, "commit"), 7, "{counts:?}");
    // 3 package tags and the product's tag on the root's commit.
    assert_eq!(count(&counts, "tag"), 4, "{counts:?}");
    assert_eq!(count(&counts, "add"), 4, "{counts:?}");
    assert_eq!(count(&counts, "maintenance"), 4, "{counts:?}");
    // What is left of `rev-parse` is the planner's reads; the executor's guards read none.
    assert!(count(&counts, "rev-parse") <= 6, "{counts:?}");
    for name in NAMES {
        let pkg = w.pkg(name);
        let subjects = git(&pkg, &["log", "--format=%s", "-2"]);
        assert_eq!(
            subjects,
            format!("chore: start 0.1.1.dev0 development\nRelease {name} 0.1.0\n")
        );
        // Each commit took exactly its files, CHANGELOG.md (new) included.
        let files = git(&pkg, &["show", "--name-only", "--format=", "HEAD~1"]);
        assert_eq!(files, "CHANGELOG.md\npyproject.toml\n", "{name}");
        let files = git(&pkg, &["show", "--name-only", "--format=", "HEAD"]);
        assert_eq!(files, "pyproject.toml\n", "{name}");
        assert_eq!(git(&pkg, &["status", "--porcelain"]), "", "{name}");
        // The plain case: nothing signed.
        assert!(!git(&pkg, &["cat-file", "commit", "HEAD"]).contains("gpgsig"));
    }
}

/// `release --push` in a fresh run: one `git push --atomic` per package (branch and tag
/// together) and none of the executor's `ls-remote` probes (the planner's check of each
/// remote is the only one per package).
#[test]
fn a_fresh_push_runs_one_push_per_package_and_no_probe() {
    let w = World::new();
    let trace = w.env.path().join("git-trace.txt");
    let (out, counts) = traced_release(&w, &["--bump", "minor", "--push"], &trace);
    ok(&out);
    // 3 packages and the root.
    assert_eq!(count(&counts, "push"), 4, "{counts:?}");
    // One per package and the root, one for the product's tag on the root's remote.
    assert!(count(&counts, "ls-remote") <= 5, "{counts:?}");
    for name in NAMES {
        let remote = w.remote(name);
        assert_eq!(
            git(&remote, &["tag", "--list"]),
            "v0.1.0\n",
            "{name}: {counts:?}"
        );
        assert_eq!(
            git(&remote, &["rev-parse", "main"]),
            git(&w.pkg(name), &["rev-parse", "HEAD"])
        );
    }
}

/// A fake `gpg`: it reads what git asks it to sign, says on the status fd (git passes
/// `--status-fd=2`) that it made a signature, and prints one, as git's own test suite fakes it.
const FAKE_GPG: &str = "#!/bin/sh
cat >/dev/null
echo \"$*\" >>\"$(dirname \"$0\")/gpg-calls.txt\"
echo '[GNUPG:] BEGIN_SIGNING' >&2
echo '[GNUPG:] SIG_CREATED D 1 8 00 1767225600 FAKEFINGERPRINT' >&2
printf -- '-----BEGIN PGP SIGNATURE-----\\n\\nZmFrZQ==\\n-----END PGP SIGNATURE-----\\n'
";

/// A hook that records that it ran, in which repository.
fn hook(name: &str, log: &Path) -> String {
    format!(
        "#!/bin/sh\necho \"{name} $(basename \"$PWD\")\" >>'{}'\n",
        log.display()
    )
}

/// Hooks and signing are the user's: with `pre-commit`, `commit-msg` and `post-commit` hooks
/// in every repository of the run and `commit.gpgSign`/`tag.gpgSign` on (a fake `gpg.program`),
/// every release commit, next-dev commit and tag is signed, every hook ran for every commit,
/// and the release is the same otherwise (pushed, nothing left staged).
#[test]
fn hooks_run_and_commits_and_tags_are_signed_as_the_user_configured() {
    let w = World::new();
    let tools = w.env.path().join("tools");
    std::fs::create_dir_all(&tools).unwrap();
    let gpg = tools.join("fake-gpg");
    std::fs::write(&gpg, FAKE_GPG).unwrap();
    make_executable(&gpg);
    let hooks = tools.join("hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    let log = tools.join("hooks.txt");
    for name in ["pre-commit", "commit-msg", "post-commit"] {
        let path = hooks.join(name);
        std::fs::write(&path, hook(name, &log)).unwrap();
        make_executable(&path);
    }
    let mut repos = vec![w.root.clone()];
    repos.extend(NAMES.iter().map(|n| w.pkg(n)));
    for repo in &repos {
        git(repo, &["config", "core.hooksPath", hooks.to_str().unwrap()]);
        git(repo, &["config", "commit.gpgSign", "true"]);
        git(repo, &["config", "tag.gpgSign", "true"]);
        git(repo, &["config", "gpg.program", gpg.to_str().unwrap()]);
    }
    let trace = w.env.path().join("git-trace.txt");
    let (out, _) = traced_release(&w, &["--bump", "minor", "--push"], &trace);
    ok(&out);
    let ran = std::fs::read_to_string(&log).unwrap();
    for name in NAMES {
        for hook in ["pre-commit", "commit-msg", "post-commit"] {
            // The release commit and the next-dev commit.
            let times = ran
                .lines()
                .filter(|l| *l == format!("{hook} {name}"))
                .count();
            assert_eq!(times, 2, "{hook} in {name}:\n{ran}");
        }
        let pkg = w.pkg(name);
        for commit in ["HEAD", "HEAD~1"] {
            let object = git(&pkg, &["cat-file", "commit", commit]);
            assert!(
                object.contains("gpgsig -----BEGIN PGP SIGNATURE-----"),
                "{name} {commit} is not signed:\n{object}"
            );
        }
        let tag = git(&pkg, &["cat-file", "tag", "v0.1.0"]);
        assert!(
            tag.contains("-----BEGIN PGP SIGNATURE-----"),
            "{name}: tag v0.1.0 is not signed:\n{tag}"
        );
        // What the remote got is what was signed.
        assert_eq!(
            git(&w.remote(name), &["rev-parse", "v0.1.0"]),
            git(&pkg, &["rev-parse", "v0.1.0"])
        );
        assert_eq!(git(&pkg, &["status", "--porcelain"]), "", "{name}");
    }
    // The root's bookkeeping commit too.
    let root = w.root.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        ran.lines().any(|l| l == format!("post-commit {root}")),
        "{ran}"
    );
    assert!(git(&w.root, &["cat-file", "commit", "HEAD"]).contains("gpgsig "));
    let calls = std::fs::read_to_string(tools.join("gpg-calls.txt")).unwrap();
    // 2 commits and a tag per package, the root's commit and the product's tag.
    assert_eq!(calls.lines().count(), 11, "{calls}");
}

/// The fast path (no hooks, no signing: the default here): per package one `git fast-import`
/// (release commit, annotated tag, next-dev commit) and one `git reset -- <paths>` (the index),
/// no `git add`, `git commit`, `git tag` or maintenance; the root's commit and the product's
/// tag stay porcelain. The packages end as the porcelain path leaves them.
#[test]
fn a_release_without_hooks_or_signing_runs_one_fast_import_per_package() {
    let w = World::new();
    let trace = w.env.path().join("git-trace.txt");
    let (out, counts) = traced_release(&w, &["--bump", "minor"], &trace);
    ok(&out);
    assert_eq!(count(&counts, "fast-import"), 3, "{counts:?}");
    assert_eq!(count(&counts, "reset"), 3, "{counts:?}");
    // The pack stays a pack: no `unpack-objects` started by fast-import.
    assert_eq!(count(&counts, "unpack-objects"), 0, "{counts:?}");
    // The root's commit, `git add` and maintenance; the product's tag.
    assert_eq!(count(&counts, "commit"), 1, "{counts:?}");
    assert_eq!(count(&counts, "add"), 1, "{counts:?}");
    assert_eq!(count(&counts, "maintenance"), 1, "{counts:?}");
    assert_eq!(count(&counts, "tag"), 1, "{counts:?}");
    for name in NAMES {
        let pkg = w.pkg(name);
        let subjects = git(&pkg, &["log", "--format=%s", "-2"]);
        assert_eq!(
            subjects,
            format!("chore: start 0.1.1.dev0 development\nRelease {name} 0.1.0\n")
        );
        let files = git(&pkg, &["show", "--name-only", "--format=", "HEAD~1"]);
        assert_eq!(files, "CHANGELOG.md\npyproject.toml\n", "{name}");
        let files = git(&pkg, &["show", "--name-only", "--format=", "HEAD"]);
        assert_eq!(files, "pyproject.toml\n", "{name}");
        assert_eq!(git(&pkg, &["status", "--porcelain"]), "", "{name}");
        assert_eq!(
            git(&pkg, &["rev-parse", "v0.1.0^{commit}"]),
            git(&pkg, &["rev-parse", "HEAD~1"]),
            "{name}"
        );
        // The stream is gone.
        assert!(
            !w.root
                .join(format!(".release_tool/import/{name}.fast-import"))
                .exists()
        );
    }
}

/// The fast path makes exactly the objects the porcelain path makes on the same input (the
/// world's fixed identities and dates): the same commits (trees, messages, authors, dates,
/// parents: the same ids), the same tag objects, the same index.
#[test]
fn the_fast_path_makes_the_objects_the_porcelain_path_makes() {
    let fast = World::new();
    let porcelain = World::new();
    for name in NAMES {
        assert_eq!(
            git(&fast.pkg(name), &["rev-parse", "HEAD"]),
            git(&porcelain.pkg(name), &["rev-parse", "HEAD"]),
            "{name}: the same input"
        );
    }
    let trace = fast.env.path().join("git-trace.txt");
    let (out, counts) = traced_release(&fast, &["--bump", "minor"], &trace);
    ok(&out);
    assert_eq!(count(&counts, "fast-import"), 3, "{counts:?}");
    let trace = porcelain.env.path().join("git-trace.txt");
    let (out, counts) = traced_release_env(
        &porcelain,
        &["--bump", "minor"],
        &trace,
        &[("RELEASE_TOOL_PORCELAIN_COMMITS", "1")],
    );
    ok(&out);
    assert_eq!(count(&counts, "fast-import"), 0, "{counts:?}");
    for name in NAMES {
        let (f, p) = (fast.pkg(name), porcelain.pkg(name));
        for what in [
            &["cat-file", "commit", "HEAD"][..],
            &["cat-file", "commit", "HEAD~1"],
            &["cat-file", "tag", "v0.1.0"],
            &["rev-parse", "HEAD", "HEAD~1", "v0.1.0"],
            &["ls-files", "--stage"],
            &["status", "--porcelain"],
        ] {
            assert_eq!(git(&f, what), git(&p, what), "{name}: git {what:?}");
        }
    }
}

/// Where git would run a hook (an executable `post-commit` in a's own hooks directory) or sign
/// (`commit.gpgSign` in b's configuration), that package takes the porcelain path: the hook
/// runs for both commits, b's commits are signed; c, with neither, takes the fast path.
#[test]
fn a_hook_or_signing_in_a_package_takes_the_porcelain_path_there() {
    let w = World::new();
    let tools = w.env.path().join("tools");
    std::fs::create_dir_all(&tools).unwrap();
    let gpg = tools.join("fake-gpg");
    std::fs::write(&gpg, FAKE_GPG).unwrap();
    make_executable(&gpg);
    let log = tools.join("hooks.txt");
    let a = w.pkg("a");
    let hooks = a.join(git(&a, &["rev-parse", "--git-path", "hooks"]).trim());
    std::fs::create_dir_all(&hooks).unwrap();
    let hook_path = hooks.join("post-commit");
    std::fs::write(&hook_path, hook("post-commit", &log)).unwrap();
    make_executable(&hook_path);
    let b = w.pkg("b");
    git(&b, &["config", "commit.gpgSign", "true"]);
    git(&b, &["config", "gpg.program", gpg.to_str().unwrap()]);
    let trace = w.env.path().join("git-trace.txt");
    let (out, counts) = traced_release(&w, &["--bump", "minor"], &trace);
    ok(&out);
    assert_eq!(count(&counts, "fast-import"), 1, "{counts:?}");
    // a's and b's two commits each, the root's.
    assert_eq!(count(&counts, "commit"), 5, "{counts:?}");
    let ran = std::fs::read_to_string(&log).unwrap();
    assert_eq!(
        ran.lines().filter(|l| *l == "post-commit a").count(),
        2,
        "{ran}"
    );
    for commit in ["HEAD", "HEAD~1"] {
        assert!(
            git(&b, &["cat-file", "commit", commit]).contains("gpgsig "),
            "b {commit}"
        );
    }
    let c = w.pkg("c");
    assert!(!git(&c, &["cat-file", "commit", "HEAD"]).contains("gpgsig "));
    for name in NAMES {
        let pkg = w.pkg(name);
        assert_eq!(
            git(&pkg, &["log", "--format=%s", "-2"]),
            format!("chore: start 0.1.1.dev0 development\nRelease {name} 0.1.0\n")
        );
        assert_eq!(git(&pkg, &["status", "--porcelain"]), "", "{name}");
    }
}
