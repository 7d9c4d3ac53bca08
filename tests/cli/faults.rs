//! Faults of the world around `release --push` (issue 8), each with a clear error and a run of
//! the same command that finishes the release once the cause is fixed, nothing made twice: a
//! run killed before its first step was recorded, a remote that cannot be reached (before the
//! run and in the middle of it), forge rate limits and timeouts, a directory that cannot be
//! written, and a second run while one is in progress.
//!
//! A push rejected by a hook, a forge answering 500 and a rejected token are proven in
//! `release_trunk` and `release_forge`; a crash at every step in `fault_matrix`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use crate::support::fake_github::FakeForge;
use crate::support::trunk::{NAMES, World};
use crate::support::{git, outputs, snapshot_tree};

const RELEASE: [&str; 4] = ["release", "--bump", "minor", "--push"];

/// What only these tests do with the world ([`World`] is `support::trunk`'s).
impl World {
    /// `release --bump minor --push ARGS` with uv, a fixed date, and the forge when given (fast
    /// retries, and `vars` on top).
    fn command(&self, forge: Option<&FakeForge>, vars: &[(&str, &str)], args: &[&str]) -> Command {
        let mut cmd = self.cmd();
        if let Some(forge) = forge {
            crate::support::explicit_forge(&self.root);
            cmd.env("GITHUB_TOKEN", &forge.opts.token)
                .env("GITHUB_API_URL", forge.api_url())
                .env("RELEASE_TOOL_FORGE_RETRY_BASE_MS", "10");
        }
        for (k, v) in vars {
            cmd.env(k, v);
        }
        cmd.args(RELEASE).args(args);
        cmd
    }

    fn release_against(&self, forge: Option<&FakeForge>, vars: &[(&str, &str)]) -> Output {
        self.command(forge, vars, &[]).output().unwrap()
    }

    /// Every package released exactly once (one release commit, one next commit, the tag on
    /// the release commit, all on its remote), one root commit for the release, pushed, and
    /// the journal finished.
    fn assert_released_once(&self) {
        for name in NAMES {
            let remote = self.remote(name);
            let subjects = git(&remote, &["log", "--format=%s", "main"]);
            assert!(
                subjects.starts_with(&format!(
                    "chore: start 0.1.1.dev0 development\nRelease {name} 0.1.0\nfeat: {name} learns a feature\n"
                )),
                "{name}: {subjects}"
            );
            assert_eq!(
                git(&remote, &["rev-parse", "v0.1.0^{commit}"]),
                git(&remote, &["rev-parse", "main~1"]),
                "{name}: the tag is on the release commit"
            );
            assert_eq!(git(&remote, &["tag", "--list"]), "v0.1.0\n", "{name}");
            let pkg = self.pkg(name);
            assert_eq!(
                git(&pkg, &["rev-parse", "HEAD"]),
                git(&remote, &["rev-parse", "main"])
            );
            assert_eq!(git(&pkg, &["status", "--porcelain"]), "", "{name}");
        }
        let root_remote = self.remote("root");
        // (The forge configured for the fake GitHub is a root commit of its own.)
        let subjects =
            git(&root_remote, &["log", "--format=%s", "main"]).replace("chore: the forge\n", "");
        assert!(
            subjects
                .starts_with("release: a 0.1.0, b 0.1.0, c 0.1.0\nchore: packages with features\n"),
            "{subjects}"
        );
        assert_eq!(
            git(&self.root, &["rev-parse", "HEAD"]),
            git(&root_remote, &["rev-parse", "main"])
        );
        assert_eq!(git(&self.root, &["status", "--porcelain"]), "");
        assert_eq!(self.journal().unwrap()["finished"], true);
        assert!(!self.root.join(".release_tool/lock").exists());
    }
}

fn ok(out: &Output) -> String {
    let (stdout, stderr) = outputs(out);
    assert!(
        out.status.success(),
        "failed ({:?}):\nstdout: {stdout}\nstderr: {stderr}",
        out.status
    );
    stderr
}

fn failed(out: &Output) -> String {
    let (stdout, stderr) = outputs(out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "expected exit 1:\nstdout: {stdout}\nstderr: {stderr}"
    );
    stderr
}

fn contains_all(text: &str, parts: &[&str]) {
    for p in parts {
        assert!(text.contains(p), "expected `{p}` in:\n{text}");
    }
}

/// One forge release per package on `forge`.
fn one_release_each(forge: &FakeForge) {
    for name in NAMES {
        let releases = forge.releases(&format!("remotes/{name}"));
        assert_eq!(releases.len(), 1, "{name}: {releases:?}");
        assert_eq!(releases[0]["tag_name"], "v0.1.0");
    }
}

fn executable(path: &Path, script: &str) {
    std::fs::write(path, script).unwrap();
    let mut perms = std::fs::metadata(path).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(path, perms).unwrap();
}

/// A run killed while its very first step took effect (a's pyproject written, nothing recorded
/// yet) finds its journal and resumes: the journal is written before the first step runs. The
/// bug: the journal was first written after step 1, so the run was forgotten and the next one
/// refused the half-changed package.
#[test]
fn a_run_killed_before_its_first_step_was_recorded_resumes() {
    let w = World::new();
    let out = w.release_against(None, &[("RELEASE_TOOL_FAIL_AFTER_EFFECT", "1")]);
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&out.status),
        Some(9),
        "{}",
        outputs(&out).1
    );
    let journal = w.journal().expect("the journal was written before step 1");
    assert_eq!(journal["finished"], false);
    assert!(
        journal["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["status"] == "pending"),
        "{journal:#}"
    );
    let stderr = ok(&w.release_against(None, &[("RELEASE_TOOL_LOG", "info")]));
    contains_all(
        &stderr,
        &[
            "Resuming `release-tool release --bump minor --push`: 0 of",
            "a: edit packages/a/pyproject.toml: the file already has its new content",
        ],
    );
    w.assert_released_once();
}

/// A package remote that cannot be reached is found before anything changes (the remotes are
/// asked first); once it is back, the release runs.
#[test]
fn an_unreachable_remote_is_refused_before_anything_changes() {
    let w = World::new();
    let away = w.env.path().join("remotes/b.git.away");
    std::fs::rename(w.remote("b"), &away).unwrap();
    let before = snapshot_tree(&w.env.path());
    let stderr = failed(&w.release_against(None, &[]));
    contains_all(
        &stderr,
        &[
            "Cannot release; nothing was changed",
            "b (packages/b): cannot reach its remote `origin`",
            "b.git",
        ],
    );
    assert_eq!(before, snapshot_tree(&w.env.path()), "nothing changed");
    std::fs::rename(&away, w.remote("b")).unwrap();
    ok(&w.release_against(None, &[]));
    w.assert_released_once();
}

/// A remote that goes away in the middle of the run (a's push takes c's remote away, through a
/// hook): c's push fails with git's message, the root waits; with the remote back, the same
/// command pushes c and finishes, nothing made twice.
#[test]
fn a_remote_lost_in_the_middle_of_the_run_fails_its_push_and_the_rerun_finishes() {
    let w = World::new();
    let c = w.remote("c");
    let away = w.env.path().join("remotes/c.git.away");
    executable(
        &w.remote("a").join("hooks/pre-receive"),
        &format!(
            "#!/bin/sh\nmv '{}' '{}'\nexit 0\n",
            c.display(),
            away.display()
        ),
    );
    let stderr = failed(&w.release_against(None, &[]));
    contains_all(
        &stderr,
        &[
            "error: c: step `git -C packages/c push --quiet --atomic origin refs/heads/main:refs/heads/main refs/tags/v0.1.0:refs/tags/v0.1.0` failed",
            "does not appear to be a git repository",
            "root: not started: waits for",
            "hint: fix it and run the same command again",
        ],
    );
    std::fs::remove_file(w.remote("a").join("hooks/pre-receive")).unwrap();
    std::fs::rename(&away, &c).unwrap();
    let stderr = ok(&w.release_against(None, &[]));
    assert!(stderr.contains("Resuming"), "{stderr}");
    w.assert_released_once();
}

/// b's remote refuses tags (an `update` hook) but would take the branch: the push is atomic, so
/// b's remote gets neither the release commits nor the tag (never a branch with a release commit
/// whose tag is missing). Once the remote takes tags, the same command pushes both.
#[test]
fn a_push_with_its_tag_refused_lands_nothing() {
    let w = World::new();
    let b_remote = w.remote("b");
    let main_before = git(&b_remote, &["rev-parse", "main"]);
    executable(
        &b_remote.join("hooks/update"),
        "#!/bin/sh\ncase \"$1\" in refs/tags/*) echo \"tags are frozen: $1\" >&2; exit 1;; esac\nexit 0\n",
    );
    let stderr = failed(&w.release_against(None, &[]));
    contains_all(
        &stderr,
        &[
            "error: b: step `git -C packages/b push --quiet --atomic origin",
            "tags are frozen: refs/tags/v0.1.0",
            "c: not started: waits for b",
        ],
    );
    assert_eq!(
        git(&b_remote, &["rev-parse", "main"]),
        main_before,
        "the branch did not land without its tag"
    );
    assert_eq!(git(&b_remote, &["tag", "--list"]), "");
    std::fs::remove_file(b_remote.join("hooks/update")).unwrap();
    ok(&w.release_against(None, &[]));
    w.assert_released_once();
}

/// 429 with `Retry-After: 1`: waited for as the server asks, then the release goes on.
#[test]
fn a_rate_limit_with_retry_after_is_waited_for() {
    let w = World::new();
    let forge = FakeForge::github()
        .fail_first(1, 429)
        .retry_after("1")
        .start();
    let stderr = ok(&w.release_against(Some(&forge), &[("RELEASE_TOOL_LOG", "info")]));
    assert!(stderr.contains("answered 429; retrying in 1s"), "{stderr}");
    one_release_each(&forge);
    w.assert_released_once();
}

/// A rate limit that asks for an hour is not waited for: the run stops with what the forge
/// asked and what to do; the same command later finishes, one release per package.
#[test]
fn a_rate_limit_asking_for_an_hour_stops_the_run_and_the_same_command_resumes() {
    let w = World::new();
    let forge = FakeForge::github()
        .fail_first(1, 429)
        .retry_after("3600")
        .start();
    let stderr = failed(&w.release_against(Some(&forge), &[]));
    contains_all(
        &stderr,
        &[
            "error: a: step `POST /repos/remotes/a/releases",
            "the rate limit for the token in GITHUB_TOKEN is reached, and GitHub asks to wait 3600 s",
            "hint: a: Wait for the limit to reset and run the command again",
            "b: not started: waits for a",
        ],
    );
    // The limit has reset: the same command finishes.
    ok(&w.release_against(Some(&forge), &[]));
    one_release_each(&forge);
    assert_eq!(
        forge
            .calls()
            .iter()
            .filter(|c| *c == "POST /repos/remotes/a/releases")
            .count(),
        1,
        "{:?}",
        forge.calls()
    );
    w.assert_released_once();
}

/// The forge creates a's release but answers after the client's timeout: the client retries,
/// finds the release there and updates it; one release per package.
#[test]
fn a_forge_answer_lost_to_the_timeout_does_not_duplicate_the_release() {
    let w = World::new();
    let forge = FakeForge::github()
        .slow(1, Some("POST"), Duration::from_secs(3))
        .start();
    let stderr = ok(&w.release_against(
        Some(&forge),
        &[
            ("RELEASE_TOOL_FORGE_TIMEOUT_MS", "500"),
            ("RELEASE_TOOL_LOG", "info"),
        ],
    ));
    assert!(
        stderr.contains("POST /repos/remotes/a/releases failed (") && stderr.contains("retrying"),
        "{stderr}"
    );
    one_release_each(&forge);
    let calls = forge.calls();
    assert!(
        calls
            .iter()
            .any(|c| c.starts_with("PATCH /repos/remotes/a/releases/")),
        "the release made by the lost request is updated: {calls:?}"
    );
    w.assert_released_once();
}

/// A forge that never answers: after the attempts, the run stops naming the forge, the request
/// and the timeout; with a forge that answers, the same command finishes.
#[test]
fn a_forge_that_never_answers_times_out_and_the_same_command_resumes() {
    let w = World::new();
    let silent = FakeForge::github()
        .slow(usize::MAX, None, Duration::from_secs(20))
        .start();
    let vars = [("RELEASE_TOOL_FORGE_TIMEOUT_MS", "300")];
    let stderr = failed(&w.release_against(Some(&silent), &vars));
    contains_all(
        &stderr,
        &[
            "error: a: step `POST /repos/remotes/a/releases",
            "Could not reach GitHub at http://127.0.0.1:",
            "for GET /repos/remotes/a/releases/tags/v0.1.0 after 4 attempts",
            "hint: a: Check the network and the API URL",
            "b: not started: waits for a",
        ],
    );
    assert!(
        stderr.to_ascii_lowercase().contains("timeout")
            || stderr.to_ascii_lowercase().contains("timed out"),
        "{stderr}"
    );
    let forge = FakeForge::github().start();
    ok(&w.release_against(Some(&forge), &vars));
    one_release_each(&forge);
    w.assert_released_once();
}

/// A directory made read-only, as far as the current user is concerned: `chmod a-w`, and for
/// root (whom modes do not stop) the immutable flag too (`chattr +i`). Undone on drop.
struct ReadOnly {
    path: PathBuf,
    immutable: bool,
}

fn writable(dir: &Path) -> bool {
    let probe = dir.join(".write-probe");
    let ok = std::fs::write(&probe, "x").is_ok();
    let _ = std::fs::remove_file(&probe);
    ok
}

fn chattr(flag: &str, path: &Path) -> bool {
    Command::new("chattr")
        .arg(flag)
        .arg(path)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

impl ReadOnly {
    fn new(path: &Path) -> Self {
        let mut perms = std::fs::metadata(path).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o555);
        std::fs::set_permissions(path, perms).unwrap();
        let mut immutable = false;
        if writable(path) {
            immutable = chattr("+i", path);
        }
        assert!(
            !writable(path),
            "cannot make {} read-only (running as root without `chattr +i` support?)",
            path.display()
        );
        Self {
            path: path.to_path_buf(),
            immutable,
        }
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        if self.immutable {
            chattr("-i", &self.path);
        }
        if let Ok(meta) = std::fs::metadata(&self.path) {
            let mut perms = meta.permissions();
            std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
            let _ = std::fs::set_permissions(&self.path, perms);
        }
    }
}

/// b's directory cannot be written: b's first edit fails naming the file and the directory, with
/// a hint; a is released locally but not pushed (the pre-push proof waits for every package's
/// local steps), c waits. Writable again, the same command finishes.
#[test]
fn a_read_only_package_directory_stops_its_package_and_the_rerun_finishes() {
    let w = World::new();
    let guard = ReadOnly::new(&w.pkg("b"));
    let stderr = failed(&w.release_against(None, &[]));
    contains_all(
        &stderr,
        &[
            "error: b: step `edit packages/b/pyproject.toml` failed: failed to create a temporary file in ",
            "packages/b",
            "hint: b: the path named above is not writable",
            "c: not started: waits for b",
            "hint: fix it and run the same command again",
        ],
    );
    assert!(
        git(&w.pkg("a"), &["tag", "--list"]).contains("v0.1.0"),
        "a is released locally"
    );
    assert_eq!(
        git(&w.remote("a"), &["tag", "--list"]),
        "",
        "nothing is pushed before the pre-push proof"
    );
    assert!(
        stderr.contains("a: not started: waits for the pre-push proof"),
        "{stderr}"
    );
    drop(guard);
    ok(&w.release_against(None, &[]));
    w.assert_released_once();
}

/// The state directory cannot be written: refused before anything changes, naming it, with a
/// hint; writable again, the release runs.
#[test]
fn a_read_only_state_directory_is_refused_before_anything_changes() {
    let w = World::new();
    let state = w.root.join(".release_tool");
    std::fs::create_dir(&state).unwrap();
    let guard = ReadOnly::new(&state);
    let before = snapshot_tree(&w.env.path());
    let stderr = failed(&w.release_against(None, &[]));
    contains_all(
        &stderr,
        &[
            "error: Cannot write release-tool's state directory ",
            ".release_tool",
            "hint: make it writable",
        ],
    );
    assert_eq!(before, snapshot_tree(&w.env.path()), "nothing changed");
    drop(guard);
    ok(&w.release_against(None, &[]));
    w.assert_released_once();
}

/// While a release runs (held in a's push by a hook until the test lets it go), a second
/// `release`, a `tag --sync` and a `branch` refuse at once, naming the run and its process, and leave the journal
/// as it was; the first run then finishes.
#[test]
fn a_second_run_while_one_is_in_progress_refuses_and_the_journal_is_intact() {
    let w = World::new();
    let marks = w.env.path().join("marks");
    std::fs::create_dir_all(&marks).unwrap();
    let (waiting, go) = (marks.join("waiting"), marks.join("go"));
    executable(
        &w.remote("a").join("hooks/pre-receive"),
        &format!(
            "#!/bin/sh\ntouch '{}'\ni=0\nwhile [ ! -e '{}' ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done\nexit 0\n",
            waiting.display(),
            go.display()
        ),
    );
    let first = w
        .command(None, &[], &[])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_mins(1);
    while !waiting.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the first run never reached a's push"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let journal = w.root.join(".release_tool/journal.json");
    let journal_before = std::fs::read(&journal).unwrap();
    let before = snapshot_tree(&w.root);
    // The same command, another release stage (whose --sync would check packages out), and a
    // command that switches branches.
    for args in [
        &RELEASE[..],
        &["tag", "--sync", "--push"][..],
        &["branch"][..],
    ] {
        let out = w.env.cmd_uv(&w.root).args(args).output().unwrap();
        let stderr = failed(&out);
        contains_all(
            &stderr,
            &[
                &format!(
                    "error: Another release-tool run (`release-tool release --bump minor --push`, process {}) is working in this workspace",
                    first.id()
                ),
                "hint: wait for it to finish",
            ],
        );
        assert!(!stderr.contains("Resuming"), "{stderr}");
        assert_eq!(std::fs::read(&journal).unwrap(), journal_before, "{args:?}");
        assert_eq!(snapshot_tree(&w.root), before, "{args:?}");
    }
    std::fs::write(&go, "").unwrap();
    let out = first.wait_with_output().unwrap();
    ok(&out);
    w.assert_released_once();
}

/// The lock left by a run that is gone, and two runs started together that both find it (each
/// waiting 300 ms between looking at the lock and taking it): exactly one runs, the other is
/// refused naming it, and the release is made once with its journal finished. The bug: both
/// read the stale lock, one unlinked the lock the other had just made, both ran steps, and the
/// journal stayed failed.
#[test]
fn two_runs_racing_for_a_stale_lock_never_both_run() {
    let w = World::new();
    let state = w.root.join(".release_tool");
    std::fs::create_dir(&state).unwrap();
    std::fs::write(state.join("lock"), "4294967\nrelease --bump minor --push\n").unwrap();
    let spawn = || {
        w.command(None, &[("RELEASE_TOOL_TEST_LOCK_DELAY_MS", "300")], &[])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (one, two) = (spawn(), spawn());
    let outs = [
        one.wait_with_output().unwrap(),
        two.wait_with_output().unwrap(),
    ];
    let refused: Vec<String> = outs
        .iter()
        .filter(|o| !o.status.success())
        .map(failed)
        .collect();
    assert_eq!(
        refused.len(),
        1,
        "exactly one run is refused: {:#?}",
        outs.iter().map(outputs).collect::<Vec<_>>()
    );
    contains_all(
        &refused[0],
        &[
            "error: Another release-tool run (`release-tool release --bump minor --push`, process ",
            "hint: wait for it to finish",
        ],
    );
    assert!(!refused[0].contains("Resuming"), "{}", refused[0]);
    w.assert_released_once();
}

/// A run killed with SIGKILL leaves its lock file; the kernel released the lock with the
/// process, so the next run takes it without a word and resumes.
#[test]
fn the_lock_of_a_killed_run_is_taken_without_ceremony() {
    let w = World::new();
    let out = w.release_against(None, &[("RELEASE_TOOL_FAIL_AFTER_STEP", "2")]);
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&out.status),
        Some(9),
        "{}",
        outputs(&out).1
    );
    let lock = w.root.join(".release_tool/lock");
    assert!(lock.is_file(), "the killed run left its lock file");
    let stderr = ok(&w.release_against(None, &[]));
    assert!(!stderr.contains("lock"), "{stderr}");
    contains_all(
        &stderr,
        &["Resuming `release-tool release --bump minor --push`: 2 of"],
    );
    w.assert_released_once();
}

/// An empty lock file and one holding garbage name no run that holds the workspace: the run
/// takes them. The bug: they were refused as held by "process ?" forever.
#[test]
fn an_empty_or_garbage_lock_file_is_taken() {
    for text in ["", "not a pid\n\u{0}\u{1}garbage"] {
        let w = World::new();
        let state = w.root.join(".release_tool");
        std::fs::create_dir(&state).unwrap();
        std::fs::write(state.join("lock"), text).unwrap();
        ok(&w.release_against(None, &[]));
        w.assert_released_once();
    }
}

/// A directory where the lock file goes: refused before anything changes, naming it, with a
/// hint; removed, the release runs.
#[test]
fn a_lock_that_is_a_directory_is_refused_before_anything_changes() {
    let w = World::new();
    let lock = w.root.join(".release_tool/lock");
    std::fs::create_dir_all(&lock).unwrap();
    let before = snapshot_tree(&w.env.path());
    let stderr = failed(&w.release_against(None, &[]));
    contains_all(
        &stderr,
        &[
            "error: The lock file ",
            ".release_tool/lock is a directory",
            "hint: remove it",
        ],
    );
    assert_eq!(before, snapshot_tree(&w.env.path()), "nothing changed");
    std::fs::remove_dir(&lock).unwrap();
    ok(&w.release_against(None, &[]));
    w.assert_released_once();
}

/// Every file under `dir` (recursively) whose name ends in `.tmp`.
fn temp_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() != ".git" {
                found.extend(temp_files(&path));
            }
        } else if path.to_string_lossy().ends_with(".tmp") {
            found.push(path);
        }
    }
    found
}

/// A run killed (`SIGKILL`) between writing the temporary file of a's `pyproject.toml` and
/// renaming it into place leaves nothing git sees: the package is clean for git and for
/// `status`, the same command finishes the release, and no temporary file is left. The bug: the
/// temporary file sat next to the target (`packages/a/.pyproject.toml.XXXXXX.tmp`), `status`
/// showed the package dirty and the next release was refused.
#[test]
fn a_run_killed_mid_write_leaves_no_file_git_sees() {
    let w = World::new();
    let out = w.release_against(
        None,
        &[("RELEASE_TOOL_TEST_KILL_IN_WRITE", "pyproject.toml")],
    );
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&out.status),
        Some(9),
        "{}",
        outputs(&out).1
    );
    for repo in [w.root.clone(), w.pkg("a")] {
        assert_eq!(
            git(&repo, &["status", "--porcelain", "--ignored=no"]),
            "",
            "{}",
            repo.display()
        );
    }
    let status = w.run(&["status"]);
    let (stdout, stderr) = outputs(&status);
    assert!(status.status.success(), "{stdout}\n{stderr}");
    for line in stdout.lines().skip(1) {
        let columns: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(columns.get(6), Some(&"0"), "DIRTY 0:\n{stdout}");
    }
    ok(&w.release_against(None, &[]));
    w.assert_released_once();
    assert_eq!(temp_files(&w.root), Vec::<PathBuf>::new());
}

/// A run killed while writing its journal (the temporary file written, not yet renamed): the
/// next run removes the leftover, so temporary files of the journal never pile up in
/// `.release_tool`.
#[test]
fn journal_temporary_files_of_killed_runs_do_not_pile_up() {
    let w = World::new();
    let out = w.release_against(None, &[("RELEASE_TOOL_TEST_KILL_IN_WRITE", "journal.json")]);
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&out.status),
        Some(9),
        "{}",
        outputs(&out).1
    );
    assert_eq!(git(&w.root, &["status", "--porcelain"]), "");
    ok(&w.release_against(None, &[]));
    w.assert_released_once();
    assert_eq!(temp_files(&w.root), Vec::<PathBuf>::new());
}

/// A journal that is garbage, and a journal that is a directory: refused before anything
/// changes, naming the file, with a hint that says what to do; moved away, the release runs.
#[test]
fn a_garbage_or_directory_journal_is_refused_with_a_hint() {
    for garbage in [true, false] {
        let w = World::new();
        let journal = w.root.join(".release_tool/journal.json");
        std::fs::create_dir_all(journal.parent().unwrap()).unwrap();
        std::fs::write(w.root.join(".release_tool/.gitignore"), "*\n").unwrap();
        if garbage {
            std::fs::write(&journal, "{\"format\": 1, garb\u{0}age").unwrap();
        } else {
            std::fs::create_dir(&journal).unwrap();
        }
        let before = snapshot_tree(&w.env.path());
        for args in [&RELEASE[..], &["branch"][..], &["abort"][..]] {
            let stderr = failed(&w.run(args));
            contains_all(
                &stderr,
                &[
                    "error: Cannot read the journal ",
                    ".release_tool/journal.json",
                    "hint: move it away",
                ],
            );
            assert_eq!(
                before,
                snapshot_tree(&w.env.path()),
                "{args:?}: nothing changed"
            );
        }
        let aside = w.root.join(".release_tool/journal-broken.json");
        std::fs::rename(&journal, &aside).unwrap();
        ok(&w.release_against(None, &[]));
        w.assert_released_once();
    }
}

/// A TCP server that accepts every connection and never answers (issue 18, item 5): the
/// connections are kept open until the test ends. Returns its port.
fn silent_server() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut open = Vec::new();
        for stream in listener.incoming().flatten() {
            open.push(stream);
        }
    });
    port
}

/// A package remote that accepts the connection and never replies (`git://` to a silent
/// server): `release --push --dry-run`, `release --push` and `status --fetch` each end within
/// the time limit (`RELEASE_TOOL_GIT_TIMEOUT`, then `git_timeout` in the configuration) with the "cannot reach its remote" refusal naming
/// the package, nothing changed; with the remote back, the release runs. The bug: each waited
/// forever.
#[test]
fn a_remote_that_never_answers_is_refused_within_the_time_limit() {
    let w = World::new();
    let port = silent_server();
    let b = w.pkg("b");
    let good_url = git(&b, &["remote", "get-url", "origin"]);
    git(
        &b,
        &[
            "remote",
            "set-url",
            "origin",
            &format!("git://127.0.0.1:{port}/b.git"),
        ],
    );
    let limit = [("RELEASE_TOOL_GIT_TIMEOUT", "1")];
    let before = snapshot_tree(&w.env.path());
    for args in [&["--dry-run"][..], &[]] {
        let started = std::time::Instant::now();
        let stderr = failed(&w.command(None, &limit, args).output().unwrap());
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{args:?} took {:?}",
            started.elapsed()
        );
        contains_all(
            &stderr,
            &[
                "Cannot release; nothing was changed",
                "b (packages/b): cannot reach its remote `origin`: no answer within 1 s (git was stopped; set RELEASE_TOOL_GIT_TIMEOUT or `git_timeout` to wait longer)",
            ],
        );
        assert_eq!(
            before,
            snapshot_tree(&w.env.path()),
            "{args:?}: nothing changed"
        );
    }
    // The limit from the configuration (`git_timeout`) this time.
    crate::support::add_config(&w.root, "git_timeout = 1\n");
    let started = std::time::Instant::now();
    let out = w.cmd().args(["status", "--fetch"]).output().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    let (stdout, stderr) = outputs(&out);
    assert!(
        format!("{stdout}{stderr}")
            .contains("cannot reach its remote `origin`: no answer within 1 s"),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    git(&w.root, &["checkout", "-q", "--", "release_tool.toml"]);
    git(&b, &["remote", "set-url", "origin", good_url.trim()]);
    ok(&w.release_against(None, &limit));
    w.assert_released_once();
}

/// A push that never ends (b's remote's `pre-receive` hook sleeps) is stopped at the time
/// limit, with its helpers; the run fails naming the step and the limit, and once the remote
/// answers again, the same command finishes, nothing made twice.
#[test]
fn a_push_that_never_ends_is_stopped_and_the_same_command_resumes() {
    let w = World::new();
    let hook = w.remote("b").join("hooks/pre-receive");
    executable(&hook, "#!/bin/sh\nsleep 60\n");
    let limit = [("RELEASE_TOOL_GIT_TIMEOUT", "2")];
    let started = std::time::Instant::now();
    let stderr = failed(&w.release_against(None, &limit));
    assert!(
        started.elapsed() < Duration::from_secs(50),
        "{:?}",
        started.elapsed()
    );
    contains_all(
        &stderr,
        &[
            "error: b: step `git -C packages/b push --quiet --atomic origin",
            "gave no answer within 2 s",
            "c: not started: waits for b",
        ],
    );
    std::fs::remove_file(&hook).unwrap();
    let stderr = ok(&w.release_against(None, &limit));
    assert!(stderr.contains("Resuming"), "{stderr}");
    w.assert_released_once();
}

/// `RELEASE_TOOL_GIT_TIMEOUT` that is not a positive number of seconds is a usage error naming
/// the variable, before anything runs.
#[test]
fn a_bad_git_time_limit_is_a_usage_error() {
    let w = World::new();
    let before = snapshot_tree(&w.env.path());
    for bad in ["soon", "0", "-3", "1e9"] {
        let out = w
            .command(None, &[("RELEASE_TOOL_GIT_TIMEOUT", bad)], &[])
            .output()
            .unwrap();
        let (_, stderr) = outputs(&out);
        assert_eq!(out.status.code(), Some(2), "{bad}: {stderr}");
        contains_all(
            &stderr,
            &[
                &format!("RELEASE_TOOL_GIT_TIMEOUT=`{bad}` is not a time limit"),
                "hint: unset it for the default (120 s)",
            ],
        );
    }
    assert_eq!(before, snapshot_tree(&w.env.path()), "nothing changed");
}

/// A `GITHUB_TOKEN` with a line break inside (two tokens pasted, say) is a usage error naming
/// the variable, before the first step: nothing is pushed (issue 18, item 6). The bug: the run
/// pushed every package, then failed each forge call with "check the network".
#[test]
fn a_token_with_a_line_break_is_refused_before_anything_is_pushed() {
    let w = World::new();
    let forge = FakeForge::github().start();
    for dry_run in [true, false] {
        let extra: &[&str] = if dry_run { &["--dry-run"] } else { &[] };
        let mut cmd = w.command(
            Some(&forge),
            &[("GITHUB_TOKEN", "ghp_firstSECRET\nghp_secondSECRET")],
            extra,
        );
        let before = w.state();
        let out = cmd.output().unwrap();
        let (stdout, stderr) = outputs(&out);
        assert_eq!(
            out.status.code(),
            Some(2),
            "stdout: {stdout}\nstderr: {stderr}"
        );
        contains_all(
            &stderr,
            &[
                "GITHUB_TOKEN does not hold a forge token: it contains a line break",
                "hint: Export GITHUB_TOKEN with the token alone, on one line",
            ],
        );
        assert!(!stderr.contains("SECRET"), "{stderr}");
        assert_eq!(before, w.state(), "nothing changed");
        assert!(forge.calls().is_empty(), "{:?}", forge.calls());
    }
}
