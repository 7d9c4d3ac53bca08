//! The user keeps working during a run (issue 18, item 1; docs/release.md, crash safety): a
//! file staged meanwhile stays staged and out of every release commit (packages and root); a
//! commit, reset or checkout of another branch made meanwhile stops that package before its
//! next commit, tag or push, nothing is pushed on top of it, and the same command resumes once
//! the repository is put back. `check` reports a root pointer that no remote has.
//!
//! The run is paused at a chosen moment by a `post-commit` hook in package `a`: the N-th
//! commit made there writes `paused` and waits for `go` (both in the world's temp dir); the
//! test works in the other repositories meanwhile, as a user at another terminal would.

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use crate::support::trunk::{NAMES, World, url};
use crate::support::{commit_file, git, outputs};

const RELEASE: [&str; 4] = ["release", "--bump", "minor", "--push"];

/// A pause in a package's `post-commit` hook at its `at`-th commit.
struct Pause {
    dir: PathBuf,
}

impl Pause {
    fn install(w: &World, pkg: &str, at: usize) -> Self {
        let hooks = git(&w.pkg(pkg), &["rev-parse", "--git-path", "hooks"]);
        Self::hook(w, &w.pkg(pkg).join(hooks.trim()).join("post-commit"), at)
    }

    /// The same pause in any hook (a remote's `pre-receive`: the push waits).
    fn hook(w: &World, hook: &Path, at: usize) -> Self {
        let dir = w.env.path().join("pause");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("at"), at.to_string()).unwrap();
        std::fs::create_dir_all(hook.parent().unwrap()).unwrap();
        let d = dir.display();
        std::fs::write(
            hook,
            format!(
                "#!/bin/sh\n\
                 n=$(cat '{d}/count' 2>/dev/null || echo 0); n=$((n+1)); echo $n > '{d}/count'\n\
                 [ \"$n\" = \"$(cat '{d}/at')\" ] || exit 0\n\
                 touch '{d}/paused'\n\
                 i=0; while [ ! -e '{d}/go' ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done\n"
            ),
        )
        .unwrap();
        let mut perms = std::fs::metadata(hook).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
        std::fs::set_permissions(hook, perms).unwrap();
        Self { dir }
    }

    /// Run `args` in the background, do `meanwhile` once the hook paused the run, let it go on
    /// and return its output.
    fn during(&self, w: &World, args: &[&str], meanwhile: impl FnOnce()) -> Output {
        let child = w
            .cmd()
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run release-tool");
        let start = Instant::now();
        while !self.dir.join("paused").exists() {
            assert!(
                start.elapsed() < Duration::from_mins(2),
                "the run never reached the pause"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        meanwhile();
        std::fs::write(self.dir.join("go"), "").unwrap();
        child.wait_with_output().expect("wait for release-tool")
    }
}

fn ok(out: &Output) -> String {
    let (stdout, stderr) = outputs(out);
    assert!(
        out.status.success(),
        "failed ({:?}):\nstdout: {stdout}\nstderr: {stderr}",
        out.status.code()
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

fn rev(repo: &Path, rev: &str) -> String {
    git(repo, &["rev-parse", rev]).trim().to_owned()
}

/// The files a commit changed.
fn files_of(repo: &Path, commit: &str) -> Vec<String> {
    git(repo, &["show", "--name-only", "--format=", commit])
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The commit of `main` in `repo` whose subject starts with `prefix`.
fn commit_of(repo: &Path, prefix: &str) -> String {
    git(repo, &["log", "--format=%H %s", "main"])
        .lines()
        .filter_map(|l| l.split_once(' '))
        .find(|(_, s)| s.starts_with(prefix))
        .map_or_else(
            || panic!("no commit `{prefix}…` in {}", repo.display()),
            |(h, _)| h.to_owned(),
        )
}

/// Every ref of every remote (nothing pushed: the same list before and after).
fn remote_refs(w: &World) -> Vec<String> {
    ["root"]
        .iter()
        .chain(NAMES.iter())
        .map(|n| {
            git(
                &w.remote(n),
                &["for-each-ref", "--format=%(refname) %(objectname)"],
            )
        })
        .collect()
}

/// Staged files of `repo`.
fn staged(repo: &Path) -> Vec<String> {
    git(repo, &["diff", "--cached", "--name-only"])
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn files_staged_meanwhile_stay_staged_and_out_of_every_release_commit() {
    let w = World::new();
    // After a's release commit: b, c and the root have not committed yet.
    let pause = Pause::install(&w, "a", 1);
    let (b, c) = (w.pkg("b"), w.pkg("c"));
    let out = pause.during(&w, &RELEASE, || {
        std::fs::write(b.join("user.txt"), "the user's work\n").unwrap();
        git(&b, &["add", "--", "user.txt"]);
        std::fs::write(c.join("README.md"), "edited and staged by the user\n").unwrap();
        git(&c, &["add", "--", "README.md"]);
        std::fs::write(w.root.join("root-user.txt"), "the user's root work\n").unwrap();
        git(&w.root, &["add", "--", "root-user.txt"]);
    });
    ok(&out);
    for (repo, mine) in [(&b, "user.txt"), (&c, "README.md")] {
        for subject in ["Release ", "chore: start "] {
            let files = files_of(repo, &commit_of(repo, subject));
            assert!(!files.contains(&mine.to_owned()), "{subject}: {files:?}");
        }
        assert_eq!(staged(repo), [mine], "still staged in {}", repo.display());
    }
    let root_commit = commit_of(&w.root, "release: ");
    assert!(
        !files_of(&w.root, &root_commit).contains(&"root-user.txt".to_owned()),
        "the root's release commit took the user's file"
    );
    assert_eq!(staged(&w.root), ["root-user.txt"]);
    // Nothing of the user's reached a remote.
    let b_remote = git(&w.remote("b"), &["ls-tree", "-r", "--name-only", "main"]);
    assert!(!b_remote.contains("user.txt"), "{b_remote}");
    let root_remote = git(&w.remote("root"), &["ls-tree", "-r", "--name-only", "main"]);
    assert!(!root_remote.contains("root-user.txt"), "{root_remote}");
}

#[test]
fn a_commit_made_meanwhile_stops_that_package_pushes_nothing_and_resumes_once_put_back() {
    let w = World::new();
    let pause = Pause::install(&w, "a", 1);
    let c = w.pkg("c");
    let c_before = rev(&c, "HEAD");
    let remotes_before = remote_refs(&w);
    let out = pause.during(&w, &RELEASE, || {
        commit_file(&c, "user.txt", "mine\n", "wip: the user's commit");
    });
    let stderr = failed(&out);
    let mine = rev(&c, "HEAD");
    assert!(
        stderr.contains(&format!(
            "c: HEAD of packages/c moved from {} to {} during the run",
            &c_before[..7],
            &mine[..7]
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("nothing was made or pushed on top of it"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "hint: c: put it back where the run left it: `git -C packages/c reset --soft {}`",
            &c_before[..7]
        )),
        "{stderr}"
    );
    // c made nothing on top of the user's commit, and nothing at all was pushed (the pushes
    // come after every package's local steps).
    assert_eq!(rev(&c, "HEAD"), mine);
    assert_eq!(git(&c, &["tag", "--list"]), "");
    assert_eq!(remote_refs(&w), remotes_before);
    // Put back (the user's change kept, staged): the same command resumes and finishes; the
    // user's file is in no release commit.
    git(&c, &["reset", "--soft", &c_before]);
    let out = w.cmd().args(RELEASE).output().unwrap();
    let stderr = ok(&out);
    assert!(stderr.contains("Resuming"), "{stderr}");
    let release = commit_of(&c, "Release c 0.1.0");
    assert!(!files_of(&c, &release).contains(&"user.txt".to_owned()));
    assert_eq!(staged(&c), ["user.txt"]);
    let tags = git(
        &w.remote("c"),
        &["ls-remote", "--tags", &url(&w.remote("c"))],
    );
    assert!(tags.contains("refs/tags/v0.1.0"), "{tags}");
}

#[test]
fn a_branch_checked_out_meanwhile_stops_that_package_and_resumes_once_switched_back() {
    let w = World::new();
    let pause = Pause::install(&w, "a", 1);
    let b = w.pkg("b");
    let remotes_before = remote_refs(&w);
    let out = pause.during(&w, &RELEASE, || {
        git(&b, &["checkout", "-q", "-b", "other"]);
    });
    let stderr = failed(&out);
    assert!(
        stderr.contains(
            "b: branch `other` is checked out in packages/b, the run works on branch `main`"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: b: check out `main` again (`git -C packages/b switch main`)"),
        "{stderr}"
    );
    assert!(stderr.contains("c: not started: waits for b"), "{stderr}");
    assert_eq!(
        git(&b, &["log", "--format=%s", "-1", "other"]).trim(),
        "feat: b learns a feature"
    );
    assert_eq!(git(&b, &["tag", "--list"]), "");
    assert_eq!(remote_refs(&w), remotes_before);
    git(&b, &["switch", "-q", "main"]);
    ok(&w.cmd().args(RELEASE).output().unwrap());
    // The tag is on the remote's main, and the root points at a commit the remote has.
    let b_remote = w.remote("b");
    let tagged = rev(&b_remote, "v0.1.0^{commit}");
    git(&b_remote, &["merge-base", "--is-ancestor", &tagged, "main"]);
    let pointer = git(&w.root, &["rev-parse", "HEAD:packages/b"]);
    git(
        &b_remote,
        &["cat-file", "-e", &format!("{}^{{commit}}", pointer.trim())],
    );
}

#[test]
fn a_reset_in_the_package_being_released_stops_its_push() {
    let w = World::new();
    // After b's release commit: a is committed and tagged (its push waits for the pre-push
    // proof); the user resets a's main back to the remote's.
    let pause = Pause::install(&w, "b", 1);
    let a = w.pkg("a");
    let remotes_before = remote_refs(&w);
    let out = pause.during(&w, &RELEASE, || {
        git(&a, &["reset", "-q", "--hard", "origin/main"]);
    });
    let stderr = failed(&out);
    assert!(
        stderr.contains("a: HEAD of packages/a moved from"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "hint: a: put it back where the run left it: `git -C packages/a reset --keep "
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("step `git -C packages/a push --quiet --atomic origin"),
        "{stderr}"
    );
    // a's remote has neither the tag nor a main without the release commit under it.
    assert_eq!(remote_refs(&w)[1], remotes_before[1]);
}

#[test]
fn a_package_commit_made_after_its_push_is_not_what_the_root_points_at() {
    let w = World::new();
    // c's push waits (its remote's pre-receive hook): a is pushed, the root not committed yet.
    let pause = Pause::hook(&w, &w.remote("c").join("hooks/pre-receive"), 1);
    let a = w.pkg("a");
    let root_remote_before = rev(&w.remote("root"), "main");
    let mut pushed_a = String::new();
    let out = pause.during(&w, &RELEASE, || {
        pushed_a = rev(&a, "HEAD");
        commit_file(&a, "user.txt", "mine\n", "wip: the user's commit");
    });
    let stderr = failed(&out);
    assert!(
        stderr.contains(&format!(
            "root: HEAD of packages/a moved from {} to ",
            &pushed_a[..7]
        )),
        "{stderr}"
    );
    // No root commit pointing at the user's commit, nothing pushed to the root's remote.
    assert_eq!(
        git(&w.root, &["log", "-1", "--format=%s"]).trim(),
        "chore: packages with features"
    );
    assert_eq!(rev(&w.remote("root"), "main"), root_remote_before);
    // Put back: the root commit points at what a's remote has.
    git(&a, &["reset", "-q", "--soft", &pushed_a]);
    ok(&w.cmd().args(RELEASE).output().unwrap());
    assert_eq!(rev(&w.root, "HEAD:packages/a"), pushed_a);
    assert_eq!(rev(&w.remote("a"), "main"), pushed_a);
}

#[test]
fn check_reports_a_root_pointer_that_no_remote_has() {
    let w = World::new();
    // The world is not released yet (`check` says so); no pointer problem among that.
    let check = || {
        let out = w.run(&["check", "--no-locks"]);
        let (stdout, stderr) = outputs(&out);
        (out.status.code(), format!("{stdout}{stderr}"))
    };
    let (_, all) = check();
    assert!(!all.contains("no remote of"), "{all}");
    let a = w.pkg("a");
    commit_file(&a, "local.txt", "not pushed\n", "feat: local only");
    git(&w.root, &["add", "--", "packages/a"]);
    git(
        &w.root,
        &["commit", "-q", "-m", "chore: point at a local commit"],
    );
    let (code, all) = check();
    assert_eq!(code, Some(1), "{all}");
    assert!(
        all.contains(&format!(
            "the root points packages/a at {}, a commit no remote of a has (as of the last fetch)",
            &rev(&a, "HEAD")[..7]
        )),
        "{all}"
    );
    assert!(!all.contains("no remote of b"), "{all}");
    // Pushed: that problem is gone.
    git(&a, &["push", "-q", "origin", "main"]);
    let (_, all) = check();
    assert!(!all.contains("no remote of"), "{all}");
}
