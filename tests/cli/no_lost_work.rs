//! No lost work (issue 8, docs/reference.md §4): the user's uncommitted changes, staged changes (a file staged
//! and then edited again: two versions, both the user's), untracked files (binary bytes, odd
//! names), ignored files and their own stashes survive every command that can touch a package's
//! work tree, byte for byte: left alone, restored after an auto-stash, or, when restoring
//! conflicts, kept in the stash that the message names.

use std::path::Path;
use std::process::Output;

use crate::support::trunk::{self, World};
use crate::support::{commit_file, git, outputs, snapshot_tree};

/// The user's files in a package: path and bytes, as planted.
struct Work {
    /// Tracked files edited, not staged.
    modified: Vec<(String, Vec<u8>)>,
    /// `staged.txt`: staged as `v1`, then edited to `v2` in the work tree.
    staged: (Vec<u8>, Vec<u8>),
    /// New files staged as they are.
    added: Vec<(String, Vec<u8>)>,
    /// Untracked files.
    untracked: Vec<(String, Vec<u8>)>,
    /// Ignored files.
    ignored: Vec<(String, Vec<u8>)>,
}

fn write(pkg: &Path, rel: &str, bytes: &[u8]) {
    let path = pkg.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// Plant the user's work in `pkg` (after a stash of their own, made first).
fn plant(pkg: &Path, module: &str) -> Work {
    write(pkg, "mine.txt", b"stashed by the user\n");
    git(
        pkg,
        &["stash", "push", "-q", "-u", "-m", "the user's own stash"],
    );
    let binary: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
    let work = Work {
        modified: vec![(
            format!("src/{module}/feature.py"),
            b"VALUE = 2  # work in progress\n".to_vec(),
        )],
        staged: (
            b"staged v1\n".to_vec(),
            b"staged v1\nand v2, unstaged\n".to_vec(),
        ),
        added: vec![("added.txt".to_owned(), b"added and staged\n".to_vec())],
        untracked: vec![
            ("scratch.bin".to_owned(), binary),
            (
                "dir with space/\u{fc}n\u{ef}c\u{f6}d\u{e9}.txt".to_owned(),
                "caf\u{e9}\n".as_bytes().to_vec(),
            ),
            (
                "-rf".to_owned(),
                b"a name git could read as an option\n".to_vec(),
            ),
            (
                "tab\tand \"quote\".txt".to_owned(),
                b"odd\r\nline ends\r\n".to_vec(),
            ),
            ("no-newline-at-end".to_owned(), b"last line".to_vec()),
        ],
        ignored: vec![("dist/local.whl".to_owned(), vec![0x50, 0x4b, 0x03, 0x04, 0])],
    };
    for (rel, bytes) in &work.modified {
        write(pkg, rel, bytes);
    }
    write(pkg, "staged.txt", &work.staged.0);
    git(pkg, &["add", "--", "staged.txt"]);
    write(pkg, "staged.txt", &work.staged.1);
    for (rel, bytes) in &work.added {
        write(pkg, rel, bytes);
        git(pkg, &["add", "--", rel]);
    }
    for (rel, bytes) in work.untracked.iter().chain(&work.ignored) {
        write(pkg, rel, bytes);
    }
    work
}

/// Every file of the package (path, size, hash), its index (what is staged, and how), and its
/// stashes: what "byte for byte" is checked against.
fn fingerprint(pkg: &Path) -> Vec<String> {
    let mut out = snapshot_tree(pkg);
    out.push(git(pkg, &["ls-files", "--stage", "-z"]));
    out.push(git(pkg, &["diff", "--cached", "--binary"]));
    out.push(git(pkg, &["stash", "list", "--format=%H %gs"]));
    out
}

fn show(repo: &Path, spec: &str) -> Vec<u8> {
    let out = std::process::Command::new("git")
        .envs(crate::support::GIT_ENV.iter().copied())
        .arg("-C")
        .arg(repo)
        .args(["show", spec])
        .output()
        .unwrap();
    assert!(out.status.success(), "git show {spec}: {out:?}");
    out.stdout
}

fn code(out: &Output) -> Option<i32> {
    out.status.code()
}

/// Every command that could touch b's work tree, with b full of the user's work: each leaves it
/// exactly as it was (`branch` by stashing and restoring it, staged changes staged again), the
/// ones that must not run on a dirty package refuse and change nothing at all, and `commit`
/// finally commits it, every byte. In every layout (issue #21): b a submodule, b in-tree (its
/// work is the root's), and b a submodule next to an in-tree package.
#[test]
fn the_users_work_survives_every_command_byte_for_byte() {
    for layout in trunk::LAYOUTS {
        the_users_work_survives_in(layout);
    }
}

fn the_users_work_survives_in(layout: trunk::Layout) {
    let w = World::with_layout(layout);
    let b = w.pkg("b");
    let work = plant(&b, "b");
    let planted = fingerprint(&b);
    let user_stash = git(&b, &["rev-parse", "stash@{0}"]);
    let in_tree = layout.in_tree("b");

    // (args, exit code, and for a refusal: what it says; a refusal changes nothing at all)
    let dirty = Some("b (packages/b): has 8 uncommitted changes");
    // An in-tree b's staged work is staged in the root: `prepare` refuses it first.
    let prepare = if in_tree {
        Some("the root has staged changes")
    } else {
        dirty
    };
    // `branch` moved every package to dev_branch: tagging is for main. The pull-request
    // stages leave in-tree packages out (docs/in-tree.md).
    let (tag_code, tag) = if in_tree {
        (0, None)
    } else {
        (
            1,
            Some("b (packages/b): is on branch dev_branch, not on main"),
        )
    };
    let commands: &[(&[&str], i32, Option<&str>)] = &[
        (&["changes"], 0, None),
        (&["notes"], 0, None),
        (&["clear"], 0, None),
        (&["branch"], 0, None),
        (&["prepare", "--bump", "minor"], 1, prepare),
        (&["release", "--bump", "minor", "--push"], 1, dirty),
        (&["-p", "b", "release", "--bump", "minor"], 1, dirty),
        (&["tag"], tag_code, tag),
        (&["next"], 0, None),
        (&["update"], 0, None),
        (&["manifests"], 0, None),
        (&["lock", "dev"], 0, None),
        (&["sync", "dev"], 0, None),
        (&["foreach", "--", "git", "status", "--short"], 0, None),
        (&["changes"], 0, None),
        (&["commit"], 0, None),
        (&["clear"], 0, None),
    ];
    for (args, expected, refusal) in commands {
        let world_before = snapshot_tree(&w.env.path());
        let out = w.run(args);
        let (stdout, stderr) = outputs(&out);
        assert_eq!(
            code(&out),
            Some(*expected),
            "{layout:?} {args:?}:\nstdout: {stdout}\nstderr: {stderr}"
        );
        assert_eq!(
            fingerprint(&b),
            planted,
            "{layout:?} {args:?} changed the user's work:\n{stderr}"
        );
        if let Some(refusal) = refusal {
            assert!(stderr.contains(refusal), "{layout:?} {args:?}: {stderr}");
            assert_eq!(
                snapshot_tree(&w.env.path()),
                world_before,
                "{layout:?} {args:?} changed something:\n{stderr}"
            );
        }
        if args[0] == "branch" {
            assert_eq!(
                git(&b, &["branch", "--show-current"]).trim(),
                "dev_branch",
                "{layout:?}: branch switched b, the work went with it"
            );
        }
    }
    // Finally the user commits it all: every byte is in the commit.
    std::fs::create_dir_all(w.root.join("release_tool/changes/b")).unwrap();
    std::fs::write(
        w.root.join("release_tool/changes/b/commit_message.txt"),
        "feat: the user's work\n",
    )
    .unwrap();
    let out = w.run(&["-p", "b", "commit"]);
    assert_eq!(code(&out), Some(0), "{layout:?}: {}", outputs(&out).1);
    // `HEAD:./<path>`: relative to b's directory, in its own repository or the root.
    for (rel, bytes) in work
        .modified
        .iter()
        .chain(&work.added)
        .chain(&work.untracked)
    {
        assert_eq!(
            &show(&b, &format!("HEAD:./{rel}")),
            bytes,
            "{layout:?} {rel}"
        );
        assert_eq!(
            &std::fs::read(b.join(rel)).unwrap(),
            bytes,
            "{layout:?} {rel}"
        );
    }
    assert_eq!(show(&b, "HEAD:./staged.txt"), work.staged.1);
    for (rel, bytes) in &work.ignored {
        assert_eq!(
            &std::fs::read(b.join(rel)).unwrap(),
            bytes,
            "{layout:?} {rel}"
        );
    }
    assert_eq!(
        git(&b, &["status", "--porcelain", "--", "."]),
        "",
        "{layout:?}"
    );
    assert_eq!(
        git(&b, &["rev-parse", "stash@{0}"]),
        user_stash,
        "{layout:?}: the user's own stash is untouched"
    );
    assert_eq!(git(&b, &["stash", "list"]).lines().count(), 1, "{layout:?}");
}

/// The bug: `branch` restored its stash with `git stash pop` (no `--index`): what was staged
/// came back unstaged, and a file staged and then edited lost its staged version.
#[test]
fn branch_restores_staged_changes_as_staged() {
    // In every layout: an in-tree b's branch is the root's, stashed and restored there.
    for layout in trunk::LAYOUTS {
        let w = World::with_layout(layout);
        let b = w.pkg("b");
        plant(&b, "b");
        let staged_before = git(&b, &["diff", "--cached", "--binary"]);
        assert!(staged_before.contains("+staged v1"), "{staged_before}");
        let out = w.run(&["-p", "b", "branch"]);
        assert_eq!(code(&out), Some(0), "{layout:?}: {}", outputs(&out).1);
        assert_eq!(git(&b, &["branch", "--show-current"]).trim(), "dev_branch");
        assert_eq!(
            git(&b, &["diff", "--cached", "--binary"]),
            staged_before,
            "{layout:?}"
        );
        assert_eq!(
            std::fs::read(b.join("staged.txt")).unwrap(),
            b"staged v1\nand v2, unstaged\n"
        );
    }
}

/// A restore that conflicts (`origin/main` changed the line the user changed): `branch` fails
/// for b naming the stash and how to get the work back, and the stash holds every byte: the
/// edited file, the staged version, the untracked files. The user's own stash is still there.
#[test]
fn a_conflicting_restore_keeps_every_byte_in_the_named_stash() {
    let w = World::new();
    let b = w.pkg("b");
    // Someone else changes feature.py on b's main.
    let other = w.env.path().join("other-b");
    git(
        &w.env.path(),
        &[
            "clone",
            "-q",
            &trunk::url(&w.remote("b")),
            other.to_str().unwrap(),
        ],
    );
    commit_file(&other, "src/b/feature.py", "VALUE = 3\n", "fix: b's value");
    git(&other, &["push", "-q", "origin", "main"]);
    let work = plant(&b, "b");
    let user_stash = git(&b, &["rev-parse", "stash@{0}"]);

    let out = w.run(&["-p", "b", "branch"]);
    let (stdout, stderr) = outputs(&out);
    assert_eq!(code(&out), Some(1), "{stdout}\n{stderr}");
    assert!(
        stderr.contains(
            "Package b (packages/b): restoring the uncommitted work on `dev_branch` conflicted; it is kept in stash@{0}: release-tool/dev_branch"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("git -C packages/b stash show -p stash@{0}")
            && stderr.contains("git -C packages/b stash drop stash@{0}"),
        "how to get it back: {stderr}"
    );
    let stash = "stash@{0}";
    for (rel, bytes) in &work.modified {
        assert_eq!(&show(&b, &format!("{stash}:{rel}")), bytes, "{rel}");
    }
    assert_eq!(show(&b, &format!("{stash}^2:staged.txt")), work.staged.0);
    assert_eq!(show(&b, &format!("{stash}:staged.txt")), work.staged.1);
    for (rel, bytes) in &work.added {
        assert_eq!(&show(&b, &format!("{stash}^2:{rel}")), bytes, "{rel}");
    }
    for (rel, bytes) in &work.untracked {
        assert_eq!(&show(&b, &format!("{stash}^3:{rel}")), bytes, "{rel}");
    }
    for (rel, bytes) in &work.ignored {
        assert_eq!(&std::fs::read(b.join(rel)).unwrap(), bytes, "{rel}");
    }
    assert_eq!(git(&b, &["rev-parse", "stash@{1}"]), user_stash);
}

/// The bug: a package whose only change is a nested submodule moved to another commit is dirty,
/// but `git stash push` saves nothing ("No local changes to save") and succeeds; `branch` then
/// took `refs/stash`, the user's own older stash, for its own and popped it onto `dev_branch`.
#[test]
fn branch_never_pops_a_stash_it_did_not_make() {
    let w = World::new();
    let b = w.pkg("b");
    let nested = w.env.path().join("nested");
    std::fs::create_dir_all(&nested).unwrap();
    git(&nested, &["init", "-q"]);
    git(&nested, &["commit", "-q", "--allow-empty", "-m", "one"]);
    git(
        &b,
        &[
            "submodule",
            "add",
            "-q",
            &trunk::url(&nested),
            "vendor/nested",
        ],
    );
    git(&b, &["commit", "-q", "-m", "chore: vendor nested"]);
    git(&b, &["push", "-q", "origin", "main"]);
    write(&b, "mine.txt", b"the user's own stash\n");
    git(&b, &["stash", "push", "-q", "-u", "-m", "mine"]);
    git(
        &b.join("vendor/nested"),
        &["commit", "-q", "--allow-empty", "-m", "two"],
    );
    assert_eq!(
        git(&b, &["status", "--porcelain"]),
        " M vendor/nested\n",
        "dirty only through the nested submodule"
    );
    let stashes = git(&b, &["stash", "list", "--format=%H %gs"]);
    let out = w.run(&["-p", "b", "branch"]);
    let (stdout, stderr) = outputs(&out);
    assert_eq!(code(&out), Some(0), "{stdout}\n{stderr}");
    assert_eq!(git(&b, &["branch", "--show-current"]).trim(), "dev_branch");
    assert!(
        !b.join("mine.txt").exists(),
        "the user's stash was not applied"
    );
    assert_eq!(git(&b, &["stash", "list", "--format=%H %gs"]), stashes);
    assert_eq!(git(&b, &["status", "--porcelain"]), " M vendor/nested\n");
}

/// The bug: `tag` and `next` commit in the root (pins, pointers) with `git commit`, which took
/// whatever the user had staged in the root along. Like `release` and `prepare`, they now refuse
/// a root with staged changes, before anything changes.
#[test]
fn tag_and_next_refuse_staged_root_changes_that_would_slip_into_their_commit() {
    let w = World::new();
    // a's release commit merged on main (as after `prepare` and its pull request): final version.
    let a = w.pkg("a");
    let text = std::fs::read_to_string(a.join("pyproject.toml")).unwrap();
    commit_file(
        &a,
        "pyproject.toml",
        &text.replace("version = \"0.1.0.dev0\"", "version = \"0.1.0\""),
        "Release a 0.1.0",
    );
    git(&a, &["push", "-q", "origin", "main"]);
    git(&w.root, &["commit", "-q", "-am", "chore: a merged"]);
    write(&w.root, "notes.txt", b"the user's root work\n");
    git(&w.root, &["add", "notes.txt"]);
    for args in [&["-p", "a", "tag"][..], &["-p", "a", "next"][..]] {
        let before = snapshot_tree(&w.env.path());
        let out = w.run(args);
        let (stdout, stderr) = outputs(&out);
        assert_eq!(code(&out), Some(1), "{args:?}:\n{stdout}\n{stderr}");
        assert!(
            stderr.contains("the root has staged changes; commit or unstage them first"),
            "{args:?}: {stderr}"
        );
        assert_eq!(before, snapshot_tree(&w.env.path()), "{args:?}");
    }
    // Unstaged, `tag` runs and its root commit holds the pins alone.
    git(&w.root, &["reset", "-q", "--", "notes.txt"]);
    let out = w.run(&["-p", "a", "tag"]);
    assert_eq!(code(&out), Some(0), "{}", outputs(&out).1);
    let files = git(&w.root, &["show", "--name-only", "--format=", "HEAD"]);
    assert!(!files.contains("notes.txt"), "{files}");
    assert!(files.contains("prod/pyproject.toml"), "{files}");
    assert_eq!(
        std::fs::read(w.root.join("notes.txt")).unwrap(),
        b"the user's root work\n"
    );
}

/// The bug: `changes` failed for a package with an untracked file named like an option (`-rf`):
/// the path, passed after `--`, was refused as one git could read as an option.
#[test]
fn changes_shows_an_untracked_file_named_like_an_option() {
    let w = World::new();
    let b = w.pkg("b");
    write(&b, "-rf", b"not an option\n");
    let out = w.run(&["-p", "b", "changes"]);
    assert_eq!(code(&out), Some(0), "{}", outputs(&out).1);
    let text = std::fs::read_to_string(
        w.root
            .join("release_tool/changes/b/changes_uncommitted.txt"),
    )
    .unwrap();
    assert!(text.contains("+not an option"), "{text}");
    assert_eq!(std::fs::read(b.join("-rf")).unwrap(), b"not an option\n");
}
