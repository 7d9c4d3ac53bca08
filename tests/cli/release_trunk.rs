//! `release` (the trunk-based one-shot, issue 4) end to end: real git, bare `file://` remotes
//! (one with a `pre-receive` hook that rejects pushes), the journal and resume, and a fresh
//! clone of the root that installs prod with real uv.
//!
//! Every workspace here is `a` <- `b` <- `c` (c depends on b, b on a), all at `0.1.0.dev0`,
//! each with a `feat:` commit pushed to its bare remote, and a root with a bare remote too. No
//! forge is configured and the remotes are `file://` ones: no forge steps (one note says so).

use std::path::Path;

use crate::support::trunk::{NAMES, World, url};
use crate::support::{clone_root, commit_file, failed, git, ok, venv_python};

const DATE: &str = "2026-01-01";
const RELEASE: [&str; 3] = ["--bump", "minor", "--push"];
const NEXT: &str = "chore: start 0.1.1.dev0 development";

/// What only these tests do to the world ([`World`] is `support::trunk`'s).
impl World {
    /// Install a `pre-receive` hook that rejects every push to `name`'s remote.
    fn freeze(&self, name: &str) {
        let hook = self.remote(name).join("hooks/pre-receive");
        std::fs::write(
            &hook,
            format!("#!/bin/sh\necho 'rejected by policy: {name} is frozen' >&2\nexit 1\n"),
        )
        .unwrap();
        let mut perms = std::fs::metadata(&hook).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
        std::fs::set_permissions(&hook, perms).unwrap();
    }

    fn thaw(&self, name: &str) {
        std::fs::remove_file(self.remote(name).join("hooks/pre-receive")).unwrap();
    }
}

/// `git rev-parse REV` in `repo`.
/// `release-tool release ARGS` on the porcelain path (`git commit`/`git tag` per package, as
/// where hooks or signing apply): for the tests of that path's steps and probes.
fn porcelain_release(w: &World, args: &[&str]) -> std::process::Output {
    w.cmd()
        .env("RELEASE_TOOL_PORCELAIN_COMMITS", "1")
        .arg("release")
        .args(args)
        .output()
        .expect("run release-tool")
}

fn rev(repo: &Path, rev: &str) -> String {
    git(repo, &["rev-parse", rev]).trim().to_owned()
}

/// Subjects of `main` in `repo`, newest first.
fn subjects(repo: &Path) -> Vec<String> {
    git(repo, &["log", "--format=%s", "main"])
        .lines()
        .map(str::to_owned)
        .collect()
}

/// How many commits of `main` in `repo` have a subject starting with `prefix`.
fn count(repo: &Path, prefix: &str) -> usize {
    subjects(repo)
        .iter()
        .filter(|s| s.starts_with(prefix))
        .count()
}

/// The one commit of `main` in `repo` whose subject starts with `prefix`.
fn commit_of(repo: &Path, prefix: &str) -> String {
    let log = git(repo, &["log", "--format=%H %s", "main"]);
    let found: Vec<&str> = log
        .lines()
        .filter_map(|l| l.split_once(' '))
        .filter(|(_, s)| s.starts_with(prefix))
        .map(|(h, _)| h)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "one commit `{prefix}…` in {}: {log}",
        repo.display()
    );
    found[0].to_owned()
}

/// The tags of a remote as `(name, peeled commit)`, from `git ls-remote --tags`.
fn remote_tags(remote: &Path) -> Vec<(String, String)> {
    let out = git(remote, &["ls-remote", "--tags", &url(remote)]);
    let mut tags: Vec<(String, String)> = Vec::new();
    for line in out.lines() {
        let (oid, name) = line.split_once('\t').unwrap();
        let name = name.trim_start_matches("refs/tags/");
        match name.strip_suffix("^{}") {
            Some(tag) => {
                tags.retain(|(n, _)| n != tag);
                tags.push((tag.to_owned(), oid.to_owned()));
            }
            None => tags.push((name.to_owned(), oid.to_owned())),
        }
    }
    tags.sort();
    tags
}

fn show(repo: &Path, spec: &str) -> String {
    git(repo, &["show", spec])
}

/// The full one-shot: tags, release and next commits on every remote, bounds raised,
/// changelogs, prod pins, one root commit, and a fresh clone of the root installs prod.
#[test]
fn release_bumps_tags_pushes_and_pins_every_package_in_one_root_commit() {
    let w = World::new();
    // Locked environments (dev, staging, prod), committed: the release keeps them in step.
    ok(&w.env.run_uv(&w.root, ["lock", "--all"]));
    git(&w.root, &["add", "-A"]);
    git(&w.root, &["commit", "-q", "-m", "chore: lock"]);
    git(&w.root, &["push", "-q", "origin", "main"]);
    let root_remote = w.remote("root");
    let root_before = rev(&root_remote, "main");
    let planned = w.release(&["--bump", "minor", "--push", "--dry-run", "--json"]);
    let planned = crate::support::json_doc(ok(&planned).0)["steps"].clone();

    let out = w.release(&RELEASE);
    let (stdout, stderr) = ok(&out);
    assert!(
        stdout.starts_with("PACKAGE  VERSION  "),
        "the closing table: {stdout}"
    );
    // No forge is inferred from `file://` remotes: no forge step, no token warning, one note.
    assert!(
        !stderr.contains("POST /repos") && !stderr.contains("no forge token"),
        "{stderr}"
    );
    assert_eq!(
        stderr.matches("note: forge steps are off").count(),
        1,
        "{stderr}"
    );
    for name in NAMES {
        assert_eq!(
            crate::support::table_row(&stdout, name).as_deref(),
            Some(format!("{name} 0.1.0.dev0 → 0.1.0 v0.1.0 0.1.1.dev0 pushed").as_str()),
            "{stdout}"
        );
    }
    // The journal ran exactly the planned steps, and finished.
    let journal = w.journal().expect("a journal");
    assert_eq!(journal["finished"], true);
    assert_eq!(journal["command"], "release --bump minor --push");
    let ran: Vec<&serde_json::Value> = journal["plan"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["package"])
        .collect();
    let dry: Vec<&serde_json::Value> = planned
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["package"])
        .collect();
    assert_eq!(ran, dry, "the real run executes the dry run's steps");

    for (i, name) in NAMES.iter().enumerate() {
        let remote = w.remote(name);
        let release = commit_of(&remote, &format!("Release {name} 0.1.0"));
        assert_eq!(
            remote_tags(&remote),
            [("v0.1.0".to_owned(), release.clone())],
            "{name}: one tag, on the release commit"
        );
        // The tag is annotated, with the release notes, headings included.
        assert_eq!(
            git(&remote, &["cat-file", "-t", "v0.1.0"]).trim(),
            "tag",
            "{name}"
        );
        let notes = git(
            &remote,
            &["tag", "--list", "--format=%(contents)", "v0.1.0"],
        );
        assert_eq!(
            notes.trim_end(),
            format!(
                "Release {name} 0.1.0\n\nFirst release:\n\n### Added\n\n- {name} learns a feature"
            ),
        );
        assert_eq!(subjects(&remote)[0], NEXT, "{name}: next commit on top");
        assert_eq!(count(&remote, NEXT), 1);
        assert_eq!(
            rev(&remote, "main~1"),
            release,
            "{name}: next follows release"
        );
        let next_py = show(&remote, "main:pyproject.toml");
        assert!(next_py.contains("version = \"0.1.1.dev0\""), "{next_py}");
        let released_py = show(&remote, &format!("{release}:pyproject.toml"));
        assert!(released_py.contains("version = \"0.1.0\""), "{released_py}");
        if i > 0 {
            let dep = NAMES[i - 1];
            assert!(
                released_py.contains(&format!("\"{dep}>=0.1.0\"")),
                "{name} requires {dep}>=0.1.0: {released_py}"
            );
        }
        assert!(!released_py.contains("workspace"), "{released_py}");
        let changelog = show(&remote, &format!("{release}:CHANGELOG.md"));
        assert!(
            changelog.contains(&format!("## [0.1.0] - {DATE}"))
                && changelog.contains(&format!("{name} learns a feature")),
            "{changelog}"
        );
        // The local package is in step with its remote, clean, on main.
        let pkg = w.pkg(name);
        assert_eq!(rev(&pkg, "HEAD"), rev(&remote, "main"));
        assert_eq!(git(&pkg, &["status", "--porcelain"]), "");
        assert_eq!(git(&pkg, &["branch", "--show-current"]).trim(), "main");
    }

    // Exactly one root commit, pushed, with the pins and the submodule pointers.
    assert_eq!(
        git(
            &root_remote,
            &["rev-list", "--count", &format!("{root_before}..main")]
        )
        .trim(),
        "1"
    );
    let message = git(&root_remote, &["log", "-1", "--format=%B", "main"]);
    assert!(
        message.starts_with("release: a 0.1.0, b 0.1.0, c 0.1.0\n"),
        "{message}"
    );
    let lines: Vec<&str> = message.lines().filter(|l| l.starts_with("- ")).collect();
    assert_eq!(
        lines,
        [
            "- a 0.1.0 (v0.1.0)",
            "- b 0.1.0 (v0.1.0)",
            "- c 0.1.0 (v0.1.0)"
        ],
        "dependency order"
    );
    for name in NAMES {
        let pointer = git(
            &root_remote,
            &["ls-tree", "main", &format!("packages/{name}")],
        );
        assert!(
            pointer.contains(&rev(&w.remote(name), "main")),
            "{name}: {pointer}"
        );
    }
    let prod = show(&root_remote, "main:prod/pyproject.toml");
    for name in NAMES {
        let pin = format!(
            "{name} = {{ git = \"{}\", tag = \"v0.1.0\" }}",
            url(&w.remote(name))
        );
        assert!(prod.contains(&pin), "{pin}\n{prod}");
    }
    let files = git(
        &root_remote,
        &["diff", "--name-only", &format!("{root_before}..main")],
    );
    assert_eq!(
        files.lines().collect::<Vec<_>>(),
        [
            // The product's combined notes and version (issue 20).
            "CHANGELOG.md",
            "packages/a",
            "packages/b",
            "packages/c",
            "prod/pyproject.toml",
            "prod/uv.lock",
            "pyproject.toml",
            "staging/pyproject.toml",
            "staging/uv.lock",
            "uv.lock",
        ]
    );
    assert_eq!(rev(&w.root, "HEAD"), rev(&root_remote, "main"));
    assert_eq!(git(&w.root, &["status", "--porcelain"]), "");
    // Pins, locks and pointers in step: `check` finds nothing to say.
    let (_, stderr) = ok(&w.env.run_uv(&w.root, ["check"]));
    assert!(stderr.contains("All checks passed"), "{stderr}");

    // A fresh clone of the root, without submodules, installs prod from the remotes alone.
    let clone = clone_root(&w.env, &root_remote, &[]);
    assert!(!clone.join("packages/a/pyproject.toml").exists());
    ok(&w.env.run_uv(&clone, ["sync", "prod"]));
    let (imported, stdout, stderr) = venv_python(
        &clone.join("prod/.venv"),
        "import a, b, c, importlib.metadata as m; print(*(m.version(n) for n in 'abc'))",
    );
    assert!(imported, "{stderr}");
    assert_eq!(stdout.trim(), "0.1.0 0.1.0 0.1.0");
}

/// `--dry-run` prints every step and changes nothing at all: no file, ref, remote or journal.
#[test]
fn dry_run_prints_every_step_and_changes_nothing() {
    let w = World::new();
    let before = w.state();
    let out = w.release(&["--bump", "minor", "--push", "--dry-run"]);
    let (stdout, stderr) = ok(&out);
    for name in NAMES {
        for step in [
            format!("{name}: edit packages/{name}/pyproject.toml"),
            format!("{name}: create packages/{name}/CHANGELOG.md"),
            // The release commit, its tag and the next-dev commit: one fast-import (#19).
            format!(
                "{name}: create .release_tool/import/{name}.fast-import\n{name}: git -C packages/{name} -c fastimport.unpackLimit=1 fast-import --quiet --done --date-format=raw < .release_tool/import/{name}.fast-import: commit 'Release {name} 0.1.0…' on main, tag v0.1.0 on it, commit '{NEXT}'\n"
            ),
            format!(
                "{name}: git -C packages/{name} reset --quiet -- CHANGELOG.md pyproject.toml\n{name}: delete .release_tool/import/{name}.fast-import\n"
            ),
            format!(
                "{name}: git -C packages/{name} push --quiet --atomic origin refs/heads/main:refs/heads/main refs/tags/v0.1.0:refs/tags/v0.1.0"
            ),
        ] {
            assert!(stdout.contains(&step), "{step}\n{stdout}");
        }
        assert!(
            !stdout.contains("POST /repos"),
            "no forge for file:// remotes: {stdout}"
        );
    }
    for step in [
        "root: edit prod/pyproject.toml",
        "root: git -C . commit --quiet -m 'release: a 0.1.0, b 0.1.0, c 0.1.0",
        "root: git -C . tag --annotate --cleanup=whitespace --message 'Release product 0.2.0",
        "root: git -C . push --quiet --atomic origin refs/heads/main:refs/heads/main refs/tags/v0.2.0:refs/tags/v0.2.0",
    ] {
        assert!(stdout.contains(step), "{step}\n{stdout}");
    }
    assert!(
        stderr.contains("note: forge steps are off: the package remotes are local"),
        "{stderr}"
    );
    assert!(stderr.contains("planned, nothing changed"), "{stderr}");
    w.env
        .insta_settings()
        .bind(|| insta::assert_snapshot!("dry_run_plan", stdout));
    assert_eq!(before, w.state(), "the dry run changed something");
    assert!(!w.root.join(".release_tool").exists(), "no journal");
}

/// `--json --dry-run`: a JSON array of `{package, action, detail}`, nothing else on stdout.
#[test]
fn json_dry_run_prints_the_steps_as_a_json_array() {
    let w = World::new();
    let before = w.state();
    let out = w.release(&["--bump", "minor", "--push", "--dry-run", "--json"]);
    let (stdout, stderr) = ok(&out);
    let doc = crate::support::json_doc(&stdout);
    assert_eq!(doc["dry_run"], true);
    let steps = doc["steps"].as_array().expect("an array");
    for step in steps {
        assert!(step["package"].is_string() || step["package"].is_null());
        assert!(step["action"].is_string() && step["detail"].is_string());
        // A process step carries its argv as an array, program first; a file step its path.
        match step["action"].as_str().unwrap() {
            "git" => {
                let argv: Vec<&str> = step["argv"]
                    .as_array()
                    .unwrap_or_else(|| panic!("argv: {step}"))
                    .iter()
                    .map(|a| a.as_str().unwrap())
                    .collect();
                assert_eq!(argv[..2], ["git", "-C"], "{step}");
                assert_eq!(argv[2], step["dir"], "{step}");
            }
            "uv" => assert_eq!(step["argv"][0], "uv", "{step}"),
            "create" | "edit" => assert_eq!(step["path"], step["detail"], "{step}"),
            _ => {}
        }
        assert!(
            step.get("state").is_none(),
            "a plan has no outcomes: {step}"
        );
    }
    // Packages in dependency order, the root last.
    let mut order: Vec<String> = steps
        .iter()
        .map(|s| s["package"].as_str().unwrap_or("root").to_owned())
        .collect();
    order.dedup();
    assert_eq!(order, ["a", "b", "c", "root"]);
    let count = |action: &str| steps.iter().filter(|s| s["action"] == action).count();
    assert_eq!(count("forge"), 0, "no forge for file:// remotes");
    assert_eq!(
        count("create"),
        7,
        "three changelogs, the product's and three fast-import streams"
    );
    let details: Vec<&str> = steps
        .iter()
        .map(|s| s["detail"].as_str().unwrap())
        .collect();
    assert!(
        details.iter().any(|d| d.starts_with("git -C packages/b -c fastimport.unpackLimit=1 fast-import ")
            && d.ends_with(": commit 'Release b 0.1.0…' on main, tag v0.1.0 on it, commit 'chore: start 0.1.1.dev0 development'")),
        "{details:#?}"
    );
    assert!(
        stderr.contains(&format!("Dry run: {} steps planned", steps.len())),
        "{stderr}"
    );
    assert_eq!(before, w.state());
    assert!(!w.root.join(".release_tool").exists());
}

/// A push rejected by b's remote: a is released, c's push waits (its local release was made
/// before the pre-push proof, like every package's), the root is untouched, and the same
/// command resumes after the fix without repeating anything.
#[test]
fn a_rejected_push_stops_dependents_and_the_same_command_resumes() {
    let w = World::new();
    let root_remote = w.remote("root");
    let root_before = rev(&root_remote, "main");
    let c_before = rev(&w.pkg("c"), "HEAD");
    w.freeze("b");
    let out = w.release(&RELEASE);
    let stderr = failed(&out, 1);
    assert!(
        stderr.contains(
            "error: b: step `git -C packages/b push --quiet --atomic origin refs/heads/main:refs/heads/main refs/tags/v0.1.0:refs/tags/v0.1.0` failed"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("rejected by policy: b is frozen"),
        "{stderr}"
    );
    assert!(stderr.contains("c: not started: waits for b"), "{stderr}");
    assert!(
        stderr.contains("hint: fix it and run the same command again"),
        "{stderr}"
    );
    // a is fully released.
    let a = w.remote("a");
    assert_eq!(
        remote_tags(&a),
        [("v0.1.0".to_owned(), commit_of(&a, "Release a 0.1.0"))]
    );
    assert_eq!(subjects(&a)[0], NEXT);
    // b's remote has nothing new; c is released locally (before the pre-push proof) but not
    // pushed; no root commit.
    assert!(remote_tags(&w.remote("b")).is_empty());
    assert_eq!(count(&w.remote("b"), "Release b"), 0);
    let c = w.pkg("c");
    assert_eq!(subjects(&c)[0], NEXT);
    assert_eq!(git(&c, &["tag", "--list"]), "v0.1.0\n");
    assert!(remote_tags(&w.remote("c")).is_empty());
    assert_eq!(rev(&w.remote("c"), "main"), c_before);
    assert_eq!(git(&c, &["status", "--porcelain"]), "");
    assert_eq!(rev(&root_remote, "main"), root_before);
    assert_eq!(rev(&w.root, "HEAD"), root_before);
    assert_eq!(w.journal().expect("a journal")["finished"], false);

    // Another command while the run is unfinished: a clear error, nothing changed.
    let before = w.state();
    let out = w.release(&["--bump", "patch", "--push"]);
    let stderr = failed(&out, 1);
    assert!(
        stderr.contains("An unfinished `release-tool release --bump minor --push`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: fix it and run the same command again (`release-tool release --bump minor --push`), or `release-tool release --bump minor --push --replan`"),
        "{stderr}"
    );
    assert_eq!(before, w.state());

    // The dry run of the same command shows what is left: b's push and forge release, c, the
    // root; a is done.
    let out = w.release(&["--bump", "minor", "--push", "--dry-run", "--json"]);
    let (stdout, stderr) = ok(&out);
    let left = crate::support::json_doc(&stdout);
    let mut who: Vec<&str> = left["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["package"].as_str().unwrap_or("root"))
        .collect();
    who.dedup();
    assert_eq!(who, ["b", "c", "root"], "{stdout}");
    assert!(
        stderr.contains(&format!(
            "Dry run: {} steps planned",
            left["steps"].as_array().unwrap().len()
        )),
        "{stderr}"
    );
    assert_eq!(before, w.state());

    // Fix the cause, run the same command again: it completes, nothing twice.
    w.thaw("b");
    let out = w.release(&RELEASE);
    let (stdout, stderr) = ok(&out);
    assert!(
        stderr.contains("Resuming `release-tool release --bump minor --push`"),
        "{stderr}"
    );
    for name in NAMES {
        assert!(
            crate::support::table_row(&stdout, name).is_some_and(|r| r.starts_with(&format!(
                "{name} 0.1.0.dev0 → 0.1.0 v0.1.0 0.1.1.dev0 pushed"
            ))),
            "the resumed run reports the whole release: {stdout}"
        );
    }
    assert_eq!(w.journal().expect("a journal")["finished"], true);
    for name in NAMES {
        let remote = w.remote(name);
        assert_eq!(count(&remote, &format!("Release {name} ")), 1, "{name}");
        assert_eq!(count(&remote, "chore: start "), 1, "{name}");
        assert_eq!(
            remote_tags(&remote),
            [(
                "v0.1.0".to_owned(),
                commit_of(&remote, &format!("Release {name} 0.1.0"))
            )],
            "{name}"
        );
        assert_eq!(rev(&w.pkg(name), "HEAD"), rev(&remote, "main"), "{name}");
    }
    assert_eq!(
        git(
            &root_remote,
            &["rev-list", "--count", &format!("{root_before}..main")]
        )
        .trim(),
        "1"
    );
    assert!(subjects(&root_remote)[0].starts_with("release: a 0.1.0, b 0.1.0, c 0.1.0"));
    assert_eq!(git(&w.root, &["status", "--porcelain"]), "");

    // And once more: nothing left to do.
    let before = w.state();
    let (_, stderr) = ok(&w.release(&RELEASE));
    assert!(stderr.contains("Nothing to do"), "{stderr}");
    assert_eq!(before, w.state());
}

/// Bad input is refused before anything changes, with an error that names the problem.
#[test]
fn bad_input_is_refused_and_changes_nothing() {
    let w = World::new();
    let b = w.pkg("b");
    let refused = |args: &[&str], code: i32, expected: &[&str]| {
        let before = w.state();
        let stderr = failed(&w.release(args), code);
        for e in expected {
            assert!(stderr.contains(e), "{args:?}: expected `{e}` in:\n{stderr}");
        }
        assert_eq!(before, w.state(), "{args:?} changed something");
        assert!(
            !w.root.join(".release_tool").exists(),
            "{args:?}: no journal"
        );
    };

    // A dirty package.
    std::fs::write(b.join("src/b/feature.py"), "VALUE = 2\n").unwrap();
    refused(
        &RELEASE,
        1,
        &[
            "Cannot release; nothing was changed",
            "b (packages/b): has 1 uncommitted change",
        ],
    );
    git(&b, &["checkout", "-q", "--", "src/b/feature.py"]);

    // A package on a detached HEAD.
    git(&b, &["checkout", "-q", "--detach"]);
    refused(&RELEASE, 1, &["b (packages/b): is on a detached HEAD"]);
    git(&b, &["checkout", "-q", "main"]);

    // A tag that already exists for the version to release: the bump moves past it
    // (`release_guards.rs`), nothing to refuse.

    // The tag is not here but on b's remote (released from another clone): refused before
    // anything is pushed (the push would take main and reject the tag).
    git(&b, &["tag", "v0.1.0", "HEAD~1"]);
    git(&b, &["push", "-q", "origin", "v0.1.0"]);
    git(&b, &["tag", "-d", "v0.1.0"]);
    refused(
        &RELEASE,
        1,
        &["b (packages/b): tag v0.1.0 already exists on `origin`"],
    );
    git(&b, &["push", "-q", "origin", ":refs/tags/v0.1.0"]);

    // Someone else pushed to b's main: refused before the release commits are made.
    let other = w.env.path().join("other-b");
    git(
        &w.env.path(),
        &["clone", "-q", &url(&w.remote("b")), other.to_str().unwrap()],
    );
    commit_file(&other, "OTHER.md", "other\n", "docs: from elsewhere");
    git(&other, &["push", "-q", "origin", "main"]);
    refused(
        &RELEASE,
        1,
        &["b (packages/b): `origin` has commits on main that are not in HEAD; pull them first"],
    );
    git(&b, &["pull", "-q", "--rebase", "origin", "main"]);

    // Usage errors.
    refused(&["--bump", "huge"], 2, &["invalid value 'huge'"]);
    refused(&["-p", "nope", "--bump", "minor"], 2, &["nope"]);

    // Staged changes in the root (the release makes its own root commit).
    std::fs::write(w.root.join("notes.txt"), "mine\n").unwrap();
    git(&w.root, &["add", "notes.txt"]);
    refused(&RELEASE, 1, &["the root has staged changes"]);
    git(&w.root, &["rm", "-q", "--cached", "notes.txt"]);
    std::fs::remove_file(w.root.join("notes.txt")).unwrap();

    // An uncommitted edit of a file the root commit adds: it would slip into that commit.
    let prod = w.root.join("prod/pyproject.toml");
    let text = std::fs::read_to_string(&prod).unwrap();
    std::fs::write(&prod, format!("{text}# mine\n")).unwrap();
    refused(
        &RELEASE,
        1,
        &["the root has uncommitted changes in prod/pyproject.toml; commit or stash them first"],
    );
    std::fs::write(&prod, text).unwrap();

    // A package with no remote to push to.
    git(&b, &["remote", "rename", "origin", "upstream"]);
    refused(
        &RELEASE,
        1,
        &["b (packages/b): has no remote `origin` to push to"],
    );
    git(&b, &["remote", "rename", "upstream", "origin"]);

    // Once released, nothing has commits since its tag; a later --push pushes what is still
    // local (release_recovery.rs), then there is nothing to do, exit 0.
    let (_, stderr) = ok(&w.release(&["--bump", "minor"]));
    assert!(
        stderr.contains("without --push nothing is pushed")
            && stderr.contains("push later with `release-tool release --push`"),
        "{stderr}"
    );
    ok(&w.release(&RELEASE));
    let before = w.state();
    let (_, stderr) = ok(&w.release(&RELEASE));
    for name in NAMES {
        assert!(
            stderr.contains(&format!("{name}: skipped, no commits since v0.1.0")),
            "{stderr}"
        );
    }
    assert!(stderr.contains("Nothing to do"), "{stderr}");
    assert_eq!(before, w.state());
    let out = w.release(&["--bump", "minor", "--push", "--dry-run", "--json"]);
    let (stdout, _) = ok(&out);
    let doc = crate::support::json_doc(&stdout);
    assert_eq!(doc["dry_run"], true);
    assert_eq!(
        doc["steps"],
        serde_json::json!([]),
        "an empty plan has no steps"
    );
}

/// `--no-next`: released and tagged, no next commit. `--no-root-commit`: pins written, no
/// root commit.
#[test]
fn no_next_and_no_root_commit() {
    let w = World::new();
    let root_before = rev(&w.remote("root"), "main");
    ok(&w.release(&["--bump", "minor", "--push", "--no-next"]));
    for name in NAMES {
        let remote = w.remote(name);
        assert!(
            subjects(&remote)[0].starts_with(&format!("Release {name} 0.1.0")),
            "{name}: {:?}",
            subjects(&remote)
        );
        assert_eq!(count(&remote, "chore: start "), 0);
        assert_eq!(remote_tags(&remote).len(), 1);
        assert!(
            std::fs::read_to_string(w.pkg(name).join("pyproject.toml"))
                .unwrap()
                .contains("version = \"0.1.0\"")
        );
    }
    assert_eq!(
        git(
            &w.remote("root"),
            &["rev-list", "--count", &format!("{root_before}..main")]
        )
        .trim(),
        "1"
    );

    let w = World::new();
    let root_before = rev(&w.root, "HEAD");
    ok(&w.release(&["--bump", "minor", "--push", "--no-root-commit"]));
    assert_eq!(rev(&w.root, "HEAD"), root_before, "no root commit");
    assert_eq!(
        rev(&w.remote("root"), "main"),
        root_before,
        "nothing pushed"
    );
    let prod = std::fs::read_to_string(w.root.join("prod/pyproject.toml")).unwrap();
    for name in NAMES {
        assert!(
            prod.contains(&format!(
                "{name} = {{ git = \"{}\", tag = \"v0.1.0\" }}",
                url(&w.remote(name))
            )),
            "{prod}"
        );
        assert_eq!(subjects(&w.remote(name))[0], NEXT);
    }
    let status = git(&w.root, &["status", "--porcelain"]);
    for path in [
        "prod/pyproject.toml",
        "staging/pyproject.toml",
        "packages/a",
        "packages/b",
        "packages/c",
    ] {
        assert!(status.contains(&format!(" M {path}\n")), "{path}: {status}");
    }
    assert_eq!(
        git(&w.root, &["diff", "--cached", "--name-only"]),
        "",
        "nothing staged"
    );
}

/// A run that stopped right after b's release commit and tag, before the journal recorded
/// them: the same command does not make them again.
#[test]
fn a_commit_made_before_the_journal_recorded_it_is_not_made_again() {
    let w = World::new();
    w.freeze("b");
    failed(&porcelain_release(&w, &RELEASE), 1);
    w.thaw("b");
    // Roll b back to just after its release commit and tag (as if the process had been killed
    // then), and make the journal say so: commit running, everything after it pending.
    let b = w.pkg("b");
    let release = commit_of(&b, "Release b 0.1.0");
    git(&b, &["reset", "-q", "--hard", &release]);
    let mut journal = w.journal().expect("a journal");
    let steps = journal["plan"]["steps"].as_array().unwrap().clone();
    let commit_step = steps
        .iter()
        .position(|s| {
            s["package"] == "b"
                && s["guard"]["guard"] == "commit"
                && s["guard"]["message"]
                    .as_str()
                    .unwrap()
                    .starts_with("Release b 0.1.0")
        })
        .expect("b's release commit step");
    let states = journal["steps"].as_array_mut().unwrap();
    states[commit_step] = serde_json::json!({
        "status": "running",
        "head_before": rev(&b, &format!("{release}~1")),
    });
    for (i, s) in steps.iter().enumerate().skip(commit_step + 1) {
        if s["package"] == "b" {
            states[i] = serde_json::json!({ "status": "pending" });
        }
    }
    w.write_journal(&journal);

    let out = porcelain_release(&w, &[&RELEASE[..], &["-v"]].concat());
    let (_, stderr) = ok(&out);
    assert!(
        stderr.contains("was made before the run stopped"),
        "the commit probe: {stderr}"
    );
    assert!(
        stderr.contains("tag v0.1.0 is already on"),
        "the tag probe: {stderr}"
    );
    let remote = w.remote("b");
    assert_eq!(count(&remote, "Release b "), 1, "{:?}", subjects(&remote));
    assert_eq!(
        count(&remote, "chore: start "),
        1,
        "{:?}",
        subjects(&remote)
    );
    assert_eq!(rev(&remote, "main~1"), release);
    assert_eq!(
        remote_tags(&remote),
        [("v0.1.0".to_owned(), release.clone())]
    );
    assert_eq!(w.journal().expect("a journal")["finished"], true);

    // The same for the root: its commit made and pushed, the journal not told.
    let root_head = rev(&w.root, "HEAD");
    let mut journal = w.journal().expect("a journal");
    let steps = journal["plan"]["steps"].as_array().unwrap().clone();
    let root_commit = steps
        .iter()
        .position(|s| s["package"].is_null() && s["guard"]["guard"] == "commit")
        .expect("the root commit step");
    let states = journal["steps"].as_array_mut().unwrap();
    states[root_commit] = serde_json::json!({
        "status": "running",
        "head_before": rev(&w.root, "HEAD~1"),
    });
    for state in states.iter_mut().skip(root_commit + 1) {
        *state = serde_json::json!({ "status": "pending" });
    }
    journal["finished"] = serde_json::json!(false);
    w.write_journal(&journal);
    let (_, stderr) = ok(&porcelain_release(&w, &[&RELEASE[..], &["-v"]].concat()));
    assert!(
        stderr.contains("was made before the run stopped"),
        "{stderr}"
    );
    assert!(
        stderr.contains("origin already has refs/heads/main"),
        "{stderr}"
    );
    assert_eq!(rev(&w.root, "HEAD"), root_head);
    assert_eq!(rev(&w.remote("root"), "main"), root_head);
}

/// A later release of `a` alone: b's requirement is raised in a pushed `chore(deps)` commit
/// (so b's next release carries it), c is left alone, prod pins the new `a` and keeps b's pin.
#[test]
fn releasing_a_alone_raises_its_dependents_bound() {
    let w = World::new();
    ok(&w.release(&RELEASE));
    let a = w.pkg("a");
    commit_file(&a, "src/a/fix.py", "FIX = 1\n", "fix: a mends a bug");
    git(&a, &["push", "-q", "origin", "main"]);
    git(&w.root, &["commit", "-q", "-am", "chore: a fixed"]);
    let root_before = rev(&w.root, "HEAD");
    let c_before = rev(&w.remote("c"), "main");

    let (stdout, stderr) = ok(&w.release(&["--bump", "auto", "--push"]));
    assert!(
        stderr.contains("b: skipped, no commits since v0.1.0")
            && crate::support::table_row(&stdout, "a")
                .is_some_and(|r| r.starts_with("a 0.1.1.dev0 → 0.1.1 v0.1.1 0.1.2.dev0 pushed")),
        "fix → patch: {stdout}\n{stderr}"
    );
    let a_remote = w.remote("a");
    assert_eq!(
        remote_tags(&a_remote).last().unwrap(),
        &("v0.1.1".to_owned(), commit_of(&a_remote, "Release a 0.1.1"))
    );
    let b_remote = w.remote("b");
    assert_eq!(subjects(&b_remote)[0], "chore(deps): require a>=0.1.1");
    assert!(show(&b_remote, "main:pyproject.toml").contains("\"a>=0.1.1\""));
    assert_eq!(remote_tags(&b_remote).len(), 1, "b is not released");
    assert_eq!(rev(&w.remote("c"), "main"), c_before, "c is not touched");

    let root_remote = w.remote("root");
    assert_eq!(
        git(
            &root_remote,
            &["rev-list", "--count", &format!("{root_before}..main")]
        )
        .trim(),
        "1"
    );
    assert!(subjects(&root_remote)[0].starts_with("release: a 0.1.1"));
    let files = git(
        &root_remote,
        &["diff", "--name-only", &format!("{root_before}..main")],
    );
    assert_eq!(
        files.lines().collect::<Vec<_>>(),
        [
            "CHANGELOG.md",
            "packages/a",
            "packages/b",
            "prod/pyproject.toml",
            "prod/uv.lock",
            "pyproject.toml",
            "staging/pyproject.toml",
            "staging/uv.lock"
        ]
    );
    let prod = show(&root_remote, "main:prod/pyproject.toml");
    assert!(
        prod.contains(&format!(
            "a = {{ git = \"{}\", tag = \"v0.1.1\" }}",
            url(&a_remote)
        )) && prod.contains(&format!(
            "b = {{ git = \"{}\", tag = \"v0.1.0\" }}",
            url(&b_remote)
        )),
        "{prod}"
    );
}

#[test]
fn a_second_concurrent_run_refuses_and_changes_nothing() {
    let w = World::new();
    // A run in progress: this (live) test process holds the kernel lock, and the file names it.
    let state_dir = w.root.join(".release_tool");
    std::fs::create_dir_all(&state_dir).unwrap();
    std::fs::write(state_dir.join(".gitignore"), "*\n").unwrap();
    std::fs::write(
        state_dir.join("lock"),
        format!("{}\nrelease --bump minor --push\n", std::process::id()),
    )
    .unwrap();
    let held = std::fs::File::open(state_dir.join("lock")).unwrap();
    held.try_lock().unwrap();
    let before = w.state();
    let stderr = failed(&w.release(&RELEASE), 1);
    assert!(
        stderr.contains("Another release-tool run (`release-tool release --bump minor --push`"),
        "{stderr}"
    );
    assert!(stderr.contains("hint: wait for it to finish"), "{stderr}");
    assert_eq!(before, w.state(), "nothing changed");
    assert!(
        !state_dir.join("journal.json").exists(),
        "no journal written"
    );
    // Once that run is gone (its lock file left behind by a killed process), the release runs.
    drop(held);
    std::fs::write(state_dir.join("lock"), "4294967\nrelease\n").unwrap();
    ok(&w.release(&RELEASE));
    assert!(!state_dir.join("lock").exists(), "the lock is released");
}

#[test]
fn the_last_release_is_the_newest_tag_merged_into_head() {
    let w = World::new();
    ok(&porcelain_release(&w, &RELEASE));
    let a = w.pkg("a");
    // A higher tag on a branch HEAD does not contain: not a release of this line.
    git(&a, &["switch", "-q", "-c", "side"]);
    commit_file(&a, "side.txt", "side\n", "feat: an experiment");
    git(&a, &["tag", "-a", "-m", "a 5.0.0", "v5.0.0"]);
    git(&a, &["switch", "-q", "main"]);
    commit_file(&a, "src/a/fix.py", "FIX = 1\n", "fix: a mends a bug");
    // The same plan with the tag distances computed now and read from the status cache.
    let cold = porcelain_release(&w, &["--bump", "auto", "--dry-run", "--json"]);
    ok(&w.env.run(&w.root, ["status"]));
    assert!(w.root.join(".release_tool/cache/tags.json").is_file());
    let warm = porcelain_release(&w, &["--bump", "auto", "--dry-run", "--json"]);
    let (cold, stderr) = ok(&cold);
    assert_eq!(cold, ok(&warm).0);
    assert!(
        stderr.contains("b: skipped, no commits since v0.1.0"),
        "{stderr}"
    );
    let steps = crate::support::json_doc(&cold);
    let tag = steps["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["package"] == "a" && s["detail"].as_str().unwrap().contains(" tag --annotate"))
        .unwrap_or_else(|| panic!("a is tagged: {cold}"));
    let detail = tag["detail"].as_str().unwrap();
    assert!(detail.contains("-- v0.1.1 HEAD"), "{detail}");
    assert!(detail.contains("Changes since 0.1.0"), "{detail}");
    assert!(!detail.contains("experiment"), "{detail}");
}

/// A package whose submodule is not initialised (`git submodule deinit`) is skipped with a note,
/// as docs/release.md says; the others are released (issue 18, item 6). The bug: the whole
/// release was refused (`submodule not initialized`).
#[test]
fn an_uninitialised_submodule_is_skipped_with_a_note() {
    let w = World::new();
    git(&w.root, &["submodule", "deinit", "-q", "-f", "packages/c"]);
    let (stdout, stderr) = ok(&w.release(&RELEASE));
    let text = format!("{stdout}{stderr}");
    assert!(
        text.contains(
            "packages/c is not a git repository (run `git submodule update --init packages/c`)"
        ),
        "{text}"
    );
    for name in ["a", "b"] {
        assert_eq!(
            git(&w.remote(name), &["tag", "--list"]),
            "v0.1.0\n",
            "{name} released"
        );
    }
    assert_eq!(git(&w.remote("c"), &["tag", "--list"]), "", "c untouched");
    assert_eq!(git(&w.root, &["status", "--porcelain"]), "");
    // Initialised again, c is released on its own.
    git(
        &w.root,
        &["submodule", "update", "-q", "--init", "packages/c"],
    );
    git(&w.pkg("c"), &["checkout", "-q", "main"]);
    ok(&w.release(&RELEASE));
    assert_eq!(git(&w.remote("c"), &["tag", "--list"]), "v0.1.0\n");
}

/// The tag `name` is released at and the remote that holds it, in `w`'s layout: in-tree
/// packages are tagged `<name>-v<version>` in the root.
fn tag_and_remote(w: &World, name: &str, version: &str) -> (String, std::path::PathBuf) {
    if w.layout.in_tree(name) {
        (format!("{name}-v{version}"), w.remote("root"))
    } else {
        (format!("v{version}"), w.remote(name))
    }
}

/// The one-shot for every layout (submodules, in-tree, mixed; issue #21): each package's tag on
/// its remote at its release (version and raised bound), the next version on the branch, the
/// prod pins at the tags, a clean root in step with its remote, `check` passing; a second run
/// finds nothing to release.
#[test]
fn release_in_every_layout_tags_pushes_and_pins_every_package() {
    for layout in crate::support::trunk::LAYOUTS {
        let w = World::with_layout(layout);
        ok(&w.env.run_uv(&w.root, ["lock", "--all"]));
        git(&w.root, &["add", "-A"]);
        git(&w.root, &["commit", "-q", "-m", "chore: lock"]);
        git(&w.root, &["push", "-q", "origin", "main"]);
        let (stdout, stderr) = ok(&w.release(&RELEASE));
        let root_remote = w.remote("root");
        let prod = show(&root_remote, "main:prod/pyproject.toml");
        for (i, name) in NAMES.iter().enumerate() {
            let (tag, remote) = tag_and_remote(&w, name, "0.1.0");
            assert_eq!(
                crate::support::table_row(&stdout, name).as_deref(),
                Some(format!("{name} 0.1.0.dev0 → 0.1.0 {tag} 0.1.1.dev0 pushed").as_str()),
                "{layout:?}: {stdout}\n{stderr}"
            );
            let file = if w.layout.in_tree(name) {
                format!("packages/{name}/pyproject.toml")
            } else {
                "pyproject.toml".to_owned()
            };
            assert_eq!(
                git(&remote, &["cat-file", "-t", &tag]).trim(),
                "tag",
                "{layout:?} {name}: an annotated tag"
            );
            let released = show(&remote, &format!("{tag}:{file}"));
            assert!(released.contains("version = \"0.1.0\""), "{released}");
            if i > 0 {
                let dep = NAMES[i - 1];
                assert!(
                    released.contains(&format!("\"{dep}>=0.1.0\"")),
                    "{layout:?} {name}: {released}"
                );
            }
            let next = show(&remote, &format!("main:{file}"));
            assert!(next.contains("version = \"0.1.1.dev0\""), "{next}");
            assert!(
                prod.contains(&format!("tag = \"{tag}\"")),
                "{layout:?}: {tag}\n{prod}"
            );
        }
        assert_eq!(
            rev(&w.root, "HEAD"),
            rev(&root_remote, "main"),
            "{layout:?}"
        );
        assert_eq!(git(&w.root, &["status", "--porcelain"]), "", "{layout:?}");
        let (_, stderr) = ok(&w.env.run_uv(&w.root, ["check"]));
        assert!(stderr.contains("All checks passed"), "{layout:?}: {stderr}");
        let (_, stderr) = ok(&w.release(&["--bump", "minor", "--dry-run"]));
        assert!(
            !stderr.contains("0.2.0 ") && !stdout.is_empty(),
            "{layout:?}: nothing left to release: {stderr}"
        );
    }
}

/// A rejected push in every layout (issue #21): `a`'s remote (the root's, for an in-tree `a`)
/// refuses; the run stops before anything else is pushed, and once the remote takes pushes
/// again the same command resumes and finishes the release, making nothing twice.
#[test]
fn a_rejected_push_resumes_in_every_layout() {
    for layout in crate::support::trunk::LAYOUTS {
        let w = World::with_layout(layout);
        let frozen = if layout.in_tree("a") { "root" } else { "a" };
        w.freeze(frozen);
        let out = w.release(&RELEASE);
        let stderr = failed(&out, 1);
        assert!(
            stderr.contains(&format!("rejected by policy: {frozen} is frozen")),
            "{layout:?}: {stderr}"
        );
        assert_eq!(w.journal().expect("a journal")["finished"], false);
        let (tag, remote) = tag_and_remote(&w, "a", "0.1.0");
        assert!(
            git(&remote, &["tag", "--list", &tag]).trim().is_empty(),
            "{layout:?}: nothing pushed"
        );
        w.thaw(frozen);
        let (_, stderr) = ok(&w.release(&RELEASE));
        assert!(stderr.contains("Resuming"), "{layout:?}: {stderr}");
        for name in NAMES {
            let (tag, remote) = tag_and_remote(&w, name, "0.1.0");
            assert_eq!(
                git(&remote, &["tag", "--list", &tag]).trim(),
                tag,
                "{layout:?}"
            );
            // One release commit: the tag's commit is the only one whose subject says so.
            let release = git(&remote, &["rev-parse", &format!("{tag}^{{commit}}")]);
            let subjects = git(&remote, &["log", "--format=%H %s", "main"]);
            assert_eq!(
                subjects
                    .lines()
                    .filter(|l| l.starts_with(release.trim()))
                    .count(),
                1,
                "{layout:?}: {subjects}"
            );
            assert_eq!(
                git(&remote, &["log", "--format=%s", "main"])
                    .lines()
                    .filter(|s| s.starts_with("chore: start 0.1.1.dev0"))
                    .count(),
                1,
                "{layout:?} {name}: one next commit"
            );
        }
        assert_eq!(w.journal().expect("a journal")["finished"], true);
        assert_eq!(git(&w.root, &["status", "--porcelain"]), "", "{layout:?}");
    }
}
