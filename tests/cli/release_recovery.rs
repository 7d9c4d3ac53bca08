//! Never stuck, and push later (issue 17, items 4 and 8): an unfinished run refuses every other
//! mutating command, `--replan` plans again what is not done from the workspace as it is,
//! `abort` abandons a run after showing what it did, and a later `release --push` pushes what a
//! `release` without `--push` left local.

use std::path::Path;

use crate::support::git;
use crate::support::trunk::{NAMES, World};
use crate::support::{failed, ok, outputs};

const RELEASE: [&str; 3] = ["--bump", "minor", "--push"];

/// What only these tests do to the world.
impl World {
    /// Reject every push to `name`'s remote (a `pre-receive` hook).
    fn block_pushes(&self, name: &str) {
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

    fn allow_pushes(&self, name: &str) {
        std::fs::remove_file(self.remote(name).join("hooks/pre-receive")).unwrap();
    }

    /// A `release --bump minor --push` stopped by b's remote: every package committed and
    /// tagged (before the pre-push proof), a pushed, b's push refused, c's and the root's
    /// waiting.
    fn unfinished_release(&self) {
        self.block_pushes("b");
        let out = self.release(&RELEASE);
        failed(&out, 1);
        assert_eq!(self.journal().expect("a journal")["finished"], false);
    }
}

/// The tags of a (bare) repository, by name.
fn tags(repo: &Path) -> Vec<String> {
    git(repo, &["tag", "--list"])
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The lines of two world states that differ (a readable failure).
fn diff(before: &[String], after: &[String]) -> Vec<String> {
    let gone = before
        .iter()
        .filter(|l| !after.contains(l))
        .map(|l| format!("- {l}"));
    let new = after
        .iter()
        .filter(|l| !before.contains(l))
        .map(|l| format!("+ {l}"));
    gone.chain(new).collect()
}

fn rev(repo: &Path, rev: &str) -> String {
    git(repo, &["rev-parse", rev]).trim().to_owned()
}

/// Item 4: while a run is unfinished, every other command that changes packages or the root
/// refuses, names the run and the ways forward, and changes nothing; read-only commands and dry
/// runs still work.
#[test]
fn an_unfinished_run_refuses_every_other_mutating_command() {
    let w = World::new();
    w.unfinished_release();
    let before = w.state();
    let remote_c = crate::support::trunk::url(&w.remote("c"));
    let commands: Vec<Vec<&str>> = vec![
        vec!["branch"],
        vec!["changes"],
        vec!["commit"],
        vec!["notes"],
        vec!["clear"],
        vec!["manifests"],
        vec!["lock"],
        vec!["sync"],
        vec!["update"],
        vec!["new", "zeta"],
        vec!["add", remote_c.as_str(), "--path", "packages/c2"],
        vec!["remove", "c"],
        vec!["migrate"],
        vec!["ci"],
        vec!["docker"],
        vec!["publish"],
    ];
    for args in &commands {
        let out = w.run(args);
        let stderr = failed(&out, 1);
        assert!(
            stderr.contains("error: An unfinished `release-tool release --bump minor --push` (")
                && stderr.contains(&format!(
                    "`{}` refuses to run until it is finished or abandoned",
                    args[0]
                )),
            "{args:?}: {stderr}"
        );
        assert!(
            stderr.contains("hint: fix it and run the same command again (`release-tool release --bump minor --push`), or `release-tool release --bump minor --push --replan` after changing files by hand")
                && stderr.contains("or `release-tool abort` to abandon the run"),
            "{args:?}: {stderr}"
        );
        assert_eq!(diff(&before, &w.state()), Vec::<String>::new(), "{args:?}");
    }
    // --replan of another request does not take the unfinished run over.
    let out = w.release(&["--bump", "patch", "--push", "--replan"]);
    let stderr = failed(&out, 1);
    assert!(
        stderr.contains("error: An unfinished `release-tool release --bump minor --push` (")
            && stderr.contains("hint: fix it and run the same command again"),
        "{stderr}"
    );
    assert_eq!(diff(&before, &w.state()), Vec::<String>::new());
    // Read-only commands and dry runs still work.
    for args in [
        vec!["status"],
        vec!["branch", "--dry-run"],
        vec!["manifests", "--check"],
        vec!["release", "--bump", "minor", "--push", "--dry-run"],
    ] {
        let out = w.run(&args);
        let (_, stderr) = outputs(&out);
        assert!(!stderr.contains("refuses to run"), "{args:?}: {stderr}");
    }
    // `status` keeps its cache; nothing else changed.
    let changed: Vec<String> = diff(&before, &w.state())
        .into_iter()
        .filter(|l| !l.contains(".release_tool/cache/"))
        .collect();
    assert_eq!(changed, Vec::<String>::new());
}

/// Item 4: `abort` shows what the unfinished run did and did not, with the commands that undo
/// it by hand; it needs `--yes` off a terminal; then it moves the journal aside (nothing
/// undone) and the other commands run again.
#[test]
fn abort_shows_what_the_run_did_then_abandons_it() {
    let w = World::new();
    w.unfinished_release();
    let before = w.state();

    // Not a terminal, no --yes: refused, nothing changed (the report is shown first).
    let out = w.run(&["abort"]);
    let stderr = failed(&out, 2);
    assert!(
        stderr.contains(
            "error: Not abandoning `release-tool release --bump minor --push` without confirmation"
        ) && stderr.contains("hint: run `release-tool abort --yes`"),
        "{stderr}"
    );
    assert_eq!(diff(&before, &w.state()), Vec::<String>::new());

    // --dry-run --json: the report as data, nothing changed.
    let out = w.run(&["abort", "--dry-run", "--json"]);
    let (stdout, _) = ok(&out);
    let doc = crate::support::json_doc(&stdout);
    assert_eq!(doc["command"], "abort");
    let report = &doc["run"];
    assert_eq!(report["command"], "release --bump minor --push");
    let pkg = |name: &str| {
        report["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["package"] == name)
            .unwrap_or_else(|| panic!("{name} in {stdout}"))
            .clone()
    };
    let lines = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_owned())
            .collect()
    };
    let a = pkg("a");
    assert!(lines(&a["not_done"]).is_empty(), "{a}");
    assert!(
        lines(&a["undo"]).contains(&"git -C packages/a push origin --delete v0.1.0".to_owned()),
        "{a}"
    );
    let b = pkg("b");
    assert!(
        lines(&b["done"]).iter().any(|d| d
            .starts_with("git -C packages/b -c fastimport.unpackLimit=1 fast-import ")
            && d.contains("tag v0.1.0 on it")),
        "{b}"
    );
    assert!(
        lines(&b["not_done"])
            .iter()
            .any(|d| d.starts_with("git -C packages/b push") && d.ends_with("(failed)")),
        "{b}"
    );
    let b_undo = lines(&b["undo"]);
    assert!(
        b_undo.contains(&"git -C packages/b tag -d v0.1.0".to_owned())
            && b_undo
                .iter()
                .any(|u| u.starts_with("git -C packages/b reset --keep ")),
        "{b}"
    );
    // c was released locally before the pre-push proof; its push waits for b's.
    let c = pkg("c");
    assert!(
        lines(&c["done"]).iter().any(|d| d
            .starts_with("git -C packages/c -c fastimport.unpackLimit=1 fast-import ")
            && d.contains("tag v0.1.0 on it")),
        "{c}"
    );
    assert!(
        lines(&c["not_done"])
            .iter()
            .any(|d| d.starts_with("git -C packages/c push")),
        "{c}"
    );
    // The root: only the pre-push proofs ran (they change nothing; nothing to undo).
    let root = pkg("root");
    assert!(
        !lines(&root["done"]).is_empty()
            && lines(&root["done"]).iter().all(|d| d.starts_with("prove ")),
        "{root}"
    );
    assert!(lines(&root["undo"]).is_empty(), "{root}");
    assert_eq!(diff(&before, &w.state()), Vec::<String>::new());

    // --yes: the text report on stdout, the journal moved aside, nothing undone.
    let out = w.run(&["abort", "--yes"]);
    let (stdout, stderr) = ok(&out);
    assert!(
        stdout.contains("Unfinished run: `release-tool release --bump minor --push`")
            && stdout.contains("to undo by hand:")
            && stdout.contains("git -C packages/b tag -d v0.1.0"),
        "{stdout}"
    );
    assert!(
        stderr.contains("Abandoned `release-tool release --bump minor --push`: nothing was undone; its journal is kept as .release_tool/journal-aborted-"),
        "{stderr}"
    );
    assert!(w.journal().is_none());
    let kept: Vec<_> = std::fs::read_dir(w.root.join(".release_tool"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("journal-aborted-"))
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(tags(&w.pkg("b")), ["v0.1.0"]);
    // Nothing left to abort; other commands run again.
    let (_, stderr) = ok(&w.run(&["abort"]));
    assert!(stderr.contains("No unfinished run to abort"), "{stderr}");
    ok(&w.run(&["clear"]));

    // Then the same release again: what the abandoned run left local (b's commits and tag) is
    // pushed, c is released; nothing twice.
    w.allow_pushes("b");
    ok(&w.release(&RELEASE));
    for name in NAMES {
        let remote = w.remote(name);
        assert_eq!(tags(&remote), ["v0.1.0"], "{name}");
        assert_eq!(rev(&remote, "main"), rev(&w.pkg(name), "HEAD"), "{name}");
    }
    assert_eq!(rev(&w.remote("root"), "main"), rev(&w.root, "HEAD"));
}

/// Break or mend the staging and prod manifests of the world's root: a dependency on a path
/// that does not exist, which `uv lock` refuses.
fn bogus_dependency(root: &Path, on: bool) {
    for rel in ["staging/pyproject.toml", "prod/pyproject.toml"] {
        let path = root.join(rel);
        let text = std::fs::read_to_string(&path).unwrap();
        let text = if on {
            text.replacen("dependencies = [", "dependencies = [\"bogus\", ", 1)
                .replacen(
                    "[tool.uv.sources]\n",
                    "[tool.uv.sources]\nbogus = { path = \"../nowhere\" }\n",
                    1,
                )
        } else {
            text.replacen("\"bogus\", ", "", 1).replacen(
                "bogus = { path = \"../nowhere\" }\n",
                "",
                1,
            )
        };
        std::fs::write(&path, text).unwrap();
    }
}

/// Items 3 and 4: the pre-push proof fails (`uv lock` refuses the staging manifest) after
/// every package was released locally and before anything was pushed; the user fixes both
/// manifests by hand. Running the same command replays the planned (broken) manifest and fails
/// again, naming `--replan`; `--replan` keeps what is done and plans the rest from the manifests
/// as they are: proved, pushed, one root commit with the pins and locks; nothing released twice.
#[test]
fn replan_after_a_manual_fix_finishes_the_run_from_the_workspace_as_it_is() {
    let w = World::new();
    bogus_dependency(&w.root, true);
    git(&w.root, &["commit", "-qam", "chore: a bogus dependency"]);
    git(&w.root, &["push", "-q", "origin", "main"]);
    let root_before = rev(&w.root, "HEAD");

    let out = w.release(&RELEASE);
    let stderr = failed(&out, 1);
    assert!(
        stderr.contains("error: root: step `prove staging/pyproject.toml resolves")
            && stderr.contains("nothing was pushed"),
        "{stderr}"
    );
    for name in NAMES {
        assert!(tags(&w.remote(name)).is_empty(), "{name}: nothing pushed");
        assert_eq!(tags(&w.pkg(name)), ["v0.1.0"], "{name}: released locally");
    }
    assert_eq!(rev(&w.root, "HEAD"), root_before);

    // The fix, by hand, in both manifests; the same command replays the planned manifest.
    bogus_dependency(&w.root, false);
    let out = w.release(&RELEASE);
    let stderr = failed(&out, 1);
    assert!(
        stderr.contains("error: root: step `prove staging/pyproject.toml resolves"),
        "{stderr}"
    );
    for name in NAMES {
        assert!(tags(&w.remote(name)).is_empty(), "{name}: nothing pushed");
    }
    assert!(
        stderr.contains(
            "or `release-tool release --bump minor --push --replan` after changing files by hand"
        ) && stderr.contains("or `release-tool abort` to abandon the run"),
        "{stderr}"
    );

    // --replan --dry-run shows the new plan and changes nothing.
    let before = w.state();
    let out = w.release(&["--bump", "minor", "--push", "--replan", "--dry-run"]);
    let (stdout, stderr) = ok(&out);
    assert!(
        stderr.contains("Re-planning `release-tool release --bump minor --push`"),
        "{stderr}"
    );
    assert!(stdout.contains("uv lock"), "{stdout}");
    assert!(
        !stdout.contains("Release a 0.1.0"),
        "nothing released twice: {stdout}"
    );
    assert_eq!(diff(&before, &w.state()), Vec::<String>::new());

    let out = w.release(&["--bump", "minor", "--push", "--replan"]);
    let (stdout, stderr) = ok(&out);
    assert!(
        stderr.contains("The old plan is kept as .release_tool/journal-replanned-"),
        "{stderr}"
    );
    for name in NAMES {
        assert!(
            crate::support::table_row(&stdout, name)
                .is_some_and(|r| r.starts_with(&format!("{name} 0.1.0.dev0 → 0.1.0 v0.1.0"))),
            "{stdout}"
        );
        assert_eq!(tags(&w.remote(name)), ["v0.1.0"], "{name}");
        assert_eq!(
            git(&w.remote(name), &["log", "--format=%s", "main"])
                .lines()
                .filter(|s| s.starts_with("Release "))
                .count(),
            1,
            "{name}"
        );
    }
    assert_eq!(w.journal().expect("a journal")["finished"], true);
    // One root commit, pushed, with the fixed manifests pinned and locked.
    assert_eq!(
        git(
            &w.root,
            &["log", "--format=%s", &format!("{root_before}..HEAD")]
        )
        .trim(),
        "release: a 0.1.0, b 0.1.0, c 0.1.0"
    );
    assert_eq!(rev(&w.root, "HEAD"), rev(&w.remote("root"), "main"));
    assert_eq!(git(&w.root, &["status", "--porcelain"]), "");
    let prod = std::fs::read_to_string(w.root.join("prod/pyproject.toml")).unwrap();
    assert!(
        !prod.contains("bogus") && prod.contains("tag = \"v0.1.0\""),
        "{prod}"
    );
    assert!(w.root.join("prod/uv.lock").is_file());
    assert!(w.root.join("staging/uv.lock").is_file());

    // Done: the same command finds nothing left.
    let (_, stderr) = ok(&w.release(&RELEASE));
    assert!(stderr.contains("Nothing to do"), "{stderr}");
}

/// Item 8: `release` without `--push`, then `release --push` pushes what is still local:
/// package branches and tags (b's branch was pushed by hand: only its tag is left), the forge
/// releases (on the fake GitHub), the root's release commit. A second `--push` does nothing.
#[test]
fn release_now_push_later_pushes_what_is_still_local() {
    use crate::support::fake_github::FakeForge;
    let w = World::new();
    crate::support::explicit_forge(&w.root);
    let forge = FakeForge::github().start();
    let run = |args: &[&str]| {
        w.cmd()
            .env("GITHUB_TOKEN", &forge.opts.token)
            .env("GITHUB_API_URL", forge.api_url())
            .arg("release")
            .args(args)
            .output()
            .unwrap()
    };
    let root_remote_before = rev(&w.remote("root"), "main");
    let (_, stderr) = ok(&run(&["--bump", "minor"]));
    assert!(
        stderr.contains("push later with `release-tool release --push`"),
        "{stderr}"
    );
    for name in NAMES {
        assert!(tags(&w.remote(name)).is_empty(), "{name}");
    }
    assert!(forge.requests().is_empty());
    // The staging and prod locks are made already, from the local tags: the remotes' URLs and
    // the tagged commits, which the push below makes true.
    for rel in ["staging/uv.lock", "prod/uv.lock"] {
        let lock = git(&w.root, &["show", &format!("HEAD:{rel}")]);
        for name in NAMES {
            let commit = rev(&w.pkg(name), "v0.1.0^{commit}");
            assert!(
                lock.contains(&format!("{name}.git?tag=v0.1.0#{commit}")),
                "{rel}: {lock}"
            );
        }
    }
    // Partly pushed by hand: b's branch, not its tag.
    git(&w.pkg("b"), &["push", "-q", "origin", "main"]);

    // The dry run shows the pushes and forge releases left, and sends nothing.
    let before = w.state();
    let (stdout, _) = ok(&run(&["--bump", "minor", "--push", "--dry-run"]));
    assert!(
        stdout.contains("git -C packages/a push --quiet --atomic origin refs/heads/main:refs/heads/main refs/tags/v0.1.0:refs/tags/v0.1.0"),
        "{stdout}"
    );
    assert!(
        stdout.contains("git -C packages/b push --quiet origin refs/tags/v0.1.0:refs/tags/v0.1.0"),
        "{stdout}"
    );
    assert!(
        stdout.contains("POST /repos/remotes/c/releases"),
        "{stdout}"
    );
    assert!(stdout.contains("git -C . push"), "{stdout}");
    assert!(
        !stdout.contains(" commit --quiet")
            && !stdout.contains(" tag --annotate")
            && !stdout.contains(" fast-import "),
        "nothing is released again: {stdout}"
    );
    assert_eq!(diff(&before, &w.state()), Vec::<String>::new());
    assert!(forge.requests().is_empty());

    let (stdout, stderr) = ok(&run(&["--bump", "minor", "--push"]));
    for name in NAMES {
        let remote = w.remote(name);
        assert_eq!(tags(&remote), ["v0.1.0"], "{name}");
        assert_eq!(rev(&remote, "main"), rev(&w.pkg(name), "HEAD"), "{name}");
        let releases = forge.releases(&format!("remotes/{name}"));
        assert_eq!(releases.len(), 1, "{name}: {releases:?}");
        assert_eq!(releases[0]["tag_name"], "v0.1.0");
        assert!(
            releases[0]["body"]
                .as_str()
                .unwrap()
                .starts_with(&format!("Release {name} 0.1.0")),
            "{releases:?}"
        );
        assert!(
            crate::support::table_row(&stdout, name)
                .is_some_and(|r| r.contains("v0.1.0") && r.contains("pushed, forge release")),
            "{stdout}\n{stderr}"
        );
    }
    assert_eq!(rev(&w.remote("root"), "main"), rev(&w.root, "HEAD"));
    assert_ne!(rev(&w.remote("root"), "main"), root_remote_before);

    // All pushed: a second --push does nothing and sends nothing.
    let calls = forge.requests().len();
    let before = w.state();
    let (_, stderr) = ok(&run(&["--bump", "minor", "--push"]));
    assert!(stderr.contains("Nothing to do"), "{stderr}");
    assert_eq!(forge.requests().len(), calls);
    let changed: Vec<String> = diff(&before, &w.state())
        .into_iter()
        .filter(|l| !l.contains(".release_tool/"))
        .collect();
    assert_eq!(changed, Vec::<String>::new());
}

/// `release-tool abort` on a terminal (`script` gives it one) with `answer` typed in.
fn abort_on_a_terminal(w: &World, answer: &str) -> Option<String> {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: `script` (util-linux) is not installed");
        return None;
    }
    let line = format!("{} abort", env!("CARGO_BIN_EXE_release-tool"));
    let mut script = Command::new("script");
    crate::support::hermetic(&mut script);
    let mut child = script
        .env("TERM", "dumb")
        .current_dir(&w.root)
        .args(["-qec", &line, "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(answer.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    Some(outputs(&out).0)
}

/// `abort` on a terminal asks first: "n" keeps the run, "y" abandons it.
#[test]
fn abort_asks_on_a_terminal() {
    let w = World::new();
    w.unfinished_release();
    let Some(shown) = abort_on_a_terminal(&w, "n\n") else {
        return;
    };
    assert!(
        shown.contains(
            "Abandon `release-tool release --bump minor --push`? Nothing is undone. [y/N]"
        ) && shown.contains("Not abandoned; nothing changed"),
        "{shown}"
    );
    assert_eq!(w.journal().expect("kept")["finished"], false);
    let shown = abort_on_a_terminal(&w, "y\n").unwrap();
    assert!(shown.contains("Abandoned `release-tool release"), "{shown}");
    assert!(w.journal().is_none());
}

/// Item 4, a half-made package: the run made b's release commit, then could not tag it (a
/// stale ref lock in b's repository). `--replan` tags that commit: b is not bumped again, has
/// one release commit and its tag on it; c follows; the run finishes.
#[test]
fn replan_tags_a_release_commit_the_run_made_instead_of_bumping_again() {
    let w = World::new();
    let b = w.pkg("b");
    let git_dir = git(&b, &["rev-parse", "--absolute-git-dir"]);
    let lock = Path::new(git_dir.trim()).join("refs/tags/v0.1.0.lock");
    std::fs::create_dir_all(lock.parent().unwrap()).unwrap();
    std::fs::write(&lock, "").unwrap();
    let stderr = failed(&porcelain_release(&w, &RELEASE), 1);
    assert!(stderr.contains("v0.1.0.lock"), "{stderr}");
    let release_b = rev(&b, "HEAD");
    assert_eq!(
        git(&b, &["log", "-1", "--format=%s"]).trim(),
        "Release b 0.1.0"
    );
    assert!(tags(&b).is_empty());

    std::fs::remove_file(&lock).unwrap();
    let (stdout, stderr) = ok(&porcelain_release(
        &w,
        &["--bump", "minor", "--push", "--replan"],
    ));
    assert!(
        stderr.contains("b: its release commit for 0.1.0 is HEAD (made by the unfinished run): tagged, not bumped again"),
        "{stderr}"
    );
    assert_eq!(
        rev(&b, "v0.1.0^{commit}"),
        release_b,
        "the run's commit tagged"
    );
    for name in NAMES {
        assert!(
            crate::support::table_row(&stdout, name).is_some_and(|r| r.contains("0.1.0 v0.1.0")),
            "{name}: {stdout}"
        );
        assert_eq!(tags(&w.remote(name)), ["v0.1.0"], "{name}");
        assert_eq!(
            git(&w.pkg(name), &["log", "--format=%s"])
                .lines()
                .filter(|s| s.starts_with("Release "))
                .count(),
            1,
            "{name}: one release commit"
        );
    }
    assert_eq!(w.journal().expect("a journal")["finished"], true);
    assert_eq!(rev(&w.root, "HEAD"), rev(&w.remote("root"), "main"));
}

/// `release-tool release ARGS` on the porcelain path (`git commit`/`git tag` per package).
fn porcelain_release(w: &World, args: &[&str]) -> std::process::Output {
    w.cmd()
        .env("RELEASE_TOOL_PORCELAIN_COMMITS", "1")
        .arg("release")
        .args(args)
        .output()
        .expect("run release-tool")
}

/// The same stale tag lock on the fast path: the one `git fast-import` moved b's branch, then
/// could not write the tag; the failed step is taken back (the branch back where it was, as a
/// failed `git commit` leaves it), so the same command, once the lock is gone, imports again:
/// one release commit, its tag on it, nothing made twice.
#[test]
fn a_fast_import_that_cannot_write_its_tag_is_taken_back_and_redone() {
    let w = World::new();
    let b = w.pkg("b");
    let before = rev(&b, "HEAD");
    let git_dir = git(&b, &["rev-parse", "--absolute-git-dir"]);
    let lock = Path::new(git_dir.trim()).join("refs/tags/v0.1.0.lock");
    std::fs::create_dir_all(lock.parent().unwrap()).unwrap();
    std::fs::write(&lock, "").unwrap();
    let stderr = failed(&w.release(&RELEASE), 1);
    assert!(stderr.contains("v0.1.0.lock"), "{stderr}");
    assert!(stderr.contains("fast-import"), "{stderr}");
    assert_eq!(rev(&b, "HEAD"), before, "the branch is back");
    assert!(tags(&b).is_empty());
    std::fs::remove_file(&lock).unwrap();
    ok(&w.release(&RELEASE));
    assert_eq!(
        git(&b, &["log", "--format=%s", "-2"]),
        "chore: start 0.1.1.dev0 development\nRelease b 0.1.0\n"
    );
    assert_eq!(rev(&b, "v0.1.0^{commit}"), rev(&b, "HEAD~1"));
    assert_eq!(rev(&b, "HEAD~2"), before);
    assert_eq!(tags(&w.remote("b")), ["v0.1.0"]);
    assert_eq!(git(&b, &["status", "--porcelain"]), "");
    assert_eq!(w.journal().expect("a journal")["finished"], true);
}

/// Issue 18, item 6: after an unfinished run, the user reset a package to the remote's branch
/// (`git reset --hard origin/main`: the run's release commits are gone from `main`, its tag
/// stays on them). Resuming used to push the tag onto a commit `main` does not have, with exit
/// 0. Now the resume (and its dry run) refuses before any step, naming the package, the tag and
/// the branch, nothing changed; with the commits back on the branch, it resumes and finishes.
#[test]
fn a_resume_after_the_branch_was_reset_refuses_to_push_the_tag_off_the_branch() {
    let w = World::new();
    w.unfinished_release();
    w.allow_pushes("b");
    let b = w.pkg("b");
    let released = rev(&b, "HEAD");
    git(&b, &["reset", "-q", "--hard", "origin/main"]);
    let before = w.state();
    for dry_run in [true, false] {
        let mut args = RELEASE.to_vec();
        if dry_run {
            args.push("--dry-run");
        }
        let stderr = failed(&w.release(&args), 1);
        assert!(
            stderr.contains("b (packages/b): tag v0.1.0 is on commit")
                && stderr.contains("which branch main does not have"),
            "{stderr}"
        );
        assert!(stderr.contains("hint: "), "{stderr}");
        assert_eq!(
            diff(&before, &w.state()),
            Vec::<String>::new(),
            "dry run: {dry_run}"
        );
    }
    assert_eq!(tags(&w.remote("b")), Vec::<String>::new(), "no tag pushed");
    // The commits back on main: the same command finishes.
    git(&b, &["reset", "-q", "--hard", &released]);
    ok(&w.release(&RELEASE));
    assert_eq!(
        rev(&w.remote("b"), "v0.1.0^{commit}"),
        rev(&w.remote("b"), "main~1"),
        "the tag is on the release commit, on main"
    );
}

/// Issue 19, item 4: a `git push` outlives no release-tool. The push to a's remote is slow (a
/// `pre-receive` hook that writes a marker when it starts, sleeps, and writes another when it
/// is done); release-tool is killed with `SIGKILL` while the hook sleeps. The watchdog ends the
/// push's process group (git push, the remote's receive-pack, the hook): the "done" marker never
/// appears, a's remote has no new tag, and the same command then finishes the release.
#[test]
fn a_killed_run_takes_its_push_with_it() {
    use std::process::Stdio;
    use std::time::{Duration, Instant};
    let w = World::new();
    let markers = w.env.path().join("markers");
    std::fs::create_dir_all(&markers).unwrap();
    let (started, done) = (markers.join("started"), markers.join("done"));
    let hook = w.remote("a").join("hooks/pre-receive");
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh\ncat >/dev/null\n: > '{}'\nsleep 4\n: > '{}'\n",
            started.display(),
            done.display()
        ),
    )
    .unwrap();
    let mut perms = std::fs::metadata(&hook).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&hook, perms).unwrap();
    let tags_before = tags(&w.remote("a"));

    let mut child = w
        .cmd()
        .arg("release")
        .args(RELEASE)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let until = Instant::now() + Duration::from_mins(2);
    while !started.exists() {
        assert!(Instant::now() < until, "the push to a never started");
        assert!(
            child.try_wait().unwrap().is_none(),
            "release-tool ended early"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    std::thread::sleep(Duration::from_secs(6));
    assert!(
        !done.exists(),
        "the push went on after release-tool was killed"
    );
    assert_eq!(tags(&w.remote("a")), tags_before);

    std::fs::remove_file(&hook).unwrap();
    ok(&w.release(&RELEASE));
    assert!(
        tags(&w.remote("a")).contains(&"v0.1.0".to_owned()),
        "{:?}",
        tags(&w.remote("a"))
    );
    assert!(!done.exists());
}
